"""Collecting and validating what the ``register_*`` hooks return, once, at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from officium.core.errors import StartupError
from officium.core.loader import installed_plugins
from officium.core.registry import AUTHENTICATED, PUBLIC, Api, Page, Permission, Role, Setting

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


def per_plugin(site: OfficiumApp, hook_name: str, **kwargs: Any) -> Iterator[tuple[str, list[Any]]]:
    """Call one ``register_*`` hook plugin by plugin, yielding ``(plugin name, returned list)``.

    The core needs to know which plugin declared what (for prefixes and for naming both parties of a
    duplicate), which pluggy's combined result list does not tell.
    """
    caller = getattr(site.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        result = impl.function(*(kwargs[arg] for arg in impl.argnames))
        if result is None:
            continue
        if not isinstance(result, (list, tuple)):
            raise StartupError(
                f"插件 {impl.plugin_name} 的 {hook_name} 应返回列表，实际返回了 {type(result).__name__}。"
            )
        yield impl.plugin_name, list(result)


def _expect(plugin: str, hook: str, item: object, kind: type | tuple[type, ...]) -> None:
    if not isinstance(item, kind):
        names = kind.__name__ if isinstance(kind, type) else " 或 ".join(k.__name__ for k in kind)
        raise StartupError(f"插件 {plugin} 的 {hook} 返回了 {item!r}，应为 {names}。")


def collect_registry(app: OfficiumApp) -> None:
    """Fill ``app.registry`` from the register hooks, refusing duplicates and bad names."""
    reg = app.registry
    table_owner: dict[str, str] = {}
    for plugin, models in per_plugin(app, "register_models", app=app):
        for model in models:
            table = model._meta.table_name
            if not table.startswith(f"{plugin}_"):
                raise StartupError(
                    f"插件 {plugin} 的表 {table} 必须以 {plugin}_ 开头。修复：设置 Meta.table_name。"
                )
            if table in table_owner:
                raise StartupError(f"表 {table} 重复注册：插件 {table_owner[table]} 和 {plugin} 都声明了它。")
            table_owner[table] = plugin
            reg.models.setdefault(plugin, []).append(model)

    role_owner: dict[str, str] = {}
    for plugin, roles in per_plugin(app, "register_roles", app=app):
        for role in roles:
            _expect(plugin, "register_roles", role, Role)
            if role.name in reg.roles:
                raise StartupError(
                    f"角色 {role.name} 重复注册：插件 {role_owner[role.name]} 和 {plugin} 都声明了它。"
                )
            reg.roles[role.name] = role
            role_owner[role.name] = plugin

    for plugin, permissions in per_plugin(app, "register_permissions", app=app):
        for perm in permissions:
            _expect(plugin, "register_permissions", perm, Permission)
            if not perm.name.startswith(f"{plugin}."):
                raise StartupError(f"插件 {plugin} 的权限 {perm.name} 必须以 {plugin}. 开头。")
            if perm.name in reg.permissions:
                owner = reg.permission_owner[perm.name]
                raise StartupError(f"权限 {perm.name} 重复注册：插件 {owner} 和 {plugin} 都声明了它。")
            unknown = [r for r in perm.default_roles if r not in reg.roles]
            if unknown:
                raise StartupError(
                    f"插件 {plugin} 的权限 {perm.name} 授予了未注册的角色 {', '.join(unknown)}。"
                )
            reg.permissions[perm.name] = perm
            reg.permission_owner[perm.name] = plugin

    from officium.core.workflow.definition import Workflow

    for plugin, workflows in per_plugin(app, "register_workflows", app=app):
        for workflow in workflows:
            _expect(plugin, "register_workflows", workflow, Workflow)
            key = f"{plugin}.{workflow.name}"
            if key in reg.workflows:
                raise StartupError(f"流程 {key} 重复注册：插件 {plugin} 声明了两次。")
            reg.workflows[key] = workflow

    from officium.core.jobs import collect_jobs
    from officium.core.notifications import collect_types

    collect_types(app)
    collect_jobs(app)
    from officium.core.search.sources import collect_sources

    collect_sources(app)
    _collect_settings(app)
    _collect_routes(app)


def _collect_settings(app: OfficiumApp) -> None:
    reg = app.registry
    for plugin, specs in per_plugin(app, "register_settings", app=app):
        declared: dict[str, Setting] = {}
        for spec in specs:
            _expect(plugin, "register_settings", spec, Setting)
            if spec.key in declared:
                raise StartupError(f"插件 {plugin} 的设置项 {spec.key} 声明了两次。")
            declared[spec.key] = spec
        reg.setting_specs[plugin] = declared
    loaded = {p.name for p in app.plugins}
    stray = sorted(set(app.config.plugins) - loaded - set(installed_plugins()))
    if stray:
        # A section for an installed but disabled plugin is kept for when it is enabled again; one for a
        # plugin that does not exist at all is most likely a typo.
        raise StartupError(
            f"officium.toml 中的 [plugins.{stray[0]}] 对应的插件没有安装。修复：检查插件名的拼写，或删除这一节。"
        )
    for plugin in app.plugins:
        declared = reg.setting_specs.get(plugin.name, {})
        given = app.config.plugins.get(plugin.name, {})
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise StartupError(
                f"officium.toml 的 [plugins.{plugin.name}] 中有未知设置项：{', '.join(unknown)}。"
                f"修复：删除它们，或查看该插件文档中的设置项。"
            )
        values = {key: spec.default for key, spec in declared.items()}
        for key, value in given.items():
            spec = declared[key]
            ok = isinstance(value, spec.type) and not (spec.type is int and isinstance(value, bool))
            if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise StartupError(
                    f"officium.toml 的 [plugins.{plugin.name}] {key} 应为 {spec.type.__name__}，实际是 {value!r}。"
                )
            values[key] = value
        reg.settings[plugin.name] = values


def _collect_routes(app: OfficiumApp) -> None:
    reg = app.registry
    for plugin, routes in per_plugin(app, "register_routes", app=app):
        names: set[str] = set()
        for route in routes:
            _expect(plugin, "register_routes", route, (Page, Api))
            kind = "api" if isinstance(route, Api) else "page"
            if (kind, route.name) in names:
                raise StartupError(f"路由名 {plugin}:{route.name} 重复注册：插件 {plugin} 声明了两次。")
            names.add((kind, route.name))
            if route.permission not in (PUBLIC, AUTHENTICATED) and route.permission not in reg.permissions:
                raise StartupError(
                    f"插件 {plugin} 的路由 {route.name} 要求权限 {route.permission!r}，但没有插件注册这个权限。"
                    f"修复：在 register_permissions 中声明它，或使用 PUBLIC / AUTHENTICATED。"
                )
            target = reg.apis if kind == "api" else reg.pages
            target.setdefault(plugin, []).append(route)
