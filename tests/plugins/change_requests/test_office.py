"""The office (办公室) reads about every change of the 综合人员 role (a 待阅 item by 传阅)."""

from __future__ import annotations

from officium.core.workflow.models import WorkItem
from officium.plugins.change_requests.models import ChangeRequest
from officium.plugins.change_requests.service import instance_of

from .conftest import through


def readers(change_id):
    instance = instance_of(ChangeRequest.get_by_id(change_id))
    return {
        i.assignee.username: i.state
        for i in WorkItem.select().where((WorkItem.instance == instance) & (WorkItem.kind == "read"))
    }


def test_a_clerk_role_change_is_circulated_to_the_office(desk, bureau):
    change_id, response = through(
        desk,
        kind="role_change",
        role_person="qian",
        role_action="grant",
        role_role="clerk",
        reason="兼任综合人员",
    )
    assert "已传阅办公室：刘主任、吴芳" in response.text
    assert readers(change_id) == {"liu": "open", "wu": "open"}
    desk.as_("wu")  # 办公室's clerk may open another unit's request she was given to read, and mark it read
    page = desk.get(f"/change_requests/{change_id}").text
    assert "综合人员角色变更，请办公室知悉" in page and ">已阅</button>" in page
    assert desk.post(f"/change_requests/{change_id}/read").status_code == 303
    assert readers(change_id) == {"liu": "open", "wu": "done"}


def test_a_leaving_clerk_and_a_moving_clerk_are_circulated_too(desk, bureau):
    change_id, _ = through(
        desk,
        kind="transfer",
        transfer_person="zhou",
        transfer_target_unit="CWC",
        transfer_position="科员",
        reason="轮岗",
    )
    assert set(readers(change_id)) == {"liu", "wu"}


def test_other_changes_are_not_circulated(desk, bureau):
    change_id, response = through(desk, kind="departure", departure_person="qian", reason="退休")
    assert readers(change_id) == {} and "传阅办公室" not in response.text


def test_the_office_unit_is_a_setting(site_factory):
    from officium.core.identity.models import RoleGrant
    from officium.plugins.change_requests.service import office
    from officium.testing import add_unit, add_user

    app = site_factory(plugins=["change_requests"], settings={"change_requests": {"office_unit": "ZHC"}})
    zhc = add_unit(app, "ZHC", "综合处")
    add_user(app, "x", unit=zhc, roles=["leader"])
    assert office(app).code == "ZHC" and RoleGrant.select().count() == 1
