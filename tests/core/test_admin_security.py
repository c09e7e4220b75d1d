"""安全保密管理员: role grants, the roles-and-permissions page and the security policy (pages and API)."""

from __future__ import annotations

import re

import pytest

from officium.core.audit import AuditEntry
from officium.core.identity.models import PolicySetting, RoleGrant, Session, User
from officium.core.identity.policy import LIMITS, load_policy
from officium.testing import app_client, login

from .admin_helpers import audit_actions, field_error, last_audit, make_bureau, page_error


@pytest.fixture
def org(app):
    return make_bureau(app)


@pytest.fixture
def sec(app, org):
    with app_client(app) as client:
        client.token = login(client, "sec")
        yield client


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data}, follow_redirects=False)


def roles_of(user) -> list[tuple[str, int | None]]:
    return sorted((g.role, g.unit_id) for g in RoleGrant.select().where(RoleGrant.user == user))


# -------------------------------------------------------------------------------------------- grants


def test_grant_list_shows_each_accounts_roles(org, sec):
    page = sec.get("/admin/grants", params={"q": "周"})
    assert re.findall(r'<td data-username="([^"]+)">', page.text) == ["zhoujing"]
    assert "综合人员@办公室" in page.text
    detail = sec.get(f"/admin/grants/{org.clerk.id}")
    assert detail.status_code == 200
    assert re.findall(r'<tr data-role="([^"]+)">', detail.text) == ["clerk"]
    # The role select offers every role but the implicit staff; the unit select offers the tree.
    options = re.findall(r'<option value="([a-z_]+)"', detail.text)
    assert "leader" in options and "auditor" in options and "staff" not in options
    assert "　文书科（BGS-WS）" in detail.text


def test_grant_a_role_in_a_unit_ends_the_users_sessions(app, org, sec):
    with app_client(app) as person:
        login(person, "zhoujing")
        answer = post(sec, f"/admin/grants/{org.clerk.id}", role="leader", unit=str(org.section.id))
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/admin/grants/{org.clerk.id}"
        assert person.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert roles_of(org.clerk) == [("clerk", org.office.id), ("leader", org.section.id)]
    entry = last_audit()
    assert entry.action == "core.role.grant"
    assert entry.actor == org.secadmin.id
    assert entry.summary == "授予 周静（zhoujing） 角色 单位负责人，范围：文书科（BGS-WS）"
    assert entry.detail == '{"role": "leader", "unit": "BGS-WS"}'


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        ("clerk", "auditor", "zhoujing 持有业务角色，不能再担任安全审计员。"),
        ("sysadmin", "secadmin", "sa 已是系统管理员，三员不能由同一账号兼任。"),
        ("auditor", "clerk", "aud 是管理员账号，不能担任业务角色。"),
        ("clerk", "staff", "工作人员（staff）由所有在岗非管理员账号隐含持有，无需授予。"),
        ("clerk", "typist", "角色 typist 不存在。"),
        ("clerk", "", "请选择角色。"),
        ("clerk", "clerk", "周静（zhoujing） 已在办公室持有该角色。"),
    ],
)
def test_grant_errors_are_shown_beside_the_role_field(org, sec, who, role, message):
    user = getattr(org, who)
    before = (roles_of(user), AuditEntry.select().count())
    unit = str(org.office.id) if role in ("clerk", "typist", "staff", "") else ""
    answer = post(sec, f"/admin/grants/{user.id}", role=role, unit=unit)
    assert answer.status_code == 400
    assert field_error(answer.text, "role") == message
    assert (roles_of(user), AuditEntry.select().count()) == before


def test_admin_roles_cannot_be_limited_to_a_unit(org, sec):
    user = org.staff
    RoleGrant.delete().where(RoleGrant.user == user).execute()
    answer = post(sec, f"/admin/grants/{user.id}", role="auditor", unit=str(org.hr.id))
    assert field_error(answer.text, "unit") == "三员角色对全局有效，不能限定单位。"
    assert roles_of(user) == []


def test_revoke_a_grant(app, org, sec):
    grant = RoleGrant.get(RoleGrant.user == org.clerk)
    answer = post(sec, f"/admin/grants/{org.clerk.id}/revoke", grant=str(grant.id))
    assert answer.status_code == 303
    assert roles_of(org.clerk) == []
    entry = last_audit()
    assert (entry.action, entry.summary) == (
        "core.role.revoke",
        "收回 周静（zhoujing） 的角色 综合人员，范围：办公室",
    )


def test_revoke_refuses_another_users_grant_and_unknown_ids(org, sec):
    other = RoleGrant.get(RoleGrant.user == org.sysadmin)
    # The grant id belongs to the system administrator, not to the clerk named in the URL.
    assert post(sec, f"/admin/grants/{org.clerk.id}/revoke", grant=str(other.id)).status_code == 404
    assert post(sec, f"/admin/grants/{org.clerk.id}/revoke", grant="abc").status_code == 404
    assert post(sec, "/admin/grants/9999/revoke", grant=str(other.id)).status_code == 404
    assert sec.get("/admin/grants/9999").status_code == 404
    assert roles_of(org.sysadmin) == [("sysadmin", None)]


def test_the_security_admin_cannot_change_own_roles(org, sec):
    own = RoleGrant.get(RoleGrant.user == org.secadmin)
    answer = post(sec, f"/admin/grants/{org.secadmin.id}/revoke", grant=str(own.id))
    assert answer.status_code == 400
    assert page_error(answer.text) == "不能修改自己的角色。"
    assert roles_of(org.secadmin) == [("secadmin", None)]


def test_roles_page_lists_default_permissions(org, sec):
    page = sec.get("/admin/roles")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-role="([^"]+)">(.*?)</tr>', page.text, re.S))
    assert "core.accounts.manage" in rows["sysadmin"]
    assert "core.audit.read" not in rows["sysadmin"]
    assert "core.security.manage" in rows["secadmin"]
    assert "core.audit.read" in rows["auditor"]
    assert "三员" in rows["auditor"] and "三员" not in rows["clerk"]


# -------------------------------------------------------------------------------------------- policy


def policy_form(**changes):
    values = {key: str(value) for key, value in load_policy().__dict__.items()}
    values.update(changes)
    return values


def test_policy_form_shows_titles_ranges_and_values(org, sec):
    page = sec.get("/admin/policy")
    for key, (title, low, high) in LIMITS.items():
        assert title in page.text
        assert f'name="{key}"' in page.text
        assert f'min="{low}" max="{high}"' in page.text
    assert 'name="min_length" type="number" value="8"' in page.text


def test_policy_saved_and_audited(org, sec):
    answer = post(sec, "/admin/policy", **policy_form(min_length="10", idle_minutes="20"))
    assert answer.status_code == 303
    policy = load_policy()
    assert (policy.min_length, policy.idle_minutes) == (10, 20)
    entry = last_audit()
    assert entry.action == "core.policy.update"
    assert '"idle_minutes": [30, 20]' in entry.detail and '"min_length": [8, 10]' in entry.detail


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("min_length", "6", "密码最小长度应为 7–64 之间的整数。"),  # the regulation: more than 6 characters
        ("min_length", "65", "密码最小长度应为 7–64 之间的整数。"),
        ("min_classes", "0", "至少包含的字符类别数应为 1–4 之间的整数。"),
        ("expiry_days", "-1", "密码有效期（天，0 表示不过期）应为 0–365 之间的整数。"),
        ("lockout_threshold", "abc", "连续失败几次锁定应为 3–20 之间的整数。"),
        ("admin_idle_minutes", "45", "管理员空闲超时不能长于普通用户。"),
        ("absolute_hours", "", "会话最长时间（小时）应为 1–24 之间的整数。"),
    ],
)
def test_policy_bounds_shown_beside_fields_nothing_saved(org, sec, key, value, message):
    before = (PolicySetting.select().count(), AuditEntry.select().count())
    answer = post(sec, "/admin/policy", **policy_form(**{key: value}))
    assert answer.status_code == 400
    assert field_error(answer.text, key) == message
    assert (PolicySetting.select().count(), AuditEntry.select().count()) == before
    assert load_policy().min_length == 8


def test_policy_boundaries_are_accepted(org, sec):
    assert post(sec, "/admin/policy", **policy_form(min_length="7", min_classes="4")).status_code == 303
    assert post(sec, "/admin/policy", **policy_form(min_length="64", expiry_days="0")).status_code == 303
    assert load_policy().min_length == 64


# ----------------------------------------------------------------------------------------------- API


@pytest.fixture
def api(sec):
    sec.headers["X-CSRF-Token"] = sec.token
    return sec


def test_api_grants(org, api):
    listing = api.get(f"/api/v1/core/users/{org.clerk.id}/grants").json()
    assert listing["user"]["username"] == "zhoujing"
    assert [(g["role"], g["unit_id"]) for g in listing["grants"]] == [("clerk", org.office.id)]
    created = api.post(
        f"/api/v1/core/users/{org.clerk.id}/grants", json={"role": "leader", "unit": org.office.id}
    )
    assert created.status_code == 201
    refused = api.post(f"/api/v1/core/users/{org.clerk.id}/grants", json={"role": "sysadmin"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"role": "zhoujing 持有业务角色，不能再担任系统管理员。"}
    grant_id = created.json()["id"]
    assert api.delete(f"/api/v1/core/users/{org.staff.id}/grants/{grant_id}").status_code == 404
    assert api.delete(f"/api/v1/core/users/{org.clerk.id}/grants/{grant_id}").status_code == 200
    assert roles_of(org.clerk) == [("clerk", org.office.id)]
    assert api.get("/api/v1/core/users/9999/grants").status_code == 404
    assert audit_actions()[-2:] == ["core.role.grant", "core.role.revoke"]


def test_api_roles_and_policy(org, api):
    roles = {r["name"]: r for r in api.get("/api/v1/core/roles").json()}
    assert roles["auditor"]["admin"] is True
    assert [p["name"] for p in roles["auditor"]["permissions"]] == ["core.audit.read", "core.plugins.view"]
    policy = api.get("/api/v1/core/policy").json()
    assert policy["values"]["min_length"] == 8
    assert policy["limits"]["min_length"] == {"title": "密码最小长度", "min": 7, "max": 64}
    changed = api.put("/api/v1/core/policy", json={"history": 8})
    assert changed.status_code == 200
    assert changed.json()["values"]["history"] == 8
    bad = api.put("/api/v1/core/policy", json={"min_length": 3, "lockout_minutes": 0})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"min_length", "lockout_minutes"}
    assert load_policy().history == 8 and load_policy().min_length == 8


def test_sessions_after_a_grant_need_a_new_sign_in(app, org, api):
    with app_client(app) as person:
        login(person, "hujing")
        assert Session.select().where(Session.user == org.staff).count() == 1
        api.post(f"/api/v1/core/users/{org.staff.id}/grants", json={"role": "clerk", "unit": org.hr.id})
        assert Session.select().where(Session.user == org.staff).count() == 0
    assert User.get_by_id(org.staff.id).status == "active"


def test_digits_that_are_not_ascii_are_refused_cleanly(org, sec):
    # "²".isdigit() is True but int("²") fails: such input must be a field error, never a server error.
    answer = post(sec, "/admin/policy", **policy_form(min_length="²", history="５"))
    assert answer.status_code == 400
    assert field_error(answer.text, "min_length") == "密码最小长度应为 7–64 之间的整数。"
    assert field_error(answer.text, "history") == "不得与最近几次密码相同应为 0–24 之间的整数。"
    assert post(sec, f"/admin/grants/{org.clerk.id}/revoke", grant="²").status_code == 404
    bad_unit = post(sec, f"/admin/grants/{org.clerk.id}", role="leader", unit="²")
    assert field_error(bad_unit.text, "unit") == "单位不存在。"
    assert roles_of(org.clerk) == [("clerk", org.office.id)]
