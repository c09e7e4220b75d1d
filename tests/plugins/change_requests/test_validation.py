"""Server-side checks of the request form: each error beside its field, values kept, nothing stored."""

from __future__ import annotations

import re

import pytest

from officium.core.db import write_transaction
from officium.core.identity.models import RoleGrant
from officium.plugins.change_requests.models import ChangeRequest
from officium.testing import add_unit, add_user


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="f-([\w]+)-error">([^<]*)</p>', html))


def post(desk, **fields):
    before = ChangeRequest.select().count()
    response = desk.as_("zhou").post("/change_requests/new", fields)
    assert response.status_code == 400
    assert ChangeRequest.select().count() == before
    return errors_of(response.text), response.text


def test_kind_and_reason_are_required(desk):
    errors, _ = post(desk)
    assert errors == {"kind": "请选择申请事项。", "reason": "请填写申请事由。"}


def test_new_account_fields(desk, bureau):
    errors, html = post(desk, kind="new_account", new_name="", new_username="Zhang San", reason="入职")
    assert errors == {
        "new_name": "请填写姓名。",
        "new_username": "用户名应为 2～32 位小写字母、数字、点、下划线或连字符，以字母开头（如 zhangsan）。",
    }
    assert 'value="Zhang San"' in html and 'value="new_account" checked' in html  # kept for correction
    assert 'aria-invalid="true" aria-describedby="f-new_username-error"' in html
    errors, _ = post(desk, kind="new_account", new_name="钱二", new_username="qian", reason="入职")
    assert errors == {"new_username": "用户名 qian 已被占用，请换一个。"}


def test_a_username_proposed_by_an_open_request_is_taken(desk, bureau):
    desk.as_("zhou").file(kind="new_account", new_name="陈新", new_username="chenxin", reason="入职")
    response = desk.post(
        "/change_requests/new",
        {"kind": "new_account", "new_name": "陈鑫", "new_username": "chenxin", "reason": "入职"},
    )
    assert response.status_code == 400
    assert errors_of(response.text) == {"new_username": "已有办理中的申请使用用户名 chenxin。"}


def test_transfer_fields(desk, bureau):
    errors, _ = post(
        desk,
        kind="transfer",
        transfer_person="zhao",  # 财务处's leader, not a person of 人事处
        transfer_target_unit="RSC",
        transfer_position="",
        reason="调动",
    )
    assert errors == {
        "transfer_person": "人事处没有在岗人员 zhao。",
        "transfer_target_unit": "调入单位不能是本单位。",
        "transfer_position": "请填写新职务。",
    }
    errors, _ = post(
        desk,
        kind="transfer",
        transfer_person="qian",
        transfer_target_unit="CWC",
        transfer_position="科员",
        transfer_move_roles=["leader", "clerk"],
        reason="调动",
    )
    assert errors == {"transfer_move_roles": "钱程 在人事处没有单位负责人、综合人员角色。"}


def test_role_change_fields(desk, bureau):
    errors, _ = post(
        desk, kind="role_change", role_person="wang", role_action="grant", role_role="leader", reason="x"
    )
    assert errors == {"role_role": "王处长 已是人事处的单位负责人。"}
    errors, _ = post(
        desk, kind="role_change", role_person="qian", role_action="revoke", role_role="clerk", reason="x"
    )
    assert errors == {"role_role": "钱程 不是人事处的综合人员。"}
    errors, _ = post(
        desk, kind="role_change", role_person="qian", role_action="", role_role="sysadmin", reason="x"
    )
    assert errors == {"role_role": "请选择角色。", "role_action": "请选择授予或撤销。"}


def test_one_open_request_per_person(desk, bureau):
    desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    errors, _ = post(
        desk, kind="role_change", role_person="qian", role_action="grant", role_role="clerk", reason="x"
    )
    assert errors == {"role_person": "钱程 已有一件办理中的变更申请，请办结或撤销后再提。"}


@pytest.mark.parametrize("unit", ["CWC", "NOPE"])
def test_a_clerk_files_only_for_their_own_units(desk, bureau, unit):
    errors, _ = post(desk, kind="departure", departure_person="qian", unit=unit, reason="退休")
    assert errors == {"unit": "只能为本人担任综合人员的单位提出申请。"}


def test_a_clerk_of_two_units_chooses_one(app, desk, bureau):
    with write_transaction(app.db):
        RoleGrant.create(user=bureau.zhou, role="clerk", unit=bureau.xxh)
    page = desk.as_("zhou").get("/change_requests/new").text
    assert 'id="f-unit"' in page
    errors, _ = post(desk, kind="departure", departure_person="qian", reason="退休")
    assert errors == {"unit": "请选择申请单位。"}
    change_id = desk.file(kind="departure", departure_person="qian", unit="RSC", reason="退休")
    assert ChangeRequest.get_by_id(change_id).unit_id == bureau.rsc.id


def test_a_unit_without_a_leader_cannot_file(app, desk, bureau):
    lonely = add_unit(app, "LONE", "无人处")
    add_user(app, "solo", unit=lonely, roles=["clerk"])
    add_user(app, "x1", unit=lonely)
    desk.as_("solo")
    response = desk.post(
        "/change_requests/new", {"kind": "departure", "departure_person": "x1", "reason": "离职"}
    )
    assert response.status_code == 400 and "找不到“单位负责人审批”的办理人" in response.text
    assert ChangeRequest.select().count() == 0  # the savepoint took the half-filed request back


def test_administrator_accounts_are_not_changed_by_requests(app, desk, bureau):
    add_user(app, "secadmin", name="保密管理员", unit=bureau.rsc, roles=[("secadmin", None)])
    assert 'value="secadmin"' not in desk.as_("zhou").get("/change_requests/new").text
    errors, _ = post(desk, kind="departure", departure_person="secadmin", reason="调离")
    assert errors == {"departure_person": "保密管理员 是管理员账号（三员），不能通过变更申请办理。"}
