"""Per-plugin schema migrations: each plugin's ``migrations/`` folder with its own history table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from peewee import Database, sort_models
from playhouse.migrations import Runner, template
from playhouse.schema_diff import SchemaDiff, diff_models

from officium.core.errors import MigrationPending

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


@dataclass(frozen=True)
class PluginSchema:
    """The migration state of one plugin."""

    plugin: str
    applied: list[str]
    pending: list[str]


def history_table(plugin: str) -> str:
    """Name of the table recording which of a plugin's migrations ran."""
    return f"{plugin}_migrations"


def _runner(db: Database, plugin: str, directory: Path) -> Runner:
    return Runner(db, str(directory), table_name=history_table(plugin))


def migration_dirs(app: OfficiumApp) -> dict[str, Path]:
    """``{plugin: migrations folder}`` for every loaded plugin that ships migrations."""
    found = {}
    for plugin in app.plugins:
        if plugin.directory is not None and (plugin.directory / "migrations").is_dir():
            found[plugin.name] = plugin.directory / "migrations"
    return found


def schema_status(app: OfficiumApp) -> list[PluginSchema]:
    """Applied and pending migrations of each plugin, in load order."""
    result = []
    for plugin, directory in migration_dirs(app).items():
        rows = _runner(app.db, plugin, directory).status()
        result.append(
            PluginSchema(
                plugin=plugin,
                applied=[m.name for m in rows if m.applied],
                pending=[m.name for m in rows if not m.applied and m.path is not None],
            )
        )
    return result


def upgrade(app: OfficiumApp, plugin: str | None = None) -> dict[str, list[str]]:
    """Apply pending migrations (of one plugin, or of all in load order); return what ran per plugin.

    Each migration file runs in its own transaction together with its history row, so an interrupted
    upgrade leaves every file either fully applied or not at all.
    """
    dirs = migration_dirs(app)
    if plugin is not None and plugin not in dirs:
        raise ValueError(f"插件 {plugin} 未启用或没有迁移目录。")
    ran = {}
    for name, directory in dirs.items():
        if plugin is None or name == plugin:
            ran[name] = _runner(app.db, name, directory).up()
    return ran


def verify_current(app: OfficiumApp) -> None:
    """Refuse to go on when a migration is pending or a registered table or column is missing."""
    pending = [s for s in schema_status(app) if s.pending]
    if pending:
        detail = "；".join(
            f"插件 {s.plugin} 有 {len(s.pending)} 个待执行的迁移（{', '.join(s.pending)}）" for s in pending
        )
        raise MigrationPending(f"数据库结构不是最新：{detail}。修复：运行 `officium db upgrade` 后再启动。")
    tables = set(app.db.get_tables())
    for plugin, models in app.registry.models.items():
        missing = [m._meta.table_name for m in models if m._meta.table_name not in tables]
        if missing:
            raise MigrationPending(
                f"插件 {plugin} 注册的表 {', '.join(missing)} 在数据库中不存在。"
                f"修复：为它写迁移（`officium db generate --plugin {plugin} 名称`）并运行 `officium db upgrade`。"
            )
        for model in models:
            present = {c.name for c in app.db.get_columns(model._meta.table_name)}
            absent = [f.column_name for f in model._meta.sorted_fields if f.column_name not in present]
            if absent:
                raise MigrationPending(
                    f"插件 {plugin} 的表 {model._meta.table_name} 缺少列 {', '.join(absent)}。"
                    f"修复：为它写迁移（`officium db generate --plugin {plugin} 名称`）并运行 `officium db upgrade`。"
                )


def generate(app: OfficiumApp, plugin: str, name: str, directory: Path | None = None) -> Path | None:
    """Write a migration for the difference between a plugin's models and the database; None if none.

    The file holds frozen copies of the models, so later model changes never alter what it does.  Review
    it before committing: rename detection and data moves are left to the author.
    """
    models = app.registry.models.get(plugin, [])
    if directory is None:
        directory = migration_dirs(app).get(plugin) or _plugin_dir(app, plugin) / "migrations"
    existing = set(app.db.get_tables())
    if not any(m._meta.table_name in existing for m in models):
        diff = SchemaDiff(sort_models(models), [], [], [], [])
    else:
        diff = diff_models(app.db, models)
    if not diff:
        return None
    return Path(_runner(app.db, plugin, directory).create(name, body=template(diff)))


def _plugin_dir(app: OfficiumApp, plugin: str) -> Path:
    for loaded in app.plugins:
        if loaded.name == plugin and loaded.directory is not None:
            return loaded.directory
    raise ValueError(f"插件 {plugin} 未启用。")
