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

from pagetiming import summary, time_pages  # noqa: E402
from seed import PASSWORD, PREFIX, progress, seed_site  # noqa: E402

from officium.core.app import create_app  # noqa: E402
from officium.core.config import SiteConfig  # noqa: E402
from officium.core.db import write_transaction  # noqa: E402
from officium.core.identity.models import Unit, User  # noqa: E402
from officium.core.workflow.models import Instance, WorkItem  # noqa: E402
from officium.core.workflow.todo import Filters, box_query, order  # noqa: E402

#: The plugins of the bench site: the 待办中心 is core; change_requests gives the items a real workflow.
PLUGINS = ["delegation", "change_requests"]
#: Work items per document (a 会签 of several units, say): instances = items / this.
ITEMS_PER_DOC = 4
#: Batch size of the bulk inserts.
BATCH = 4000  # PostgreSQL takes at most 65,535 parameters per statement (14 columns per item)
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


def fill(app, user_ids: list[int], unit_ids: list[int], start: int, upto: int, rng: random.Random) -> None:
    """Insert documents and their work items until ``upto`` items exist (``start`` exist already)."""
    now = app.clock()
    steps = ("leader", "carry_out")
    made = start
    t0 = time.perf_counter()
    while made < upto:
        count = min(BATCH, upto - made)
        docs = max(1, count // ITEMS_PER_DOC)
        with write_transaction(app.db):
            first = (Instance.select(Instance.id).order_by(Instance.id.desc()).scalar() or 0) + 1
            instances = []
            for n in range(docs):
                started = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 720))
                instances.append(
                    {
                        "plugin": "change_requests",
                        "workflow": "change_request",
                        "object_type": "bench",
                        "object_id": str(first + n),
                        "title": f"关于第{first + n}号事项的变更申请",
                        "url": f"/change_requests/{first + n}",
                        "unit": rng.choice(unit_ids),
                        "drafter": rng.choice(user_ids),
                        "urgency": rng.choice(("normal", "normal", "normal", "urgent", "very_urgent")),
                        "state": "finished" if rng.random() < 0.9 else "running",
                        "step": rng.choice(steps),
                        "fields": "{}",
                        "started_at": started,
                        "version": 1,
                    }
                )
            Instance.insert_many(instances).execute()
            ids = [
                i
                for (i,) in Instance.select(Instance.id)
                .where(Instance.id >= first)
                .order_by(Instance.id)
                .tuples()
            ]
            items = []
            for i in range(count):
                doc = ids[i % len(ids)]
                meta = instances[i % len(instances)]
                created = meta["started_at"] + timedelta(hours=rng.randrange(0, 72))
                roll = rng.random()
                kind = "read" if roll < 0.15 else "todo"
                state = "open" if rng.random() < 0.08 else "done"
                items.append(
                    {
                        "instance": doc,
                        "plugin": "change_requests",
                        "kind": kind,
                        "step": meta["step"],
                        "assignee": rng.choice(user_ids),
                        "state": state,
                        "title": meta["title"],
                        "url": meta["url"],
                        "urgency": meta["urgency"],
                        "created_at": created,
                        "due_at": created + timedelta(days=rng.randrange(1, 10)) if kind == "todo" else None,
                        "done_at": created + timedelta(hours=rng.randrange(1, 200))
                        if state == "done"
                        else None,
                        "action": "approve" if state == "done" and kind == "todo" else "",
                    }
                )
            WorkItem.insert_many(items).execute()
        made += count
        progress("items", made - start, upto - start)
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
