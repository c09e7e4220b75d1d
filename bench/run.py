"""``make bench``: seed a site, serve it with ``officium serve``, load it, and compare with a bare baseline.

For each worker count (1, then 2) the run

1. launches ``officium serve`` a few times to time start-up (launch → first ``/health`` answered), and
   starts the baseline (bench/baseline_app.py: bare Starlette + Jinja2 + Peewee on the same database
   file, same uvicorn settings) beside it;
2. signs in once through the login form and loads, with the same closed loop, each Officium endpoint
   right after its baseline counterpart: the dashboard after the 50-row page, the units API after the
   bare 20-unit JSON list, ``/health`` after a bare ``SELECT 1``, and the login page; then it stops the
   baseline and releases a login storm of distinct users;
3. reads every server process's VmRSS/VmHWM from /proc.

It prints one table, writes bench/results/<timestamp>.json and bench/results/latest.md, and puts the
latest table into docs/performance.md.  Load goes only to 127.0.0.1; servers are stopped by PID.

    python bench/run.py [--users 2000] [--units 200] [--seconds 10] [--workers 1,2] ...
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
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import report  # noqa: E402
from loadgen import HOST, build_request, closed_loop, expect_status, login_storm, one_connection, sign_in  # noqa: E402
from servers import Server, cpu_seconds, free_port, status_kib, wait_port_free  # noqa: E402

#: Officium endpoint → (path, needs the session cookie, the baseline endpoint it is compared with).
OFFICIUM_ENDPOINTS = {
    "dashboard /": ("/", True, "page"),
    "units API": ("/api/v1/core/units?per_page=20", True, "units"),
    "login page GET": ("/login", False, None),
    "/health": ("/health", False, "health"),
}
#: Other processes' CPU (in % of one core) above which a phase is flagged as disturbed.
QUIET_PCT = 20.0
BASELINE_ENDPOINTS = {
    "page": "/page",
    "units": "/api/units?per_page=20",
    "health": "/health",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Officium benchmarks (make bench).")
    parser.add_argument("--users", type=int, default=2000, help="accounts in the site (default 2000)")
    parser.add_argument("--units", type=int, default=200, help="organisational units (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--storm-logins", type=int, default=200, help="logins in the storm (distinct users)")
    parser.add_argument("--startup-runs", type=int, default=3, help="launches timed per worker count")
    parser.add_argument("--site", type=Path, help="seed into this folder (default: a temporary one)")
    parser.add_argument("--keep-site", action="store_true", help="do not delete the seeded site")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="where results go")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each server, wait up to this many seconds for other processes to go idle",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the bench and its servers at this niceness (e.g. -10 as root on a shared machine)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="JSON",
        help="measure nothing: rewrite latest.md and docs/performance.md from a results file",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument(
        "--compare-clients",
        action="store_true",
        help="only compare this load generator with httpx on the baseline's /health, then exit",
    )
    args = parser.parse_args(argv)
    args.worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.connections < 1 or args.seconds <= 0 or not args.worker_counts:
        parser.error("--connections, --seconds and --workers must be positive")
    return args


def log(message: str) -> None:
    print(message, flush=True)


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


async def measure(server: Server, name: str, raw: bytes, args: argparse.Namespace) -> dict:
    """Warm up, then load one endpoint for ``--seconds``; add the server's CPU share and the machine's."""
    if args.warmup > 0:
        await closed_loop(
            name, server.port, raw, expect_status(200), connections=args.connections, seconds=args.warmup
        )
    per_process = {pid: cpu_seconds(pid) for pid in server.serving_pids()}
    cpu0, machine = server.cpu(), Machine()
    result = await closed_loop(
        name, server.port, raw, expect_status(200), connections=args.connections, seconds=args.seconds
    )
    summary = result.summary()
    summary["server_cpu_pct"] = round(100 * (server.cpu() - cpu0) / result.seconds, 1)
    summary["worker_cpu_pct"] = [
        round(100 * (cpu_seconds(pid) - before) / result.seconds, 1) for pid, before in per_process.items()
    ]
    summary["machine_busy_pct"] = machine.busy_pct()
    summary["others_cpu_pct"] = others(summary)
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


def officium_server(site: Path, port: int, workers: int, logs: Path) -> Server:
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
    return Server("officium", argv, port, workers, logs / f"officium-w{workers}.log")


def baseline_server(site: Path, port: int, workers: int, logs: Path) -> Server:
    argv = [
        sys.executable,
        str(HERE / "baseline_app.py"),
        "--db",
        str(site / "data" / "officium.db"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("baseline", argv, port, workers, logs / f"baseline-w{workers}.log")


async def run_pair(
    site: Path, workers: int, args: argparse.Namespace, logs: Path, storm_users: list[str]
) -> tuple[dict, dict]:
    """Officium and the baseline with ``workers`` workers, both up, each endpoint right after its counterpart.

    Measuring a pair back to back (rather than all of the baseline, then all of Officium) keeps the two
    figures of a ratio a few seconds apart, so a change in background load hits both alike.
    """
    from seed import PAGE_USER, PASSWORD

    ours: dict = {"server": "officium", "workers": workers, "startup_s": [], "phases": {}}
    base: dict = {"server": "baseline", "workers": workers, "startup_s": [], "phases": {}}
    port, base_port = free_port(), free_port()
    wait_for_quiet(args.quiet_wait)
    server = baseline = None
    try:
        for attempt in range(max(1, args.startup_runs)):
            server = officium_server(site, port, workers, logs)
            startup = server.start()
            ours["startup_s"].append(round(startup, 3))
            log(
                f"officium serve --workers {workers}: first /health answered {startup * 1000:.0f} ms after launch"
            )
            if attempt < args.startup_runs - 1:
                server.stop()
                wait_port_free(port)
        baseline = baseline_server(site, base_port, workers, logs)
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
        session, _, _ = await sign_in(conn, port, PAGE_USER, PASSWORD)
        conn.close()
        cookies = {"officium_session": session}
        for name, (path, signed_in, counterpart) in OFFICIUM_ENDPOINTS.items():
            if counterpart:
                raw = build_request("GET", BASELINE_ENDPOINTS[counterpart], base_port)
                base["phases"][counterpart] = await measure(baseline, f"baseline {counterpart}", raw, args)
            raw = build_request("GET", path, port, cookies=cookies if signed_in else None)
            ours["phases"][name] = await measure(server, name, raw, args)
        base["memory"] = baseline.memory()
        ours["memory"] = server.memory()
        baseline.stop()
        wait_port_free(base_port)
        baseline = None
        ours["storm"] = await storm(server, storm_users, PASSWORD, args)
        ours["memory_after_storm"] = server.memory()
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


async def compare_clients(site: Path, args: argparse.Namespace, logs: Path) -> None:
    port = free_port()
    server = baseline_server(site, port, 1, logs)
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
    results["targets"] = report.targets(results["runs"], OFFICIUM_ENDPOINTS)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(report.console_table(results))
    write_reports(results, path.resolve(), args)
    return 0


async def main_async(args: argparse.Namespace) -> int:
    from seed import seed_site, storm_usernames

    started = datetime.now()
    tmp = None
    if args.site is None:
        tmp = Path(tempfile.mkdtemp(prefix="officium-bench-"))
        site = tmp / "site"
    else:
        site = args.site.resolve()
        if (site / "officium.toml").exists():
            raise SystemExit(f"{site} already holds a site; give an empty folder")
    logs = (tmp or site.parent) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        log(f"seeding {site} ({args.users:,} users in {args.units} units) ...")
        seeded = seed_site(site, args.users, args.units, echo=log)
        if args.compare_clients:
            await compare_clients(site, args, logs)
            return 0
        runs = []
        for index, workers in enumerate(args.worker_counts):
            log(f"\n== {workers} worker(s)")
            users = storm_usernames(args.storm_logins, index * args.storm_logins, seeded["generated_users"])
            runs.extend(await run_pair(site, workers, args, logs, users))
        results = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now().isoformat(timespec="seconds"),
            "machine": report.machine_info(),
            "settings": {
                "users": args.users,
                "units": args.units,
                "seconds": args.seconds,
                "warmup": args.warmup,
                "connections": args.connections,
                "workers": args.worker_counts,
                "storm_logins": args.storm_logins,
                "niceness": os.getpriority(os.PRIO_PROCESS, 0),
                "startup_runs": args.startup_runs,
                "load_generator": "bench/loadgen.py (asyncio streams, closed loop)",
            },
            "seed": seeded,
            "source": source_state(),
            "runs": runs,
        }
        for run in runs:
            run["startup_median_s"] = round(statistics.median(run["startup_s"]), 3)
        results["rows"] = report.table_rows(runs, OFFICIUM_ENDPOINTS)
        results["targets"] = report.targets(runs, OFFICIUM_ENDPOINTS)
        log("")
        log(report.console_table(results))
        args.results.mkdir(parents=True, exist_ok=True)
        stamp = started.strftime("%Y%m%d-%H%M%S")
        json_path = args.results / f"{stamp}.json"
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_reports(results, json_path, args)
        return 0
    finally:
        if tmp is not None and not args.keep_site:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            log(f"site kept in {site}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return report_only(args.report_only, args)
    restore = set_priority(args.nice) if args.nice else None
    try:
        t0 = time.perf_counter()
        code = asyncio.run(main_async(args))
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
