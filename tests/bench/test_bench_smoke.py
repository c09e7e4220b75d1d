"""``make bench`` end to end at a tiny scale: every phase runs, answers without errors, and is reported.

The bench seeds a few hundred rows with bench/province.py, serves them with ``officium serve`` (one worker,
SQLite only), loads every endpoint for half a second beside the bare baseline, approves work items through
the API, storms the login and writes its results; the test reads the results file and latest.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from run import APPROVE, OFFICIUM_ENDPOINTS  # noqa: E402

TINY = [
    "--scale", "small",
    "--users", "300",
    "--units", "20",
    "--work-items", "600",
    "--documents", "80",
    "--mail", "300",
    "--search-records", "300",
    "--seconds", "0.5",
    "--warmup", "0.1",
    "--workers", "1",
    "--no-postgresql",
    "--startup-runs", "1",
    "--storm-logins", "10",
    "--connections", "8",
    "--todo-samples", "5",
    "--quiet-wait", "0",
    "--no-docs",
]  # fmt: skip


def test_bench_runs_every_phase_without_errors(tmp_path: Path) -> None:
    results_dir = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *TINY, "--results", str(results_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [json_file] = results_dir.glob("*.json")
    results = json.loads(json_file.read_text(encoding="utf-8"))

    [ours] = [r for r in results["runs"] if r["server"] == "officium"]
    [base] = [r for r in results["runs"] if r["server"] == "baseline"]
    assert ours["backend"] == "sqlite" and ours["workers"] == 1
    assert set(ours["phases"]) == set(OFFICIUM_ENDPOINTS)
    for name, phase in [*ours["phases"].items(), *base["phases"].items()]:
        assert phase["requests"] > 0 and phase["errors"] == 0, (name, phase["error_kinds"])
    counterparts = {c for _, _, c in OFFICIUM_ENDPOINTS.values() if c}
    assert {name.split(" (for ")[0] for name in base["phases"]} == counterparts

    approve = ours["approve"]
    assert approve["requests"] > 0 and approve["errors"] == 0, approve["error_kinds"]
    assert approve["warmup_errors"] == {}, approve["warmup_errors"]
    assert approve["database_locked"] == 0 and approve["synchronous"] == "FULL"
    assert ours["storm"]["logins"] == 10 and ours["storm"]["errors"] == 0
    assert ours["memory"] and ours["startup_s"]

    scale = results["todo_scale"]["sqlite"]
    assert scale["at_10k"]["p50_ms"] > 0 and scale["at_end"]["p50_ms"] > 0
    assert scale["at_end"]["work_items"] >= scale["at_10k"]["work_items"]

    labels = {row["endpoint"] for row in results["rows"]}
    expected = {f"Officium {name}" for name in OFFICIUM_ENDPOINTS}
    expected |= {"Officium approve POST (API token)", "Officium login POST ×10 users"}
    assert expected <= labels
    assert sum(1 for row in results["rows"] if row["baseline"]) == len(base["phases"])
    latest = (results_dir / "latest.md").read_text(encoding="utf-8")
    for label in expected:
        assert f"| {label} | SQLite | 1 |" in latest
    targets = " / ".join(t["target"] for t in results["targets"])
    for needle in (
        "待办 page ≥",
        "inbox p99",
        "leave API",
        "待办 API",
        APPROVE,
        "待办 page at the full count",
    ):
        assert needle in targets, needle
