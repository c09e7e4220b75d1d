"""Crash harness, long run (issue: scale-out and operations, part 4): SIGKILL a child writing through the
service layer ``--cycles`` times (default 500) on a SQLite site, then check that no acknowledged write was
lost, nothing is half-applied, the audit chain verifies and ``PRAGMA integrity_check`` is ok.

The harness itself is tests/crash/harness.py (the test suite runs 15 cycles of it).  This prints the figures
and writes them to bench/results/crash-<time>.json.

Run:  make bench-crash [BENCH_ARGS='--cycles 500 --seed 1 --max-delay 0.25']
      .venv/bin/python bench/crash_bench.py --cycles 500
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash import harness  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--max-delay", type=float, default=0.25, help="longest random delay before a kill (s)"
    )
    parser.add_argument("--site", type=Path, help="site folder to create (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="officium-crash-") as tmp:
        site = args.site or Path(tmp) / "site"
        print(f"crash harness: {args.cycles} SIGKILL cycles, seed {args.seed}, site {site}", file=sys.stderr)
        result = harness.run(
            site, args.cycles, args.seed, args.max_delay, echo=lambda s: print(s, file=sys.stderr)
        )
    summary = result.as_dict()
    summary.update(
        machine=f"{platform.node()} {platform.machine()} {platform.python_version()}",
        cpus=__import__("os").cpu_count(),
        when=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        seed=args.seed,
        max_delay=args.max_delay,
    )
    out = ROOT / "bench" / "results" / f"crash-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    acked = summary["acknowledged"]
    print(f"kill cycles:             {result.cycles}")
    print(
        f"acknowledged writes:     {summary['acknowledged_total']} "
        f"(documents started {acked.get('start', 0)}, approvals {acked.get('approve', 0)}, "
        f"audit notes {acked.get('note', 0)}, attachments {acked.get('file', 0)})"
    )
    print(f"lost acknowledged:       {len(result.lost)}")
    print(f"half-applied documents:  {len(result.half_applied)}")
    print(
        f"audit chain:             {result.audit_rows} rows, {'ok' if not result.problems else result.problems}"
    )
    print(f"PRAGMA integrity_check:  {result.integrity}")
    print(f"time:                    {result.seconds} s")
    print(f"result:                  {'PASS' if result.ok else 'FAIL'}  ({out.relative_to(ROOT)})")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
