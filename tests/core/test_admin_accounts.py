"""系统管理员: the unit tree and accounts, through the pages and the JSON API."""

from __future__ import annotations

import re

import pytest

from officium.core.audit import AuditEntry
from officium.core.identity.models import Session, Unit, User
from officium.core.identity.people import search_people
from officium.testing import TEST_PASSWORD, add_user, app_client, csrf_from, login

from .admin_helpers import audit_actions, field_error, last_audit, make_bureau, one_time_password, page_error


@pytest.fixture
def org(app):
    return make_bureau(app)


@pytest.fixture
def admin(app, org):
    """A client signed in as the system administrator, and its CSRF token."""
    with app_client(app) as client:
        client.token = login(client, "sa")
        yield client


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data}, follow_redirects=False)


# --------------------------------------------------------------------------------------------- units


def test_unit_tree_lists_units_indented_in_order(org, admin):
    page = admin.get("/admin/units")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-unit="([^"]+)" data-level="(\d)">', page.text)
    assert rows == [("JYJ", "0"), ("BGS", "1"), ("BGS-WS", "2"), ("RSC", "1")]
    assert 'class="tree level-2"' in page.text
    assert "<code>BGS-WS</code>" in page.text
    assert "科" in page.text and "处室" in page.text


def test_create_unit_is_audited(org, admin):
    form = admin.get(f"/admin/units/new?parent={org.bureau.id}")
    assert f'<option value="{org.bureau.id}" selected>' in form.text
    answer = post(
        admin,
        "/admin/units/new",
        code="CWC",
        name="财务处",
        kind="department",
        parent=str(org.bureau.id),
        order="5",
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/units"
    unit = Unit.get(Unit.code == "CWC")
    assert (unit.name, unit.kind, unit.parent_id, unit.order, unit.active) == (
        "财务处",
        "department",
        org.bureau.id,
        5,
        True,
    )
    entry = last_audit()
    assert entry.action == "core.unit.create"
    assert entry.actor == org.sysadmin.id
    assert (entry.object_type, entry.object_id) == ("unit", str(unit.id))
    assert entry.summary == "新建单位 财务处（CWC）"
    # Exactly one entry for the change: the specific one replaces the routing engine's generic entry.
    assert audit_actions().count("core.unit.create") == 1
    assert not [a for a in audit_actions() if a.startswith("core.admin_")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "BGS"}, "code", "单位代码 BGS 已被其他单位使用。"),
        ({"code": ""}, "code", "请填写单位代码。"),
        ({"code": "财务"}, "code", "单位代码为 1–32 位字母、数字、点、下划线或连字符，以字母或数字开头。"),
        ({"name": ""}, "name", "请填写单位名称。"),
        ({"kind": "ministry"}, "kind", "请选择单位类型：局、处室、分支局、科。"),
        ({"parent": "9999"}, "parent", "上级单位不存在。"),
        ({"order": "first"}, "order", "排序应为 -9999–9999 之间的整数。"),
        ({"order": "100000"}, "order", "排序应为 -9999–9999 之间的整数。"),
    ],
)
def test_create_unit_errors_beside_fields_change_nothing(org, admin, data, field, message):
    before = (Unit.select().count(), AuditEntry.select().count())
    values = {"code": "CWC", "name": "财务处", "kind": "department", "parent": "", "order": "1", **data}
    answer = post(admin, "/admin/units/new", **values)
    assert answer.status_code == 400
    assert field_error(answer.text, field) == message
    assert (Unit.select().count(), AuditEntry.select().count()) == before


def test_edit_unit_and_refuse_a_loop(org, admin):
    page = admin.get(f"/admin/units/{org.office.id}")
    assert 'value="办公室"' in page.text
    # The office may not move under its own section.
    loop = post(
        admin,
        f"/admin/units/{org.office.id}",
        code="BGS",
        name="办公室",
        kind="department",
        parent=str(org.section.id),
        order="0",
    )
    assert loop.status_code == 400
    assert field_error(loop.text, "parent") == "上级单位不能是本单位或其下级单位。"
    assert Unit.get_by_id(org.office.id).parent_id == org.bureau.id
    moved = post(
        admin,
        f"/admin/units/{org.section.id}",
        code="RSC-WS",
        name="人事科",
        kind="section",
        parent=str(org.hr.id),
        order="3",
    )
    assert moved.status_code == 303
    section = Unit.get_by_id(org.section.id)
    assert (section.code, section.name, section.parent_id, section.order) == (
        "RSC-WS",
        "人事科",
        org.hr.id,
        3,
    )
    entry = last_audit()
    assert entry.action == "core.unit.update"
    assert '"parent": ["BGS", "RSC"]' in entry.detail


def test_deactivate_refused_while_members_or_children_are_active(app, org, admin):
    busy = post(admin, f"/admin/units/{org.office.id}/deactivate")
    assert busy.status_code == 400
    assert page_error(busy.text) == "单位 办公室 还有 1 名在岗人员，请先将他们调出或停用后再撤销。"
    assert Unit.get_by_id(org.office.id).active
    post(admin, f"/admin/users/{org.clerk.id}/status", status="disabled")
    with_child = post(admin, f"/admin/units/{org.office.id}/deactivate")
    assert with_child.status_code == 400
    assert page_error(with_child.text) == "单位 办公室 还有 1 个启用的下级单位，请先撤销下级单位。"
    assert post(admin, f"/admin/units/{org.section.id}/deactivate").status_code == 303
    assert post(admin, f"/admin/units/{org.office.id}/deactivate").status_code == 303
    assert not Unit.get_by_id(org.office.id).active
    assert audit_actions()[-2:] == ["core.unit.deactivate", "core.unit.deactivate"]
    # An inactive unit cannot be chosen for a new account any more.
    refused = post(admin, "/admin/users/new", username="wang", name="王五", unit=str(org.office.id))
    assert field_error(refused.text, "unit") == "单位“办公室”已撤销，不能选择。"
    # A section cannot come back under an inactive parent; the parent first.
    assert (
        page_error(post(admin, f"/admin/units/{org.section.id}/activate").text)
        == "上级单位 办公室 已撤销，请先恢复上级单位。"
    )
    assert post(admin, f"/admin/units/{org.office.id}/activate").status_code == 303
    assert Unit.get_by_id(org.office.id).active


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", "/admin/units/9999"),
        ("POST", "/admin/units/9999"),
        ("POST", "/admin/units/9999/deactivate"),
        ("GET", "/admin/users/9999"),
        ("POST", "/admin/users/9999/status"),
        ("POST", "/admin/users/9999/reset"),
    ],
)
def test_unknown_ids_are_404(org, admin, method, url):
    before = AuditEntry.select().count()
    answer = admin.get(url) if method == "GET" else post(admin, url, status="disabled", name="x")
    assert answer.status_code == 404
    assert AuditEntry.select().count() == before


# --------------------------------------------------------------------------------------------- users


def usernames(page: str) -> list[str]:
    return re.findall(r'<td data-username="([^"]+)">', page)


def test_user_list_searches_filters_and_paginates(app, org, admin):
    for i in range(25):
        add_user(app, f"user{i:02d}", name=f"科员{i:02d}", unit=org.hr)
    assert usernames(admin.get("/admin/users", params={"q": "周静"}).text) == ["zhoujing"]
    assert usernames(admin.get("/admin/users", params={"q": "hujing"}).text) == ["hujing"]
    assert usernames(admin.get("/admin/users", params={"unit": org.office.id}).text) == ["zhoujing"]
    post(admin, f"/admin/users/{org.staff.id}/status", status="disabled")
    assert usernames(admin.get("/admin/users", params={"status": "disabled"}).text) == ["hujing"]
    first = admin.get("/admin/users", params={"unit": org.hr.id})
    assert len(usernames(first.text)) == 20
    assert "第 1 / 2 页，共 26 条" in first.text
    second = admin.get("/admin/users", params={"unit": org.hr.id, "page": 2})
    assert usernames(second.text) == ["user19", "user20", "user21", "user22", "user23", "user24"]
    assert f'href="?unit={org.hr.id}&amp;page=1"' in second.text


def test_create_user_shows_the_one_time_password_once(app, org, admin):
    answer = post(
        admin, "/admin/users/new", username="liming", name="李明", unit=str(org.office.id), position="科员"
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    password = one_time_password(answer.text)
    user = User.get(User.username == "liming")
    assert (user.name, user.unit_id, user.position, user.must_change_password) == (
        "李明",
        org.office.id,
        "科员",
        True,
    )
    entry = last_audit()
    assert entry.action == "core.user.create"
    assert password not in entry.summary + entry.detail
    # Nowhere to see it again.
    assert password not in admin.get(f"/admin/users/{user.id}").text
    assert password not in admin.get("/admin/users").text
    # The new user signs in with it and is held at the password form.
    with app_client(app) as person:
        token = csrf_from(person.get("/login").text)
        signed_in = person.post(
            "/login",
            data={"username": "liming", "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.headers["location"] == "/password"


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ZhouJing", "用户名 zhoujing 已被使用。"),
        ("ｚｈｏｕｊｉｎｇ", "用户名 zhoujing 已被使用。"),  # full-width letters are the same name
        ("1abc", "用户名为 2–64 位小写字母、数字、点、下划线或连字符，以字母开头。"),
        ("周静", "用户名为 2–64 位小写字母、数字、点、下划线或连字符，以字母开头。"),
        ("", "请填写用户名。"),
    ],
)
def test_create_user_refuses_bad_usernames(org, admin, username, message):
    before = User.select().count()
    answer = post(admin, "/admin/users/new", username=username, name="某人", unit="")
    assert answer.status_code == 400
    assert field_error(answer.text, "username") == message
    assert User.select().count() == before


def test_create_user_field_errors(org, admin):
    answer = post(admin, "/admin/users/new", username="ok1", name="", unit="9999", position="长" * 65)
    assert answer.status_code == 400
    assert field_error(answer.text, "name") == "请填写姓名。"
    assert field_error(answer.text, "unit") == "单位不存在。"
    assert field_error(answer.text, "position") == "职务最多 64 个字。"
    assert 'value="ok1"' in answer.text  # kept
    assert not User.select().where(User.username == "ok1").exists()


def test_edit_user_changes_name_unit_position_and_the_pinyin_index(org, admin):
    answer = post(
        admin, f"/admin/users/{org.staff.id}", name="曾明", unit=str(org.office.id), position="副处长"
    )
    assert answer.status_code == 303
    user = User.get_by_id(org.staff.id)
    assert (user.name, user.unit_id, user.position, user.username) == (
        "曾明",
        org.office.id,
        "副处长",
        "hujing",
    )
    assert [u.username for u in search_people("zm")] == ["hujing"]
    entry = last_audit()
    assert entry.action == "core.user.update"
    assert '"name": ["胡晶", "曾明"]' in entry.detail
    bad = post(admin, f"/admin/users/{org.staff.id}", name="", unit="", position="")
    assert field_error(bad.text, "name") == "请填写姓名。"
    assert User.get_by_id(org.staff.id).name == "曾明"


def test_disable_ends_the_live_session_at_the_next_request(app, org, admin):
    with app_client(app) as person:
        login(person, "hujing")
        assert person.get("/").status_code == 200
        answer = post(admin, f"/admin/users/{org.staff.id}/status", status="disabled")
        assert answer.status_code == 303
        refused = person.get("/", follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login")
    assert User.get_by_id(org.staff.id).status == "disabled"
    assert not Session.select().where(Session.user == org.staff.id).exists()
    entry = last_audit()
    assert (entry.action, entry.summary) == ("core.user.status", "停用账号 胡晶（hujing）")
    assert post(admin, f"/admin/users/{org.staff.id}/status", status="active").status_code == 303
    assert post(admin, f"/admin/users/{org.staff.id}/status", status="left").status_code == 303
    assert User.get_by_id(org.staff.id).status == "left"
    same = post(admin, f"/admin/users/{org.staff.id}/status", status="left")
    assert page_error(same.text) == "账号 胡晶（hujing） 已是“离职”状态。"
    bogus = post(admin, f"/admin/users/{org.staff.id}/status", status="deleted")
    assert bogus.status_code == 400
    assert User.get_by_id(org.staff.id).status == "left"


def test_the_system_admin_cannot_disable_or_reset_own_account(org, admin):
    answer = post(admin, f"/admin/users/{org.sysadmin.id}/status", status="disabled")
    assert answer.status_code == 400
    assert page_error(answer.text) == "不能更改自己账号的状态。"
    reset = post(admin, f"/admin/users/{org.sysadmin.id}/reset")
    assert page_error(reset.text) == "不能重置自己的密码，请在“修改密码”中修改。"
    assert User.get_by_id(org.sysadmin.id).status == "active"


def test_reset_ends_sessions_and_the_one_time_password_works_once(app, org, admin, clock):
    with app_client(app) as person:
        login(person, "hujing")
        answer = post(admin, f"/admin/users/{org.staff.id}/reset")
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"
        password = one_time_password(answer.text)
        assert person.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert not Session.select().where(Session.user == org.staff.id).exists()
    entry = last_audit()
    assert entry.action == "core.user.reset_password"
    assert password not in entry.summary + entry.detail
    with app_client(app) as person:
        # The old password is gone.
        token = csrf_from(person.get("/login").text)
        old = person.post(
            "/login", data={"username": "hujing", "password": TEST_PASSWORD, "csrf_token": token}
        )
        assert old.status_code == 400
        token = login(person, "hujing", password)
        assert person.get("/", follow_redirects=False).headers["location"] == "/password"
        changed = person.post(
            "/password",
            data={"current": password, "new": "Neues@Pass9", "confirm": "Neues@Pass9", "csrf_token": token},
        )
        assert "密码已修改" in changed.text
        assert person.get("/").status_code == 200
    with app_client(app) as again:
        token = csrf_from(again.get("/login").text)
        reused = again.post("/login", data={"username": "hujing", "password": password, "csrf_token": token})
        assert reused.status_code == 400
    # The administrator's page never had a password field.
    assert 'type="password"' not in admin.get(f"/admin/users/{org.staff.id}").text


# ----------------------------------------------------------------------------------------------- API


@pytest.fixture
def api(admin):
    admin.headers["X-CSRF-Token"] = admin.token
    return admin


def test_api_units(org, api):
    created = api.post(
        "/api/v1/core/units",
        json={"code": "CWC", "name": "财务处", "kind": "department", "parent": org.bureau.id, "order": 4},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["code"] == "CWC" and body["parent_id"] == org.bureau.id and body["active"] is True
    assert last_audit().action == "core.unit.create"
    assert api.get(f"/api/v1/core/units/{body['id']}").json()["name"] == "财务处"
    patched = api.patch(f"/api/v1/core/units/{body['id']}", json={"name": "计划财务处"})
    assert patched.status_code == 200
    assert patched.json()["name"] == "计划财务处" and patched.json()["code"] == "CWC"
    bad = api.post("/api/v1/core/units", json={"code": "BGS", "name": "", "kind": "x"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"code", "name", "kind"}
    busy = api.post(f"/api/v1/core/units/{org.office.id}/deactivate")
    assert busy.status_code == 400
    assert "在岗人员" in busy.json()["error"]["message"]
    assert api.post(f"/api/v1/core/units/{body['id']}/deactivate").json()["active"] is False
    assert api.get("/api/v1/core/units/9999").status_code == 404
    assert api.patch("/api/v1/core/units/9999", json={}).status_code == 404
    assert (
        api.post(
            "/api/v1/core/units", content="[1]", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )


def test_api_users(app, org, api):
    listing = api.get("/api/v1/core/users", params={"unit": org.office.id})
    assert [u["username"] for u in listing.json()["items"]] == ["zhoujing"]
    assert api.get("/api/v1/core/users", params={"status": "gone"}).status_code == 400
    created = api.post("/api/v1/core/users", json={"username": "liming", "name": "李明", "unit": org.hr.id})
    assert created.status_code == 201
    body = created.json()
    assert body["must_change_password"] is True
    password = body["one_time_password"]
    assert "password" not in api.get(f"/api/v1/core/users/{body['id']}").text.replace(
        "must_change_password", ""
    )
    patched = api.patch(f"/api/v1/core/users/{body['id']}", json={"position": "科员"})
    assert (patched.json()["position"], patched.json()["name"]) == ("科员", "李明")
    assert (
        api.post(f"/api/v1/core/users/{body['id']}/status", json={"status": "disabled"}).json()["status"]
        == "disabled"
    )
    reset = api.post(f"/api/v1/core/users/{body['id']}/reset-password")
    assert reset.status_code == 200
    assert reset.json()["one_time_password"] not in (password, "")
    dup = api.post("/api/v1/core/users", json={"username": "LiMing", "name": "李明"})
    assert dup.json()["error"]["fields"] == {"username": "用户名 liming 已被使用。"}
    assert api.get("/api/v1/core/users/9999").status_code == 404
    assert api.post("/api/v1/core/users/9999/reset-password").status_code == 404
    actions = audit_actions()
    for action in ("core.user.create", "core.user.update", "core.user.status", "core.user.reset_password"):
        assert actions.count(action) == 1


def test_user_list_sorts_by_column(app, org, admin):
    add_user(app, "anna", name="艾娜", unit=org.office)
    by_name_desc = admin.get(
        "/admin/users", params={"unit": org.office.id, "sort": "username", "dir": "desc"}
    )
    assert usernames(by_name_desc.text) == ["zhoujing", "anna"]
    assert 'aria-sort="descending"' in by_name_desc.text
    default = admin.get("/admin/users", params={"unit": org.office.id, "sort": "password_hash"})
    assert usernames(default.text) == ["anna", "zhoujing"]  # unknown columns fall back to the username


def test_ids_that_are_not_ascii_digits_are_not_found(org, admin):
    admin.headers["X-CSRF-Token"] = admin.token
    assert usernames(admin.get("/admin/users", params={"unit": "²"}).text) == [
        "aud",
        "hujing",
        "sa",
        "sec",
        "zhoujing",
    ]
    refused = admin.post("/api/v1/core/users", json={"username": "wang", "name": "王五", "unit": "²"})
    assert refused.json()["error"]["fields"] == {"unit": "单位不存在。"}
    listed = admin.get("/api/v1/core/users", params={"unit": "²"})
    assert listed.json()["error"]["fields"] == {"unit": "单位不存在。"}
    odd = admin.post(
        "/api/v1/core/units", json={"code": "X9", "name": "某处", "kind": "department", "parent": True}
    )
    assert odd.json()["error"]["fields"] == {"parent": "上级单位不存在。"}
