"""bench/province.py at a tiny size: exact row counts, the 10k stage callback, every probe answering 200
(``check`` also approves items through the API), and the bench tokenizer agreeing with the index's."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import province  # noqa: E402
import search_bench  # noqa: E402

from officium.core.app import create_app  # noqa: E402
from officium.core.config import SiteConfig  # noqa: E402
from officium.core.search.index import fts_columns  # noqa: E402
from officium.core.workflow.models import WorkItem  # noqa: E402
from officium.testing import close_site, database_url_for_test, drop_test_schema  # noqa: E402

TINY = {"users": 300, "units": 30, "work_items": 1_500, "documents": 200, "mail": 400, "search": 600}


def test_tiny_province_seed_has_the_asked_sizes_and_working_probes(tmp_path: Path, monkeypatch) -> None:
    """On SQLite, or on PostgreSQL in a schema of its own when the suite runs there."""
    monkeypatch.setattr(province, "STAGE_ITEMS", 700)
    stages = []

    def on_stage(stage: str, where: Path) -> None:
        # the seed's database is committed and closed: a new app (a server would) sees the stage's items
        app = create_app(SiteConfig.load(where))
        stages.append((stage, WorkItem.select().count()))
        close_site(app)

    site = tmp_path / "site"
    url, schema = database_url_for_test(site)
    try:
        summary = province.seed_province(
            site, TINY, database_url=url if schema else None, echo=lambda _: None, on_stage=on_stage
        )
        _check_summary(site, summary, stages)
    finally:
        drop_test_schema(schema)


def _check_summary(site: Path, summary: dict, stages: list) -> None:
    assert summary["sizes"] == TINY
    assert stages == [("work_items_10k", 700), ("done", TINY["work_items"])]
    probes = summary["probes"]
    assert probes["approvers"] and all(probes["approvers"].values())
    first = {user: ids[-1] for user, ids in list(probes["approvers"].items())[:3]}
    assert province.check(site, probes, approvals=3, echo=lambda _: None) == []
    # the approved items are no longer offered to the load test
    assert all(item not in probes["approvers"].get(user, []) for user, item in first.items())


def test_the_bench_tokens_are_the_index_tokens() -> None:
    rng = random.Random(5)
    for i in range(300):
        doc, text, readers = search_bench.make_record(
            rng, i, [1, 2, 3], [4, 5], search_bench.date(2022, 1, 1)
        )
        shape = SimpleNamespace(**doc)
        body, attachments = text["body"] + "\n收文编号：收〔2024〕12号 H7N9", text["attachments_text"]
        assert search_bench.token_columns(shape, body, attachments, readers) == fts_columns(
            shape, body, attachments, readers
        )
