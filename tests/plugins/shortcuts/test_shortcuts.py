"""快捷操作: pinning, ordering and removing one's own shortcuts, defaults per role, the widget, the API."""

from __future__ import annotations

import re

import pytest

from officium.core.loader import installed_plugins
from officium.plugins.shortcuts import service
from officium.plugins.shortcuts.models import DefaultShortcut, Shortcut
from officium.testing import add_user, app_client, login

URL = "/shortcuts/"
API = "/api/v1/shortcuts/items"


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["shortcuts"])


@pytest.fixture
def zhang(app):
    return add_user(app, "zhang", name="张三")


@pytest.fixture
def client(app, zhang):
    with app_client(app) as c:
        c.csrf = login(c, "zhang")
        yield c


def add(client, title="请假", url="/leave/", kind="action", **extra):
    data = {"title": title, "url": url, "kind": kind, "csrf_token": client.csrf, **extra}
    return client.post(URL, data=data, follow_redirects=False)


def field_error(html, name):
    found = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def nav_area(html, area):
    found = re.search(rf"<h2 [^>]*>{area}</h2>\s*<ul>(.*?)</ul>", html, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', found.group(1)) if found else []


def table(html):
    return re.search(r"<table.*?</table>", html, re.S).group(0)


def widget(html):
    return re.search(r'data-widget="shortcuts".*?</section>', html, re.S).group(0)


def test_it_is_a_first_party_plugin_the_demo_enables():
    assert installed_plugins()["shortcuts"].startswith("officium.plugins.")


def test_the_module_opens_from_the_navigation(client):
    assert nav_area(client.get("/").text, "快捷操作") == [
        ("/todo/", "待办中心"),
        ("/shortcuts/", "管理快捷操作"),
    ]
    page = client.get(URL)
    assert page.status_code == 200
    assert "<h1>我的快捷操作</h1>" in page.text
    assert "还没有快捷操作" in page.text


def test_adding_a_shortcut_shows_it_on_the_dashboard_and_in_the_navigation(client, zhang, clock):
    response = add(client, "起草发文", "/docs_outgoing/new")
    assert (response.status_code, response.headers["location"]) == (303, URL)
    page = client.get(URL).text
    assert '<p class="flash flash-ok" role="status">已添加快捷操作“起草发文”。</p>' in page
    row = Shortcut.get()
    assert (row.user_id, row.title, row.url, row.kind, row.created_at) == (
        zhang.id,
        "起草发文",
        "/docs_outgoing/new",
        "action",
        clock.now,
    )
    home = client.get("/").text
    assert '<a class="button" href="/docs_outgoing/new">起草发文</a>' in widget(home)
    assert nav_area(home, "快捷操作") == [
        ("/todo/", "待办中心"),  # the core's entry comes first
        ("/docs_outgoing/new", "起草发文"),
        ("/shortcuts/", "管理快捷操作"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "leave/",
        "/leave/ x",
        "/le\tave/",
        "data:text/html,<b>x</b>",
    ],
)
def test_only_local_paths_are_accepted(client, url):
    response = add(client, "外链", url)
    assert response.status_code == 400
    assert field_error(response.text, "url") == service.LOCAL_ONLY
    assert 'value="外链"' in response.text  # the title is kept
    assert Shortcut.select().count() == 0


def test_empty_and_overlong_fields_are_refused_beside_the_fields(client):
    response = add(client, "", "", kind="other")
    assert response.status_code == 400
    assert field_error(response.text, "title") == "请填写名称。"
    assert field_error(response.text, "url") == "请填写链接地址。"
    assert field_error(response.text, "kind") == "请选择类型。"
    response = add(client, "长" * 41, "/leave/")
    assert field_error(response.text, "title") == "名称不能超过 40 个字（现有 41 个）。"
    assert Shortcut.select().count() == 0


def test_a_link_elsewhere_can_fill_in_the_form(client):
    page = client.get(
        URL, params={"title": "收文 2026-12 号", "url": "/docs_incoming/12", "kind": "document"}
    )
    assert 'value="收文 2026-12 号"' in page.text
    assert 'value="/docs_incoming/12"' in page.text
    assert re.findall(r'name="kind" value="(\w+)" checked', page.text) == ["document"]


def test_at_most_thirty_shortcuts(client, zhang, clock):
    for n in range(service.MAX_PER_USER):
        service.add(zhang, f"第{n}项", f"/x/{n}", "action", clock.now)
    response = add(client)
    assert response.status_code == 400
    assert "最多可以设置 30 个快捷操作" in field_error(response.text, "title")


def test_removing_asks_for_confirmation_then_removes(client):
    add(client)
    row = Shortcut.get()
    page = client.get(URL).text
    assert (
        f'<form method="post" action="/shortcuts/{row.id}/delete" class="inline" '
        'data-confirm="确定移除快捷操作“请假”吗？">'
    ) in page
    response = client.post(f"{URL}{row.id}/delete", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert Shortcut.select().count() == 0
    assert "已移除快捷操作“请假”。" in client.get(URL).text


def test_another_users_shortcut_cannot_be_removed_or_moved(app, client):
    li = add_user(app, "li")
    theirs = service.add(li, "李四的", "/leave/", "action", app.clock())
    for action, data in (("delete", {}), ("move", {"direction": "up"})):
        response = client.post(f"{URL}{theirs.id}/{action}", data={"csrf_token": client.csrf, **data})
        assert response.status_code == 404
    assert Shortcut.get_by_id(theirs.id).title == "李四的"
    assert "李四的" not in client.get(URL).text


def test_shortcuts_are_reordered(client):
    for title in ("甲", "乙", "丙"):
        add(client, title, f"/{title}/")
    third = Shortcut.get(Shortcut.title == "丙")
    client.post(f"{URL}{third.id}/move", data={"csrf_token": client.csrf, "direction": "up"})
    assert [r.title for r in service.own(third.user)] == ["甲", "丙", "乙"]
    first = Shortcut.get(Shortcut.title == "甲")
    client.post(f"{URL}{first.id}/move", data={"csrf_token": client.csrf, "direction": "up"})  # already first
    assert [r.title for r in service.own(third.user)] == ["甲", "丙", "乙"]
    client.post(f"{URL}{first.id}/move", data={"csrf_token": client.csrf, "direction": "down"})
    assert [r.title for r in service.own(third.user)] == ["丙", "甲", "乙"]
    home = client.get("/").text
    assert [t for _, t in nav_area(home, "快捷操作")] == ["待办中心", "丙", "甲", "乙", "管理快捷操作"]


# ----------------------------------------------------------------------------------------- defaults


@pytest.fixture
def admin(app):
    with app_client(app) as c:
        add_user(app, "sysadmin", name="系统管理员", roles=["sysadmin"])
        c.csrf = login(c, "sysadmin")
        yield c


def add_default(admin, role, title, url, kind="action"):
    data = {"role": role, "title": title, "url": url, "kind": kind, "csrf_token": admin.csrf}
    return admin.post("/shortcuts/defaults", data=data, follow_redirects=False)


def test_only_the_system_administrator_sets_defaults(app, client, admin):
    assert client.get("/shortcuts/defaults").status_code == 403
    assert add_default(client, "staff", "请假", "/leave/").status_code == 403
    add_user(app, "secadmin", roles=["secadmin"])
    with app_client(app) as other:
        login(other, "secadmin")
        assert other.get("/shortcuts/defaults").status_code == 403
    assert DefaultShortcut.select().count() == 0
    assert ("/shortcuts/defaults", "默认快捷操作") in nav_area(admin.get("/").text, "系统管理")
    assert add_default(admin, "staff", "请假", "/leave/").status_code == 303
    assert DefaultShortcut.get().role == "staff"


def test_defaults_are_validated_like_shortcuts(admin):
    response = add_default(admin, "nobody", "外链", "//evil.example")
    assert response.status_code == 400
    assert field_error(response.text, "role") == "请选择角色。"
    assert field_error(response.text, "url") == service.LOCAL_ONLY
    assert DefaultShortcut.select().count() == 0


def test_a_user_without_own_shortcuts_sees_the_defaults_of_their_roles(app, admin):
    add_default(admin, "clerk", "收文登记", "/docs_incoming/new")
    add_default(admin, "staff", "请假", "/leave/")
    add_default(admin, "leader", "领导批示", "/approvals/")
    add_default(admin, "clerk", "请假（文书）", "/leave/")  # the same link again: shown once
    add_user(app, "zhou", roles=["clerk"])
    with app_client(app) as c:
        c.csrf = login(c, "zhou")
        home = c.get("/").text
        assert re.findall(r'class="button" href="([^"]+)"', widget(home)) == ["/docs_incoming/new", "/leave/"]
        assert "这是按您的角色预设的快捷操作" in widget(home)
        assert "下面是按您的角色预设的默认项" in c.get(URL).text
        add(c, "写邮件", "/mail/new")  # an own shortcut replaces the defaults
        home = c.get("/").text
        assert re.findall(r'class="button" href="([^"]+)"', widget(home)) == ["/mail/new"]


def test_the_defaults_can_be_copied_to_ones_own_list(app, admin, clock):
    add_default(admin, "staff", "请假", "/leave/")
    add_default(admin, "staff", "通讯录", "/contacts/")
    with app_client(app) as c:
        zhou = add_user(app, "zhou")
        c.csrf = login(c, "zhou")
        assert c.post(f"{URL}adopt", data={"csrf_token": c.csrf}, follow_redirects=False).status_code == 303
        assert [(r.title, r.position) for r in service.own(zhou)] == [("请假", 0), ("通讯录", 1)]
        assert "已将 2 个默认快捷操作复制到您的列表" in c.get(URL).text
        c.post(f"{URL}adopt", data={"csrf_token": c.csrf})
        assert service.own(zhou).count() == 2


def test_administrators_do_not_get_the_staff_defaults(app, admin):
    add_default(admin, "staff", "请假", "/leave/")
    assert "还没有快捷操作" in widget(admin.get("/").text)


def test_the_defaults_page_filters_sorts_and_removes(admin):
    add_default(admin, "clerk", "乙收文", "/docs_incoming/")
    add_default(admin, "staff", "甲请假", "/leave/")
    listing = table(admin.get("/shortcuts/defaults", params={"role": "clerk"}).text)
    assert "乙收文" in listing and "甲请假" not in listing
    ordered = table(admin.get("/shortcuts/defaults", params={"sort": "url", "dir": "desc"}).text)
    assert ordered.index("/leave/") < ordered.index("/docs_incoming/")
    assert 'aria-sort="descending"' in ordered
    row = DefaultShortcut.get(DefaultShortcut.title == "甲请假")
    assert f'action="/shortcuts/defaults/{row.id}/delete" class="inline" data-confirm=' in ordered
    response = admin.post(f"/shortcuts/defaults/{row.id}/delete", data={"csrf_token": admin.csrf})
    assert response.status_code == 200
    assert "已移除默认快捷操作“甲请假”。" in response.text
    assert [d.title for d in DefaultShortcut.select()] == ["乙收文"]


# ---------------------------------------------------------------------------------------------- API


def test_the_api_lists_creates_and_deletes_own_shortcuts(app, client):
    headers = {"X-CSRF-Token": client.csrf}
    created = client.post(API, json={"title": "请假", "url": "/leave/"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["url"], body["kind"], body["position"]) == ("请假", "/leave/", "action", 0)
    li = add_user(app, "li")
    theirs = service.add(li, "李四的", "/x/", "action", app.clock())
    listing = client.get(API).json()
    assert (listing["total"], [i["title"] for i in listing["items"]]) == (1, ["请假"])
    refused = client.delete(f"{API}/{theirs.id}", headers=headers)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert Shortcut.get_or_none(Shortcut.id == theirs.id) is not None
    assert client.delete(f"{API}/{body['id']}", headers=headers).status_code == 204
    assert client.get(API).json()["total"] == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"title": "x", "url": "javascript:alert(1)"}, {"url": service.LOCAL_ONLY}),
        ({"title": "x", "url": "//evil.example"}, {"url": service.LOCAL_ONLY}),
        ({"title": "", "url": "/leave/", "kind": "x"}, {"title": "请填写名称。", "kind": "请选择类型。"}),
        ({"title": 3, "url": "/leave/"}, {"title": "应为字符串。"}),
    ],
)
def test_the_api_refuses_bad_shortcuts_with_field_messages(client, payload, fields):
    response = client.post(API, json=payload, headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert Shortcut.select().count() == 0


def test_the_api_refuses_anonymous_callers(app):
    with app_client(app) as c:
        for response in (c.get(API), c.post(API, json={"title": "x", "url": "/x"}), c.delete(f"{API}/1")):
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthenticated"
