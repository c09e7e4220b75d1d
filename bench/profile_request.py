"""Profile one Officium request in-process: SQL statements per request, time per request, and a profile.

The request goes straight into the ASGI application (no socket, no HTTP parser), signed in as a real
user through the login view, so what is measured is Officium's own work for that page.

    python bench/profile_request.py --site SITE --path / [--user heping] [-n 500] [--profiler cprofile]
    python bench/profile_request.py --site SITE --approve [-n 200]

``--approve`` profiles what make bench's approve phase sends: ``POST`` of the seed's ``approve_api`` with an
API token (``Authorization: Bearer``) for the approvers of the seed's summary, each item approved once
(a site where ``-n`` approvals plus the warm-up remain; use a copy, the approvals are committed).

``--profiler pyinstrument`` needs ``pip install pyinstrument`` (an investigation tool, not a dependency).
Use a seeded site (``python bench/run.py --keep-site`` prints where it is) or any copy of one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


class Answer:
    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""


async def call(
    asgi: Any,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict | None = None,
    *,
    json_body: dict | None = None,
    bearer: str = "",
) -> Answer:
    """One request through the ASGI app, with a minimal HTTP scope."""
    raw_path, _, query = path.partition("?")
    body = urlencode(form).encode() if form is not None else b""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"officium-bench")]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    if bearer:
        headers.append((b"authorization", f"Bearer {bearer}".encode()))
    if form is not None:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    elif json_body is not None:
        body = json.dumps(json_body).encode()
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    answer = Answer()

    async def receive() -> dict:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = message.get("headers", [])
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await asgi(scope, receive, send)
    return answer


def set_cookies(answer: Answer) -> dict[str, str]:
    out = {}
    for name, value in answer.headers:
        if name == b"set-cookie":
            key, _, rest = value.decode().partition("=")
            out[key] = rest.split(";", 1)[0]
    return out


async def sign_in(asgi: Any, username: str, password: str) -> dict[str, str]:
    page = await call(asgi, "GET", "/login", {})
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.body).group(1).decode()
    cookies = set_cookies(page)
    answer = await call(
        asgi,
        "POST",
        "/login",
        cookies,
        {"username": username, "password": password, "csrf_token": token, "code": ""},
    )
    if answer.status != 303:
        raise SystemExit(f"sign-in as {username} failed: HTTP {answer.status}")
    return {"officium_session": set_cookies(answer)["officium_session"]}


async def main_async(args: argparse.Namespace) -> None:
    from seed import PAGE_USER, PASSWORD

    from officium.core.app import create_app
    from officium.core.config import SiteConfig

    app = create_app(SiteConfig.load(args.site))
    asgi = app.asgi()
    if args.approve:
        await approvals(app, asgi, args)
        return
    cookies = await sign_in(asgi, args.user or PAGE_USER, PASSWORD) if not args.anonymous else {}

    statements: Counter = Counter()
    real_execute = app.db.execute_sql

    def counting(sql: str, params: Any = None, *a: Any, **kw: Any) -> Any:
        statements[re.sub(r"\s+", " ", sql)[:160]] += 1
        return real_execute(sql, params, *a, **kw)

    for _ in range(20):  # warm-up: template compilation, caches
        await call(asgi, "GET", args.path, cookies)
    app.db.execute_sql = counting  # type: ignore[method-assign]
    answer = await call(asgi, "GET", args.path, cookies)
    app.db.execute_sql = real_execute  # type: ignore[method-assign]
    print(f"GET {args.path} → HTTP {answer.status}, {len(answer.body):,} bytes")
    print(f"SQL statements in one request: {sum(statements.values())}")
    for sql, count in statements.most_common():
        print(f"  {count} × {sql}")

    t0 = time.perf_counter()
    for _ in range(args.n):
        await call(asgi, "GET", args.path, cookies)
    per = (time.perf_counter() - t0) / args.n
    print(f"\n{args.n} requests in-process: {per * 1000:.2f} ms each (≈ {1 / per:.0f} req/s on one core)")

    if args.profiler == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(args.n):
            await call(asgi, "GET", args.path, cookies)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            await call(asgi, "GET", args.path, cookies)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


async def approvals(app: Any, asgi: Any, args: argparse.Namespace) -> None:
    """``--approve``: statements of one approval, ms per approval, and a profile of ``-n`` approvals."""
    from officium.core.db import write_transaction
    from officium.core.identity.models import User
    from officium.core.identity.tokens import issue_token

    probes = json.loads((args.site / "bench-summary.json").read_text())["probes"]
    work = []
    with write_transaction(app.db):
        for username, ids in probes["approvers"].items():
            token = issue_token(User.get(User.username == username), "profile", app.clock())
            work += [(token, item) for item in ids]
    needed = 20 + 1 + 2 * args.n
    if len(work) < needed:
        raise SystemExit(f"the site has {len(work)} approvable items, --approve -n {args.n} needs {needed}")
    items = iter(work)

    async def approve() -> Answer:
        token, item = next(items)
        path = probes["approve_api"].format(id=item)
        answer = await call(asgi, "POST", path, {}, json_body=probes["approve_body"], bearer=token)
        if answer.status != 200:
            raise SystemExit(f"POST {path}: HTTP {answer.status} {answer.body[:300]!r}")
        return answer

    for _ in range(20):
        await approve()
    statements: Counter = Counter()
    real_execute = app.db.execute_sql

    def counting(sql: str, params: Any = None, *a: Any, **kw: Any) -> Any:
        statements[re.sub(r"\s+", " ", sql)[:160]] += 1
        return real_execute(sql, params, *a, **kw)

    app.db.execute_sql = counting  # type: ignore[method-assign]
    await approve()
    app.db.execute_sql = real_execute  # type: ignore[method-assign]
    print(f"SQL statements in one approval: {sum(statements.values())}")
    for sql, count in statements.most_common():
        print(f"  {count} × {sql}")
    t0 = time.perf_counter()
    for _ in range(args.n):
        await approve()
    per = (time.perf_counter() - t0) / args.n
    print(f"\n{args.n} approvals in-process: {per * 1000:.2f} ms each (≈ {1 / per:.0f}/s on one core)")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.n):
        await approve()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--user", help="sign in as (default: the bench's page user)")
    parser.add_argument("--anonymous", action="store_true", help="do not sign in")
    parser.add_argument(
        "--approve", action="store_true", help="profile API approvals of the seed's approvers (commits them)"
    )
    parser.add_argument("-n", type=int, default=500, help="requests to time and profile")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--top", type=int, default=40, help="cProfile rows to print")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
