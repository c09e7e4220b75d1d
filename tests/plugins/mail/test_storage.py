"""The schema, the inbox query's index on both databases, and the trash emptied by the job."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from peewee import PostgresqlDatabase, fn
from playhouse.schema_diff import diff_models

from officium.core.db import write_transaction
from officium.core.jobs import run_due_jobs
from officium.plugins.mail import boxes, service
from officium.plugins.mail.models import Copy, Message
from tests.plugins.mail.conftest import build, signed_in


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from build(tmp_path_factory, {"mail": {"trash_days": 10}})


def test_migrations_match_the_models(site):
    assert not diff_models(site.app.db, site.app.registry.models["mail"])


def plan(app, query):
    sql, params = query.sql()
    if isinstance(app.db, PostgresqlDatabase):
        with app.db.atomic():
            app.db.execute_sql("SET LOCAL enable_seqscan = off")  # a small table: ask what the index gives
            return "\n".join(row[0] for row in app.db.execute_sql("EXPLAIN " + sql, params).fetchall())
    return "\n".join(
        str(row[-1]) for row in app.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    )


def test_the_inbox_query_uses_the_owner_index(site):
    from officium.core.identity.models import User

    user = User.get(User.username == "wang")
    now = site.clock()
    with write_transaction(site.app.db):
        for n in range(30):
            message = Message.create(
                sender=user, subject=f"m{n}", created_at=now, updated_at=now, state="sent"
            )
            for other in User.select():
                Copy.create(message=message, user=other, kind="to", folder="inbox", at=now)
            Copy.create(
                message=message, unit=site.bgs if n % 2 else site.rsc, kind="to", folder="inbox", at=now
            )
    site.app.db.execute_sql("ANALYZE")
    full_scan = re.compile(r"Seq Scan on mail_copy|\bSCAN (t1|mail_copy)\b(?! USING)")
    for key in ("inbox", "sent", "trash"):
        query = boxes.box_query(user, boxes.box_of(user, key)).paginate(1, 20)
        shown = plan(site.app, query)
        assert not full_scan.search(shown), shown
        if key == "inbox":  # the other boxes are small here: the planner may pick the (folder, …) index
            assert "copy_user_id_folder_deleted_at" in shown, shown
    searched = boxes.box_query(user, boxes.box_of(user, "inbox"), boxes.Filters(q="防汛")).paginate(1, 20)
    assert not full_scan.search(plan(site.app, searched))
    # the badge's count (a clerk's): each half of the UNION searches its index
    clerk = User.get(User.username == "zhou")
    counted = plan(site.app, service.unread_query(clerk).select_from(fn.COUNT(1)))
    assert "copy_user_id_folder_deleted_at" in counted and "copy_unit_id_folder_deleted_at" in counted, (
        counted
    )
    unit_box = boxes.Box("unit", "x", "inbox", site.bgs)
    assert "copy_unit_id_folder_deleted_at" in plan(site.app, boxes.box_query(user, unit_box).paginate(1, 20))


def _job(site):
    """Run the due jobs at 02:40 of the clock's day (the job's cron time); return mail.empty_trash's outcome."""
    outcomes = run_due_jobs(site.app, site.clock().replace(hour=2, minute=40))
    return next(o for o in outcomes if o.name == "mail.empty_trash")


def test_the_trash_is_emptied_after_the_configured_days(site):
    with signed_in(site, "qian") as qian:
        qian.send(to="wang,sun", subject="过期删除")
    with signed_in(site, "wang") as wang:
        copy = wang.find("过期删除")
        wang.post(f"/api/v1/mail/messages/{copy['id']}/trash")
    mine = Copy.get_by_id(copy["id"])
    site.clock.advance(days=9)
    assert _job(site).ok
    assert Copy.get_by_id(mine.id).deleted is False
    site.clock.advance(days=2)
    outcome = _job(site)
    assert outcome.ok and "清空 1 封" in outcome.message
    assert Copy.get_by_id(mine.id).deleted is True
    # the others keep theirs, and the message stays while anyone holds it
    others = Copy.select().where((Copy.message == mine.message_id) & (Copy.deleted == False))  # noqa: E712
    assert others.count() == 2
    with write_transaction(site.app.db):
        Copy.update(folder="trash", trashed_at=site.clock() - timedelta(days=30)).where(
            Copy.message == mine.message_id
        ).execute()
    assert "移除 1 封" in service.empty_trash(site.app)
    assert not Message.select().where(Message.id == mine.message_id).exists()
