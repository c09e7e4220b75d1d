"""``officium search reindex [--plugin X]``: rebuild the index from the modules' records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from officium.core import audit
from officium.core.db import write_transaction
from officium.core.search.sources import entry_count, reindex_source, sources_of

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


def add_commands(cli: click.Group, app: OfficiumApp) -> None:
    @cli.group("search")
    def group() -> None:
        """文档查询：维护检索索引。"""

    @group.command("reindex")
    @click.option("--plugin", default=None, help="只重建这个模块（插件名）的索引。")
    def reindex_command(plugin: str | None) -> None:
        """从各模块的记录重建检索索引（先删除再写入）。"""
        from officium.core.migrations_runner import verify_current

        verify_current(app)
        try:
            sources = sources_of(app, plugin)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        if not sources:
            click.echo("没有启用的模块注册了检索来源。")
            return
        total = 0
        for source in sources:
            # The number of records is not known before the source is read; last time's count is the guess.
            estimate = len(source.reindex) if hasattr(source.reindex, "__len__") else entry_count(source.name)
            with click.progressbar(length=max(estimate, 1), label=f"{source.title}（{source.name}）") as bar:
                written = reindex_source(app, source, progress=bar.update)
            click.echo(f"{source.name}：{written} 条")
            total += written
        with write_transaction(app.db):
            audit.record(
                app,
                "search.reindex",
                object_type="search_index",
                object_id=plugin or "*",
                summary=f"重建检索索引（{plugin or '全部模块'}），共 {total} 条",
            )
        click.echo(f"重建完成，共 {total} 条。")
