"""The application object and the one start-up path shared by the server, the CLI and the tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pluggy
from peewee import Database

from officium.core import hookspecs
from officium.core.config import SiteConfig
from officium.core.db import database, open_database
from officium.core.errors import StartupError
from officium.core.loader import LoadedPlugin, from_package, import_enabled, order_by_dependencies
from officium.core.registry import Registry
from officium.core.registry_collect import collect_registry

Clock = Callable[[], datetime]


class OfficiumApp:
    """One site: its configuration, plugins, registries and database.

    Everything a hook needs is reachable from here; nothing lives in module globals except the database
    proxy that Peewee models bind to.
    """

    def __init__(self, config: SiteConfig, plugins: Sequence[LoadedPlugin], clock: Clock) -> None:
        self.config = config
        self.plugins = list(plugins)
        self.clock = clock
        self.pm = pluggy.PluginManager("officium")
        self.pm.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.db: Database | None = None
        self.jinja_env: Any = None
        self._asgi: Any = None
        #: State this process keeps between requests (throttles, data with a bound of a second or so), by
        #: key, e.g. ``"delegation.checked_at"``.  Never shared between workers, so nothing here may be the
        #: only copy of anything: the database stays the truth and every node stays stateless.
        self.process_state: dict[str, Any] = {}

    @property
    def hook(self) -> Any:
        """The pluggy hook relay: ``app.hook.menu_items(request=..., user=..., app=app)``."""
        return self.pm.hook

    def plugin(self, name: str) -> LoadedPlugin:
        """The loaded plugin called ``name``."""
        for plugin in self.plugins:
            if plugin.name == name:
                return plugin
        raise KeyError(name)

    def settings(self, plugin: str) -> dict[str, Any]:
        """The validated settings of a plugin (declared defaults overlaid with officium.toml)."""
        return self.registry.settings.get(plugin, {})

    def asgi(self) -> Any:
        """The Starlette application, built on first use from the routes and middleware plugins declared."""
        if self._asgi is None:
            from officium.core.web.application import build_asgi

            self._asgi = build_asgi(self)
        return self._asgi


def create_app(
    config: SiteConfig,
    *,
    clock: Clock = datetime.now,
    extra_plugins: Sequence[LoadedPlugin] = (),
    check_schema: bool = True,
) -> OfficiumApp:
    """Load the enabled plugins, register their hooks, open the database and collect the registries.

    This is the only way an :class:`OfficiumApp` is made.  ``extra_plugins`` lets tests add plugins that are
    not installed; ``check_schema=False`` is for the commands that create or upgrade the schema.
    """
    core = from_package(importlib.import_module("officium.core"), expected_name="core")
    enabled = import_enabled(config.enabled_plugins)
    names = [p.name for p in enabled]
    for extra in extra_plugins:
        if extra.name in names or extra.name == "core":
            raise StartupError(f"插件 {extra.name} 被加载了两次。")
        names.append(extra.name)
    plugins = [core, *order_by_dependencies([*enabled, *extra_plugins])]
    app = OfficiumApp(config, plugins, clock)
    for plugin in plugins:
        try:
            app.pm.register(plugin.hooks, name=plugin.name)
        except pluggy.PluginValidationError as exc:
            raise StartupError(
                f"插件 {plugin.name} 的钩子实现不合法：{exc}。修复：对照 docs/hooks.md 改正参数名。"
            ) from exc
    try:
        app.pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(
            f"插件 {app.pm.get_name(exc.plugin)} 实现了不存在的钩子：{exc}。修复：对照 docs/hooks.md 检查钩子名的拼写。"
        ) from exc
    app.db = open_database(config.database_url, config.site_dir)
    database.initialize(app.db)
    app.db.connect(reuse_if_open=True)
    collect_registry(app)
    if check_schema:
        from officium.core.migrations_runner import verify_current

        verify_current(app)
    from officium.core.web.templating import build_environment

    app.jinja_env = build_environment(app)
    app.hook.prepare_jinja2_environment(env=app.jinja_env, app=app)
    return app
