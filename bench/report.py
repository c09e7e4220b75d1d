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
from pathlib import Path
from typing import Any

# Targets of issue 12 that this bench can measure today.
DASHBOARD_RPS_RATIO = 0.5
DASHBOARD_P99_RATIO = 2.0
JSON_RPS_RATIO = 0.8
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

NOT_YET = (
    "the 待办 page, the inbox, a document page, a search and the approve action (POST): this first part "
    "of the bench seeds no work items, documents or mail yet",
    "待办 latency at 1,000,000 work items against 10,000 (needs the province-scale seed)",
    "PostgreSQL (this bench runs SQLite only)",
)


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


def phase_line(name: str, workers: int, s: dict[str, Any]) -> str:
    """One progress line while the run goes on."""
    return (
        f"  {name:<22} w={workers} {s['rps']:>8.1f} req/s  p50 {s['p50_ms']:>7.1f}  p95 {s['p95_ms']:>7.1f}"
        f"  p99 {s['p99_ms']:>7.1f} ms  errors {s['errors']}  server CPU {s.get('server_cpu_pct', 0):.0f}%"
        f"  client CPU {s.get('client_cpu_pct') or 0:.0f}%  others {s.get('others_cpu_pct', 0):.0f}%"
    )


def _runs(runs: list[dict], server: str) -> dict[int, dict]:
    return {r["workers"]: r for r in runs if r["server"] == server}


def table_rows(runs: list[dict], endpoints: dict[str, tuple]) -> list[dict[str, Any]]:
    """The rows of the results table, Officium's with their ratio to the baseline of the same worker count."""
    rows = []
    base = _runs(runs, "baseline")
    for workers, run in sorted(_runs(runs, "officium").items()):
        ref = base.get(workers, {}).get("phases", {})
        for name, phase in run["phases"].items():
            counterpart = endpoints[name][2]
            b = ref.get(counterpart) if counterpart else None
            rows.append(_row(f"Officium {name}", workers, phase, b))
        storm = run.get("storm")
        if storm:
            rows.append(_row(f"Officium login POST ×{storm['logins']} users", workers, storm, None))
        for name, phase in ref.items():
            rows.append(_row(f"baseline {name}", workers, phase, None, baseline=True))
    return rows


def _row(label: str, workers: int, s: dict, ref: dict | None, baseline: bool = False) -> dict[str, Any]:
    row = {
        "endpoint": label,
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
    return f"{row['rps_ratio']:.2f}× req/s, {row['p99_ratio']:.2f}× p99"


def disturbed(runs: list[dict], threshold: float = 20.0) -> list[str]:
    """Phases during which other processes used more than ``threshold`` % of a core."""
    out = []
    for run in runs:
        phases = dict(run["phases"])
        if run.get("storm"):
            phases["login storm"] = run["storm"]
        for name, s in phases.items():
            if s.get("others_cpu_pct", 0) > threshold:
                out.append(f"{run['server']} {name} ({run['workers']}w): {s['others_cpu_pct']:.0f}%")
    return out


def _worker_memory(run: dict, key: str = "memory") -> list[float]:
    return [m["rss_mib"] for m in run.get(key, []) if m["role"] == "worker"] or [
        m["rss_mib"] for m in run.get(key, []) if m["role"] == "main"
    ]


def _main_memory(run: dict) -> float | None:
    mains = [m["rss_mib"] for m in run.get("memory", []) if m["role"] == "main"]
    return mains[0] if mains and run["workers"] > 1 else None


def memory_rows(runs: list[dict]) -> list[dict[str, Any]]:
    """RSS and start-up per server and worker count."""
    rows = []
    for run in runs:
        storm_peak = list((run.get("storm") or {}).get("peak_rss_mib", {}).values())
        rows.append(
            {
                "server": run["server"],
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
    head = f"{'endpoint':<36} {'w':>2} {'req/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>6}  ratio to baseline"
    lines = [head, "-" * len(head)]
    for row in results["rows"]:
        lines.append(
            f"{row['endpoint']:<36} {row['workers']:>2} {row['rps']:>8.1f} {_fmt(row['p50_ms']):>8}"
            f" {_fmt(row['p95_ms']):>8} {_fmt(row['p99_ms']):>8} {row['errors']:>6}  {_ratio(row)}"
        )
    lines.append(
        "(latencies in ms; 32 connections unless --connections; ratio = Officium ÷ baseline, same run)"
    )
    noisy = disturbed(results["runs"])
    if noisy:
        lines.append("WARNING: other processes used CPU during: " + "; ".join(noisy) + " (% of one core)")
    lines.append("")
    lines.append(
        f"{'server':<10} {'w':>2} {'RSS per worker (MiB)':<24} {'supervisor':>10} "
        f"{'storm peak':<18} {'1-conn /health':>14}  start-up (launch → first /health)"
    )
    for m in memory_rows(results["runs"]):
        lines.append(
            f"{m['server']:<10} {m['workers']:>2} {', '.join(_fmt(v) for v in m['worker_rss_mib']):<24}"
            f" {_fmt(m['supervisor_rss_mib']):>10} {', '.join(_fmt(v) for v in m['storm_peak_rss_mib']) or '–':<18}"
            f" {_fmt(m['one_connection_p50_ms']):>11} ms"
            f"  median {m['startup_median_s'] * 1000:.0f} ms (runs: "
            f"{', '.join(f'{s * 1000:.0f}' for s in m['startup_s'])} ms)"
        )
    lines.append("")
    lines.append("targets (issue 12):")
    for t in results["targets"]:
        lines.append(f"  [{_verdict(t['met'])}] {t['target']} — {t['measured']}")
    return "\n".join(lines)


def _verdict(met: bool | None) -> str:
    return {True: "met   ", False: "MISSED", None: "info  "}[met]


def targets(runs: list[dict], endpoints: dict[str, tuple]) -> list[dict[str, Any]]:
    """Issue 12's measurable targets: met or missed, and by how much."""
    out: list[dict[str, Any]] = []
    base, ours = _runs(runs, "baseline"), _runs(runs, "officium")

    def add(target: str, measured: str, met: bool | None, **extra: Any) -> None:
        out.append({"target": target, "measured": measured, "met": met, **extra})

    for workers, run in sorted(ours.items()):
        ref = base.get(workers, {}).get("phases", {})
        dash, page = run["phases"].get("dashboard /"), ref.get("page")
        if dash and page:
            r = dash["rps"] / page["rps"]
            add(
                f"dashboard ≥ {DASHBOARD_RPS_RATIO}× baseline req/s ({workers}w)",
                f"{r:.2f}× ({dash['rps']:.0f} vs {page['rps']:.0f} req/s)",
                r >= DASHBOARD_RPS_RATIO,
                workers=workers,
                value=round(r, 3),
            )
            q = dash["p99_ms"] / page["p99_ms"]
            add(
                f"dashboard p99 ≤ {DASHBOARD_P99_RATIO}× baseline p99 ({workers}w)",
                f"{q:.2f}× ({dash['p99_ms']:.0f} vs {page['p99_ms']:.0f} ms)",
                q <= DASHBOARD_P99_RATIO,
                workers=workers,
                value=round(q, 3),
            )
        api, bare = run["phases"].get("units API"), ref.get("units")
        if api and bare:
            r = api["rps"] / bare["rps"]
            add(
                f"JSON list ≥ {JSON_RPS_RATIO}× bare Starlette req/s ({workers}w)",
                f"{r:.2f}× ({api['rps']:.0f} vs {bare['rps']:.0f} req/s)",
                r >= JSON_RPS_RATIO,
                workers=workers,
                value=round(r, 3),
            )
        storm = run.get("storm")
        if storm:
            ok = (
                storm["errors"] == 0 and storm["p95_ms"] < STORM_P95_MS and storm["seconds"] <= STORM_WINDOW_S
            )
            add(
                f"login storm: {storm['logins']} logins within {STORM_WINDOW_S} s, p95 < {STORM_P95_MS} ms "
                f"({workers}w)",
                f"all at once: {storm['seconds']:.1f} s, p95 {storm['p95_ms']:.0f} ms, "
                f"{storm['errors']} errors",
                ok,
                workers=workers,
            )
            before = _worker_memory(run)
            peak = list(storm["peak_rss_mib"].values())
            grew = max(p - b for p, b in zip(peak, before, strict=False)) if peak and before else 0
            add(
                f"login storm memory bounded: a worker grows ≤ {STORM_GROWTH_MIB} MiB ({workers}w)",
                f"peak {', '.join(_fmt(p) for p in peak)} MiB per worker (+{grew:.1f} MiB over idle)",
                bool(peak) and grew <= STORM_GROWTH_MIB,
                workers=workers,
            )
        rss = _worker_memory(run)
        if rss:
            add(
                f"RSS per worker < {RSS_LIMIT_MIB} MiB ({workers}w)",
                f"{', '.join(_fmt(v) for v in rss)} MiB after load",
                max(rss) < RSS_LIMIT_MIB,
                workers=workers,
                value=max(rss),
            )
        add(
            f"first request within {STARTUP_LIMIT_S:.0f} s of launch ({workers}w)",
            f"median {run['startup_median_s'] * 1000:.0f} ms",
            run["startup_median_s"] <= STARTUP_LIMIT_S,
            workers=workers,
            value=run["startup_median_s"],
        )
    two = ours.get(2)
    if two and "units API" in two["phases"]:
        api = two["phases"]["units API"]
        rss = _worker_memory(two)
        add(
            "orientation: Frappe HR 15 (2 workers) 20-row list ~260–300 req/s, 88 MiB/worker, 1.1 s start-up",
            f"Officium 2w: {api['rps']:.0f} req/s, {max(rss):.0f} MiB/worker, "
            f"{two['startup_median_s']:.2f} s start-up",
            None,
        )
    for item in NOT_YET:
        add(f"not measured yet: {item}", "–", None)
    return out


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
        f"| data | {results['seed']['users']:,} users in {results['seed']['units']} units; plugins: "
        f"{', '.join(results['seed']['plugins']) or 'none'} |",
        f"| source | commit {results['source']['commit']}"
        + (
            f" + {results['source']['changed_files']} changed files"
            if results["source"]["changed_files"]
            else ""
        )
        + " |",
        "",
        "| endpoint | workers | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['endpoint']} | {row['workers']} | {row['rps']:,.1f} | {_fmt(row['p50_ms'])} | "
            f"{_fmt(row['p95_ms'])} | {_fmt(row['p99_ms'])} | {row['errors']} | {_ratio(row)} |"
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
        "| server | workers | RSS per worker MiB | supervisor MiB | peak in login storm MiB "
        "| /health on 1 connection, p50 ms | start-up (median) |",
        "|---|---:|---|---:|---|---:|---:|",
    ]
    for r in memory_rows(results["runs"]):
        lines.append(
            f"| {r['server']} | {r['workers']} | {', '.join(_fmt(v) for v in r['worker_rss_mib'])} | "
            f"{_fmt(r['supervisor_rss_mib'])} | {', '.join(_fmt(v) for v in r['storm_peak_rss_mib']) or '–'} | "
            f"{_fmt(r['one_connection_p50_ms'])} | {r['startup_median_s'] * 1000:.0f} ms |"
        )
    lines += ["", "| target (issue 12) | measured | |", "|---|---|---|"]
    for t in results["targets"]:
        verdict = {True: "met", False: "**missed**", None: "–"}[t["met"]]
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
