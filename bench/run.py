"""``make bench``: seed a province-scale site, serve it with ``officium serve``, load every page, compare.

A run

1. **seeds** a site with bench/province.py (``--scale province``: 10,000 users, 1,000,000 work items,
   300,000 documents, 1,000,000 messages and search entries; ``--scale small`` for a quick run) on SQLite.
   When the seed has made exactly 10,000 work items it calls back: the bench then starts ``officium serve``
   on the half-seeded site and times the 待办 page one request at a time on one connection (the median of
   ``--todo-samples``), to compare with the same measure on the full site;
2. for each worker count (``--workers 1,2``) launches ``officium serve`` a few times to time start-up,
   starts the bare baseline (bench/baseline_app.py) beside it, and loads, with 32 connections in a closed
   loop, every endpoint the seed's probes name, each right after its baseline counterpart: the dashboard,
   the 待办 page and the inbox after the baseline's 50-row page; the 待办 and leave JSON lists after the
   bare endpoints returning the same 20 rows; the units API after the bare units list; ``/health`` after a
   bare ``SELECT 1``; a document page, a search page and the login page (no counterpart); then the
   approve action (POST, each connection an approver with an API token approving their own open items),
   and a login storm of distinct users; it reads every server process's RSS;
3. does the same against PostgreSQL (a fresh ``officium_bench_<timestamp>`` database, dropped afterwards
   unless ``--keep-site``), with the baseline still on the SQLite file;
4. prints one table, writes bench/results/<timestamp>.json and bench/results/latest.md, and puts the latest
   table into docs/performance.md.  Load goes only to 127.0.0.1; servers are stopped by PID.

    python bench/run.py [--scale province|small] [--seconds 10] [--workers 1,2] [--no-postgresql] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import report  # noqa: E402
from loadgen import HOST, build_request, closed_loop, expect_status, login_storm, one_connection, sign_in  # noqa: E402
from servers import Server, cpu_seconds, free_port, status_kib, wait_port_free  # noqa: E402

#: Officium endpoint → (path, or "probe:<key>" for a path the seed's probes name; needs the session
#: cookie; the baseline endpoint it is compared with).
OFFICIUM_ENDPOINTS = {
    "dashboard /": ("/", True, "page"),
    "待办 page": ("probe:todo_path", True, "page"),
    "inbox": ("probe:inbox_path", True, "page"),
    "document page": ("probe:document_path", True, None),
    "search 通知": ("probe:search_path", True, None),
    # 通知 is in about 90 % of entries (特此通知 …): the worst case.  A topical four-character query is what
    # a search usually looks like.
    "search 食品安全": ("/search/?q=%E9%A3%9F%E5%93%81%E5%AE%89%E5%85%A8", True, None),
    "待办 API": ("probe:todo_api", True, "todo"),
    "leave API": ("probe:leave_api", True, "leave"),
    "units API": ("/api/v1/core/units?per_page=20", True, "units"),
    "login page GET": ("/login", False, None),
    "/health": ("/health", False, "health"),
}
#: The name of the approve phase in the results (it has no baseline counterpart).
APPROVE = "approve POST"
#: Other processes' CPU (in % of one core) above which a phase is flagged as disturbed.
QUIET_PCT = 20.0
#: What the server logs when SQLite refuses a writer; the approve phase must never provoke it.
LOCKED = "database is locked"
#: The seed stage at which the 待办 page is timed before the fill (see bench-contract: on_stage).
STAGE_10K = "work_items_10k"
SCALE_KEYS = ("users", "units", "work_items", "documents", "mail", "search")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Officium benchmarks (make bench): seed, serve, load every page, compare with a bare baseline."
    )
    seeding = parser.add_argument_group("seeding")
    seeding.add_argument(
        "--scale",
        choices=("province", "small"),
        default="province",
        help="data set from bench/province.py SCALES (default province: 10,000 users, 1,000,000 work items)",
    )
    seeding.add_argument("--users", type=int, help="accounts (default: the scale's)")
    seeding.add_argument("--units", type=int, help="organisational units (default: the scale's)")
    seeding.add_argument("--work-items", type=int, help="work items (default: the scale's)")
    seeding.add_argument("--documents", type=int, help="documents (default: the scale's)")
    seeding.add_argument("--mail", type=int, help="mail messages (default: the scale's)")
    seeding.add_argument("--search-records", type=int, help="search entries (default: the scale's)")
    seeding.add_argument(
        "--site", type=Path, help="seed the SQLite site into this empty folder (default: a temporary one)"
    )
    seeding.add_argument(
        "--keep-site", action="store_true", help="keep the seeded site(s) and the PostgreSQL database"
    )
    seeding.add_argument(
        "--reuse-seed",
        action="store_true",
        help="let bench/province.py reuse a cached seed of the same sizes if it keeps one",
    )
    load = parser.add_argument_group("load")
    load.add_argument(
        "--seconds", type=float, default=10.0, help="measured seconds per endpoint (default 10)"
    )
    load.add_argument(
        "--warmup", type=float, default=2.0, help="discarded warm-up seconds per endpoint (default 2)"
    )
    load.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    load.add_argument(
        "--request-timeout",
        type=float,
        default=loadgen.REQUEST_TIMEOUT,
        help="seconds before a request counts as an error, TimeoutError (default %(default)g)",
    )
    load.add_argument("--workers", default="1,2", help="SQLite worker counts, comma-separated (default 1,2)")
    load.add_argument("--storm-logins", type=int, default=200, help="logins in the storm (distinct users)")
    load.add_argument(
        "--startup-runs", type=int, default=3, help="launches timed per worker count (default 3)"
    )
    load.add_argument(
        "--todo-samples",
        type=int,
        default=60,
        help="待办 page requests, one at a time, timed at 10,000 and at the full count of work items (median)",
    )
    pg = parser.add_argument_group("PostgreSQL")
    pg.add_argument(
        "--database-url-base",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server to create officium_bench_<timestamp> on (default %(default)s)",
    )
    pg.add_argument("--no-postgresql", action="store_true", help="skip the PostgreSQL run")
    pg.add_argument(
        "--pg-scale",
        choices=("province", "small"),
        help="data set of the PostgreSQL run (default: --scale's; seeding PostgreSQL is the slowest part)",
    )
    pg.add_argument(
        "--pg-workers", default="2", help="PostgreSQL worker counts, comma-separated (default 2; e.g. 1,2)"
    )
    machine = parser.add_argument_group("machine and output")
    machine.add_argument("--results", type=Path, default=HERE / "results", help="where results go")
    machine.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each server, wait up to this many seconds for other processes to go idle",
    )
    machine.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the bench and its servers at this niceness (e.g. -10 as root on a shared machine)",
    )
    machine.add_argument(
        "--report-only",
        type=Path,
        metavar="JSON",
        help="measure nothing: rewrite latest.md and docs/performance.md from a results file",
    )
    machine.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    machine.add_argument(
        "--compare-clients",
        action="store_true",
        help="only compare this load generator with httpx on the baseline's /health, then exit",
    )
    args = parser.parse_args(argv)
    args.worker_counts = _counts(parser, args.workers)
    args.pg_worker_counts = [] if args.no_postgresql else _counts(parser, args.pg_workers)
    if args.connections < 1 or args.seconds <= 0 or args.todo_samples < 1:
        parser.error("--connections, --seconds and --todo-samples must be positive")
    return args


def _counts(parser: argparse.ArgumentParser, text: str) -> list[int]:
    counts = [int(w) for w in text.split(",") if w.strip()]
    if not counts or min(counts) < 1:
        parser.error("worker counts must be positive integers")
    return counts


def log(message: str) -> None:
    print(message, flush=True)


def sizes_for(args: argparse.Namespace, scale: str | None = None) -> dict[str, int]:
    """The sizes of ``scale`` (default ``--scale``) with the command line's overrides."""
    from province import SCALES

    sizes = dict(SCALES[scale or args.scale])
    overrides = {
        "users": args.users,
        "units": args.units,
        "work_items": args.work_items,
        "documents": args.documents,
        "mail": args.mail,
        "search": args.search_records,
    }
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    return sizes


class Machine:
    """Whole-machine CPU use between two readings of /proc/stat, in % of one core (200 = both of 2 cores)."""

    @staticmethod
    def ticks() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def __init__(self) -> None:
        self.start = self.ticks()

    def busy_pct(self) -> float:
        busy, total = self.ticks()
        share = (busy - self.start[0]) / max(total - self.start[1], 1)
        return round(100 * share * (os.cpu_count() or 1), 1)


def wait_for_quiet(max_wait: float, threshold: float = QUIET_PCT) -> float:
    """Wait (up to ``max_wait`` s) until other processes use under ``threshold`` % of a core; return it.

    The bench shares the machine with whatever else runs there (other test suites on a CI box); their CPU
    use would be charged to the servers under test.
    """
    deadline = time.perf_counter() + max_wait
    warned = False
    while True:
        machine = Machine()
        time.sleep(1.0)
        busy = machine.busy_pct()
        if busy < threshold or time.perf_counter() > deadline:
            if busy >= threshold:
                log(f"  (machine still busy: {busy:.0f}% of a core used by other processes; going on)")
            return busy
        if not warned:
            log(f"  waiting for the machine to quieten: other processes use {busy:.0f}% of a core ...")
            warned = True


class Probe:
    """CPU and machine readings around one phase, added to its summary."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.per_process = {pid: cpu_seconds(pid) for pid in server.serving_pids()}
        self.cpu0, self.machine = server.cpu(), Machine()

    def add(self, summary: dict, seconds: float) -> dict:
        summary["server_cpu_pct"] = round(100 * (self.server.cpu() - self.cpu0) / seconds, 1)
        summary["worker_cpu_pct"] = [
            round(100 * (cpu_seconds(pid) - before) / seconds, 1) for pid, before in self.per_process.items()
        ]
        summary["machine_busy_pct"] = self.machine.busy_pct()
        summary["others_cpu_pct"] = others(summary)
        return summary


async def measure(server: Server, name: str, raw: bytes, args: argparse.Namespace) -> dict:
    """Warm up, then load one endpoint for ``--seconds``; add the server's CPU share and the machine's."""

    def load(seconds: float):
        return closed_loop(
            name,
            server.port,
            raw,
            expect_status(200),
            connections=args.connections,
            seconds=seconds,
            timeout=args.request_timeout,
        )

    if args.warmup > 0:
        await load(args.warmup)
    probe = Probe(server)
    result = await load(args.seconds)
    summary = probe.add(result.summary(), result.seconds)
    log(report.phase_line(name, server.workers, summary))
    return summary


def others(summary: dict) -> float:
    """CPU used by processes other than the servers and this load generator, in % of one core."""
    return round(
        max(
            0.0,
            summary["machine_busy_pct"] - summary["server_cpu_pct"] - (summary.get("client_cpu_pct") or 0),
        ),
        1,
    )


def officium_server(site: Path, port: int, workers: int, logs: Path, tag: str = "") -> Server:
    # The venv's ``officium`` script, run by the interpreter running the bench (the one that seeded the site
    # and listed its plugins) rather than by its ``python3`` shebang: stevedore keys its entry-point cache
    # on the interpreter's path, so both then read the same cache.
    exe = Path(sys.executable).with_name("officium")
    argv = [
        sys.executable,
        str(exe),
        "--site",
        str(site),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("officium", argv, port, workers, logs / f"officium{tag}-w{workers}.log")


def baseline_server(db_file: Path, port: int, workers: int, logs: Path) -> Server:
    argv = [
        sys.executable,
        str(HERE / "baseline_app.py"),
        "--db",
        str(db_file),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("baseline", argv, port, workers, logs / f"baseline-w{workers}.log")


# ------------------------------------------------------------------------------- the seeded site's facts


def prepare_site(site: Path, approvers: list[str], page_user: str) -> dict:
    """In-process, before any server runs: API tokens for the approvers and facts the bench needs.

    Each approver gets an API token (``officium token create`` does the same), because that is what an API
    client acting on work items sends: ``Authorization: Bearer ...``, no session and no CSRF token.
    """
    from seed import PREFIX

    from officium.core.app import create_app
    from officium.core.config import SiteConfig
    from officium.core.db import write_transaction
    from officium.core.identity.models import User
    from officium.core.identity.tokens import issue_token
    from officium.core.workflow.models import WorkItem

    app = create_app(SiteConfig.load(site))
    try:
        tokens = {}
        with write_transaction(app.db):
            for username in approvers:
                user = User.get(User.username == username)
                tokens[username] = issue_token(user, f"bench-{int(time.time())}", app.clock())
        synchronous = None
        if app.db.__class__.__name__.startswith("Sqlite"):
            level = app.db.execute_sql("PRAGMA synchronous").fetchone()[0]
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))
        return {
            "tokens": tokens,
            "generated_users": User.select().where(User.username.startswith(PREFIX)).count(),
            "page_user_id": User.get(User.username == page_user).id,
            "work_items": WorkItem.select().count(),
            "synchronous": synchronous,
        }
    finally:
        app.db.close()


def baseline_paths(probes: dict, page_user_id: int) -> dict[str, str]:
    """The baseline's endpoint for each counterpart, asking for the same rows as the probes."""
    todo_query = parse_qs(urlsplit(probes.get("todo_api", "")).query)
    leave_query = parse_qs(urlsplit(probes.get("leave_api", "")).query)
    todo_pp = todo_query.get("per_page", ["20"])[0]
    leave_pp = leave_query.get("per_page", ["20"])[0]
    scope = leave_query.get("scope", ["mine"])[0]
    return {
        "page": "/page",
        "units": "/api/units?per_page=20",
        "todo": f"/api/todo?assignee={page_user_id}&per_page={todo_pp}",
        "leave": f"/api/leave?user={page_user_id}&scope={scope}&per_page={leave_pp}",
        "health": "/health",
    }


def endpoint_path(spec: str, probes: dict) -> str:
    return probes[spec.split(":", 1)[1]] if spec.startswith("probe:") else spec


def log_count(path: Path, needle: str) -> int:
    """How many times ``needle`` appears in a server log (0 when there is no log yet)."""
    try:
        return path.read_text(errors="replace").count(needle)
    except OSError:
        return 0


# ------------------------------------------------------------------------------------------ the phases


async def todo_one_connection(
    site: Path, probes: dict, args: argparse.Namespace, logs: Path, tag: str
) -> dict:
    """The 待办 page, one request at a time on one connection (one worker): the median of N, no queueing."""
    from seed import PASSWORD

    port = free_port()
    server = officium_server(site, port, 1, logs, f"{tag}-todo")
    server.start()
    try:
        conn = loadgen.Connection(HOST, port)
        session, _, _ = await sign_in(conn, port, probes["page_user"], PASSWORD)
        conn.close()
        raw = build_request("GET", probes["todo_path"], port, cookies={"officium_session": session})
        timing = await one_connection(port, raw, count=args.todo_samples, expect=200)
    finally:
        server.stop()
        wait_port_free(port)
    return timing


def time_todo(site: Path, probes: dict, args: argparse.Namespace, logs: Path, tag: str, when: str) -> dict:
    """:func:`todo_one_connection` from synchronous code (the seed's stage callback), with the item count."""
    items = count_work_items(site)
    timing = asyncio.run(todo_one_connection(site, probes, args, logs, tag))
    timing["work_items"] = items
    log(
        f"  待办 page at {items:,} work items ({when}), one request at a time: median {timing['p50_ms']} ms "
        f"(max {timing['max_ms']} ms, {timing['count']} requests)"
    )
    return timing


def count_work_items(site: Path) -> int:
    from officium.core.config import SiteConfig
    from officium.core.db import open_database

    db = open_database(SiteConfig.load(site).database_url, site)
    try:
        return db.execute_sql("SELECT COUNT(*) FROM core_work_item").fetchone()[0]
    finally:
        db.close()


def approver_slices(approvers: dict[str, list[int]], connections: int, run_index: int) -> list[str]:
    """``connections`` approvers for one run, different from the other runs' while there are enough."""
    names = sorted(approvers, key=lambda n: (-len(approvers[n]), n))
    if not names:
        raise RuntimeError("the seed's probes name no approvers: the approve phase cannot run")
    start = run_index * connections
    return [names[(start + i) % len(names)] for i in range(connections)]


async def approve_phase(
    server: Server, probes: dict, tokens: dict[str, str], chosen: list[str], args: argparse.Namespace
) -> dict:
    """Each connection is one approver (bearer token) approving their own open items one after another.

    A warm-up of ``--warmup`` seconds walks the first items, the measured ``--seconds`` the next ones; every
    item is approved at most once (an approver named twice shares one walk through the items).  Any answer
    but 200 is an error, 503 系统繁忙 included; "database is locked" is counted in the server's log.
    """
    body = probes.get("approve_body", {"opinion": "同意"})
    route = probes["approve_api"]
    walks: dict[str, object] = {}

    def walk(username: str):
        headers = {"Authorization": f"Bearer {tokens[username]}"}
        for item in probes["approvers"][username]:
            yield build_request("POST", route.format(id=item), server.port, json_body=body, headers=headers)

    for username in chosen:
        walks.setdefault(username, walk(username))
    sequences = [walks[u] for u in chosen]
    locked0 = log_count(server.log, LOCKED)
    warm = None
    if args.warmup > 0:
        # the warm-up may take at most a quarter of the items: the measured phase needs the rest
        total = sum(len(probes["approvers"][u]) for u in walks)
        warm = await loadgen.sequence_loop(
            APPROVE,
            server.port,
            sequences,
            expect_status(200),
            seconds=args.warmup,
            max_requests=total // 4,
            timeout=args.request_timeout,
        )
    probe = Probe(server)
    result = await loadgen.sequence_loop(
        APPROVE,
        server.port,
        sequences,
        expect_status(200),
        seconds=args.seconds,
        timeout=args.request_timeout,
    )
    summary = probe.add(result.summary(), result.seconds)
    summary["approvers"] = len(set(chosen))
    summary["warmup_requests"] = warm.ok if warm else 0
    summary["warmup_errors"] = dict(warm.errors) if warm else {}
    summary["database_locked"] = log_count(server.log, LOCKED) - locked0
    summary["busy_503"] = summary["error_kinds"].get("HTTP 503", 0)
    summary["exhausted_connections"] = result.exhausted
    log(
        report.phase_line(APPROVE, server.workers, summary)
        + f"  (database is locked ×{summary['database_locked']}, 503 ×{summary['busy_503']})"
    )
    return summary


async def run_pair(
    site: Path,
    backend: str,
    workers: int,
    ctx: dict,
    args: argparse.Namespace,
    logs: Path,
    run_index: int,
) -> tuple[dict, dict]:
    """Officium and the baseline with ``workers`` workers, both up, each endpoint right after its counterpart.

    Measuring a pair back to back (rather than all of the baseline, then all of Officium) keeps the two
    figures of a ratio a few seconds apart, so a change in background load hits both alike.
    """
    from seed import PASSWORD

    probes = ctx["probes"]
    ours: dict = {"server": "officium", "backend": backend, "workers": workers, "startup_s": [], "phases": {}}
    base: dict = {
        "server": "baseline",
        "backend": "sqlite",
        "paired_with": backend,
        "workers": workers,
        "startup_s": [],
        "phases": {},
    }
    tag = "" if backend == "sqlite" else "-pg"
    port, base_port = free_port(), free_port()
    wait_for_quiet(args.quiet_wait)
    server = baseline = None
    try:
        for attempt in range(max(1, args.startup_runs)):
            server = officium_server(site, port, workers, logs, tag)
            startup = server.start()
            ours["startup_s"].append(round(startup, 3))
            log(
                f"officium serve --workers {workers} ({backend}): first /health answered "
                f"{startup * 1000:.0f} ms after launch"
            )
            if attempt < args.startup_runs - 1:
                server.stop()
                wait_port_free(port)
        baseline = baseline_server(ctx["baseline_db"], base_port, workers, logs)
        startup = baseline.start()
        base["startup_s"].append(round(startup, 3))
        log(f"baseline --workers {workers}: first /health answered {startup * 1000:.0f} ms after launch")
        for out, srv in ((base, baseline), (ours, server)):
            out["one_connection"] = await one_connection(srv.port, build_request("GET", "/health", srv.port))
            log(
                f"  {srv.name}: /health one request at a time on one connection: "
                f"p50 {out['one_connection']['p50_ms']} ms"
            )
        conn = loadgen.Connection(HOST, port)
        session, _, _ = await sign_in(conn, port, probes["page_user"], PASSWORD)
        conn.close()
        cookies = {"officium_session": session}
        for name, (spec, signed_in, counterpart) in OFFICIUM_ENDPOINTS.items():
            reference = None
            if counterpart:
                raw = build_request("GET", ctx["baseline_paths"][counterpart], base_port)
                reference = await measure(baseline, f"baseline {counterpart}", raw, args)
                base["phases"][f"{counterpart} (for {name})"] = reference
            path = endpoint_path(spec, probes)
            raw = build_request("GET", path, port, cookies=cookies if signed_in else None)
            ours["phases"][name] = await measure(server, name, raw, args)
            ours["phases"][name]["path"] = path
            if reference is not None:
                ours["phases"][name]["baseline"] = counterpart
                ours["phases"][name]["baseline_rps"] = reference["rps"]
                ours["phases"][name]["baseline_p99_ms"] = reference["p99_ms"]
        base["memory"] = baseline.memory()
        baseline.stop()
        wait_port_free(base_port)
        baseline = None
        chosen = approver_slices(probes["approvers"], args.connections, run_index)
        ours["approve"] = await approve_phase(server, probes, ctx["tokens"], chosen, args)
        ours["approve"]["synchronous"] = ctx["synchronous"]
        ours["memory"] = server.memory()
        users = ctx["storm_users"](run_index)
        ours["storm"] = await storm(server, users, PASSWORD, args)
        ours["memory_after_storm"] = server.memory()
        ours["database_locked_in_log"] = log_count(server.log, LOCKED)
    finally:
        for srv in (baseline, server):
            if srv is not None:
                srv.stop()
                wait_port_free(srv.port)
    return base, ours


async def storm(server: Server, usernames: list[str], password: str, args: argparse.Namespace) -> dict:
    """All ``usernames`` sign in at once (``--connections`` at a time); RSS sampled every 50 ms."""
    pids = server.serving_pids()
    peak = {pid: 0 for pid in pids}

    async def sample() -> None:
        for pid in pids:
            peak[pid] = max(peak[pid], status_kib(pid, "VmRSS") or 0)

    cpu0, machine = server.cpu(), Machine()
    result = await login_storm(server.port, usernames, password, connections=args.connections, sample=sample)
    post = result.post.summary()
    post["server_cpu_pct"] = round(100 * (server.cpu() - cpu0) / result.post.seconds, 1)
    post["machine_busy_pct"] = machine.busy_pct()
    post["others_cpu_pct"] = others(post)
    post["logins"] = len(usernames)
    post["flow_p95_ms"] = round(result.flow.percentile(95), 2)
    post["flow_p99_ms"] = round(result.flow.percentile(99), 2)
    post["peak_rss_mib"] = {str(pid): round(kib / 1024, 1) for pid, kib in peak.items()}
    log(
        report.phase_line("login POST storm", server.workers, post)
        + f"  ({len(usernames)} logins in {post['seconds']:.1f} s)"
    )
    return post


async def compare_clients(db_file: Path, args: argparse.Namespace, logs: Path) -> None:
    port = free_port()
    server = baseline_server(db_file, port, 1, logs)
    server.start()
    try:
        raw = build_request("GET", "/health", port)
        for _ in range(2):
            ours = await closed_loop(
                "raw",
                port,
                raw,
                expect_status(200),
                connections=args.connections,
                seconds=min(args.seconds, 5),
            )
            theirs = await loadgen.httpx_closed_loop(
                f"http://{HOST}:{port}/health", connections=args.connections, seconds=min(args.seconds, 5)
            )
            for label, res in (("asyncio streams", ours), ("httpx.AsyncClient", theirs)):
                s = res.summary()
                log(
                    f"  {label:<18} {s['rps']:>8.0f} req/s  p99 {s['p99_ms']:>7.1f} ms  "
                    f"client CPU {s['client_cpu_pct']:.0f}% of a core  errors {s['errors']}"
                )
    finally:
        server.stop()


def source_state() -> dict:
    """The commit measured, and how many files differed from it (others may be editing the tree)."""

    def git(*argv: str) -> str:
        try:
            return subprocess.run(
                ["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "changed_files": len([line for line in git("status", "--porcelain").splitlines() if line]),
    }


def write_reports(results: dict, json_path: Path, args: argparse.Namespace) -> None:
    """latest.md next to the JSON, and the latest-run section of docs/performance.md."""
    markdown = report.markdown(results, json_path.name)
    (json_path.parent / "latest.md").write_text(markdown, encoding="utf-8")
    shown = json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path
    log(f"\nwrote {shown} and {json_path.parent / 'latest.md'}")
    if not args.no_docs:
        if report.update_docs(ROOT / "docs" / "performance.md", markdown):
            log("updated docs/performance.md")
        else:
            log("docs/performance.md has no bench markers: not updated")


def report_only(path: Path, args: argparse.Namespace) -> int:
    """Recompute the rows and targets of a results file and rewrite the reports from it."""
    results = json.loads(path.read_text(encoding="utf-8"))
    results["rows"] = report.table_rows(results["runs"], OFFICIUM_ENDPOINTS)
    results["targets"] = report.targets(results, OFFICIUM_ENDPOINTS)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(report.console_table(results))
    write_reports(results, path.resolve(), args)
    return 0


# ------------------------------------------------------------------------------------- seeding a site


def seed(
    site: Path, sizes: dict[str, int], args: argparse.Namespace, logs: Path, tag: str, url: str | None
) -> dict:
    """Seed with bench/province.py; time the 待办 page at 10,000 work items and once the seed is done."""
    import province
    from seed import PAGE_USER

    # The probes are known only at the end; at 10,000 items the page user and 待办 path are the contract's.
    early = {"page_user": PAGE_USER, "todo_path": "/todo/", **getattr(province, "PROBES", {})}
    timings: dict = {}

    def on_stage(stage: str, where: Path) -> None:
        if stage == STAGE_10K:
            try:
                timings["at_10k"] = time_todo(where, early, args, logs, tag, "seed stage " + stage)
            except Exception as exc:  # the seed goes on; the report says what is missing
                log(f"FAILED: the 待办 page at the seed's 10k stage: {type(exc).__name__}: {exc}")
                timings["at_10k_error"] = f"{type(exc).__name__}: {exc}"[:300]

    label = "PostgreSQL" if url else "SQLite"
    log(f"seeding {site} on {label}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + " ...")
    kwargs: dict = {"database_url": url, "echo": log, "on_stage": on_stage}
    if args.reuse_seed:
        kwargs["reuse"] = True
    summary = province.seed_province(site, sizes, **kwargs)
    probes = summary["probes"]
    if probes.get("todo_path") != early["todo_path"] or probes.get("page_user") != early["page_user"]:
        log(f"  note: the 待办 page at 10k was timed as {early['page_user']} on {early['todo_path']}")
    timings["at_end"] = time_todo(site, early, args, logs, tag, "seeded")
    summary["todo_scale"] = {**timings, "path": early["todo_path"], "user": early["page_user"]}
    return summary


def storm_users_for(generated: int, count: int):
    from seed import storm_usernames

    return lambda index: storm_usernames(count, index * count, generated)


def site_context(
    site: Path, summary: dict, args: argparse.Namespace, baseline_db: Path, baseline_user_id: int | None
) -> dict:
    """Everything a run on ``site`` needs: probes, tokens, the baseline's file and paths, storm users."""
    probes = summary["probes"]
    facts = prepare_site(site, sorted(probes["approvers"]), probes["page_user"])
    user_id = baseline_user_id if baseline_user_id is not None else facts["page_user_id"]
    return {
        "probes": probes,
        "tokens": facts["tokens"],
        "synchronous": facts["synchronous"],
        "page_user_id": facts["page_user_id"],
        "baseline_db": baseline_db,
        "baseline_paths": baseline_paths(probes, user_id),
        "storm_users": storm_users_for(facts["generated_users"], args.storm_logins),
        "generated_users": facts["generated_users"],
    }


def create_pg_database(base_url: str, name: str) -> str:
    """Create the empty database ``name`` on the server at ``base_url``; return its URL."""
    import psycopg

    with psycopg.connect(base_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rstrip("/") + "/" + name


def drop_pg_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def recorded(failures: list[str], part: str) -> Iterator[None]:
    """Run a part of the bench; if it fails, log why, add it to ``failures`` and go on."""
    try:
        yield
    except Exception as exc:  # any failure of a part is reported, the rest still runs
        log(f"FAILED: {part}: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        failures.append(f"{part}: {type(exc).__name__}: {exc}"[:300])


def compile_bytecode() -> None:
    """Write the .pyc files of Officium's source tree, as an installed site has them.

    An editable install (``make install``) writes none until a module is first imported, and with
    ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines) never: every server launch would then compile
    ~180 modules, which is not what a production start-up costs.  Servers still only read them.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "officium"), quiet=1)


def main_sync(args: argparse.Namespace) -> int:
    started = datetime.now()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    tmp = Path(tempfile.mkdtemp(prefix="officium-bench-"))
    if args.site is None:
        site = tmp / "site"
    else:
        site = args.site.resolve()
        if (site / "officium.toml").exists():
            raise SystemExit(f"{site} already holds a site; give an empty folder")
    logs = tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log(f"server logs in {logs}")
    pg_name = f"officium_bench_{stamp.replace('-', '_')}"
    pg_created = False
    sizes = sizes_for(args)
    pg_sizes = sizes_for(args, args.pg_scale)
    db_file = site / "data" / "officium.db"
    try:
        if args.compare_clients:
            from seed import seed_site

            seed_site(site, 300, 20, echo=log)  # the baseline's /health needs only a site's database
            asyncio.run(compare_clients(db_file, args, logs))
            return 0
        compile_bytecode()
        seeded = {"sqlite": seed(site, sizes, args, logs, "", None)}
        sqlite_ctx = site_context(site, seeded["sqlite"], args, db_file, None)
        runs: list[dict] = []
        # A failed part (a server that does not start, PostgreSQL unreachable) is reported, and the parts
        # measured before and after it are kept: a province-scale run is too long to lose to one of them.
        failures: list[str] = []
        for index, workers in enumerate(args.worker_counts):
            log(f"\n== SQLite, {workers} worker(s)")
            with recorded(failures, f"SQLite, {workers} worker(s)"):
                runs.extend(asyncio.run(run_pair(site, "sqlite", workers, sqlite_ctx, args, logs, index)))
        if args.pg_worker_counts:
            pg_ctx = None
            with recorded(failures, "PostgreSQL seed"):
                url = create_pg_database(args.database_url_base, pg_name)
                pg_created = True
                pg_site = tmp / "site-pg"
                seeded["postgresql"] = seed(pg_site, pg_sizes, args, logs, "-pg", url)
                pg_ctx = site_context(
                    pg_site, seeded["postgresql"], args, db_file, sqlite_ctx["page_user_id"]
                )
            for index, workers in enumerate(args.pg_worker_counts if pg_ctx else []):
                log(f"\n== PostgreSQL, {workers} worker(s) (baseline on the SQLite file)")
                with recorded(failures, f"PostgreSQL, {workers} worker(s)"):
                    runs.extend(
                        asyncio.run(run_pair(pg_site, "postgresql", workers, pg_ctx, args, logs, index))
                    )
        for run in runs:
            run["startup_median_s"] = round(statistics.median(run["startup_s"]), 3)
        results = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now().isoformat(timespec="seconds"),
            "machine": report.machine_info(),
            "settings": {
                "scale": args.scale,
                "sizes": sizes,
                "pg_sizes": pg_sizes if args.pg_worker_counts else None,
                "seconds": args.seconds,
                "warmup": args.warmup,
                "connections": args.connections,
                "request_timeout": args.request_timeout,
                "workers": args.worker_counts,
                "pg_workers": args.pg_worker_counts,
                "storm_logins": args.storm_logins,
                "todo_samples": args.todo_samples,
                "niceness": os.getpriority(os.PRIO_PROCESS, 0),
                "startup_runs": args.startup_runs,
                "load_generator": "bench/loadgen.py (asyncio streams, closed loop)",
            },
            "seed": {backend: _seed_record(s) for backend, s in seeded.items()},
            "todo_scale": {backend: s["todo_scale"] for backend, s in seeded.items()},
            "source": source_state(),
            "runs": runs,
            "failures": failures,
        }
        results["rows"] = report.table_rows(runs, OFFICIUM_ENDPOINTS)
        results["targets"] = report.targets(results, OFFICIUM_ENDPOINTS)
        log("")
        log(report.console_table(results))
        args.results.mkdir(parents=True, exist_ok=True)
        json_path = args.results / f"{stamp}.json"
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_reports(results, json_path, args)
        return 1 if failures else 0
    finally:
        if pg_created and not args.keep_site:
            drop_pg_database(args.database_url_base, pg_name)
        elif pg_created:
            log(f"PostgreSQL database {pg_name} kept")
        if not args.keep_site:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.site is not None:
                log(f"site left in {site} (--site given)")
        else:
            log(f"site(s) and logs kept in {tmp if args.site is None else f'{site} and {tmp}'}")


def _seed_record(summary: dict) -> dict:
    """What the results keep of a seed summary (not the approvers' item lists: tens of thousands of ids)."""
    probes = {k: v for k, v in summary["probes"].items() if k != "approvers"}
    approvers = summary["probes"].get("approvers", {})
    probes["approvers"] = {"users": len(approvers), "items": sum(len(v) for v in approvers.values())}
    return {
        "sizes": summary.get("sizes", {}),
        "seconds": summary.get("seconds", {}),
        "plugins": summary.get("plugins", []),
        "probes": probes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return report_only(args.report_only, args)
    restore = set_priority(args.nice) if args.nice else None
    try:
        t0 = time.perf_counter()
        code = main_sync(args)
        log(f"total {time.perf_counter() - t0:.0f} s")
    finally:
        if restore is not None:
            restore()
    return code


def set_priority(nice: int):
    """Run at niceness ``nice`` (children, i.e. the servers, inherit it); return a function undoing it.

    With the kernel's autogroup scheduling, niceness only weighs processes within one session, so the
    session's autogroup (this bench and its servers) is set too, and set back afterwards.
    """
    autogroup = Path("/proc/self/autogroup")
    before = None
    try:
        if autogroup.exists():
            before = autogroup.read_text().split()[-1]
            autogroup.write_text(str(nice))
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except OSError:
        log(f"could not set niceness {nice} (a negative value needs root); going on without")

    def restore() -> None:
        if before is not None:
            try:
                autogroup.write_text(before)
            except OSError:
                pass

    return restore


if __name__ == "__main__":
    sys.exit(main())
