"""Turning a bench run into the console table, the JSON rows, the target check and the markdown."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os
import platform
import re
import sqlite3
import sys
import sysconfig
import timeit
import unicodedata
from pathlib import Path
from typing import Any

# Targets of issue 12.
DASHBOARD_RPS_RATIO = 0.5
DASHBOARD_P99_RATIO = 2.0
#: The pages held to the page targets (≥ 0.5× the baseline page's req/s, p99 ≤ 2×).
PAGES = ("dashboard /", "待办 page", "inbox")
JSON_RPS_RATIO = 0.8
#: The JSON lists held to the JSON target (≥ 0.8× the bare endpoint returning the same rows).
JSON_LISTS = ("待办 API", "leave API", "units API")
APPROVE_RPS = 150
#: The 待办 page at the full count of work items against its latency at 10,000 (one request at a time).
DAIBAN_SCALE_RATIO = 1.5
#: The work items at which the seed calls back for the first 待办 measure.
STAGE_ITEMS = 10_000
STORM_P95_MS = 2000
STORM_WINDOW_S = 60
RSS_LIMIT_MIB = 80
#: "Bounded memory" in the login storm: a worker may grow by at most two argon2 buffers (m = 19 MiB).
STORM_GROWTH_MIB = 40
STARTUP_LIMIT_S = 1.0
# The mature peer issue 12 quotes for orientation (Frappe HR 15, 2 gunicorn workers, MariaDB).
PEER_LIST_RPS = (260, 300)
PEER_RSS_MIB = 88
PEER_STARTUP_S = 1.1
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
    speed = min(timeit.repeat("sum(range(10000))", number=200, repeat=5)) / 200 * 1e6
    config_args = sysconfig.get_config_var("CONFIG_ARGS") or ""
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model.group(1).strip() if model else "unknown",
        "cpu_mhz": round(float(mhz.group(1))) if mhz else None,
        "mem_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_pgo": "--enable-optimizations" in config_args,
        "sqlite": sqlite3.sqlite_version,
        "speed_check_us": round(speed, 1),
        "uvicorn_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "uvicorn_http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "versions": {
            p: _version(p)
            for p in ("officium", "starlette", "uvicorn", "jinja2", "peewee", "h11", "argon2-cffi")
        },
        "executable": sys.executable,
    }


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def phase_line(name: str, workers: int, s: dict[str, Any]) -> str:
    """One progress line while the run goes on."""
    return (
        f"  {_pad(name, 22)} w={workers} {s['rps']:>8.1f} req/s  p50 {s['p50_ms']:>7.1f}  p95 {s['p95_ms']:>7.1f}"
        f"  p99 {s['p99_ms']:>7.1f} ms  errors {s['errors']}  server CPU {s.get('server_cpu_pct', 0):.0f}%"
        f"  client CPU {s.get('client_cpu_pct') or 0:.0f}%  others {s.get('others_cpu_pct', 0):.0f}%"
    )


def run_key(run: dict) -> tuple[str, int]:
    """(database the Officium side ran on, workers): a baseline run is keyed by the run it was paired with."""
    return run.get("paired_with") or run.get("backend") or "sqlite", run["workers"]


def _runs(runs: list[dict], server: str) -> dict[tuple[str, int], dict]:
    return {run_key(r): r for r in runs if r["server"] == server}


def _ordered(keys) -> list[tuple[str, int]]:
    return sorted(keys, key=lambda k: (list(BACKENDS).index(k[0]) if k[0] in BACKENDS else 9, k[1]))


def _reference(phase: dict, name: str, endpoints: dict[str, tuple], base_phases: dict) -> dict | None:
    """The baseline figures an Officium phase is compared with (measured right before it)."""
    if phase.get("baseline_rps") is not None:
        return {"rps": phase["baseline_rps"], "p99_ms": phase["baseline_p99_ms"]}
    counterpart = endpoints.get(name, (None, None, None))[2]
    return base_phases.get(counterpart) if counterpart else None  # results written before 2026-11-26


def table_rows(runs: list[dict], endpoints: dict[str, tuple]) -> list[dict[str, Any]]:
    """The rows of the results table, Officium's with their ratio to the baseline of the same worker count."""
    rows = []
    base = _runs(runs, "baseline")
    ours = _runs(runs, "officium")
    for key in _ordered(ours):
        backend, workers = key
        run = ours[key]
        database = BACKENDS.get(backend, backend)
        ref = base.get(key, {}).get("phases", {})
        for name, phase in run["phases"].items():
            rows.append(
                _row(f"Officium {name}", workers, phase, _reference(phase, name, endpoints, ref), database)
            )
        approve = run.get("approve")
        if approve:
            rows.append(_row("Officium approve POST (API token)", workers, approve, None, database))
        storm = run.get("storm")
        if storm:
            rows.append(_row(f"Officium login POST ×{storm['logins']} users", workers, storm, None, database))
        for name, phase in ref.items():
            rows.append(_row(f"baseline {name}", workers, phase, None, "SQLite", baseline=True))
    return rows


def _row(
    label: str, workers: int, s: dict, ref: dict | None, database: str = "SQLite", baseline: bool = False
) -> dict[str, Any]:
    row = {
        "endpoint": label,
        "database": database,
        "workers": workers,
        "rps": s["rps"],
        "p50_ms": s["p50_ms"],
        "p95_ms": s["p95_ms"],
        "p99_ms": s["p99_ms"],
        "errors": s["errors"],
        "rps_ratio": None,
        "p99_ratio": None,
        "baseline": baseline,
    }
    if ref:
        row["rps_ratio"] = round(s["rps"] / ref["rps"], 2) if ref["rps"] else None
        row["p99_ratio"] = round(s["p99_ms"] / ref["p99_ms"], 2) if ref["p99_ms"] else None
    return row


def _ratio(row: dict) -> str:
    if row["baseline"]:
        return "reference"
    if row["rps_ratio"] is None:
        return "–"
    return f"{row['rps_ratio']:.2f}× req/s, {_fmt(row['p99_ratio'], 2)}× p99"


def disturbed(runs: list[dict], threshold: float = 20.0) -> list[str]:
    """Phases during which other processes used more than ``threshold`` % of a core."""
    out = []
    for run in runs:
        phases = dict(run["phases"])
        if run.get("approve"):
            phases["approve POST"] = run["approve"]
        if run.get("storm"):
            phases["login storm"] = run["storm"]
        where = (
            "" if run.get("backend", "sqlite") == "sqlite" or run["server"] == "baseline" else " PostgreSQL"
        )
        for name, s in phases.items():
            if s.get("others_cpu_pct", 0) > threshold:
                out.append(f"{run['server']} {name} ({run['workers']}w{where}): {s['others_cpu_pct']:.0f}%")
    return out


def _worker_memory(run: dict, key: str = "memory") -> list[float]:
    return [m["rss_mib"] for m in run.get(key, []) if m["role"] == "worker"] or [
        m["rss_mib"] for m in run.get(key, []) if m["role"] == "main"
    ]


def _main_memory(run: dict) -> float | None:
    mains = [m["rss_mib"] for m in run.get("memory", []) if m["role"] == "main"]
    return mains[0] if mains and run["workers"] > 1 else None


def memory_rows(runs: list[dict]) -> list[dict[str, Any]]:
    """RSS and start-up per server, database and worker count."""
    rows = []
    for run in runs:
        storm_peak = list((run.get("storm") or {}).get("peak_rss_mib", {}).values())
        rows.append(
            {
                "server": run["server"],
                "database": BACKENDS.get(run.get("backend", "sqlite"), run.get("backend")),
                "workers": run["workers"],
                "worker_rss_mib": _worker_memory(run),
                "supervisor_rss_mib": _main_memory(run),
                "storm_peak_rss_mib": storm_peak,
                "startup_s": run["startup_s"],
                "startup_median_s": run["startup_median_s"],
                "one_connection_p50_ms": (run.get("one_connection") or {}).get("p50_ms"),
            }
        )
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def console_table(results: dict) -> str:
    """The table ``make bench`` prints at the end."""
    head = (
        f"{'endpoint':<38} {'database':<10} {'w':>2} {'req/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} "
        f"{'errors':>6}  ratio to baseline"
    )
    lines = [head, "-" * len(head)]
    for row in results["rows"]:
        lines.append(
            f"{_pad(row['endpoint'], 38)} {row.get('database', 'SQLite'):<10} {row['workers']:>2} {row['rps']:>8.1f}"
            f" {_fmt(row['p50_ms']):>8} {_fmt(row['p95_ms']):>8} {_fmt(row['p99_ms']):>8} {row['errors']:>6}"
            f"  {_ratio(row)}"
        )
    lines.append(
        f"(latencies in ms; {results['settings'].get('connections', 32)} connections; ratio = Officium ÷ "
        "baseline measured right before it in the same run; the baseline always runs on the SQLite file)"
    )
    noisy = disturbed(results["runs"])
    if noisy:
        lines.append("WARNING: other processes used CPU during: " + "; ".join(noisy) + " (% of one core)")
    lines.append("")
    lines.append(
        f"{'server':<10} {'database':<10} {'w':>2} {'RSS per worker (MiB)':<24} {'supervisor':>10} "
        f"{'storm peak':<18} {'1-conn /health':>14}  start-up (launch → first /health)"
    )
    for m in memory_rows(results["runs"]):
        lines.append(
            f"{m['server']:<10} {m['database']:<10} {m['workers']:>2} "
            f"{', '.join(_fmt(v) for v in m['worker_rss_mib']):<24}"
            f" {_fmt(m['supervisor_rss_mib']):>10} {', '.join(_fmt(v) for v in m['storm_peak_rss_mib']) or '–':<18}"
            f" {_fmt(m['one_connection_p50_ms']):>11} ms"
            f"  median {m['startup_median_s'] * 1000:.0f} ms (runs: "
            f"{', '.join(f'{s * 1000:.0f}' for s in m['startup_s'])} ms)"
        )
    scale = todo_scale_lines(results)
    if scale:
        lines += [
            "",
            "待办 page, one request at a time on one connection (1 worker):",
            *("  " + x for x in scale),
        ]
    lines.append("")
    lines.append("targets (issue 12):")
    for t in results["targets"]:
        by = f" (missed by {t['by']})" if t.get("by") else ""
        lines.append(f"  [{_verdict(t['met'])}] {t['target']} — {t['measured']}{by}")
    return "\n".join(lines)


def todo_scale_lines(results: dict) -> list[str]:
    """The 待办 page's one-connection median at 10,000 work items and at the end of the seed, per database."""
    out = []
    for backend, scale in (results.get("todo_scale") or {}).items():
        parts = []
        for key in ("at_10k", "at_end"):
            t = scale.get(key)
            if t:
                parts.append(f"{t['work_items']:,} items: median {t['p50_ms']} ms (max {t['max_ms']} ms)")
        out.append(f"{BACKENDS.get(backend, backend)} {scale.get('path', '')}: " + "; ".join(parts))
    return out


def _verdict(met: bool | None) -> str:
    return {True: "met   ", False: "MISSED", None: "info  "}[met]


def _by(value: float, limit: float, at_least: bool, unit: str = "×") -> str:
    """How far a missed target is from its limit: the gap, and the gap in % of the limit."""
    gap = limit - value if at_least else value - limit
    pct = f" ({100 * gap / limit:.0f} % {'short' if at_least else 'over'})" if limit else ""
    return f"{gap:.2f}{unit}{pct}"


def targets(results: dict | list, endpoints: dict[str, tuple]) -> list[dict[str, Any]]:
    """Issue 12's measurable targets: met or missed, and by how much."""
    runs = results["runs"] if isinstance(results, dict) else results
    scales = (results.get("todo_scale") or {}) if isinstance(results, dict) else {}
    out: list[dict[str, Any]] = []
    base, ours = _runs(runs, "baseline"), _runs(runs, "officium")

    def add(target: str, measured: str, met: bool | None, by: str | None = None, **extra: Any) -> None:
        out.append(
            {"target": target, "measured": measured, "met": met, "by": by if met is False else None, **extra}
        )

    def ratio_targets(run: dict, ref: dict, tag: str, backend: str) -> None:
        hold = backend == "sqlite"  # the targets are for SQLite; PostgreSQL's ratios are for information
        for name in PAGES:
            phase = run["phases"].get(name)
            b = _reference(phase, name, endpoints, ref) if phase else None
            if not (phase and b and b["rps"] and b["p99_ms"]):
                continue
            r = phase["rps"] / b["rps"]
            add(
                f"{name} ≥ {DASHBOARD_RPS_RATIO}× baseline page req/s ({tag})",
                f"{r:.2f}× ({phase['rps']:.0f} vs {b['rps']:.0f} req/s)",
                r >= DASHBOARD_RPS_RATIO if hold else None,
                _by(r, DASHBOARD_RPS_RATIO, True),
                workers=run["workers"],
                value=round(r, 3),
            )
            q = phase["p99_ms"] / b["p99_ms"]
            add(
                f"{name} p99 ≤ {DASHBOARD_P99_RATIO}× baseline page p99 ({tag})",
                f"{q:.2f}× ({phase['p99_ms']:.0f} vs {b['p99_ms']:.0f} ms)",
                q <= DASHBOARD_P99_RATIO if hold else None,
                _by(q, DASHBOARD_P99_RATIO, False),
                workers=run["workers"],
                value=round(q, 3),
            )
        for name in JSON_LISTS:
            phase = run["phases"].get(name)
            b = _reference(phase, name, endpoints, ref) if phase else None
            if not (phase and b and b["rps"]):
                continue
            r = phase["rps"] / b["rps"]
            add(
                f"{name} (20 rows) ≥ {JSON_RPS_RATIO}× bare Starlette req/s, same rows ({tag})",
                f"{r:.2f}× ({phase['rps']:.0f} vs {b['rps']:.0f} req/s)",
                r >= JSON_RPS_RATIO if hold else None,
                _by(r, JSON_RPS_RATIO, True),
                workers=run["workers"],
                value=round(r, 3),
            )

    for key in _ordered(ours):
        backend, workers = key
        run = ours[key]
        tag = f"{workers}w" + ("" if backend == "sqlite" else f", {BACKENDS.get(backend, backend)}")
        ref = base.get(key, {}).get("phases", {})
        ratio_targets(run, ref, tag, backend)
        approve = run.get("approve")
        if approve:
            sync = approve.get("synchronous")
            locked = approve.get("database_locked", 0)
            measured = (
                f"{approve['rps']:.0f}/s over {approve['seconds']:.1f} s, p99 {approve['p99_ms']:.0f} ms, "
                f"{approve['errors']} errors ({approve.get('busy_503', 0)} × 503), {locked} × database is locked"
                + (f", synchronous={sync}" if sync else "")
                + (
                    f", {approve['exhausted_connections']} connections ran out of open items before the end"
                    if approve.get("exhausted_connections")
                    else ""
                )
            )
            if backend == "sqlite":
                ok = (
                    approve["rps"] >= APPROVE_RPS
                    and approve["errors"] == 0
                    and locked == 0
                    and sync == "FULL"
                    and not approve.get("exhausted_connections")
                )
                add(
                    f"approve POST ≥ {APPROVE_RPS}/s sustained, synchronous=FULL, no errors, "
                    f"no 'database is locked' ({tag})",
                    measured,
                    ok,
                    _by(approve["rps"], APPROVE_RPS, True, " req/s")
                    if approve["rps"] < APPROVE_RPS
                    else "see measured",
                    workers=workers,
                    value=approve["rps"],
                )
            else:
                add(f"approve POST ({tag})", measured, None)
        storm = run.get("storm")
        if storm:
            ok = (
                storm["errors"] == 0 and storm["p95_ms"] < STORM_P95_MS and storm["seconds"] <= STORM_WINDOW_S
            )
            add(
                f"login storm: {storm['logins']} logins within {STORM_WINDOW_S} s, p95 < {STORM_P95_MS} ms ({tag})",
                f"all at once: {storm['seconds']:.1f} s, p95 {storm['p95_ms']:.0f} ms, {storm['errors']} errors",
                ok,
                f"p95 {storm['p95_ms'] - STORM_P95_MS:.0f} ms over"
                if storm["p95_ms"] >= STORM_P95_MS
                else "see measured",
                workers=workers,
            )
            before = _worker_memory(run)
            peak = list(storm["peak_rss_mib"].values())
            grew = max(p - b for p, b in zip(peak, before, strict=False)) if peak and before else 0
            add(
                f"login storm memory bounded: a worker grows ≤ {STORM_GROWTH_MIB} MiB ({tag})",
                f"peak {', '.join(_fmt(p) for p in peak)} MiB per worker (+{grew:.1f} MiB over idle)",
                bool(peak) and grew <= STORM_GROWTH_MIB,
                f"{grew - STORM_GROWTH_MIB:.1f} MiB",
                workers=workers,
            )
        rss = _worker_memory(run)
        if rss:
            add(
                f"RSS per worker < {RSS_LIMIT_MIB} MiB ({tag})",
                f"{', '.join(_fmt(v) for v in rss)} MiB after load",
                max(rss) < RSS_LIMIT_MIB,
                f"{max(rss) - RSS_LIMIT_MIB:.1f} MiB ({100 * (max(rss) - RSS_LIMIT_MIB) / RSS_LIMIT_MIB:.0f} %)",
                workers=workers,
                value=max(rss),
            )
        add(
            f"first request within {STARTUP_LIMIT_S:.0f} s of launch ({tag})",
            f"median {run['startup_median_s'] * 1000:.0f} ms",
            run["startup_median_s"] <= STARTUP_LIMIT_S,
            f"{(run['startup_median_s'] - STARTUP_LIMIT_S) * 1000:.0f} ms",
            workers=workers,
            value=run["startup_median_s"],
        )
    for backend, scale in scales.items():
        name = BACKENDS.get(backend, backend)
        small, large = scale.get("at_10k"), scale.get("at_end")
        target = (
            f"待办 page at the full count of work items ≤ {DAIBAN_SCALE_RATIO}× its latency at 10,000 ({name})"
        )
        if small and large and small["work_items"] < STAGE_ITEMS:
            add(
                target,
                f"not measured: the seed stopped at {large['work_items']:,} work items (the first measure was "
                f"at {small['work_items']:,}): {large['p50_ms']} ms vs {small['p50_ms']} ms",
                None,
            )
        elif small and large and small["p50_ms"]:
            r = large["p50_ms"] / small["p50_ms"]
            add(
                target,
                f"{r:.2f}× ({large['p50_ms']} ms at {large['work_items']:,} vs {small['p50_ms']} ms at "
                f"{small['work_items']:,}; median of {large['count']}, one connection)",
                r <= DAIBAN_SCALE_RATIO,
                _by(r, DAIBAN_SCALE_RATIO, False),
                value=round(r, 3),
            )
        else:
            items = large["work_items"] if large else 0
            why = (
                scale.get("at_10k_error")
                or f"the seed never reached 10,000 work items ({items:,} at the end)"
            )
            add(target, f"not measured: {why}", None)
    two = ours.get(("sqlite", 2))
    if two and "units API" in two["phases"]:
        api = two["phases"]["units API"]
        rss = _worker_memory(two)
        add(
            "orientation: Frappe HR 15 (2 workers) 20-row list ~260–300 req/s, 88 MiB/worker, 1.1 s start-up",
            f"Officium 2w: {api['rps']:.0f} req/s, {max(rss):.0f} MiB/worker, "
            f"{two['startup_median_s']:.2f} s start-up",
            None,
        )
    for failure in (results.get("failures") or []) if isinstance(results, dict) else []:
        add("every part of the run completed", f"failed: {failure}", False, "a whole part")
    if isinstance(results, dict) and not any(k[0] == "postgresql" for k in ours):
        add("not measured in this run: PostgreSQL", "–", None)
    return out


def _data_line(results: dict) -> str:
    """What the site held: the seed's row counts per database (or the users and units of older runs)."""
    seed = results["seed"]
    if "users" in seed:  # results written before the province-scale seed
        return f"{seed['users']:,} users in {seed['units']} units; plugins: {', '.join(seed['plugins']) or 'none'}"
    parts = []
    for backend, record in seed.items():
        sizes = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in record.get("sizes", {}).items())
        parts.append(f"{BACKENDS.get(backend, backend)}: {sizes}")
    plugins = next((r.get("plugins") for r in seed.values() if r.get("plugins")), None)
    return "; ".join(parts) + (
        f"; plugins: {', '.join(plugins)}" if plugins else "; every first-party plugin"
    )


def markdown(results: dict, json_name: str, level: int = 1) -> str:
    """The short markdown summary (bench/results/latest.md and the block in docs/performance.md)."""
    h = "#" * level
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"{h} Latest `make bench` run" if level == 1 else f"{h} Latest run",
        "",
        f"Run {results['started']} → {results['finished']}; raw figures in `bench/results/{json_name}`.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m['nproc']} × {m['cpu_model']}"
        + (f" ({m['cpu_mhz']} MHz)" if m["cpu_mhz"] else "")
        + " |",
        f"| memory / kernel | {m['mem_gib']} GiB / Linux {m['kernel']} |",
        f"| Python / SQLite | {m['python']}{' (PGO)' if m['python_pgo'] else ' (no PGO)'} / {m['sqlite']} |",
        f"| speed check | `sum(range(10000))` {m['speed_check_us']} µs |",
        f"| uvicorn | {m['versions'].get('uvicorn')}, loop {m['uvicorn_loop']}, HTTP {m['uvicorn_http']} |",
        f"| load | {s['connections']} connections, {s['seconds']:g} s per endpoint after {s['warmup']:g} s "
        f"warm-up, {s['load_generator']}, same machine"
        + (f", niceness {s['niceness']}" if s.get("niceness") else "")
        + " |",
        f"| data | {_data_line(results)} |",
        f"| source | commit {results['source']['commit']}"
        + (
            f" + {results['source']['changed_files']} changed files"
            if results["source"]["changed_files"]
            else ""
        )
        + " |",
        "",
        "The baseline (bare Starlette + Jinja2 + Peewee) always runs on the SQLite file, also beside Officium "
        "on PostgreSQL. Each ratio compares with the baseline endpoint measured right before.",
        "",
        "| endpoint | database | workers | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['endpoint']} | {row.get('database', 'SQLite')} | {row['workers']} | {row['rps']:,.1f} | "
            f"{_fmt(row['p50_ms'])} | {_fmt(row['p95_ms'])} | {_fmt(row['p99_ms'])} | {row['errors']} | "
            f"{_ratio(row)} |"
        )
    noisy = disturbed(results["runs"])
    if noisy:
        lines += [
            "",
            "Other processes used CPU during these phases (% of one core), so their figures are low: "
            + "; ".join(noisy)
            + ".",
        ]
    lines += [
        "",
        "| server | database | workers | RSS per worker MiB | supervisor MiB | peak in login storm MiB "
        "| /health on 1 connection, p50 ms | start-up (median) |",
        "|---|---|---:|---|---:|---|---:|---:|",
    ]
    for r in memory_rows(results["runs"]):
        lines.append(
            f"| {r['server']} | {r['database']} | {r['workers']} | {', '.join(_fmt(v) for v in r['worker_rss_mib'])} | "
            f"{_fmt(r['supervisor_rss_mib'])} | {', '.join(_fmt(v) for v in r['storm_peak_rss_mib']) or '–'} | "
            f"{_fmt(r['one_connection_p50_ms'])} | {r['startup_median_s'] * 1000:.0f} ms |"
        )
    scale = todo_scale_lines(results)
    if scale:
        lines += ["", "待办 page, one request at a time on one connection, one worker:", ""]
        lines += [f"- {x}" for x in scale]
    lines += ["", "| target (issue 12) | measured | |", "|---|---|---|"]
    for t in results["targets"]:
        verdict = {True: "met", False: "**missed**", None: "–"}[t["met"]]
        if t.get("by"):
            verdict += f" by {t['by']}"
        lines.append(f"| {t['target']} | {t['measured']} | {verdict} |")
    return "\n".join(lines) + "\n"


START, END = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"


def update_docs(path: Path, latest_markdown: str) -> bool:
    """Replace the block between the bench markers in docs/performance.md; False when there are none."""
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return False
    body = latest_markdown.split("\n", 1)[1].lstrip("\n")  # the page has its own heading
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.write_text(f"{before}{START}\n{body}{END}{after}", encoding="utf-8")
    return True
