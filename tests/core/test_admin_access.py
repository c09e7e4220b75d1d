"""三员分立 at the door: each administrator's pages and API are closed to staff and to the other two, and the
auditor can change nothing anywhere in the site."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import Mount, Route

from officium import AUTHENTICATED, PUBLIC, Api, Page, Permission, hookimpl
from officium.core.admin import routes as admin_routes
from officium.core.audit import AuditEntry
from officium.core.identity.models import PolicySetting, RoleGrant, Unit, User
from officium.core.loader import installed_plugins
from officium.testing import app_client, login, make_plugin

from .admin_helpers import make_bureau

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
OWNER = {admin_routes.ACCOUNTS: "sa", admin_routes.SECURITY: "sec", admin_routes.AUDIT: "aud"}
#: Plausible values for every field an admin form or API takes, so that a route that forgot its permission
#: check would really change something.
PAYLOAD = {
    "code": "X1",
    "name": "新名字",
    "kind": "bureau",
    "parent": "",
    "order": "1",
    "username": "intruder",
    "unit": "",
    "position": "x",
    "status": "disabled",
    "role": "clerk",
    "grant": "1",
    "min_length": "7",
    "title": "x",
    "text": "x",
}


def concrete(path: str, ids: dict[str, int]) -> str:
    """A route pattern with its parameters filled: ``{id:int}`` by ``ids`` (or 1), others by ``x``."""

    def fill(match: re.Match[str]) -> str:
        name, conv = match.group(1), match.group(2)
        return str(ids.get(name, 1)) if conv == "int" else "x"

    return re.sub(r"{(\w+)(?::(\w+))?}", fill, path)


def send(client: Any, method: str, url: str, token: str) -> Any:
    if url.startswith("/api/"):
        return client.request(method, url, json=PAYLOAD, headers={"X-CSRF-Token": token})
    data = {**PAYLOAD, "csrf_token": token}
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.request(method, url, data=data, follow_redirects=False)


# ---------------------------------------------------------------------------------- the admin routes


@dataclass(frozen=True)
class AdminRoute:
    method: str
    url: str
    permission: str


def admin_route_list(org: Any) -> list[AdminRoute]:
    grant = RoleGrant.get(RoleGrant.user == org.clerk)
    found = []
    for declared in admin_routes.ROUTES:
        prefix = "/api/v1/core" if isinstance(declared, Api) else ""
        ids = {"id": org.office.id if "/units" in declared.path else org.clerk.id, "grant_id": grant.id}
        for method in declared.methods:
            found.append(AdminRoute(method, prefix + concrete(declared.path, ids), declared.permission))
    return found


@pytest.mark.parametrize("who", ["hujing", "zhoujing", "sa", "sec", "aud"])
def test_each_admin_area_is_closed_to_everyone_else(app, who):
    org = make_bureau(app)
    with app_client(app) as client:
        token = login(client, who)
        checked = 0
        for route in admin_route_list(org):
            if OWNER[route.permission] == who:
                continue
            answer = send(client, route.method, route.url, token)
            assert answer.status_code == 403, (who, route)
            if route.url.startswith("/api/"):
                assert answer.json()["error"]["code"] == "forbidden"
            else:
                assert "没有权限访问此页面。" in answer.text
            checked += 1
        assert checked >= 20
    # Nothing was changed by all those attempts.
    assert User.get_by_id(org.clerk.id).status == "active"
    assert not User.select().where(User.username == "intruder").exists()
    assert not Unit.select().where(Unit.code == "X1").exists()
    assert PolicySetting.select().count() == 0


@pytest.mark.parametrize("who", ["sa", "sec", "aud"])
def test_each_admin_opens_own_pages(app, who):
    org = make_bureau(app)
    with app_client(app) as client:
        login(client, who)
        own = [r for r in admin_route_list(org) if OWNER[r.permission] == who and r.method == "GET"]
        assert own
        for route in own:
            assert client.get(route.url).status_code == 200, route


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        ("sa", ["组织机构", "用户账号"], ["角色授权", "安全策略", "审计日志"]),
        ("sec", ["角色授权", "角色与权限", "安全策略"], ["用户账号", "审计日志", "登录记录"]),
        ("aud", ["审计日志", "登录记录"], ["组织机构", "用户账号", "角色授权"]),
        ("hujing", [], ["组织机构", "角色授权", "审计日志"]),
    ],
)
def test_menu_shows_each_admin_only_own_pages(app, who, visible, hidden):
    make_bureau(app)
    with app_client(app) as client:
        login(client, who)
        nav = client.get("/").text.split('aria-label="功能导航"', 1)[1].split("</nav>", 1)[0]
        for title in visible:
            assert f">{title}</a>" in nav
        for title in hidden:
            assert f">{title}</a>" not in nav


# ------------------------------------------------------------------------- the auditor changes nothing


def own_notes(request):
    return {"ok": True}


class WalkHooks:
    """A plugin with unsafe routes of each kind: a named permission the auditor lacks, and self-service."""

    @hookimpl
    def register_permissions(self, app):
        return [Permission("walk.edit", "编辑", default_roles=("clerk",))]

    @hookimpl
    def register_routes(self, app):
        return [
            Page("/items/{id:int}", own_notes, "item", "walk.edit", methods=("GET", "POST")),
            Api("/items", own_notes, "create", "walk.edit", methods=("POST",)),
            Api("/items/{id:int}", own_notes, "delete", "walk.edit", methods=("DELETE",)),
        ]


def first_party_plugins() -> list[str]:
    """The installed first-party plugins (what the demo site enables), so that the walk covers them too."""
    names = []
    for name, where in installed_plugins().items():
        module = where.split("（", 1)[0]
        if module.startswith("officium.plugins.") and importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


def walk(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str]]]:
    """Every (path pattern, methods) under ``routes``, recursing into mounts."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += walk(route.routes or [], prefix + route.path)
        elif isinstance(route, Route):
            found.append((prefix + route.path, set(route.methods or ())))
    return found


def declared_permissions(app: Any) -> dict[str, str]:
    """Route pattern → the permission it declares."""
    table = {}
    for plugin, pages in app.registry.pages.items():
        for page in pages:
            table[("" if plugin == "core" else f"/{plugin}") + page.path] = page.permission
    for plugin, apis in app.registry.apis.items():
        for api in apis:
            table[f"/api/v1/{plugin}{api.path}"] = api.permission
    return table


def snapshot(auditor_id: int) -> dict[str, Any]:
    """Everything an administrator could change, except the auditor's own account row."""
    return {
        "units": sorted(Unit.select().tuples()),
        "users": sorted(
            (u.id, u.username, u.name, u.unit_id, u.position, u.status, u.password_hash)
            for u in User.select().where(User.id != auditor_id)
        ),
        "grants": sorted(RoleGrant.select().tuples()),
        "policy": sorted(PolicySetting.select().tuples()),
        "audit": [(e.id, e.action) for e in AuditEntry.select().where(AuditEntry.actor != auditor_id)],
    }


def test_the_auditor_cannot_change_anything(site_factory):
    plugins = first_party_plugins()
    app = site_factory(plugins=plugins, extra_plugins=[make_plugin("walk", WalkHooks())])
    org = make_bureau(app)
    permissions = declared_permissions(app)
    unsafe = [
        (path, method) for path, methods in walk(app.asgi().routes) for method in sorted(methods & UNSAFE)
    ]
    assert ("/admin/users/{id:int}/status", "POST") in unsafe
    assert ("/api/v1/walk/items/{id:int}", "DELETE") in unsafe
    before = snapshot(org.auditor.id)
    refused, self_service = [], []
    with app_client(app) as client:
        token = login(client, "aud")
        for path, method in unsafe:
            if path == "/logout":
                continue  # ends the auditor's own session; checked last
            permission = permissions[path]
            answer = send(client, method, concrete(path, {}), token)
            if permission in (AUTHENTICATED, PUBLIC):
                # Open to every signed-in user for their own account (password, own sessions, own shortcuts…).
                self_service.append(path)
                assert answer.status_code != 500, path
            else:
                assert answer.status_code == 403, (method, path, answer.status_code)
                refused.append(path)
        assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert snapshot(org.auditor.id) == before
    assert len(refused) >= 20
    assert "/password" in self_service and "/login" in self_service
    # The auditor holds no permission that any unsafe route requires.
    held = app.registry.role_permissions("auditor")
    assert not [p for p in (permissions[path] for path, _ in unsafe) if p in held]
