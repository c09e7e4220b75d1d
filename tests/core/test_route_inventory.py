"""Deny by default, proved over the whole route inventory.

1. Every mounted route (the core, a test plugin, and the installed first-party plugins) × each of its
   methods, asked without signing in, is refused: pages redirect to the sign-in page, the API answers 401.
   Only the allowlist is open, and the set of PUBLIC routes must equal it, so a new public route fails here
   until someone reviews it.
2. Object level: signed in as an ordinary user A, every route that takes an id, called with the ids of
   user B's records (account, grant, unit, session label, API token, personal records of the plugins),
   answers 403 or 404 and changes nothing of B's.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest
from starlette.routing import Mount, Route

from officium import AUTHENTICATED, PUBLIC, Api, Page, Permission, hookimpl
from officium.core.identity.models import RoleGrant, Session, Unit, User
from officium.core.identity.sessions import end_session_by_label, session_label
from officium.core.identity.tokens import ApiToken, find_token_user, issue_token, revoke_token
from officium.core.loader import installed_plugins
from officium.testing import add_unit, add_user, app_client, login, make_plugin

#: Reachable without signing in, and why.
ALLOWLIST = {
    "/login": "the sign-in form",
    "/health": "liveness check for load balancers; reveals only the version",
}
ALLOWED_PREFIXES = ("/static/",)  # the plugins' shipped CSS/JS/images (no data)


def item_view(request):
    return {"id": request.path_params["id"]}


class InventoryHooks:
    """A test plugin with pages and APIs of every kind: plain, id-taking, unsafe, authenticated-only."""

    @hookimpl
    def register_permissions(self, app):
        return [Permission("inventory.edit", "编辑", default_roles=("clerk",))]

    @hookimpl
    def register_routes(self, app):
        return [
            Page("/", item_view, "index", AUTHENTICATED),
            Page("/items/{id:int}", item_view, "item", "inventory.edit", methods=("GET", "POST")),
            Page("/items/{id:int}/delete", item_view, "delete", "inventory.edit", methods=("POST",)),
            Api("/items", item_view, "items", AUTHENTICATED),
            Api("/items/{id:int}", item_view, "api_item", "inventory.edit", methods=("GET", "PUT", "DELETE")),
        ]


def first_party_plugins() -> list[str]:
    names = []
    for name, where in installed_plugins().items():
        module = where.split("（", 1)[0]
        if module.startswith("officium.plugins.") and importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


@pytest.fixture
def site(site_factory):
    return site_factory(
        plugins=first_party_plugins(), extra_plugins=[make_plugin("inventory", InventoryHooks())]
    )


def inventory(routes: list[Any], prefix: str = "") -> list[tuple[str, str, Any]]:
    """(path pattern, method, route) for every route under ``routes``; static mounts as one entry."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                found += inventory(route.routes, prefix + route.path)
            else:
                found.append((prefix + route.path + "/{path}", "GET", route))
        elif isinstance(route, Route):
            found += [(prefix + route.path, method, route) for method in sorted(route.methods or ())]
    return found


def fill(path: str, value: int = 1) -> str:
    return re.sub(r"{(\w+)(?::(\w+))?}", lambda m: str(value) if m.group(2) == "int" else "x", path)


def declared(app: Any) -> dict[str, str]:
    table = {}
    for plugin, pages in app.registry.pages.items():
        for page in pages:
            table[("" if plugin == "core" else f"/{plugin}") + page.path] = page.permission
    for plugin, apis in app.registry.apis.items():
        for api in apis:
            table[f"/api/v1/{plugin}{api.path}"] = api.permission
    return table


# --------------------------------------------------------------------------------------- unauthenticated


def test_every_route_refuses_the_anonymous_except_the_allowlist(site):
    routes = inventory(site.asgi().routes)
    paths = {path for path, _, _ in routes}
    # The walk really covers the core, the admin pages, the API, the test plugin and the plugins' mounts.
    for expected in (
        "/",
        "/admin/users/{id:int}",
        "/api/v1/core/users/{id:int}",
        "/inventory/items/{id:int}",
        "/api/v1/inventory/items/{id:int}",
        "/api/v1/openapi.json",
    ):
        assert expected in paths
    assert len(routes) > 80
    permissions = declared(site)
    public = {path for path, permission in permissions.items() if permission == PUBLIC}
    assert public == set(ALLOWLIST), "a PUBLIC route was added or removed: review it and update ALLOWLIST"
    checked = 0
    with app_client(site) as client:
        for path, method, _ in routes:
            url = fill(path)
            if path in ALLOWLIST or url.startswith(ALLOWED_PREFIXES):
                continue
            answer = client.request(method, url, follow_redirects=False)
            if (
                path not in permissions
                and path.count("/") == 1
                and path[1:] in {p.name for p in site.plugins}
            ):
                # The bare /<plugin> route only redirects to /<plugin>/ (which is itself checked).
                assert (answer.status_code, answer.headers["location"]) == (308, f"{path}/"), path
                continue
            if url.startswith("/api/"):
                assert answer.status_code == 401, (method, path, answer.status_code)
                if method != "HEAD":
                    assert answer.json()["error"]["code"] == "unauthenticated"
            else:
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"].startswith("/login?next="), (method, path)
            checked += 1
    assert checked > 70


def test_the_allowlist_is_really_open(site):
    with app_client(site) as client:
        assert client.get("/login").status_code == 200
        assert client.get("/health").json()["status"] == "ok"
        assert client.get("/static/core/officium.css").status_code == 200


# ---------------------------------------------------------------------------------------- object level


def test_user_a_cannot_reach_user_bs_records_by_id(site):
    app = site
    office = add_unit(app, "BGS", "办公室")
    add_user(app, "usera", name="甲", unit=office)
    # Others in between, so that B's ids differ from A's own account and unit ids.
    for n in range(5):
        add_user(app, f"filler{n}", unit=add_unit(app, f"F{n}"), roles=["clerk"])
    other = add_unit(app, "RSC", "人事处")
    b = add_user(app, "userb", name="乙", unit=other, roles=["clerk"])
    b_token = issue_token(b, "erp", app.clock())
    with app_client(app) as b_client:
        b_csrf = login(b_client, "userb")
        # B's personal records in the plugins that keep some (common opinions, shortcuts…), through their API.
        for url, body in (
            ("/api/v1/profile/opinions", {"text": "同意。"}),
            ("/api/v1/shortcuts/items", {"title": "收文", "url": "/"}),
        ):
            if any(url.startswith(f"/api/v1/{p.name}/") for p in app.plugins):
                for n in range(2):  # two each, so that one id is above A's own ids
                    each = (
                        {k: f"{v}{n}" for k, v in body.items()}
                        if "text" in body
                        else {**body, "title": f"收文{n}"}
                    )
                    made = b_client.post(url, json=each, headers={"X-CSRF-Token": b_csrf})
                    assert made.status_code in (200, 201), made.text
        b_session = Session.get(Session.user == b)
        personal = owned(app, b)
        ids = sorted({b.id, other.id, RoleGrant.get(RoleGrant.user == b).id} | {row[1] for row in personal})
        before = {**_state_of(b), "personal": personal}
        refused = 0
        with app_client(app) as a_client:
            a_csrf = login(a_client, "usera")
            a = User.get(User.username == "usera")
            # A owns no records, only the activity rows signing in writes (presence); A's own account and
            # unit would be answered legitimately, so their ids are left out.
            activity = {row[0] for row in owned(app, a)}
            ids = [i for i in ids if i not in (a.id, office.id)]
            assert len(ids) >= 3, ids
            for path, method, _ in inventory(app.asgi().routes):
                if "{" not in path or path.startswith("/static/"):
                    continue
                values = [session_label(b_session)] if "{label}" in path else ids
                for value in values:
                    url = path.replace("{label}", str(value)) if "{label}" in path else fill(path, value)
                    headers = {"X-CSRF-Token": a_csrf}
                    answer = a_client.request(
                        method,
                        url,
                        headers=headers,
                        data=None
                        if url.startswith("/api/")
                        else {"csrf_token": a_csrf, "status": "disabled", "text": "改", "title": "改"},
                        json={"status": "disabled", "text": "改"} if url.startswith("/api/") else None,
                        follow_redirects=False,
                    )
                    assert answer.status_code in (403, 404), (method, url, answer.status_code)
                    refused += 1
        assert refused > 30
        assert [row for row in owned(app, a) if row[0] not in activity] == []  # nothing created either
        # B's records, session and token all survived.
        after = {**_state_of(b), "personal": owned(app, b)}
        # B's own activity may add rows (presence), but none of B's rows was changed or removed.
        assert set(before.pop("personal")) <= set(after.pop("personal"))
        assert after == before
        assert b_client.get("/").status_code == 200
    # No HTTP route revokes another user's API token or session: the service functions refuse it as well.
    a = User.get(User.username == "usera")
    assert revoke_token(a, "erp", app.clock()) == 0
    assert end_session_by_label(a, before["session"]) is False
    assert find_token_user(b_token, app.clock()).id == b.id


def personal_models(app: Any) -> list[tuple[Any, Any]]:
    """(model, owner field) of the plugins' tables that belong to one user, such as 常用意见 or shortcuts."""
    found = []
    for plugin, models in app.registry.models.items():
        for model in models if plugin != "core" else []:
            for field in model._meta.refs:
                if field.rel_model is User and field.name in ("user", "owner"):
                    found.append((model, field))
    return found


def owned(app: Any, user: User) -> list[tuple[Any, ...]]:
    """Every personal row of ``user`` in the plugins' tables."""
    return sorted(
        (model._meta.table_name, *row)
        for model, field in personal_models(app)
        for row in model.select().where(field == user).tuples()
    )


def _state_of(user: User) -> dict[str, Any]:
    return {
        "user": User.select().where(User.id == user.id).tuples().get(),
        "grants": sorted(RoleGrant.select().where(RoleGrant.user == user).tuples()),
        "session": session_label(Session.get(Session.user == user)),
        "tokens": sorted(ApiToken.select().where(ApiToken.user == user).tuples()),
        "units": sorted(Unit.select().tuples()),
    }
