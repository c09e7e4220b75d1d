"""Plugin loading through real entry points: every failure names the plugin and the fix.

The plugins here are packages in ``tmp_path`` beside a fake distribution (see ``plugin_dists``), found by
stevedore exactly as an installed plugin is.  Loading fails before the database is opened, so the sites of
the failure cases use SQLite even in the PostgreSQL run; the successful loads open that SQLite file only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from officium.cli import main
from officium.core.app import OfficiumApp, create_app
from officium.core.config import SiteConfig
from officium.core.errors import StartupError
from officium.testing import close_site, make_site
from tests.core.plugin_dists import PluginDists, plugin_init, write_site


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginDists]:
    made = PluginDists(tmp_path / "dists", monkeypatch)
    yield made
    made.forget_modules()


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[[list[str]], OfficiumApp]]:
    """``load(enabled)`` starts a SQLite site enabling ``enabled`` (schema not checked)."""
    apps: list[OfficiumApp] = []
    counter = iter(range(100))

    def start(enabled: list[str]) -> OfficiumApp:
        site = write_site(tmp_path / f"site{next(counter)}", enabled)
        app = create_app(SiteConfig.load(site), check_schema=False)
        apps.append(app)
        return app

    yield start
    for app in apps:
        close_site(app)


def marker_prelude(marker: Path) -> str:
    """``__init__.py`` lines that leave ``marker`` behind when the package is imported."""
    return f"from pathlib import Path as _P\n_P({str(marker)!r}).write_text('imported')\n"


def names(app: OfficiumApp) -> list[str]:
    return [p.name for p in app.plugins]


# ------------------------------------------------------------------------------------ import failures


def test_enabled_but_not_installed_names_plugin_and_fix(dists, load):
    dists.add("alpha")
    with pytest.raises(StartupError) as caught:
        load(["alpha", "ghost"])
    message = str(caught.value)
    assert "ghost" in message
    assert "alpha" not in message
    assert "pip" in message
    assert "enabled_plugins" in message


def test_import_error_in_package_names_plugin_and_exception(dists, load):
    dists.add("alpha", init="raise RuntimeError('boom-in-init')\n")
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 导入失败" in message
    assert "RuntimeError" in message
    assert "boom-in-init" in message
    assert "没有安装" not in message  # it is installed; saying "pip install it" sends the admin the wrong way


def test_missing_third_party_module_in_package_names_plugin_and_module(dists, load):
    dists.add("alpha", init="import ofm_no_such_dependency_xyz\n" + plugin_init("alpha"))
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 导入失败" in message
    assert "ofm_no_such_dependency_xyz" in message


def test_import_error_in_hooks_module_names_plugin_and_exception(dists, load):
    dists.add("alpha", hooks="import ofm_missing_in_hooks_xyz\n")
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 导入失败" in message
    assert "ofm_missing_in_hooks_xyz" in message


def test_crash_in_hooks_module_names_plugin_and_exception(dists, load):
    dists.add("alpha", hooks="1 / 0\n")
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 导入失败" in message
    assert "ZeroDivisionError" in message


def test_package_without_plugin_declaration(dists, load):
    package = dists.add("alpha", init="TITLE = 'no declaration here'\n")
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha" in message
    assert "没有 PLUGIN 声明" in message
    assert f"{package}/__init__.py" in message
    assert "PLUGIN = PluginInfo(" in message


def test_declared_name_differs_from_entry_point(dists, load):
    dists.add("alpha", init=plugin_init("beta"))
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "入口点 alpha" in message
    assert "自称 beta" in message
    assert "PLUGIN.name" in message


def test_missing_hooks_module(dists, load):
    package = dists.add("alpha", hooks=None)
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 缺少 hooks 模块" in message
    assert f"{package}/hooks.py" in message


# ------------------------------------------------------------------------------------- dependencies


def test_missing_hard_dependency_names_both_plugins(dists, load):
    dists.add("alpha", requires=("beta",))
    dists.add("beta")  # installed, but not enabled
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 依赖插件 beta" in message
    assert 'enabled_plugins 中加入 "beta"' in message


def test_dependency_cycle_shows_the_loop(dists, load):
    dists.add("alpha", requires=("beta",))
    dists.add("beta", requires=("alpha",))
    with pytest.raises(StartupError) as caught:
        load(["alpha", "beta"])
    assert "alpha → beta → alpha" in str(caught.value)


def test_longer_cycle_through_optional_dependency(dists, load):
    dists.add("alpha", requires=("beta",))
    dists.add("beta", optional=("gamma",))
    dists.add("gamma", requires=("alpha",))
    with pytest.raises(StartupError) as caught:
        load(["alpha", "beta", "gamma"])
    assert "alpha → beta → gamma → alpha" in str(caught.value)


ROLES_HOOK = """
from officium import hookimpl

@hookimpl
def register_roles(app):
    return []
"""


def test_plugin_registers_after_what_it_requires(dists, load):
    dists.add("alpha", requires=("beta",), hooks=ROLES_HOOK)
    dists.add("beta", hooks=ROLES_HOOK)
    dists.add("gamma", hooks=ROLES_HOOK)
    app = load(["alpha", "gamma", "beta"])
    assert names(app) == ["core", "beta", "alpha", "gamma"]
    # Registration order is load order; pluggy calls the last registered first, so a plugin's
    # implementation runs before those of the plugins it depends on.
    registered = [app.pm.get_name(impl.plugin) for impl in app.hook.register_roles.get_hookimpls()]
    assert registered == ["core", "beta", "alpha", "gamma"]


def test_independent_plugins_keep_enabled_order(dists, load):
    for name in ("alpha", "beta", "gamma"):
        dists.add(name)
    assert names(load(["gamma", "alpha", "beta"])) == ["core", "gamma", "alpha", "beta"]


def test_soft_dependency_orders_when_enabled(dists, load):
    dists.add("alpha", optional=("beta",))
    dists.add("beta")
    assert names(load(["alpha", "beta"])) == ["core", "beta", "alpha"]


def test_soft_dependency_is_ignored_when_not_enabled(dists, load):
    dists.add("alpha", optional=("beta",))
    dists.add("beta")
    assert names(load(["alpha"])) == ["core", "alpha"]


# -------------------------------------------------------------------------------------------- hooks


def test_unknown_hook_is_a_startup_error_naming_the_plugin(dists, load):
    dists.add(
        "alpha",
        hooks="""
        from officium import hookimpl

        @hookimpl
        def regster_routes(app):
            return []
        """,
    )
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha" in message
    assert "regster_routes" in message
    assert "钩子名" in message


def test_hookimpl_argument_not_in_spec(dists, load):
    dists.add(
        "alpha",
        hooks="""
        from officium import hookimpl

        @hookimpl
        def register_routes(app, routes_wanted):
            return []
        """,
    )
    with pytest.raises(StartupError) as caught:
        load(["alpha"])
    message = str(caught.value)
    assert "插件 alpha 的钩子实现不合法" in message
    assert "routes_wanted" in message


# ------------------------------------------------------------------------------------ what is imported


@pytest.mark.parametrize("reserved", ["core", "api", "static", "login", "logout", "password", "health"])
def test_reserved_names_cannot_be_enabled(dists, load, tmp_path, reserved):
    marker = tmp_path / "reserved-imported"
    dists.add("alpha", entry_name=reserved, init=marker_prelude(marker) + plugin_init("alpha"))
    with pytest.raises(StartupError) as caught:
        load([reserved])
    message = str(caught.value)
    assert f"插件名 {reserved} 是系统保留名" in message
    assert "enabled_plugins" in message
    assert not marker.exists()


def test_plugin_not_enabled_is_never_imported(dists, load, tmp_path):
    marker = tmp_path / "bomb-imported"
    bomb = dists.add("bomb", init=marker_prelude(marker) + "raise RuntimeError('must not be imported')\n")
    dists.add("alpha")
    app = load(["alpha"])
    assert names(app) == ["core", "alpha"]
    assert not marker.exists()
    assert bomb not in sys.modules
    assert dists.packages["alpha"] in sys.modules


def test_enabled_plugin_is_imported_from_its_entry_point(dists, load, tmp_path):
    marker = tmp_path / "alpha-imported"
    dists.add("alpha", init=marker_prelude(marker) + plugin_init("alpha"))
    app = load(["alpha"])
    assert marker.read_text() == "imported"
    assert app.plugin("alpha").package.__name__ == dists.packages["alpha"]
    assert app.plugin("alpha").directory == dists.directory("alpha")


# ---------------------------------------------------------------------------------------------- CLI


def test_plugins_list_shows_enabled_state_without_importing(dists, tmp_path):
    marker_alpha = tmp_path / "alpha-imported"
    marker_bomb = tmp_path / "bomb-imported"
    alpha = dists.add("alpha", init=marker_prelude(marker_alpha) + plugin_init("alpha"))
    bomb = dists.add("bomb", init=marker_prelude(marker_bomb) + "raise RuntimeError('no')\n")
    site = write_site(tmp_path / "site", ["alpha", "ghost"])
    result = CliRunner().invoke(main, ["--site", str(site), "plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("[启用] alpha") and alpha in line for line in lines), result.output
    assert any(line.startswith("[    ] bomb") and bomb in line for line in lines), result.output
    assert any(line.startswith("[缺失] ghost") for line in lines), result.output
    assert not marker_alpha.exists()
    assert not marker_bomb.exists()


def test_plugins_list_without_a_site_lists_installed(dists, tmp_path):
    dists.add("alpha")
    result = CliRunner().invoke(main, ["--site", str(tmp_path / "nowhere"), "plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "未找到站点配置" in result.output
    assert any(line.startswith("[    ] alpha") for line in result.output.splitlines())


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("import", ["插件 alpha 导入失败", "RuntimeError", "boom-for-doctor"]),
        ("hooks", ["插件 alpha 缺少 hooks 模块"]),
        ("dependency", ["插件 alpha 依赖插件 beta", 'enabled_plugins 中加入 "beta"']),
    ],
)
def test_plugins_doctor_reports_broken_plugin_and_exits_1(dists, tmp_path, kind, expected):
    if kind == "import":
        dists.add("alpha", init="raise RuntimeError('boom-for-doctor')\n")
    elif kind == "hooks":
        dists.add("alpha", hooks=None)
    else:
        dists.add("alpha", requires=("beta",))
    site = write_site(tmp_path / "site", ["alpha"])
    result = CliRunner().invoke(main, ["--site", str(site), "plugins", "doctor"])
    assert result.exit_code == 1
    assert result.output.startswith("✗ ")
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output


def test_plugins_doctor_passes_on_a_healthy_site(dists, tmp_path):
    dists.add("alpha")
    app = make_site(tmp_path / "site", plugins=["alpha"])
    try:
        result = CliRunner().invoke(main, ["--site", str(tmp_path / "site"), "plugins", "doctor"])
    finally:
        close_site(app)
    assert result.exit_code == 0, result.output
    assert "✓ 2 个插件加载成功：core, alpha" in result.output
    assert "没有发现问题" in result.output


def test_help_still_works_when_an_enabled_plugin_is_broken(dists, tmp_path):
    dists.add("alpha", init="raise RuntimeError('broken-plugin')\n")
    site = write_site(tmp_path / "site", ["alpha"])
    result = CliRunner().invoke(main, ["--site", str(site), "--help"])
    assert result.exit_code == 0, result.output
    for command in ("init", "serve", "db", "plugins", "token"):
        assert f"  {command} " in result.output
    assert "broken-plugin" not in result.output


def test_builtin_command_of_a_broken_site_fails_with_the_message(dists, tmp_path):
    dists.add("alpha", init="raise RuntimeError('broken-plugin')\n")
    site = write_site(tmp_path / "site", ["alpha"])
    result = CliRunner().invoke(main, ["--site", str(site), "db", "status"])
    assert result.exit_code == 1
    assert "插件 alpha 导入失败" in result.output
    assert "broken-plugin" in result.output
    assert "Traceback" not in result.output


def test_unknown_command_of_a_broken_site_says_why_plugin_commands_are_missing(dists, tmp_path):
    dists.add("alpha", hooks=None)
    site = write_site(tmp_path / "site", ["alpha"])
    result = CliRunner().invoke(main, ["--site", str(site), "alpha-report"])
    assert result.exit_code == 2
    assert "无法加载站点插件命令" in result.output
    assert "插件 alpha 缺少 hooks 模块" in result.output
    assert "No such command" in result.output


ASYNC_VIEW_HOOKS = """
from officium import PUBLIC, Page, hookimpl


async def index(request):
    return None


@hookimpl
def register_routes(app):
    return [Page("/", index, "index", PUBLIC)]
"""


def test_plugins_doctor_reports_a_route_the_web_layer_refuses(dists, tmp_path):
    dists.add("alpha", hooks=ASYNC_VIEW_HOOKS)
    app = make_site(tmp_path / "site", plugins=["alpha"])
    try:
        result = CliRunner().invoke(main, ["--site", str(tmp_path / "site"), "plugins", "doctor"])
    finally:
        close_site(app)
    assert result.exit_code == 1
    assert "✗ 插件 alpha 的路由 index 是 async 函数" in result.output


def test_serve_refuses_a_route_the_web_layer_refuses_before_starting_workers(dists, tmp_path, monkeypatch):
    dists.add("alpha", hooks=ASYNC_VIEW_HOOKS)
    app = make_site(tmp_path / "site", plugins=["alpha"])
    served: list[object] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    try:
        result = CliRunner().invoke(main, ["--site", str(tmp_path / "site"), "serve"])
    finally:
        close_site(app)
    assert result.exit_code == 1
    assert "插件 alpha 的路由 index 是 async 函数" in result.output
    assert served == []
