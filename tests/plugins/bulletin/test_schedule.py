"""Scheduled publishing and expiry follow the app's clock (a FakeClock here): nothing sleeps, and readers'
pages compare times themselves; the job only tells the readers of a 必读 one and feeds the search index."""

from __future__ import annotations

from datetime import timedelta

from officium.core.jobs import run_due_jobs
from officium.core.notifications import Notification
from officium.core.search.models import SearchDoc
from tests.plugins.bulletin.conftest import api, board_ids, draft, make_column


def _fmt(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def test_a_scheduled_announcement_appears_at_its_time(bureau, people):
    column = make_column(people("wu"), "定时栏目")
    clock = bureau.clock
    at = clock.now + timedelta(hours=2)
    zhou = people("zhou")
    notice = draft(zhou, column, "两小时后发布的通知", publish_at=_fmt(at), must_read=True, submit=True)
    assert notice["state"] == "scheduled"

    qian = people("qian")
    assert notice["id"] not in board_ids(qian)
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 404
    run_due_jobs(bureau.app, clock.now)
    assert not Notification.select().where(Notification.title.contains("两小时后发布的通知")).exists()
    assert not SearchDoc.select().where(SearchDoc.title == "两小时后发布的通知").exists()

    clock.advance(hours=2)
    qian = people("qian")
    assert notice["id"] in board_ids(qian)
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 200
    run_due_jobs(bureau.app, clock.now)
    told = {
        n.user.username
        for n in Notification.select().where(
            (Notification.kind == "bulletin.must_read") & Notification.title.contains("两小时后发布的通知")
        )
    }
    assert {"qian", "sun", "ke", "liu"} <= told
    assert SearchDoc.select().where(SearchDoc.title == "两小时后发布的通知").exists()
    run_due_jobs(bureau.app, clock.now + timedelta(minutes=1))  # a second run tells nobody again
    assert Notification.select().where(
        (Notification.kind == "bulletin.must_read") & Notification.title.contains("两小时后发布的通知")
    ).count() == len(told)


def test_an_announcement_disappears_when_it_expires(bureau, people):
    column = make_column(people("wu"), "限时栏目")
    clock = bureau.clock
    zhou = people("zhou")
    notice = draft(
        zhou, column, "当天有效的通知", expires_at=_fmt(clock.now + timedelta(hours=8)), submit=True
    )
    assert notice["state"] == "published"
    run_due_jobs(bureau.app, clock.now)
    assert SearchDoc.select().where(SearchDoc.title == "当天有效的通知").exists()
    sun = people("sun")
    assert notice["id"] in board_ids(sun)

    clock.advance(hours=8)
    sun = people("sun")
    assert notice["id"] not in board_ids(sun)
    assert sun.get(f"/bulletin/{notice['id']}").status_code == 404
    run_due_jobs(bureau.app, clock.now)
    assert not SearchDoc.select().where(SearchDoc.title == "当天有效的通知").exists()
    # the publisher still finds it, marked as expired
    zhou = people("zhou")
    mine = api(zhou, "GET", "/announcements/mine", params={"state": "expired"}).json()["items"]
    assert [row["id"] for row in mine] == [notice["id"]]
    assert "已过期" in zhou.get(f"/bulletin/{notice['id']}").text


def test_times_are_checked(bureau, people):
    column = make_column(people("wu"), "校验栏目")
    clock = bureau.clock
    zhou = people("zhou")
    past = api(
        zhou,
        "POST",
        "/announcements",
        json={
            "column": column,
            "title": "t",
            "body": "<p>b</p>",
            "publish_at": _fmt(clock.now - timedelta(hours=1)),
        },
    )
    assert past.status_code == 400
    assert "publish_at" in past.json()["error"]["fields"]
    backwards = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": "过期早于发布",
            "body": "<p>b</p>",
            "publish_at": (clock.now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "expires_at": (clock.now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "action": "save",
        },
    )
    assert backwards.status_code == 400
    assert "过期时间应晚于发布时间" in backwards.text
    garbled = api(
        zhou,
        "POST",
        "/announcements",
        json={"column": column, "title": "t", "body": "b", "expires_at": "明天"},
    )
    assert garbled.status_code == 400
    assert "expires_at" in garbled.json()["error"]["fields"]
    mine = api(zhou, "GET", "/announcements/mine", params={"q": "过期早于发布"}).json()
    assert mine["total"] == 0  # bad input stored nothing
