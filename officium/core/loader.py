"""Finding, importing and ordering the enabled plugins.

Only the plugins named in ``enabled_plugins`` are imported (stevedore's ``NamedExtensionManager`` never
touches the others).  Each failure stops the start-up with a message naming the plugin and the fix.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from stevedore import NamedExtensionManager

from officium.core.errors import StartupError
from officium.core.plugin_info import PluginInfo

ENTRY_POINT_GROUP = "officium.plugins"

#: Names that would collide with the core's own URL space.
RESERVED_NAMES = frozenset(
    {
        "core",
        "api",
        "static",
        "login",
        "logout",
        "password",
        "health",
        "plugins",
        "admin",
        "mfa",
        "todo",
        "workflow",
        "notifications",
        "reports",
    }
)


@dataclass(frozen=True)
class LoadedPlugin:
    """An imported plugin: its declaration, its package and its ``hooks`` module."""

    info: PluginInfo
    package: ModuleType
    hooks: ModuleType

    @property
    def name(self) -> str:
        """The canonical plugin name."""
        return self.info.name

    @property
    def directory(self) -> Path | None:
        """The plugin package's folder (templates/, static/, migrations/ live here); None if it has none."""
        file = getattr(self.package, "__file__", None)
        return Path(file).parent if file else None


def from_package(package: ModuleType, expected_name: str | None = None) -> LoadedPlugin:
    """Build a :class:`LoadedPlugin` from an imported plugin package, importing its ``hooks`` module."""
    label = expected_name or package.__name__
    info = getattr(package, "PLUGIN", None)
    if not isinstance(info, PluginInfo):
        raise StartupError(
            f"插件 {label}（{package.__name__}）没有 PLUGIN 声明。"
            f"修复：在 {package.__name__}/__init__.py 中定义 PLUGIN = PluginInfo(name=..., title=..., area=...)。"
        )
    if expected_name is not None and info.name != expected_name:
        raise StartupError(
            f"入口点 {expected_name} 指向的插件自称 {info.name}。修复：让入口点名称与 PLUGIN.name 一致。"
        )
    try:
        hooks = importlib.import_module(f"{package.__name__}.hooks")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package.__name__}.hooks":
            raise StartupError(
                f"插件 {info.name} 导入失败：{exc}。修复：安装缺少的模块，或停用该插件。"
            ) from exc
        raise StartupError(
            f"插件 {info.name} 缺少 hooks 模块。修复：创建 {package.__name__}/hooks.py 并在其中实现钩子。"
        ) from exc
    except Exception as exc:
        raise StartupError(
            f"插件 {info.name} 导入失败：{type(exc).__name__}: {exc}。修复：改正该插件的代码，或停用它。"
        ) from exc
    return LoadedPlugin(info=info, package=package, hooks=hooks)


def import_enabled(names: Sequence[str]) -> list[LoadedPlugin]:
    """Import the named plugins through their entry points, in the given order."""
    for name in names:
        if name in RESERVED_NAMES:
            raise StartupError(
                f"插件名 {name} 是系统保留名，不能作为插件启用。修复：从 enabled_plugins 中删除它。"
            )

    failures: list[str] = []
    failed: set[str] = set()

    def on_failure(manager: object, entry_point: importlib.metadata.EntryPoint, exc: Exception) -> None:
        failed.add(entry_point.name)
        failures.append(
            f"插件 {entry_point.name} 导入失败：{type(exc).__name__}: {exc}。"
            f"修复：改正或升级提供 {entry_point.value} 的包，或从 officium.toml 的 enabled_plugins 中删除 {entry_point.name}。"
        )

    missing: list[str] = []
    manager = NamedExtensionManager(
        ENTRY_POINT_GROUP,
        names=list(names),
        name_order=True,
        on_load_failure_callback=on_failure,
        on_missing_entrypoints_callback=lambda names: missing.extend(sorted(names)),
    )
    # stevedore also counts a plugin that failed to import as missing; report its real error instead.
    missing = [name for name in missing if name not in failed]
    if missing:
        listed = "、".join(missing)
        raise StartupError(
            f"插件 {listed} 已在 officium.toml 的 enabled_plugins 中启用，但没有安装。"
            f"修复：用 pip 安装提供该插件的包（`officium plugins list` 列出已安装的插件），或从 enabled_plugins 中删除它。"
        )
    if failures:
        raise StartupError("\n".join(failures))
    return [from_package(ext.plugin, expected_name=ext.name) for ext in manager.extensions]


def installed_plugins() -> dict[str, str]:
    """Return ``{name: "module (distribution version)"}`` of every installed plugin, importing none."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP:
                found[ep.name] = f"{ep.value}（{dist.metadata['Name']} {dist.version}）"
    return dict(sorted(found.items()))


def order_by_dependencies(plugins: Sequence[LoadedPlugin]) -> list[LoadedPlugin]:
    """Return plugins so that each follows everything it requires or optionally uses.

    Ties keep the order of ``enabled_plugins``.  A missing hard dependency or a cycle is a start-up error.
    """
    by_name = {p.name: p for p in plugins}
    for plugin in plugins:
        for dep in plugin.info.requires:
            if dep not in by_name:
                raise StartupError(
                    f"插件 {plugin.name} 依赖插件 {dep}，但 {dep} 没有启用。"
                    f'修复：在 officium.toml 的 enabled_plugins 中加入 "{dep}"（并确认已安装），或停用 {plugin.name}。'
                )

    def deps(p: LoadedPlugin) -> list[str]:
        return [d for d in (*p.info.requires, *p.info.optional) if d in by_name]

    ordered: list[LoadedPlugin] = []
    state: dict[str, str] = {}

    def visit(plugin: LoadedPlugin, path: list[str]) -> None:
        if state.get(plugin.name) == "done":
            return
        if state.get(plugin.name) == "visiting":
            cycle = [*path[path.index(plugin.name) :], plugin.name]
            raise StartupError(
                f"插件依赖出现循环：{' → '.join(cycle)}。修复：去掉其中一个插件对另一个的依赖（或改为可选依赖以外的方式协作）。"
            )
        state[plugin.name] = "visiting"
        for dep in deps(plugin):
            visit(by_name[dep], [*path, plugin.name])
        state[plugin.name] = "done"
        ordered.append(plugin)

    for plugin in plugins:
        visit(plugin, [])
    return ordered
