"""Edits after publishing keep the earlier texts; withdrawing hides an announcement from its readers; every
publish, edit and withdrawal is in the audit log."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.search.models import SearchDoc
from tests.plugins.bulletin.conftest import api, board_ids, draft, make_column


def _audited(action: str, announcement_id: int) -> int:
    return (
        AuditEntry.select()
        .where((AuditEntry.action == action) & (AuditEntry.object_id == str(announcement_id)))
        .count()
    )


def test_edits_after_publishing_keep_the_previous_versions(bureau, people):
    column = make_column(people("wu"), "版本栏目")
    zhou = people("zhou")
    notice = draft(zhou, column, "会议通知", body="<p>会议在三楼举行。</p>", submit=True)
    assert _audited("bulletin.publish", notice["id"]) == 1

    bureau.clock.advance(minutes=10)
    page = zhou.post(
        f"/bulletin/{notice['id']}/edit",
        data={
            "csrf_token": zhou.csrf,
            "title": "会议通知（更正）",
            "body": "<p>会议在五楼举行。</p>",
            "importance": "normal",
            "scope_mode": "column",
            "note": "更正会议地点",
            "action": "save",
        },
        follow_redirects=False,
    )
    assert page.status_code == 303
    api(
        zhou,
        "POST",
        f"/announcements/{notice['id']}/edit",
        json={"title": "会议通知（再更正）", "body": "<p>六楼。</p>"},
    )

    history = api(zhou, "GET", f"/announcements/{notice['id']}/versions").json()
    assert history["current"] == 3
    assert [(v["number"], v["title"]) for v in history["versions"]] == [
        (2, "会议通知（更正）"),
        (1, "会议通知"),
    ]
    assert history["versions"][1]["note"] == "更正会议地点"
    assert "三楼" in zhou.get(f"/bulletin/{notice['id']}/versions/1").text
    assert "更正会议地点" in zhou.get(f"/bulletin/{notice['id']}/versions").text
    assert _audited("bulletin.edit", notice["id"]) == 2

    reader = people("qian")
    current = reader.get(f"/bulletin/{notice['id']}").text
    assert "六楼" in current and "三楼" not in current
    assert (
        reader.get(f"/bulletin/{notice['id']}/versions/1").status_code == 404
    )  # the history is the publisher's
    assert (
        api(
            reader, "POST", f"/announcements/{notice['id']}/edit", json={"title": "x", "body": "y"}
        ).status_code
        == 404
    )
    # the search index follows the edit
    assert SearchDoc.select().where(SearchDoc.title == "会议通知（再更正）").exists()


def test_withdraw_hides_it_from_readers(bureau, people):
    column = make_column(people("wu"), "撤回栏目")
    zhou = people("zhou")
    notice = draft(zhou, column, "发错的通知", submit=True)
    sun = people("sun")
    assert notice["id"] in board_ids(sun)

    no_reason = api(zhou, "POST", f"/announcements/{notice['id']}/withdraw", json={})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert (
        api(
            people("sun"), "POST", f"/announcements/{notice['id']}/withdraw", json={"reason": "x"}
        ).status_code
        == 404
    )

    # on the page, a missing reason is shown beside the field and nothing changes
    page = zhou.post(f"/bulletin/{notice['id']}/withdraw", data={"csrf_token": zhou.csrf, "reason": " "})
    assert page.status_code == 400
    assert '<p class="field-error" id="f-reason-error">' in page.text and "请填写撤回原因。" in page.text
    assert notice["id"] in board_ids(sun)

    done = zhou.post(
        f"/bulletin/{notice['id']}/withdraw",
        data={"csrf_token": zhou.csrf, "reason": "内容有误"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    sun = people("sun")
    assert notice["id"] not in board_ids(sun)
    assert sun.get(f"/bulletin/{notice['id']}").status_code == 404
    assert "已于" in zhou.get(f"/bulletin/{notice['id']}").text
    assert _audited("bulletin.withdraw", notice["id"]) == 1
    assert not SearchDoc.select().where(SearchDoc.title == "发错的通知").exists()
    # nothing more can be done with it
    assert (
        api(zhou, "POST", f"/announcements/{notice['id']}/edit", json={"title": "x", "body": "y"}).status_code
        == 400
    )


def test_drafts_can_be_deleted_by_their_author(bureau, people):
    column = make_column(people("wu"), "删除栏目")
    zhou = people("zhou")
    notice = draft(zhou, column, "不要了的草稿")
    assert api(people("li"), "POST", f"/announcements/{notice['id']}/delete").status_code == 404
    done = zhou.post(
        f"/bulletin/{notice['id']}/delete", data={"csrf_token": zhou.csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert zhou.get(f"/bulletin/{notice['id']}").status_code == 404
    assert _audited("bulletin.delete", notice["id"]) == 1
