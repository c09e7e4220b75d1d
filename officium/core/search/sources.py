"""Collecting search sources at start-up and rebuilding the index from them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from officium.core.db import write_transaction
from officium.core.errors import StartupError
from officium.core.registry import SearchSource

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: Entries written per transaction while rebuilding, so a long rebuild never holds the write lock for long.
REINDEX_BATCH = 200


def collect_sources(app: OfficiumApp) -> None:
    """Fill ``app.registry.search_sources`` from ``register_search_sources``; refuse bad or repeated names."""
    from officium.core.registry_collect import _expect, per_plugin

    owner: dict[str, str] = {}
    for plugin, declared in per_plugin(app, "register_search_sources", app=app):
        for source in declared:
            _expect(plugin, "register_search_sources", source, SearchSource)
            kind = source.name[len(plugin) + 1 :]
            if not source.name.startswith(f"{plugin}.") or not kind or "." in kind:
                raise StartupError(f"插件 {plugin} 的检索来源 {source.name} 必须写成 {plugin}.<类别>。")
            if source.name in owner:
                raise StartupError(f"检索来源 {source.name} 重复注册：插件 {plugin} 声明了两次。")
            if not callable(source.reindex):
                raise StartupError(f"插件 {plugin} 的检索来源 {source.name} 的 reindex 不是函数。")
            owner[source.name] = plugin
            app.registry.search_sources[source.name] = source


def sources_of(app: OfficiumApp, plugin: str | None = None) -> list[SearchSource]:
    """The registered sources, all or those of one plugin; ValueError for a plugin with none."""
    found = [
        s for s in app.registry.search_sources.values() if plugin is None or s.name.split(".")[0] == plugin
    ]
    if plugin is not None and not found:
        raise ValueError(f"插件 {plugin} 未启用或没有注册检索来源。")
    return found


def reindex(
    app: OfficiumApp, plugin: str | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Rebuild the index of every source (or of one plugin's) from ``SearchSource.reindex``.

    Returns how many entries each source now has.  ``progress(n)`` is called after each batch of ``n``.
    """
    return {source.name: reindex_source(app, source, progress) for source in sources_of(app, plugin)}


def reindex_source(
    app: OfficiumApp, source: SearchSource, progress: Callable[[int], None] | None = None
) -> int:
    """Remove the entries of one source and write what its ``reindex(app)`` yields, in short transactions.

    While it runs, searches see the source partly rebuilt; run it when the site is quiet.
    """
    from officium.core.search.index import index_entry, remove_module

    with write_transaction(app.db):
        remove_module(app, [source.name])
    written = 0
    for batch in _batches(source.reindex(app), REINDEX_BATCH):
        with write_transaction(app.db):
            for entry in batch:
                if entry.source != source.name:
                    raise ValueError(
                        f"检索来源 {source.name} 的 reindex 返回了来源为 {entry.source} 的条目。"
                    )
                index_entry(app, entry)
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    return written


def entry_count(source: str) -> int:
    """How many entries the index holds for ``source`` now."""
    from officium.core.search.models import SearchDoc

    return SearchDoc.select().where(SearchDoc.source == source).count()


def _batches(items: Iterable, size: int) -> Iterable[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
