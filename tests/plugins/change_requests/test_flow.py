"""The whole flow of each kind of request through the pages: file → the unit leader approves → the
system administrator carries it out → the organisation changed and the filer was told."""

from __future__ import annotations

import re

from playhouse.schema_diff import diff_models

from officium.core.audit import verify_chain
from officium.core.identity.models import RoleGrant, User
from officium.core.notifications import Notification
from officium.core.workflow import engine
from officium.core.workflow.models import WorkItem
from officium.plugins.change_requests.models import ChangeRequest
from officium.plugins.change_requests.service import instance_of
from officium.testing import login

from .conftest import through


def grants(user):
    return {
        (g.role, g.unit.code if g.unit_id else None) for g in RoleGrant.select().where(RoleGrant.user == user)
    }


def actions(change_id):
    instance = instance_of(ChangeRequest.get_by_id(change_id))
    return [(log.action, log.actor.username if log.actor_id else None) for log in engine.timeline(instance)]


def test_migrations_match_the_models(app):
    assert not diff_models(app.db, app.registry.models["change_requests"])


def test_new_account_from_filing_to_the_one_time_password(app, desk, bureau):
    desk.as_("zhou")
    form = desk.get("/change_requests/new").text
    assert 'data-kind="new_account"' in form and 'data-kind="departure"' in form
    change_id = desk.file(
        kind="new_account",
        new_name="陈新",
        new_username="chenxin",
        new_position="科员",
        reason="新入职人员报到",
    )
    page = desk.get(f"/change_requests/{change_id}").text
    assert "待单位负责人审批" in page and "王处长" in page  # who holds it now
    assert "同意，转信息化处办理" not in page  # the clerk cannot approve

    desk.as_("wang")
    assert "同意，转信息化处办理" in desk.get(f"/change_requests/{change_id}").text
    desk.approve(change_id, "同意。")

    desk.as_("itadmin")
    queue = desk.get("/change_requests/queue").text
    assert f'data-request="{change_id}"' in queue
    assert 'data-testid="carry-out"' in desk.get(f"/change_requests/{change_id}").text
    response = desk.carry_out(change_id, "已开通。")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = re.search(r'data-testid="one-time-password">([^<]+)<', response.text).group(1)

    person = User.get(User.username == "chenxin")
    assert (person.name, person.unit_id, person.position, person.must_change_password) == (
        "陈新",
        bureau.rsc.id,
        "科员",
        True,
    )
    change = ChangeRequest.get_by_id(change_id)
    assert change.person_id == person.id and change.carried_out_by_id == bureau.admin.id
    assert password not in change.result  # the password is shown once and stored nowhere in clear
    assert actions(change_id) == [
        ("submit", "zhou"),
        ("approve", "wang"),
        ("approve", "itadmin"),
        ("finish", "itadmin"),
    ]
    # the password page does not come back: the request page shows the result, not the password
    assert password not in desk.get(f"/change_requests/{change_id}").text
    assert f'data-request="{change_id}"' not in desk.get("/change_requests/queue").text.split("最近办理")[0]
    # the filer is told
    (note,) = Notification.select().where(
        (Notification.user == bureau.zhou) & (Notification.kind == "change_requests.done")
    )
    assert note.url == f"/change_requests/{change_id}" and "陈新" in note.title
    # and the new person can sign in with the one-time password (and must change it first)
    desk.client.cookies.clear()
    desk.who = ""
    login(desk.client, "chenxin", password)
    assert desk.client.get("/", follow_redirects=False).headers["location"] == "/password"
    assert verify_chain(app).ok


def test_transfer_moves_unit_position_and_the_chosen_roles(app, desk, bureau):
    add = RoleGrant.create(user=bureau.sun, role="clerk", unit=bureau.rsc)  # 孙立 is also a clerk of 人事处
    assert add.id
    _, response = through(
        desk,
        kind="transfer",
        transfer_person="sun",
        transfer_target_unit="CWC",
        transfer_position="副处长",
        transfer_move_roles=["deputy_leader"],
        reason="局党组决定调任",
    )
    assert "孙立 已由人事处调至财务处，任副处长" in response.text
    sun = User.get_by_id(bureau.sun.id)
    assert (sun.unit_id, sun.position) == (bureau.cwc.id, "副处长")
    assert grants(sun) == {("deputy_leader", "CWC")}  # moved; the clerk role of 人事处 was revoked


def test_role_change_grants_and_revokes(app, desk, bureau):
    through(
        desk,
        kind="role_change",
        role_person="qian",
        role_action="grant",
        role_role="deputy_leader",
        reason="任命",
    )
    assert grants(bureau.qian) == {("deputy_leader", "RSC")}
    _, response = through(
        desk,
        kind="role_change",
        role_person="sun",
        role_action="revoke",
        role_role="deputy_leader",
        reason="免去",
    )
    assert "已撤销 孙立 人事处的单位副职角色" in response.text
    assert grants(bureau.sun) == set()


def test_departure_marks_the_account_left(app, desk, bureau):
    change_id, response = through(desk, kind="departure", departure_person="qian", reason="退休")
    assert User.get_by_id(bureau.qian.id).status == "left"
    assert "钱程 已离岗" in response.text
    assert "已办结" in desk.get(f"/change_requests/{change_id}").text


def test_return_resubmit_and_withdraw(app, desk, bureau):
    change_id = desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    desk.as_("wang")
    refused = desk.post(f"/change_requests/{change_id}/return", {"opinion": ""})
    assert refused.status_code == 400 and "退回时请填写退回理由" in refused.text
    assert desk.post(f"/change_requests/{change_id}/return", {"opinion": "请附批文"}).status_code == 303
    desk.as_("zhou")
    page = desk.get(f"/change_requests/{change_id}").text
    assert "已退回申请人" in page and "请附批文" in page and "重新提交" in page
    # the 流转记录 is the core's timeline (the same as on every module's document page)
    log = page.split('data-testid="wf-timeline"')[1].split("</ol>")[0]
    assert [a for a in re.findall(r'data-action="(\w+)"', log)] == ["submit", "return"]
    assert "退回至：申请人" in log and "请附批文" in log
    assert desk.post(f"/change_requests/{change_id}/resubmit", {"opinion": "已附批文"}).status_code == 303
    desk.as_("wang").approve(change_id)
    # the IT division may send it back too, and the clerk then withdraws it
    desk.as_("itadmin")
    assert (
        desk.post(f"/change_requests/{change_id}/return", {"opinion": "本人仍有在办公文"}).status_code == 303
    )
    desk.as_("zhou")
    assert desk.post(f"/change_requests/{change_id}/withdraw", {}).status_code == 303
    assert "已撤销" in desk.get(f"/change_requests/{change_id}").text
    assert User.get_by_id(bureau.qian.id).status == "active"  # nothing was carried out
    assert [a for a, _ in actions(change_id)] == [
        "submit",
        "return",
        "submit",
        "approve",
        "return",
        "close",
    ]


def test_withdraw_is_refused_once_the_leader_approved(app, desk, bureau):
    change_id = desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    desk.as_("wang").approve(change_id)
    desk.as_("zhou")
    refused = desk.post(f"/change_requests/{change_id}/withdraw", {})
    assert refused.status_code == 400 and "只能撤销尚未审批或已退回" in refused.text


def test_carrying_out_rechecks_and_a_refusal_changes_nothing(app, desk, bureau):
    change_id = desk.as_("zhou").file(
        kind="new_account", new_name="陈新", new_username="chenxin", reason="新入职"
    )
    desk.as_("wang").approve(change_id)
    from officium.testing import add_user

    add_user(app, "chenxin", name="另一个陈新", unit=bureau.cwc)  # taken meanwhile (e.g. by the admin page)
    response = desk.as_("itadmin").carry_out(change_id)
    assert response.status_code == 400 and "用户名 chenxin 已被占用" in response.text
    change = ChangeRequest.get_by_id(change_id)
    assert change.carried_out_at is None and change.person_id is None
    assert instance_of(change).step == "carry_out"
    item = WorkItem.get((WorkItem.instance == instance_of(change)) & (WorkItem.assignee == bureau.admin))
    assert item.state == "open"


def test_the_it_step_cannot_be_completed_without_carrying_out(app, desk, bureau):
    """Approving the system administrator's item through the engine (another page) is refused."""
    import pytest

    from officium.core.db import write_transaction
    from officium.core.workflow.engine import WorkflowError

    change_id = desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    desk.as_("wang").approve(change_id)
    instance = instance_of(ChangeRequest.get_by_id(change_id))
    item = engine.my_open_item(instance, bureau.admin)
    with pytest.raises(WorkflowError, match="点击“办理”"):
        with write_transaction(app.db):
            engine.approve(app, item.id, bureau.admin, "同意")
    assert User.get_by_id(bureau.qian.id).status == "active"


def test_a_second_carry_out_is_a_clean_refusal(app, desk, bureau):
    change_id, _ = through(desk, kind="departure", departure_person="qian", reason="退休")
    again = desk.carry_out(change_id)
    assert again.status_code == 400 and "不在待信息化处办理的状态" in again.text
