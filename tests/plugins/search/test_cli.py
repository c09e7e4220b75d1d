"""``officium search reindex [--plugin X]`` rebuilds the index from the sources, with a progress bar."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from officium.cli import main
from officium.core.audit import AuditEntry
from officium.core.search import SearchQuery, search
from officium.core.search.models import SearchDoc
from tests.plugins.search.conftest import MEMOS, memo


@pytest.fixture
def cli(office, monkeypatch):
    monkeypatch.setattr("officium.cli.load_app", lambda ctx, check_schema=True: office.app)
    site = str(office.app.config.site_dir)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["--site", site, *args])


def titles(office, text):
    return sorted(h.doc.title for h in search(office.app, office.people["wu"], SearchQuery(text=text)).hits)


def test_reindex_rebuilds_from_the_records(office, cli):
    before = SearchDoc.select().where(SearchDoc.source == "memo.note").count()
    MEMOS[:] = [
        memo("m1", "关于做好春节期间休假安排的通知（修订）", body="春节休假另行通知。"),
        memo("n9", "新增的备忘"),
    ]
    try:
        result = cli("search", "reindex", "--plugin", "memo")
        assert result.exit_code == 0, result.output
        assert "内部备忘（memo.note）" in result.output and "memo.note：2 条" in result.output
        assert "重建完成，共 2 条。" in result.output
        assert before > 2 and SearchDoc.select().where(SearchDoc.source == "memo.note").count() == 2
        assert titles(office, "修订") == ["关于做好春节期间休假安排的通知（修订）"]
        assert titles(office, "周报") == []
        audit = AuditEntry.select().where(AuditEntry.action == "search.reindex").get()
        assert audit.summary == "重建检索索引（memo），共 2 条"
    finally:
        MEMOS.clear()


def test_reindex_of_an_unknown_plugin_fails_cleanly(office, cli):
    result = cli("search", "reindex", "--plugin", "nosuch")
    assert result.exit_code == 1
    assert "插件 nosuch 未启用或没有注册检索来源" in result.output
