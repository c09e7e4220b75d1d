"""Publishing approval on the core workflow engine: the publishing unit's leader or the office, as the column
says; returned announcements are revised and resubmitted; a cancelled submission is a draft again."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.notifications import Notification
from officium.core.workflow.models import WorkItem
from officium.testing import csrf_from
from tests.plugins.bulletin.conftest import api, board_ids, column_id, draft


def _open_item(user) -> WorkItem:
    return (
        WorkItem.select()
        .where((WorkItem.assignee == user.id) & (WorkItem.state == "open") & (WorkItem.plugin == "bulletin"))
        .order_by(WorkItem.id.desc())
        .first()
    )


def test_the_unit_leader_approves_through_the_pages(bureau, people):
    zhou = people("zhou")
    form = zhou.get("/bulletin/new")
    assert form.status_code == 200 and "通知公告" in form.text
    response = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column_id("通知公告")),
            "title": "关于开展读书活动的通知",
            "body": "<h2>活动安排</h2><ul><li>四月读书月</li></ul>",
            "importance": "important",
            "scope_mode": "own",
            "scope_units": ["RSC", "CWC"],
            "action": "submit",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    announcement_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert api(zhou, "GET", f"/announcements/{announcement_id}").json()["state"] == "reviewing"

    sun = people("sun")  # in the scope, but nothing is published yet
    assert announcement_id not in board_ids(sun)
    assert sun.get(f"/bulletin/{announcement_id}").status_code == 404
    assert _open_item(bureau.zhao) is None  # another unit's leader has nothing to do with it

    wang = people("wang")
    item = _open_item(bureau.wang)
    assert item is not None and item.url == f"/bulletin/{announcement_id}"
    page = wang.get(f"/bulletin/{announcement_id}")
    assert page.status_code == 200 and "活动安排" in page.text
    assert f"/workflow/items/{item.id}/approve" in page.text
    approved = wang.post(
        f"/workflow/items/{item.id}/approve",
        data={
            "csrf_token": csrf_from(page.text),
            "opinion": "同意发布。",
            "next": f"/bulletin/{announcement_id}",
        },
        follow_redirects=False,
    )
    assert approved.status_code == 303

    assert announcement_id in board_ids(sun)
    assert sun.get(f"/bulletin/{announcement_id}").status_code == 200
    assert announcement_id not in board_ids(people("liu"))  # 办公室 is outside the announcement's scope
    assert (
        Notification.select()
        .where((Notification.user == bureau.zhou.id) & (Notification.kind == "bulletin.published"))
        .exists()
    )
    assert (
        AuditEntry.select()
        .where((AuditEntry.action == "bulletin.publish") & (AuditEntry.object_id == str(announcement_id)))
        .exists()
    )


def test_returned_announcements_are_revised_and_resubmitted(bureau, people):
    zhou = people("zhou")
    notice = draft(zhou, column_id("工作动态"), "人事处工作动态（初稿）", submit=True)
    assert notice["state"] == "reviewing"
    wang = people("wang")
    item = _open_item(bureau.wang)
    returned = wang.post(
        f"/api/v1/core/workflow/items/{item.id}/return",
        json={"to_step": "drafter", "opinion": "请补充数据。"},
        headers={"X-CSRF-Token": wang.csrf},
    )
    assert returned.status_code == 200, returned.text
    assert api(zhou, "GET", f"/announcements/{notice['id']}").json()["state"] == "returned"

    edited = zhou.post(
        f"/bulletin/{notice['id']}/edit",
        data={
            "csrf_token": zhou.csrf,
            "title": "人事处工作动态",
            "body": "<p>本月新入职 3 人。</p>",
            "importance": "normal",
            "scope_mode": "column",
            "action": "submit",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert api(zhou, "GET", f"/announcements/{notice['id']}").json()["state"] == "reviewing"
    assert _open_item(bureau.wang).title == "公告发布审核：人事处工作动态"
    # while under review the author cannot change it
    refused = api(
        zhou, "POST", f"/announcements/{notice['id']}/edit", json={"title": "改", "body": "<p>x</p>"}
    )
    assert refused.status_code == 400
    item = _open_item(bureau.wang)
    done = wang.post(
        f"/api/v1/core/workflow/items/{item.id}/approve",
        json={"opinion": "同意。"},
        headers={"X-CSRF-Token": wang.csrf},
    )
    assert done.status_code == 200
    body = api(people("sun"), "GET", f"/announcements/{notice['id']}").json()
    assert body["title"] == "人事处工作动态" and body["state"] == "published"
    assert body["version"] == 1  # revisions before publishing are not versions


def test_the_office_approves_its_columns(bureau, people):
    li = people("li")
    notice = draft(li, column_id("规章制度"), "财务报销管理办法", submit=True)
    assert notice["state"] == "reviewing"
    assert _open_item(bureau.zhao) is None
    item = _open_item(bureau.wu)
    assert item is not None
    wu = people("wu")
    done = wu.post(
        f"/api/v1/core/workflow/items/{item.id}/approve",
        json={"opinion": "同意。"},
        headers={"X-CSRF-Token": wu.csrf},
    )
    assert done.status_code == 200
    assert notice["id"] in board_ids(people("qian"))


def test_a_cancelled_submission_is_a_draft_again(bureau, people):
    zhou = people("zhou")
    notice = draft(zhou, column_id("通知公告"), "撤回重报的通知", submit=True)
    instance_id = notice["workflow_id"]
    headers = {"X-CSRF-Token": zhou.csrf}
    assert (
        zhou.post(f"/api/v1/core/workflow/{instance_id}/withdraw", json={}, headers=headers).status_code
        == 200
    )
    cancelled = zhou.post(
        f"/api/v1/core/workflow/{instance_id}/cancel", json={"reason": "内容有误"}, headers=headers
    )
    assert cancelled.status_code == 200, cancelled.text
    again = api(zhou, "GET", f"/announcements/{notice['id']}").json()
    assert again["state"] == "draft"
    resubmitted = api(zhou, "POST", f"/announcements/{notice['id']}/submit").json()
    assert resubmitted["state"] == "reviewing" and resubmitted["workflow_id"] != instance_id
    assert _open_item(bureau.wang) is not None
