"""The routing engine and the API conventions, seen from the outside through the ASGI app.

A ``demo`` plugin declares the permission ``demo.edit`` (held by ``clerk``), pages under ``/demo/`` and APIs under
``/api/v1/demo/``; a second plugin, ``assets``, is a real package folder with ``static/`` and ``templates/``.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import CharField
from starlette.responses import HTMLResponse

import officium
from officium import AUTHENTICATED, PUBLIC, Api, Page, Permission, hookimpl
from officium.core.app import OfficiumApp
from officium.core.db import BaseModel, write_transaction
from officium.core.identity.accounts import create_user
from officium.core.identity.models import Session, User
from officium.core.identity.sessions import COOKIE_NAME
from officium.core.identity.tokens import issue_token, revoke_token
from officium.core.loader import LoadedPlugin, from_package
from officium.core.web.api import ApiError, paginate
from officium.core.web.views import csrf_token, form_value, redirect
from officium.testing import (
    TEST_PASSWORD,
    FakeClock,
    add_user,
    app_client,
    close_site,
    csrf_from,
    login,
    make_plugin,
    make_site,
)

# ----------------------------------------------------------------------------------------- the plugin


class Item(BaseModel):
    title = CharField(max_length=100)

    class Meta:
        table_name = "demo_item"


def edit_page(request):
    if request.method == "GET":
        return HTMLResponse(
            f'<form method="post"><input type="hidden" name="csrf_token" value="{csrf_token(request)}"></form>'
        )
    Item.create(title=form_value(request, "title"))
    return redirect("/demo/edit")


def crash_page(request):
    Item.create(title="half-done")
    raise RuntimeError("secret-internal-detail")


def hello_page(request):
    return HTMLResponse("<p>hello</p>")


def api_items(request):
    query = Item.select().order_by(Item.id)
    return paginate(request, query, lambda item: {"id": item.id, "title": item.title})


def api_create(request):
    body = request.state.json
    title = str(body.get("title", "")).strip() if isinstance(body, dict) else ""
    if not title:
        raise ApiError(400, "invalid", "数据不完整。", {"title": "请填写标题。"})
    item = Item.create(title=title)
    return {"id": item.id, "title": item.title}


def api_item(request):
    item = Item.get_or_none(Item.id == request.path_params["id"])
    if item is None:
        raise ApiError(404, "not_found", "找不到该记录。")
    return {"id": item.id, "title": item.title}


def api_reject(request):
    Item.create(title="written-before-refusal")
    raise ApiError(409, "conflict", "已被他人处理。", {"title": "重复。"})


def api_crash(request):
    Item.create(title="half-done")
    raise RuntimeError("secret-internal-detail")


def busy(request):
    """A write, then what SQLite says when another writer held the lock past the busy timeout."""
    from peewee import OperationalError

    Item.create(title="half-done")
    raise OperationalError("database is locked")


def pool_exhausted(request):
    from playhouse.pool import MaxConnectionsExceeded

    raise MaxConnectionsExceeded("Max connections exceeded, timed out attempting to connect.")


class DemoHooks:
    @hookimpl
    def register_models(self, app):
        return [Item]

    @hookimpl
    def register_permissions(self, app):
        return [Permission("demo.edit", "编辑演示条目", default_roles=("clerk",))]

    @hookimpl
    def register_routes(self, app):
        return [
            Page("/edit", edit_page, "edit", "demo.edit", methods=("GET", "POST")),
            Page("/crash", crash_page, "crash", "demo.edit", methods=("POST",)),
            Page("/hello", hello_page, "hello", AUTHENTICATED),
            Api("/items", api_items, "items", "demo.edit", summary="条目列表"),
            Api("/items", api_create, "create", "demo.edit", methods=("POST",)),
            Api("/items/{id:int}", api_item, "item", "demo.edit"),
            Api("/reject", api_reject, "reject", "demo.edit", methods=("POST",)),
            Api("/crash", api_crash, "crash", "demo.edit", methods=("POST",)),
            Page("/busy", busy, "busy", "demo.edit", methods=("POST",)),
            Api("/busy", busy, "busy", "demo.edit", methods=("POST",)),
            Api("/pool", pool_exhausted, "pool", "demo.edit"),
            Api("/ping", lambda request: {"pong": True}, "ping", PUBLIC),
        ]


@pytest.fixture
def app(site_factory) -> OfficiumApp:
    site = site_factory(extra_plugins=[make_plugin("demo", DemoHooks())])
    site.db.create_tables([Item])  # the plugin has no migrations folder
    return site


@pytest.fixture
def clerk(app) -> User:
    return add_user(app, "clerk1", name="文书甲", roles=["clerk"])


@pytest.fixture
def staff(app) -> User:
    return add_user(app, "staff1", name="科员乙")


def items() -> list[str]:
    return [item.title for item in Item.select().order_by(Item.id)]


def error_of(response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


def set_session_cookie(client, value: str) -> None:
    """Make the browser send ``value`` as its session cookie (replacing the one the server set)."""
    client.cookies.delete(COOKIE_NAME)
    client.cookies.set(COOKIE_NAME, value, domain="testserver.local", path="/")


def assert_no_trace(text: str) -> None:
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", 'File "'):
        assert leak not in text


# ------------------------------------------------------------------------------------ authentication


def test_anonymous_page_redirects_to_login_with_next(app, client, clerk):
    response = client.get("/demo/edit?x=1&y=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/demo/edit%3Fx%3D1%26y%3D2"
    # Signing in from there comes back to the page asked for.
    token = csrf_from(client.get(response.headers["location"]).text)
    answer = client.post(
        response.headers["location"],
        data={"username": "clerk1", "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/demo/edit?x=1&y=2"


def test_anonymous_api_is_401_json(client):
    response = client.get("/api/v1/demo/items")
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "unauthenticated"
    assert error["message"]


def test_signed_in_without_permission_page_is_403_chinese_page(app, client, staff):
    login(client, "staff1")
    response = client.get("/demo/edit")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "没有权限访问此页面。" in response.text
    assert_no_trace(response.text)


def test_signed_in_without_permission_api_is_403_forbidden(app, client, staff):
    login(client, "staff1")
    response = client.get("/api/v1/demo/items")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_with_permission_page_and_api_are_200(app, client, clerk):
    login(client, "clerk1")
    assert client.get("/demo/edit").status_code == 200
    response = client.get("/api/v1/demo/items")
    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_authenticated_route_is_open_to_every_signed_in_user(app, client, staff):
    assert client.get("/demo/hello", follow_redirects=False).status_code == 303
    login(client, "staff1")
    assert client.get("/demo/hello").text == "<p>hello</p>"


def test_public_api_needs_no_sign_in(client):
    assert client.get("/api/v1/demo/ping").json() == {"pong": True}


# ---------------------------------------------------------------------------------------------- CSRF


def test_post_without_csrf_token_is_refused_and_writes_nothing(app, client, clerk):
    login(client, "clerk1")
    response = client.post("/demo/edit", data={"title": "no-token"}, follow_redirects=False)
    assert response.status_code == 403
    assert "请求来源校验失败" in response.text
    assert items() == []


def test_post_with_a_foreign_sessions_token_is_refused(app, client, clerk):
    add_user(app, "clerk2", roles=["clerk"])
    with app_client(app) as other:
        foreign = login(other, "clerk2")
    own = login(client, "clerk1")
    assert foreign != own
    response = client.post("/demo/edit", data={"title": "x", "csrf_token": foreign}, follow_redirects=False)
    assert response.status_code == 403
    assert items() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_post_is_refused_even_with_the_right_token(app, client, clerk, headers):
    token = login(client, "clerk1")
    response = client.post(
        "/demo/edit", data={"title": "x", "csrf_token": token}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 403
    assert items() == []


def test_post_with_the_right_token_writes(app, client, clerk):
    token = login(client, "clerk1")
    response = client.post(
        "/demo/edit",
        data={"title": "  第一条  ", "csrf_token": token},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/demo/edit"
    assert items() == ["第一条"]


def test_anonymous_post_needs_the_double_submit_cookie(app, client, clerk):
    # /login is public: its token is the anonymous cookie's, so a forged one is refused.
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": "clerk1", "password": TEST_PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert COOKIE_NAME not in client.cookies


# ------------------------------------------------------------------------------------- transactions


def test_view_that_writes_then_raises_is_rolled_back_with_a_500_page(app, clerk):
    with app_client(app, raise_server_exceptions=False) as client:
        token = login(client, "clerk1")
        response = client.post("/demo/crash", data={"csrf_token": token})
    assert response.status_code == 500
    assert "系统内部错误" in response.text
    assert_no_trace(response.text)
    assert items() == []


def test_api_that_writes_then_raises_is_rolled_back_with_a_500_json(app, clerk):
    with app_client(app, raise_server_exceptions=False) as client:
        token = login(client, "clerk1")
        response = client.post("/api/v1/demo/crash", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert_no_trace(response.text)
    assert items() == []


def test_a_locked_or_exhausted_database_is_a_clean_503_and_saves_nothing(app, clerk):
    with app_client(app, raise_server_exceptions=False) as client:
        token = login(client, "clerk1")
        page = client.post("/demo/busy", data={"csrf_token": token})
        api = client.post("/api/v1/demo/busy", json={}, headers={"X-CSRF-Token": token})
        pool = client.get("/api/v1/demo/pool")
    assert page.status_code == 503 and "系统繁忙，本次操作没有保存" in page.text
    assert page.headers["Retry-After"] == "5"
    assert_no_trace(page.text)
    assert api.status_code == 503 and error_of(api)["code"] == "busy"
    assert pool.status_code == 503 and error_of(pool)["code"] == "busy"
    assert items() == []


def test_api_error_after_a_write_rolls_it_back(app, client, clerk):
    token = login(client, "clerk1")
    response = client.post("/api/v1/demo/reject", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "conflict",
        "message": "已被他人处理。",
        "fields": {"title": "重复。"},
    }
    assert items() == []


# ---------------------------------------------------------------------------------------------- API


def test_api_post_with_json_and_csrf_header(app, client, clerk):
    token = login(client, "clerk1")
    response = client.post("/api/v1/demo/items", json={"title": "通知"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert response.json() == {"id": Item.get().id, "title": "通知"}
    assert client.get(f"/api/v1/demo/items/{Item.get().id}").json()["title"] == "通知"
    assert items() == ["通知"]


def test_api_post_with_session_but_no_csrf_header_is_refused(app, client, clerk):
    login(client, "clerk1")
    response = client.post("/api/v1/demo/items", json={"title": "通知"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    assert items() == []


def test_bearer_token_needs_no_csrf(app, client, clerk, clock):
    with write_transaction(app.db):
        token = issue_token(clerk, "erp", clock())
    response = client.post(
        "/api/v1/demo/items", json={"title": "来自接口"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert items() == ["来自接口"]
    assert COOKIE_NAME not in client.cookies


def test_revoked_or_unknown_token_is_401(app, client, clerk, clock):
    with write_transaction(app.db):
        token = issue_token(clerk, "erp", clock())
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/demo/items", headers=headers).status_code == 200
    with write_transaction(app.db):
        assert revoke_token(clerk, "erp", clock()) == 1
    response = client.get("/api/v1/demo/items", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    other = client.get("/api/v1/demo/items", headers={"Authorization": "Bearer ofm_not-a-real-token"})
    assert other.status_code == 401


def test_token_of_a_user_without_permission_is_403(app, client, staff, clock):
    with write_transaction(app.db):
        token = issue_token(staff, "erp", clock())
    response = client.get("/api/v1/demo/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_invalid_json_is_400(app, client, clerk, clock):
    with write_transaction(app.db):
        token = issue_token(clerk, "erp", clock())
    response = client.post(
        "/api/v1/demo/items",
        content=b'{"title": ',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
    assert items() == []


def test_api_error_with_fields_has_the_standard_shape(app, client, clerk):
    token = login(client, "clerk1")
    response = client.post("/api/v1/demo/items", json={"title": "  "}, headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": "数据不完整。", "fields": {"title": "请填写标题。"}}
    }


def test_api_error_without_fields_leaves_fields_out(app, client, clerk):
    login(client, "clerk1")
    response = client.get("/api/v1/demo/items/999")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "找不到该记录。"}}


def test_paginate(app, client, clerk):
    with write_transaction(app.db):
        for n in range(5):
            Item.create(title=f"第{n}条")
    login(client, "clerk1")
    page = client.get("/api/v1/demo/items?page=2&per_page=2").json()
    assert page == {
        "items": [
            {"id": page["items"][0]["id"], "title": "第2条"},
            {"id": page["items"][1]["id"], "title": "第3条"},
        ],
        "page": 2,
        "per_page": 2,
        "total": 5,
    }
    last = client.get("/api/v1/demo/items?page=3&per_page=2").json()
    assert [i["title"] for i in last["items"]] == ["第4条"]
    beyond = client.get("/api/v1/demo/items?page=9&per_page=2").json()
    assert beyond["items"] == []
    assert beyond["total"] == 5


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("per_page=0", {"per_page"}),
        ("per_page=101", {"per_page"}),
        ("page=x", {"page"}),
        ("page=0", {"page"}),
        ("page=-1", {"page"}),
        ("page=x&per_page=0", {"page", "per_page"}),
    ],
)
def test_paginate_refuses_bad_parameters(app, client, clerk, query, bad):
    login(client, "clerk1")
    response = client.get(f"/api/v1/demo/items?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_query"
    assert set(error["fields"]) == bad


def test_openapi_requires_sign_in(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_openapi_lists_every_api(app, client, staff):
    login(client, "staff1")
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    expected = {
        (f"/api/v1/{plugin}" + re.sub(r"{(\w+):\w+}", r"{\1}", api.path), method.lower()): (plugin, api)
        for plugin, apis in app.registry.apis.items()
        for api in apis
        for method in api.methods
    }
    listed = {(path, method) for path, ops in paths.items() for method in ops}
    assert listed == set(expected)
    for (path, method), (plugin, api) in expected.items():
        operation = paths[path][method]
        assert operation["operationId"] == f"{plugin}.{api.name}"
        assert operation["x-permission"] == api.permission
    assert paths["/api/v1/demo/items"]["get"]["summary"] == "条目列表"
    assert paths["/api/v1/demo/items"]["post"]["operationId"] == "demo.create"
    item = paths["/api/v1/demo/items/{id}"]["get"]
    assert item["operationId"] == "demo.item"
    assert item["x-permission"] == "demo.edit"
    assert item["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    assert "parameters" not in paths["/api/v1/demo/items"]["get"]
    assert paths["/api/v1/demo/ping"]["get"]["security"] == []
    assert paths["/api/v1/core/me"]["get"]["operationId"] == "core.me"


def test_openapi_with_bearer_token(app, client, staff, clock):
    with write_transaction(app.db):
        token = issue_token(staff, "erp", clock())
    response = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


# -------------------------------------------------------------------------------------- error answers


def test_unknown_page_is_a_chinese_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "找不到该页面或记录" in response.text
    assert "Not Found" not in response.text


def test_unknown_page_inside_a_plugin_is_404(client):
    assert client.get("/demo/no-such-page").status_code == 404


def test_unknown_api_is_a_json_404(client):
    response = client.get("/api/v1/demo/no-such-api")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405(app, client, clerk):
    login(client, "clerk1")
    response = client.get("/demo/crash")
    assert response.status_code == 405
    assert "不支持该请求方式" in response.text


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp


def test_security_headers_on_pages_api_redirects_and_errors(app, client, staff):
    assert_security_headers(client.get("/login"))
    assert_security_headers(client.get("/", follow_redirects=False))
    assert_security_headers(client.get("/no/such/page"))
    assert_security_headers(client.get("/api/v1/demo/items"))
    assert_security_headers(client.get("/health"))
    assert_security_headers(client.get("/static/core/officium.css"))
    login(client, "staff1")
    assert_security_headers(client.get("/demo/edit"))
    assert_security_headers(client.get("/"))


def test_security_headers_on_a_500_page(app, clerk):
    with app_client(app, raise_server_exceptions=False) as client:
        token = login(client, "clerk1")
        response = client.post("/demo/crash", data={"csrf_token": token})
    assert response.status_code == 500
    assert_security_headers(response)


# ------------------------------------------------------------------------------- static and templates

ASSETS_HOOKS = """
from officium import PUBLIC, Page, hookimpl
from officium.core.web.views import render


def hello(request):
    return render(request, "assets/hello.html")


@hookimpl
def register_routes(app):
    return [Page("/hello", hello, "hello", PUBLIC)]
"""

ASSETS_TEMPLATE = """{% extends "core/base.html" %}
{% block content %}<p>PLUGIN-HELLO</p>{% endblock %}
"""


def disk_plugin(root: Path, monkeypatch: pytest.MonkeyPatch) -> LoadedPlugin:
    """The ``assets`` plugin as a real package folder, imported and loaded like an installed one."""
    package = f"ofm_assets_{uuid.uuid4().hex[:10]}"
    folder = root / package
    (folder / "static" / "img").mkdir(parents=True)
    (folder / "templates" / "assets").mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from officium import PluginInfo\nPLUGIN = PluginInfo(name='assets', title='资源', area='政务管理')\n",
        encoding="utf-8",
    )
    (folder / "hooks.py").write_text(ASSETS_HOOKS, encoding="utf-8")
    (folder / "static" / "assets.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    (folder / "static" / "img" / "dot.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8"
    )
    (folder / "templates" / "assets" / "hello.html").write_text(ASSETS_TEMPLATE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return from_package(importlib.import_module(package), expected_name="assets")


@pytest.fixture
def site_with_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> Iterator[OfficiumApp]:
    """A site with the ``assets`` plugin and a site-level ``templates/`` folder overriding two templates."""
    site_dir = tmp_path / "site"
    (site_dir / "templates" / "core").mkdir(parents=True)
    (site_dir / "templates" / "assets").mkdir(parents=True)
    (site_dir / "templates" / "core" / "login.html").write_text(
        '{% extends "core:core/login.html" %}\n'
        "{% block body %}<p>SITE-LOGIN-BANNER</p>{{ super() }}{% endblock %}\n",
        encoding="utf-8",
    )
    (site_dir / "templates" / "assets" / "hello.html").write_text(
        '{% extends "assets:assets/hello.html" %}\n'
        "{% block content %}<p>SITE-HELLO</p>{{ super() }}{% endblock %}\n",
        encoding="utf-8",
    )
    plugin = disk_plugin(tmp_path / "packages", monkeypatch)
    app = make_site(site_dir, extra_plugins=[plugin], clock=clock)
    yield app
    close_site(app)


def test_static_files_of_a_plugin_are_served(site_with_overrides):
    with app_client(site_with_overrides) as client:
        css = client.get("/static/assets/assets.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "#123456" in css.text
        assert client.get("/static/assets/img/dot.svg").status_code == 200
        assert client.get("/static/assets/missing.css").status_code == 404
        assert client.get("/static/assets/../hooks.py").status_code == 404
        assert client.get("/static/assets/%2e%2e/hooks.py").status_code == 404
        assert client.get("/static/core/officium.css").status_code == 200


def test_site_template_overrides_core_and_can_extend_the_original(site_with_overrides):
    with app_client(site_with_overrides) as client:
        page = client.get("/login").text
    assert "SITE-LOGIN-BANNER" in page
    assert 'name="username"' in page  # the original form, reached through "core:core/login.html"
    assert page.index("SITE-LOGIN-BANNER") < page.index('name="username"')


def test_site_template_overrides_a_plugin_template(site_with_overrides):
    with app_client(site_with_overrides) as client:
        page = client.get("/assets/hello").text
    assert "SITE-HELLO" in page
    assert "PLUGIN-HELLO" in page


def test_core_prefix_reaches_the_original_template(site_with_overrides):
    env = site_with_overrides.jinja_env
    assert "SITE-LOGIN-BANNER" in env.get_template("core/login.html").render(
        csrf_field="", next_url="/", username="", error=""
    )
    original = env.get_template("core:core/login.html").render(
        csrf_field="", next_url="/", username="", error=""
    )
    assert "SITE-LOGIN-BANNER" not in original
    assert 'name="username"' in original


def test_plugin_template_without_override(tmp_path, monkeypatch, clock):
    plugin = disk_plugin(tmp_path / "packages", monkeypatch)
    site = make_site(tmp_path / "plain", extra_plugins=[plugin], clock=clock)
    try:
        with app_client(site) as client:
            page = client.get("/assets/hello").text
    finally:
        close_site(site)
    assert "PLUGIN-HELLO" in page
    assert "SITE-HELLO" not in page


# --------------------------------------------------------------------------------------- core: login


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client, staff):
    token = csrf_from(client.get("/login").text)
    wrong = client.post("/login", data={"username": "staff1", "password": "Wrong@Pass1", "csrf_token": token})
    unknown = client.post(
        "/login", data={"username": "nobody", "password": "Wrong@Pass1", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码不正确。" in wrong.text
    assert "用户名或密码不正确。" in unknown.text
    assert COOKIE_NAME not in client.cookies


def test_disabled_user_cannot_sign_in(app, client, staff):
    User.update(status="disabled").where(User.id == staff.id).execute()
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "staff1", "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "用户名或密码不正确。" in response.text
    assert COOKIE_NAME not in client.cookies


def test_disabling_a_user_ends_their_sessions(app, client, staff):
    login(client, "staff1")
    User.update(status="disabled").where(User.id == staff.id).execute()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_login_ignores_a_planted_session_cookie(app, client, staff):
    set_session_cookie(client, "attacker-chosen-value")
    login(client, "staff1")
    assert client.cookies[COOKIE_NAME] != "attacker-chosen-value"
    assert client.get("/").status_code == 200


def test_signing_in_again_issues_a_new_session_and_ends_the_old(app, client, staff):
    token = login(client, "staff1")
    before = client.cookies[COOKIE_NAME]
    response = client.post(
        "/login",
        data={"username": "staff1", "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = client.cookies[COOKIE_NAME]
    assert after != before
    assert Session.select().count() == 1
    set_session_cookie(client, before)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_revokes_the_session_server_side(app, client, staff):
    token = login(client, "staff1")
    cookie = client.cookies[COOKIE_NAME]
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert Session.select().count() == 0
    set_session_cookie(client, cookie)
    replay = client.get("/", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/login?next=/"


def test_logout_needs_the_csrf_token(app, client, staff):
    login(client, "staff1")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200


def test_idle_timeout_is_30_minutes(app, client, staff, clock):
    login(client, "staff1")
    cookie = client.cookies[COOKIE_NAME]
    for _ in range(3):  # activity keeps the session alive well past 30 minutes in total
        clock.advance(minutes=29)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    set_session_cookie(client, cookie)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert Session.select().count() == 0


def test_absolute_timeout_is_12_hours(app, client, staff, clock):
    login(client, "staff1")
    for _ in range(28):  # 11 h 40 min of steady activity
        clock.advance(minutes=25)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=25)  # 12 h 05 min after sign-in, though only 25 minutes idle
    assert client.get("/", follow_redirects=False).status_code == 303
    assert Session.select().count() == 0


def test_api_session_expires_too(app, client, staff, clock):
    login(client, "staff1")
    assert client.get("/api/v1/core/me").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/api/v1/core/me").status_code == 401


# ------------------------------------------------------------------------------------ password change


def field_error(html: str, name: str) -> str | None:
    """The error shown inside the form field of input ``name``, or None."""
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', html, flags=re.S):
        if f'name="{name}"' in block:
            found = re.search(r'class="field-error"[^>]*>(.*?)<', block, flags=re.S)
            return found.group(1).strip() if found else None
    raise AssertionError(f"no field {name} in page")


@pytest.fixture
def one_time(app) -> tuple[User, str]:
    with write_transaction(app.db):
        user, password = create_user("newbie", "新人", app.clock())
    assert password is not None
    return user, password


def test_one_time_password_forces_a_change_everywhere(app, client, one_time):
    _, password = one_time
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "newbie", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/password"
    # /plugins needs a permission newbie lacks: the password change still comes first.
    for path in ("/", "/demo/hello", "/?page=2", "/plugins"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/password"
    api = client.get("/api/v1/core/me")
    assert api.status_code == 403
    assert error_of(api)["code"] == "password_change_required"
    assert client.get("/password").status_code == 200


def test_password_change_errors_are_shown_beside_the_field(app, client, one_time):
    user, password = one_time
    token = login(client, "newbie", password)
    wrong = client.post(
        "/password",
        data={
            "current": "Wrong@Pass1",
            "new": "Better@Pass9",
            "confirm": "Better@Pass9",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    assert field_error(wrong.text, "current") == "当前密码不正确。"
    assert field_error(wrong.text, "new") is None
    weak = client.post(
        "/password", data={"current": password, "new": "short", "confirm": "short", "csrf_token": token}
    )
    assert weak.status_code == 400
    assert "密码至少 8 个字符。" in (field_error(weak.text, "new") or "")
    assert field_error(weak.text, "current") is None
    mismatch = client.post(
        "/password",
        data={"current": password, "new": "Better@Pass9", "confirm": "Better@Pass8", "csrf_token": token},
    )
    assert field_error(mismatch.text, "confirm") == "两次输入的新密码不一致。"
    assert User.get_by_id(user.id).must_change_password
    assert client.get("/", follow_redirects=False).headers["location"] == "/password"


def test_after_changing_the_password_the_site_opens(app, client, one_time):
    user, password = one_time
    token = login(client, "newbie", password)
    done = client.post(
        "/password",
        data={"current": password, "new": "Better@Pass9", "confirm": "Better@Pass9", "csrf_token": token},
    )
    assert done.status_code == 200
    assert "密码已修改" in done.text
    assert not User.get_by_id(user.id).must_change_password
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/core/me").json()["username"] == "newbie"
    with app_client(app) as fresh:
        login(fresh, "newbie", "Better@Pass9")
        assert fresh.get("/", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------------------------- next, health, plugins


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/demo/hello", "/demo/hello"),
        ("//evil.example", "/"),
        ("//evil.example/path", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_only_followed_for_local_paths(app, client, staff, next_url, expected):
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        params={"next": next_url},
        data={"username": "staff1", "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_signed_in_user_opening_login_goes_to_next(app, client, staff):
    login(client, "staff1")
    response = client.get("/login", params={"next": "//evil.example"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_health_is_public_json(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": officium.__version__}


def test_plugins_page_requires_core_plugins_view(app, client, staff):
    add_user(app, "sa", roles=["sysadmin"])
    login(client, "staff1")
    assert client.get("/plugins").status_code == 403
    assert client.get("/api/v1/core/plugins").status_code == 403
    with app_client(app) as admin:
        login(admin, "sa")
        page = admin.get("/plugins")
        assert page.status_code == 200
        assert "demo" in page.text
        assert [p["name"] for p in admin.get("/api/v1/core/plugins").json()] == ["core", "demo"]


def test_non_ascii_digits_in_paging_are_a_clean_error(app, client):
    from officium.testing import add_user, login

    add_user(app, "digits")
    login(client, "digits")
    answer = client.get("/api/v1/core/units", params={"page": "²"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_query"


def test_api_tokens_are_limited_to_their_scopes_and_to_the_api(app, client):
    from officium.core.db import write_transaction
    from officium.core.identity.tokens import issue_token
    from officium.testing import add_user

    user = add_user(app, "integrator")
    with write_transaction(app.db):
        scoped = issue_token(user, "scoped", app.clock(), scopes=["shortcuts"])
        everything = issue_token(user, "all", app.clock())
    refused = client.get("/api/v1/core/me", headers={"Authorization": f"Bearer {scoped}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "token_scope"
    assert client.get("/api/v1/core/me", headers={"Authorization": f"Bearer {everything}"}).status_code == 200
    # a bearer token never signs in to the web pages
    page = client.get("/", headers={"Authorization": f"Bearer {everything}"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_json_object_accepts_only_an_object_and_an_empty_body_when_allowed():
    from types import SimpleNamespace

    from officium.core.web.api import ApiError, json_object

    def request(body):
        return SimpleNamespace(state=SimpleNamespace(json=body))

    assert json_object(request({"a": 1})) == {"a": 1}
    assert json_object(request(None), required=False) == {}
    for body, required in (([1, 2], True), ("text", False), (None, True)):
        with pytest.raises(ApiError) as refused:
            json_object(request(body), required=required)
        assert refused.value.status == 400 and refused.value.message == "请求体应为 JSON 对象。"
