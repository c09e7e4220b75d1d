"""What the ``register_*`` hooks return is validated once, at start-up; duplicates name both plugins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import CharField

import officium.testing
from officium import AUTHENTICATED, PUBLIC, Api, Page, Permission, Role, Setting, hookimpl
from officium.core import declarations
from officium.core.app import OfficiumApp
from officium.core.db import BaseModel, database
from officium.core.errors import StartupError
from officium.core.loader import LoadedPlugin
from officium.testing import FakeClock, close_site, drop_test_schema, make_plugin, make_site


class DocFile(BaseModel):
    name = CharField()

    class Meta:
        table_name = "doc_archive_file"


class DocFileAgain(BaseModel):
    name = CharField()

    class Meta:
        table_name = "doc_archive_file"


class Unprefixed(BaseModel):
    name = CharField()

    class Meta:
        table_name = "thing"


def view(request):
    return None


@pytest.fixture
def start(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., OfficiumApp]]:
    """``start(*plugins, settings=...)`` makes a site; sites that failed to start are cleaned up too.

    A start-up that fails in ``collect_registry`` has already opened the database (and, on PostgreSQL, made a
    schema), but the app never reaches the test; the schema names are recorded here to drop them after.
    """
    schemas: list[str | None] = []
    real = officium.testing.database_url_for_test

    def recording(site_dir: Path) -> tuple[str, str | None]:
        url, schema = real(site_dir)
        schemas.append(schema)
        return url, schema

    monkeypatch.setattr(officium.testing, "database_url_for_test", recording)
    apps: list[OfficiumApp] = []
    counter = iter(range(100))

    def factory(*plugins: LoadedPlugin, settings: dict[str, dict[str, Any]] | None = None) -> OfficiumApp:
        app = make_site(
            tmp_path / f"site{next(counter)}", extra_plugins=plugins, clock=clock, settings=settings
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        close_site(app)
    opened = database.obj
    if opened is not None:
        opened.close_all() if hasattr(opened, "close_all") else opened.close()
    for schema in schemas:
        drop_test_schema(schema)


def plugin(name: str, **hooks: Callable[..., Any]) -> LoadedPlugin:
    """A plugin whose register hooks return fixed values: ``plugin("x", register_roles=[...])``."""
    namespace: dict[str, Any] = {}
    for hook_name, value in hooks.items():

        def impl(self, app, _value=value):
            return _value

        impl.__name__ = hook_name
        namespace[hook_name] = hookimpl(impl)
    # pluggy does not pass arguments that have defaults, which is what keeps ``_value`` bound.
    return make_plugin(name, type(f"{name.title()}Hooks", (), namespace)())


# --------------------------------------------------------------------------------------------- tables


def test_duplicate_table_names_both_plugins(start):
    doc = plugin("doc", register_models=[DocFile])
    archive = plugin("doc_archive", register_models=[DocFileAgain])
    with pytest.raises(StartupError) as caught:
        start(doc, archive)
    message = str(caught.value)
    assert "表 doc_archive_file 重复注册" in message
    assert "doc_archive 和 doc" in message or "doc 和 doc_archive" in message


def test_table_without_plugin_prefix(start):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_models=[Unprefixed]))
    message = str(caught.value)
    assert "插件 alpha 的表 thing 必须以 alpha_ 开头" in message
    assert "Meta.table_name" in message


def test_registered_models_are_kept_per_plugin(start):
    app = start(plugin("doc_archive", register_models=[DocFile]))
    assert app.registry.models["doc_archive"] == [DocFile]
    assert "core_user" in [m._meta.table_name for m in app.registry.models["core"]]


# ---------------------------------------------------------------------------------- roles, permissions


def test_duplicate_permission(start):
    perm = Permission("alpha.edit", "编辑")
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_permissions=[perm, Permission("alpha.edit", "再次")]))
    assert "权限 alpha.edit 重复注册：插件 alpha 和 alpha 都声明了它" in str(caught.value)


def test_permission_without_plugin_prefix(start):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_permissions=[Permission("beta.edit", "编辑")]))
    assert "插件 alpha 的权限 beta.edit 必须以 alpha. 开头" in str(caught.value)


def test_permission_prefix_must_be_the_whole_plugin_name(start):
    # "alphabet.edit" starts with "alpha" but not with "alpha."
    with pytest.raises(StartupError, match=r"插件 alpha 的权限 alphabet\.edit 必须以 alpha\. 开头"):
        start(plugin("alpha", register_permissions=[Permission("alphabet.edit", "编辑")]))


def test_permission_granting_unknown_role(start):
    perm = Permission("alpha.edit", "编辑", default_roles=("clerk", "typist"))
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_permissions=[perm]))
    message = str(caught.value)
    assert "插件 alpha 的权限 alpha.edit 授予了未注册的角色 typist" in message
    assert "clerk" not in message


def test_permission_may_grant_a_role_of_another_plugin(start):
    roles = plugin("beta", register_roles=[Role("typist", "打字员")])
    perms = plugin(
        "alpha", register_permissions=[Permission("alpha.edit", "编辑", default_roles=("typist",))]
    )
    app = start(perms, roles)
    assert app.registry.role_permissions("typist") == frozenset({"alpha.edit"})
    assert app.registry.permission_owner["alpha.edit"] == "alpha"


def test_duplicate_role_between_plugins(start):
    alpha = plugin("alpha", register_roles=[Role("typist", "打字员")])
    beta = plugin("beta", register_roles=[Role("typist", "文印员")])
    with pytest.raises(StartupError) as caught:
        start(alpha, beta)
    message = str(caught.value)
    assert "角色 typist 重复注册" in message
    assert "alpha" in message
    assert "beta" in message


def test_redeclaring_a_core_role_names_core(start):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_roles=[Role("clerk", "文书")]))
    message = str(caught.value)
    assert "角色 clerk 重复注册" in message
    assert "core" in message
    assert "alpha" in message


# --------------------------------------------------------------------------------------------- routes


def test_duplicate_route_name_inside_one_plugin(start):
    routes = [Page("/a", view, "show", AUTHENTICATED), Page("/b", view, "show", AUTHENTICATED)]
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_routes=routes))
    assert "路由名 alpha:show 重复注册：插件 alpha 声明了两次" in str(caught.value)


def test_page_and_api_may_share_a_name(start):
    routes = [Page("/a", view, "show", AUTHENTICATED), Api("/a", view, "show", AUTHENTICATED)]
    app = start(plugin("alpha", register_routes=routes))
    assert [p.name for p in app.registry.pages["alpha"]] == ["show"]
    assert [a.name for a in app.registry.apis["alpha"]] == ["show"]


def test_route_requiring_unregistered_permission(start):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", register_routes=[Page("/", view, "index", "alpha.view")]))
    message = str(caught.value)
    assert "插件 alpha 的路由 index 要求权限 'alpha.view'" in message
    assert "register_permissions" in message


def test_route_may_require_another_plugins_permission(start):
    beta = plugin("beta", register_permissions=[Permission("beta.view", "查看")])
    alpha = plugin("alpha", register_routes=[Page("/", view, "index", "beta.view")])
    app = start(beta, alpha)
    assert app.registry.pages["alpha"][0].permission == "beta.view"


def test_async_view_is_refused(start):
    async def async_view(request):
        return None

    app = start(plugin("alpha", register_routes=[Page("/", async_view, "index", PUBLIC)]))
    with pytest.raises(StartupError) as caught:
        app.asgi()
    message = str(caught.value)
    assert "插件 alpha 的路由 index 是 async 函数" in message
    assert "def" in message


@pytest.mark.parametrize(
    "hook",
    ["register_models", "register_roles", "register_permissions", "register_settings", "register_routes"],
)
def test_register_hook_returning_a_non_list(start, hook):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", **{hook: {"not": "a list"}}))
    assert f"插件 alpha 的 {hook} 应返回列表，实际返回了 dict" in str(caught.value)


@pytest.mark.parametrize(
    ("hook", "expected"),
    [
        ("register_roles", "Role"),
        ("register_permissions", "Permission"),
        ("register_settings", "Setting"),
        ("register_routes", "Page 或 Api"),
    ],
)
def test_register_hook_returning_the_wrong_kind_of_item(start, hook, expected):
    with pytest.raises(StartupError) as caught:
        start(plugin("alpha", **{hook: ["alpha.edit"]}))
    assert f"插件 alpha 的 {hook} 返回了 'alpha.edit'，应为 {expected}" in str(caught.value)


def test_register_hook_returning_none_declares_nothing(start):
    app = start(plugin("alpha", register_roles=None, register_permissions=None))
    assert set(app.registry.roles) == {r.name for r in declarations.ROLES}


# ------------------------------------------------------------------------------------------- settings

SETTINGS = [
    Setting("limit", "上限", int, 10),
    Setting("ratio", "比例", float, 0.5),
    Setting("title", "标题", str, "公告"),
    Setting("strict", "严格", bool, False),
    Setting("tags", "标签", list, []),
]


def settings_plugin() -> LoadedPlugin:
    return plugin("alpha", register_settings=SETTINGS)


def test_settings_defaults(start):
    app = start(settings_plugin())
    assert app.settings("alpha") == {"limit": 10, "ratio": 0.5, "title": "公告", "strict": False, "tags": []}


def test_settings_from_officium_toml(start):
    given = {"limit": 3, "ratio": 0.25, "title": "通知", "strict": True, "tags": ["a", "b"]}
    app = start(settings_plugin(), settings={"alpha": given})
    assert app.settings("alpha") == given


def test_settings_section_of_a_plugin_that_does_not_exist_is_refused(start):
    with pytest.raises(StartupError, match=r"\[plugins\.alpah\] 对应的插件没有安装"):
        start(settings_plugin(), settings={"alpah": {"limit": 3}})


def test_settings_partly_given_keep_other_defaults(start):
    app = start(settings_plugin(), settings={"alpha": {"limit": 7}})
    assert app.settings("alpha")["limit"] == 7
    assert app.settings("alpha")["title"] == "公告"


def test_unknown_setting_key_is_refused(start):
    with pytest.raises(StartupError) as caught:
        start(settings_plugin(), settings={"alpha": {"limit": 3, "colour": "red", "zebra": 1}})
    message = str(caught.value)
    assert "[plugins.alpha] 中有未知设置项：colour, zebra" in message
    assert "limit" not in message


def test_settings_given_to_a_plugin_declaring_none_are_refused(start):
    with pytest.raises(StartupError, match=r"\[plugins\.alpha\] 中有未知设置项：limit"):
        start(plugin("alpha"), settings={"alpha": {"limit": 3}})


@pytest.mark.parametrize(
    ("key", "value", "type_name"),
    [
        ("limit", "ten", "int"),
        ("limit", True, "int"),  # TOML true is a bool, which Python would otherwise accept as an int
        ("limit", 2.5, "int"),
        ("ratio", "half", "float"),
        ("ratio", True, "float"),
        ("title", 3, "str"),
        ("strict", 1, "bool"),
        ("tags", "a,b", "list"),
    ],
)
def test_setting_of_wrong_type_is_refused(start, key, value, type_name):
    with pytest.raises(StartupError) as caught:
        start(settings_plugin(), settings={"alpha": {key: value}})
    assert f"[plugins.alpha] {key} 应为 {type_name}，实际是 {value!r}" in str(caught.value)


def test_int_given_for_float_is_accepted_as_float(start):
    app = start(settings_plugin(), settings={"alpha": {"ratio": 2}})
    assert app.settings("alpha")["ratio"] == 2.0
    assert isinstance(app.settings("alpha")["ratio"], float)


def test_setting_declared_twice_is_refused(start):
    twice = [Setting("limit", "上限", int, 10), Setting("limit", "上限", int, 20)]
    with pytest.raises(StartupError, match="插件 alpha 的设置项 limit 声明了两次"):
        start(plugin("alpha", register_settings=twice))
