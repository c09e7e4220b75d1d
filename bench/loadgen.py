"""A small closed-loop HTTP/1.1 load generator on plain asyncio streams, for 127.0.0.1 only.

Why not wrk, and why not httpx: the load generator shares the two cores with the server under test, so
every microsecond it spends per request is taken from the server.  Measured on the 2-core bench box
against the baseline's ``/health`` (1 worker, 32 connections, 5 s, two rounds;
``python bench/run.py --compare-clients`` repeats it):

* this client: 3,900-5,000 req/s, p99 12-16 ms, with the client process at ~30 % of one core;
* ``httpx.AsyncClient`` (0.28): 210-250 req/s, p99 540-690 ms, with the client at 80-100 % of one core.
  httpx's connection pool, not the server, is the bottleneck: it would report a twentieth of the real
  figure on cheap endpoints and steal a core from the server on the expensive ones.

wrk (C, epoll) would be cheaper still, but it needs a Debian package and root to install it, reports no
p95 without a Lua script, and needs more Lua for a login storm of distinct users with a per-login CSRF
cookie.  This client costs ~60 µs of client CPU per request, small next to the pages under test
(Officium's dashboard costs about 2 ms of server CPU), and it records every latency, so p50/p95/p99 are
exact rather than bucketed.

It is bounded and self-stopping: every phase has a deadline (and an optional request cap), every request
a timeout, and :func:`check_local` refuses any host but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

#: Seconds a request may take before it counts as a TimeoutError (``--request-timeout`` changes it per run).
REQUEST_TIMEOUT = 10.0
HOST = "127.0.0.1"


def check_local(host: str) -> None:
    """Refuse to send load anywhere but the loopback address."""
    if host != HOST:
        raise SystemExit(f"refusing to send load to {host!r}: the benchmark only targets {HOST}")


class HttpError(Exception):
    """A malformed or truncated answer."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length and chunked bodies; reconnects after close)."""

    def __init__(self, host: str, port: int) -> None:
        check_local(host)
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> Answer:
        """Send one pre-encoded request and read the whole answer."""
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.read()
            self.close()
            return Answer(status, headers, cookies, body)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, cookies, body)


def build_request(
    method: str,
    path: str,
    port: int,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """Encode one HTTP/1.1 request (a form or a JSON body; extra ``headers`` such as Authorization)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: officium-bench"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    body = b""
    if form is not None:
        body = urlencode(form).encode()
        lines.append("Content-Type: application/x-www-form-urlencoded")
    elif json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        lines.append("Content-Type: application/json")
    if method != "GET" or body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class PhaseResult:
    """What one load phase measured: every latency (seconds) and every error, by kind."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    client_cpu: float = 0.0
    bytes: int = 0
    #: Clients of a :func:`sequence_loop` that ran out of requests before the deadline.
    exhausted: int = 0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.ok,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies) * 1000, 2) if self.latencies else None,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "client_cpu_pct": round(100 * self.client_cpu / self.seconds, 1) if self.seconds else None,
            "mean_bytes": round(self.bytes / self.ok) if self.ok else 0,
        }


Check = Callable[[Answer], str | None]


def expect_status(status: int) -> Check:
    """An answer check: anything but ``status`` is an error named by its status."""

    def check(answer: Answer) -> str | None:
        return None if answer.status == status else f"HTTP {answer.status}"

    return check


async def closed_loop(
    name: str,
    port: int,
    raw: bytes,
    check: Check,
    *,
    connections: int,
    seconds: float,
    max_requests: int | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> PhaseResult:
    """``connections`` clients, each sending ``raw`` again as soon as the previous answer arrived."""
    return await sequence_loop(
        name,
        port,
        [itertools.repeat(raw) for _ in range(connections)],
        check,
        seconds=seconds,
        max_requests=max_requests,
        timeout=timeout,
    )


async def sequence_loop(
    name: str,
    port: int,
    sequences: list,
    check: Check,
    *,
    seconds: float,
    max_requests: int | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> PhaseResult:
    """One client per entry of ``sequences``, each sending its own requests in order, closed loop.

    Each entry is an iterator of pre-encoded requests (e.g. one approver approving their own items one
    after another); a client stops at the deadline, when its iterator is exhausted or when the phase has
    sent ``max_requests``, so the same iterators can serve a warm-up and then the measured phase.  Every request is sent once, whatever the
    answer: a write is never retried.
    """
    result = PhaseResult(name)
    deadline = time.perf_counter() + seconds
    budget = [max_requests if max_requests is not None else 10**12]

    async def client(requests) -> None:
        conn = Connection(HOST, port)
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                raw = next(requests, None)
                if raw is None:
                    result.exhausted += 1
                    break
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(timeout):
                        answer = await conn.send(raw)
                except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError) as exc:
                    result.errors[type(exc).__name__] += 1
                    conn.close()
                    continue
                elapsed = time.perf_counter() - start
                problem = check(answer)
                if problem:
                    result.errors[problem] += 1
                else:
                    result.latencies.append(elapsed)
                    result.bytes += len(answer.body)
        finally:
            conn.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(seq) for seq in sequences))
    result.seconds = time.perf_counter() - t0
    result.client_cpu = time.process_time() - cpu0
    return result


async def httpx_closed_loop(url: str, *, connections: int, seconds: float) -> PhaseResult:
    """The same closed loop through ``httpx.AsyncClient`` (only for comparing load generators)."""
    import httpx

    check_local(httpx.URL(url).host)
    result = PhaseResult(f"httpx {url}")
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT) as http:

        async def client() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    answer = await http.get(url)
                except httpx.HTTPError as exc:
                    result.errors[type(exc).__name__] += 1
                    continue
                if answer.status_code == 200:
                    result.latencies.append(time.perf_counter() - start)
                else:
                    result.errors[f"HTTP {answer.status_code}"] += 1

        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        result.seconds = time.perf_counter() - t0
        result.client_cpu = time.process_time() - cpu0
    return result


async def one_connection(
    port: int, raw: bytes, count: int = 40, expect: int | None = None
) -> dict[str, float]:
    """Latency without queueing: ``count`` requests one after another on one keep-alive connection.

    On a server whose answers wait for the client's delayed ACK (Nagle's algorithm left on), every
    request after the first takes ~40 ms here however cheap it is.
    """
    conn = Connection(HOST, port)
    times = []
    try:
        for _ in range(count + 5):
            start = time.perf_counter()
            async with asyncio.timeout(REQUEST_TIMEOUT):
                answer = await conn.send(raw)
            times.append(time.perf_counter() - start)
            if expect is not None and answer.status != expect:
                raise HttpError(f"HTTP {answer.status} (expected {expect})")
    finally:
        conn.close()
    ordered = sorted(times[5:])
    return {
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "count": len(ordered),
    }


_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


async def sign_in(conn: Connection, port: int, username: str, password: str) -> tuple[str, float, float]:
    """Sign in through the login form like a browser; return (session cookie, GET seconds, POST seconds)."""
    t0 = time.perf_counter()
    form_page = await conn.send(build_request("GET", "/login", port))
    t1 = time.perf_counter()
    if form_page.status != 200:
        raise HttpError(f"login form HTTP {form_page.status}")
    match = _CSRF.search(form_page.body)
    if match is None:
        raise HttpError("login form without csrf_token")
    token = match.group(1).decode()
    cookies = {"officium_csrf": form_page.cookies.get("officium_csrf", token)}
    fields = {"username": username, "password": password, "csrf_token": token, "code": ""}
    answer = await conn.send(build_request("POST", "/login?next=/", port, cookies=cookies, form=fields))
    t2 = time.perf_counter()
    if answer.status != 303 or "officium_session" not in answer.cookies:
        raise HttpError(f"login POST HTTP {answer.status}")
    return answer.cookies["officium_session"], t1 - t0, t2 - t1


@dataclass
class StormResult:
    """A login storm: the POST latencies (what the target is about) and the whole GET+POST flows."""

    post: PhaseResult
    flow: PhaseResult


async def login_storm(
    port: int, usernames: list[str], password: str, *, connections: int, sample: Callable[[], Awaitable[None]]
) -> StormResult:
    """Every username signs in once (GET the form, POST it), ``connections`` at a time, all released at once.

    ``sample`` is awaited in the background every 50 ms (RSS sampling while the storm runs).
    """
    post = PhaseResult("login POST storm")
    flow = PhaseResult("login GET+POST flow")
    queue = list(reversed(usernames))

    async def client() -> None:
        conn = Connection(HOST, port)
        try:
            while queue:
                username = queue.pop()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT * 3):
                        _, get_s, post_s = await sign_in(conn, port, username, password)
                except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError) as exc:
                    post.errors[f"{type(exc).__name__}: {exc}"[:80]] += 1
                    conn.close()
                    continue
                post.latencies.append(post_s)
                flow.latencies.append(get_s + post_s)
        finally:
            conn.close()

    stop = asyncio.Event()

    async def sampler() -> None:
        while not stop.is_set():
            await sample()
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except TimeoutError:
                pass

    sampling = asyncio.create_task(sampler())
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    post.seconds = flow.seconds = time.perf_counter() - t0
    post.client_cpu = flow.client_cpu = time.process_time() - cpu0
    stop.set()
    await sampling
    return StormResult(post, flow)
