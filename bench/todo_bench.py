"""待办 page latency at scale: 10,000 work items, then 1,000,000, for 10,000 users (issue: workflow engine).

The scale target is that the 待办 page at 1,000,000 work items stays within 1.5× of its latency at 10,000:
the boxes are one indexed query per page, so the number of other people's items must not matter.

What it does, in one run:
1. seeds a site (SQLite in a temporary folder, or PostgreSQL with ``--database-url``) with the demo bureau
   and generated users up to ``--users``;
2. bulk-inserts documents (instances) and work items up to ``--small`` items, spread over all users with a
   realistic mix (most items finished; some open 待办, some 待阅; deadlines, urgency);
3. signs sample users in through the real login form and times GET /todo/ (the 待办 page, rendered),
   /todo/done (已办) and /api/v1/core/todo (JSON) in-process through the ASGI app;
4. fills up to ``--items`` and times the same pages for the same users;
5. prints the figures, the ratio large/small, and the query plan of the 待办 query.

Run:  .venv/bin/python bench/todo_bench.py [--items 1000000] [--users 10000]
      [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bulk  # noqa: E402
from pagetiming import summary, time_pages  # noqa: E402
from seed import PASSWORD, PREFIX, progress, seed_site  # noqa: E402

from officium.core.app import create_app  # noqa: E402
from officium.core.config import SiteConfig  # noqa: E402
from officium.core.identity.models import Unit, User  # noqa: E402
from officium.core.workflow.models import Instance, WorkItem  # noqa: E402
from officium.core.workflow.todo import Filters, box_query, order  # noqa: E402

#: The plugins of the bench site: the 待办中心 is core; change_requests gives the items a real workflow.
PLUGINS = ["delegation", "change_requests"]
#: Work items per document (a 会签 of several units, say): instances = items / this.
ITEMS_PER_DOC = 4
#: Batch size of the bulk inserts.
BATCH = 20_000
#: Pages timed per sample user and phase.
PAGES = {"待办 page": "/todo/", "已办 page": "/todo/done", "待办 JSON": "/api/v1/core/todo?box=todo"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="待办 page latency at 10k and 1M work items.")
    parser.add_argument("--items", type=int, default=1_000_000, help="work items in the large phase")
    parser.add_argument("--small", type=int, default=10_000, help="work items in the small phase")
    parser.add_argument("--users", type=int, default=10_000, help="accounts in the site")
    parser.add_argument("--units", type=int, default=300, help="organisational units")
    parser.add_argument("--sample-users", type=int, default=20, help="users whose pages are timed")
    parser.add_argument("--repeat", type=int, default=10, help="requests per page and user")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary site)")
    parser.add_argument("--site", type=Path, help="site folder (default: a temporary one)")
    return parser.parse_args(argv)


INSTANCE_COLUMNS = (
    "id plugin workflow object_type object_id title url unit_id drafter_id urgency state step fields "
    "started_at version"
).split()
ITEM_COLUMNS = (
    "instance_id plugin kind step assignee_id state title url urgency created_at due_at done_at action"
).split()


def fill(app, user_ids: list[int], unit_ids: list[int], start: int, upto: int, rng: random.Random) -> None:
    """Insert documents and their work items until ``upto`` items exist (``start`` exist already)."""
    now = app.clock()
    db = app.db
    steps = ("leader", "carry_out")
    made = start
    t0 = time.perf_counter()
    with bulk.fast_writes(db):
        while made < upto:
            count = min(BATCH, upto - made)
            docs = max(1, count // ITEMS_PER_DOC)
            first = bulk.next_id(db, "core_wf_instance")
            instances = []
            for n in range(docs):
                started = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 720))
                number = first + n
                instances.append(
                    (
                        number,
                        "change_requests",
                        "change_request",
                        "bench",
                        str(number),
                        f"关于第{number}号事项的变更申请",
                        f"/change_requests/{number}",
                        rng.choice(unit_ids),
                        rng.choice(user_ids),
                        rng.choice(("normal", "normal", "normal", "urgent", "very_urgent")),
                        "finished" if rng.random() < 0.9 else "running",
                        rng.choice(steps),
                        "{}",
                        started,
                        1,
                    )
                )
            items = []
            for i in range(count):
                meta = instances[i % len(instances)]
                created = meta[13] + timedelta(hours=rng.randrange(0, 72))
                roll = rng.random()
                kind = "read" if roll < 0.15 else "todo"
                state = "open" if rng.random() < 0.08 else "done"
                items.append(
                    (
                        meta[0],
                        "change_requests",
                        kind,
                        meta[11],
                        rng.choice(user_ids),
                        state,
                        meta[5],
                        meta[6],
                        meta[9],
                        created,
                        created + timedelta(days=rng.randrange(1, 10)) if kind == "todo" else None,
                        created + timedelta(hours=rng.randrange(1, 200)) if state == "done" else None,
                        "approve" if state == "done" and kind == "todo" else "",
                    )
                )
            with db.atomic():
                bulk.bulk_insert(db, Instance, INSTANCE_COLUMNS, instances)
                bulk.bulk_insert(db, WorkItem, ITEM_COLUMNS, items)
            made += count
            progress("items", made - start, upto - start)
    bulk.sync_sequence(db, "core_wf_instance")
    rate = (upto - start) / max(time.perf_counter() - t0, 1e-9)
    print(f"  inserted {upto - start:,} work items ({rate:,.0f}/s)")


def plan(app, user: User, box: str) -> str:
    """The database's plan for the ``box`` query of ``user`` (first page)."""
    query = order(box_query(box, user, Filters(), app.clock()), box, "received", "desc").limit(20)
    sql, params = query.sql()
    prefix = "EXPLAIN QUERY PLAN " if app.db.__class__.__name__.startswith("Sqlite") else "EXPLAIN "
    rows = app.db.execute_sql(prefix + sql, params).fetchall()
    return "\n".join("    " + " | ".join(str(c) for c in row) for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Seed, measure the small phase, fill, measure the large phase, print the comparison."""
    args = parse_args(argv)
    site = args.site or Path(tempfile.mkdtemp(prefix="officium-todo-bench-"))
    print(f"site: {site}  database: {args.database_url or 'SQLite'}")
    seed_site(site, args.users, args.units, database_url=args.database_url, plugins=PLUGINS)
    app = create_app(SiteConfig.load(site))
    rng = random.Random(4)
    user_ids = [i for (i,) in User.select(User.id).tuples()]
    unit_ids = [i for (i,) in Unit.select(Unit.id).tuples()]
    samples = [
        u.username
        for u in User.select(User.username)
        .where(User.username.startswith(PREFIX))
        .order_by(User.id)
        .limit(args.sample_users)
    ]
    results = {}
    existing = WorkItem.select().count()
    for phase, target in (("small", args.small), ("large", args.items)):
        print(f"== {phase}: {target:,} work items for {len(user_ids):,} users")
        fill(app, user_ids, unit_ids, existing, target, rng)
        existing = target
        if not app.db.__class__.__name__.startswith("Sqlite"):
            # PostgreSQL's autovacuum would analyze a freshly bulk-loaded table soon; a SQLite site has no
            # statistics unless someone runs ANALYZE, so the SQLite figures are measured without them
            app.db.execute_sql("ANALYZE")
        results[phase] = summary(time_pages(app, samples, PAGES, args.repeat, PASSWORD))
        for name, (median, p95) in results[phase].items():
            print(f"  {name:<10} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    print("== 待办 page latency, large/small (target: within 1.5×)")
    for name in PAGES:
        small, large = results["small"][name][0], results["large"][name][0]
        print(f"  {name:<10} {small:7.1f} ms → {large:7.1f} ms   ratio {large / small:4.2f}×")
    sample_user = User.get(User.username == samples[0])
    for box, title in (("todo", "待办"), ("done", "已办")):
        print(f"== plan of the {title} query at the large size")
        print(plan(app, sample_user, box))
    app.db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
