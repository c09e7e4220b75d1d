"""电子邮件 inbox latency at scale: N messages (default 1,000,000) for 10,000 users.

Each message is stored once with one ``mail_copy`` row per recipient (1-4 people, to or cc, and one in
twenty also to a unit mailbox) plus the sender's own row, as the plugin stores it.  Then sample users sign
in through the real login form and the inbox page (``/mail/``, rendered), the inbox JSON
(``/api/v1/mail/messages``) and a Chinese search of the inbox are timed in-process through the ASGI app.
It prints median and p95 per page, and the plan of the inbox query.

Run:  .venv/bin/python bench/mail_bench.py [--messages 1000000] [--users 10000]
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
from officium.plugins.mail import boxes  # noqa: E402
from officium.plugins.mail.models import Copy, Message  # noqa: E402

PLUGINS = ["mail"]
BATCH = 10_000
PAGES = {
    "收件箱 page": "/mail/",
    "收件箱 JSON": "/api/v1/mail/messages?box=inbox",
    "搜索 防汛": "/mail/?q=%E9%98%B2%E6%B1%9B",
}
SUBJECTS = [
    "关于防汛值班安排的通知",
    "会议纪要",
    "请报送年度统计数据",
    "转发：检验检疫工作要点",
    "周例会安排",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="电子邮件 inbox latency at N messages.")
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages to seed")
    parser.add_argument("--users", type=int, default=10_000, help="accounts in the site")
    parser.add_argument("--units", type=int, default=300, help="organisational units")
    parser.add_argument("--sample-users", type=int, default=20, help="users whose pages are timed")
    parser.add_argument("--repeat", type=int, default=10, help="requests per page and user")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary site)")
    parser.add_argument("--site", type=Path, help="site folder (default: a temporary one)")
    return parser.parse_args(argv)


def fill(
    app,
    user_ids: list[int],
    unit_ids: list[int],
    total: int,
    rng: random.Random,
    favour: int | None = None,
) -> int:
    """Insert ``total`` sent messages with their copies; return the number of copies.

    ``favour`` (a user id) is also a recipient of about 300 of them, so that one person's inbox holds
    hundreds of messages whatever ``total`` is (the page the load test opens).
    """
    now = app.clock()
    db = app.db
    usernames = dict(User.select(User.id, User.username).where(User.id.in_(user_ids)).tuples())
    first = bulk.next_id(db, "mail_message")
    extra = min(1.0, 300 / max(total, 1)) if favour is not None else 0.0
    message_columns = "id sender_id subject body_html body_text state to_tokens cc_tokens created_at updated_at sent_at".split()
    copy_columns = "message_id user_id unit_id kind folder at read_at labels".split()
    made = copies = 0
    with bulk.fast_writes(db):
        while made < total:
            count = min(BATCH, total - made)
            messages, rows = [], []
            for n in range(count):
                message = first + made + n
                at = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
                sender = rng.choice(user_ids)
                subject = f"{rng.choice(SUBJECTS)}（{made + n}）"
                to, cc = [], []
                rows.append((message, sender, None, "from", "sent", at, at, ""))
                people = rng.sample(user_ids, rng.randint(1, 4))
                if favour is not None and favour not in people and rng.random() < extra:
                    people.append(favour)
                for person in people:
                    read = at + timedelta(hours=1) if rng.random() < 0.8 else None
                    kind = "to" if rng.random() < 0.7 else "cc"
                    (to if kind == "to" else cc).append(usernames.get(person, ""))
                    rows.append((message, person, None, kind, "inbox", at, read, ""))
                if rng.random() < 0.05:
                    rows.append((message, None, rng.choice(unit_ids), "to", "inbox", at, None, ""))
                body = f"{subject}，请按时办理。"
                messages.append(
                    (
                        message,
                        sender,
                        subject,
                        f"<p>{body}</p>",
                        body,
                        "sent",
                        ",".join(to),
                        ",".join(cc),
                        at,
                        at,
                        at,
                    )
                )
            with db.atomic():
                bulk.bulk_insert(db, Message, message_columns, messages)
                bulk.bulk_insert(db, Copy, copy_columns, rows)
            copies += len(rows)
            made += count
            progress("mail", made, total)
    bulk.sync_sequence(db, "mail_message")
    bulk.sync_sequence(db, "mail_copy")
    return copies


def plan(app, user: User) -> str:
    query = boxes.box_query(user, boxes.box_of(user, "inbox")).paginate(1, 20)
    sql, params = query.sql()
    prefix = "EXPLAIN QUERY PLAN " if app.db.__class__.__name__.startswith("Sqlite") else "EXPLAIN "
    rows = app.db.execute_sql(prefix + sql, params).fetchall()
    return "\n".join("    " + " | ".join(str(c) for c in row) for row in rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    site = args.site or Path(tempfile.mkdtemp(prefix="officium-mail-bench-"))
    print(f"site: {site}  database: {args.database_url or 'SQLite'}")
    seed_site(site, args.users, args.units, database_url=args.database_url, plugins=PLUGINS)
    app = create_app(SiteConfig.load(site))
    rng = random.Random(10)
    user_ids = [i for (i,) in User.select(User.id).where(User.username.startswith(PREFIX)).tuples()]
    unit_ids = [i for (i,) in Unit.select(Unit.id).tuples()]
    t0 = time.perf_counter()
    copies = fill(app, user_ids, unit_ids, args.messages, rng)
    print(f"== seeded {args.messages:,} messages, {copies:,} copies, in {time.perf_counter() - t0:,.0f} s")
    app.db.execute_sql("ANALYZE")
    samples = [
        u.username
        for u in User.select(User.username)
        .where(User.username.startswith(PREFIX))
        .order_by(User.id)
        .limit(args.sample_users)
    ]
    results = summary(time_pages(app, samples, PAGES, args.repeat, PASSWORD))
    print(
        f"== {args.messages:,} messages, {len(user_ids):,} users, {len(samples)} sample users × {args.repeat}"
    )
    for name, (median, p95) in results.items():
        print(f"  {name:<12} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    print("== plan of the inbox query")
    print(plan(app, User.get(User.username == samples[0])))
    app.db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
