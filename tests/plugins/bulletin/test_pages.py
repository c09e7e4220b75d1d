"""The board's filters and tabs, the publisher's management page, the dashboard's latest announcements, and
文档查询 finding an announcement for its readers only."""

from __future__ import annotations

from officium.core.jobs import run_due_jobs
from officium.core.search import reindex
from tests.plugins.bulletin.conftest import api, board_ids, draft, make_column


def test_board_filters_tabs_and_pinning(bureau, people):
    office = people("wu")
    first = make_column(office, "甲栏目")
    second = make_column(office, "乙栏目")
    zhou = people("zhou")
    old = draft(zhou, first, "关于食堂开放时间的通知", submit=True)
    bureau.clock.advance(minutes=1)
    urgent = draft(zhou, second, "紧急：暴雨预警", importance="urgent", submit=True)
    bureau.clock.advance(minutes=1)
    pinned = draft(zhou, first, "置顶：年度工作要点", pinned=True, submit=True)
    bureau.clock.advance(minutes=1)
    newest = draft(zhou, first, "最新工作简报", submit=True)

    qian = people("qian")
    assert board_ids(qian, column=first)[:3] == [pinned["id"], newest["id"], old["id"]]
    assert board_ids(qian, column=second) == [urgent["id"]]
    assert board_ids(qian, q="食堂") == [old["id"]]
    assert board_ids(qian, q="工作 要点") == [pinned["id"]]
    assert board_ids(qian, importance="urgent") == [urgent["id"]]

    page = qian.get(f"/bulletin/?column={second}")
    assert page.status_code == 200
    assert "紧急：暴雨预警" in page.text and "食堂" not in page.text
    assert 'aria-current="page">乙栏目' in page.text
    empty = qian.get("/bulletin/?q=不存在的词")
    assert "没有符合条件的公告" in empty.text
    # nonsense filters are ignored, not errors
    assert qian.get("/bulletin/?column=abc&importance=x&page=-1").status_code == 200

    home = qian.get("/").text
    latest = home.split('data-testid="bulletin-latest"', 1)[1]
    assert latest.index("置顶：年度工作要点") < latest.index("最新工作简报")


def test_the_management_page(bureau, people):
    column = make_column(people("wu"), "管理栏目", approval="leader")
    zhou = people("zhou")
    kept = draft(zhou, column, "管理页草稿")
    sent = draft(zhou, column, "管理页送审", submit=True)
    page = zhou.get("/bulletin/mine?q=管理页")
    assert page.status_code == 200
    assert f'data-announcement="{kept["id"]}" data-state="draft"' in page.text
    assert f'data-announcement="{sent["id"]}" data-state="reviewing"' in page.text
    drafts = zhou.get("/bulletin/mine?state=draft&q=管理页").text
    assert "管理页草稿" in drafts and "管理页送审" not in drafts
    reviewing = api(zhou, "GET", "/announcements/mine", params={"state": "reviewing", "q": "管理页"}).json()
    assert [r["id"] for r in reviewing["items"]] == [sent["id"]]

    # someone else's page does not list zhou's; the office sees everybody's with all=1
    assert "管理页草稿" not in people("li").get("/bulletin/mine?all=1").text
    assert "管理页草稿" in people("wu").get("/bulletin/mine?all=1").text


def test_search_finds_announcements_for_their_readers_only(bureau, people):
    column = make_column(people("wu"), "检索栏目", readers={"units": ["CWC"]})
    li = people("li")
    notice = draft(li, column, "差旅费报销标准调整", body="<p>住宿费上限调整为每晚四百元。</p>", submit=True)
    run_due_jobs(bureau.app, bureau.clock.now)
    sun = people("sun")
    hits = sun.get("/api/v1/search/", params={"q": "住宿费"}).json()["items"]
    assert [h["url"] for h in hits if h["source"] == "bulletin.announcement"] == [f"/bulletin/{notice['id']}"]
    qian = people("qian")
    hits = qian.get("/api/v1/search/", params={"q": "住宿费"}).json()["items"]
    assert [h for h in hits if h["source"] == "bulletin.announcement"] == []

    # a rebuilt index (officium search reindex) holds the live announcements only
    gone = draft(li, column, "住宿费旧标准", submit=True)
    api(li, "POST", f"/announcements/{gone['id']}/withdraw", json={"reason": "已废止"})
    counts = reindex(bureau.app, plugin="bulletin")
    assert counts["bulletin.announcement"] >= 1
    hits = sun.get("/api/v1/search/", params={"q": "住宿费"}).json()["items"]
    assert [h["url"] for h in hits if h["source"] == "bulletin.announcement"] == [f"/bulletin/{notice['id']}"]


def test_search_follows_role_changes(bureau, people):
    from officium.core.db import write_transaction
    from officium.core.identity.accounts import grant_role
    from officium.core.registry import UserChange

    zhou = people("zhou")
    notice = draft(
        zhou,
        make_column(people("wu"), "负责人栏目"),
        "负责人会议纪要",
        scope={"roles": ["leader"]},
        submit=True,
    )
    sun = people("sun")
    assert [h for h in sun.get("/api/v1/search/", params={"q": "会议纪要"}).json()["items"]] == []
    with write_transaction(bureau.app.db):
        grant_role(bureau.app.registry, bureau.sun, "leader", bureau.cwc)
        bureau.app.hook.user_changed(
            app=bureau.app,
            user=bureau.sun,
            change=UserChange("roles", bureau.cwc.id, bureau.cwc.id, granted=(("leader", bureau.cwc.id),)),
        )
    sun = people("sun")  # the grant ended the old session
    hits = sun.get("/api/v1/search/", params={"q": "会议纪要"}).json()["items"]
    assert [h["url"] for h in hits] == [f"/bulletin/{notice['id']}"]
