"""文档查询 latency at scale: N indexed records of realistic Chinese text, then timed queries.

The issue's target: seed 1,000,000 indexed records and print the median and p95 latency of sets of
two-character, four-character, 文号 and mixed queries.  What it does:

1. makes a site (SQLite in a temporary folder; PostgreSQL in a fresh schema when ``--database-url`` is
   given) with the search plugin and a bench module ``bench`` that registers the source ``bench.doc``;
2. creates a unit tree (局 → 处室/分局 → 科) and a few users;
3. bulk-loads ``--records`` entries generated from word lists of bureau vocabulary (titles such as
   关于做好口岸卫生检疫工作的通知, 文号 such as 赣检发〔2025〕123号, bodies of a few sentences, 来文/发文单位,
   文种, 紧急程度, dates over five years, readers: everyone / the owning unit / a few people / a permission),
   written with the same segmentation and full-text rows as ``index_entry`` but in batches;
4. runs each query set ``--rounds`` times through ``officium.core.search.search`` for an ordinary member
   of staff (the permission filter, the total, the facets, one page of 20 hits and the snippets: what the
   results page does) and prints median and p95 per set, plus the mean number of hits.

Run:  .venv/bin/python bench/search_bench.py [--records 1000000] [--rounds 5]
      [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
or    make bench-search BENCH_ARGS='--records 100000'
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import bulk

from officium import SearchSource, hookimpl
from officium.core.app import create_app
from officium.core.config import SiteConfig, write_config
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.core.migrations_runner import upgrade
from officium.core.search import SearchQuery, search, segment
from officium.core.search.index import (
    _PG_MAX_POS as PG_MAX_POS,
)
from officium.core.search.index import (
    PG_WEIGHTS,
    fts_columns,
    is_postgres,
    pg_vectors,
    reader_token,
)
from officium.testing import add_user, make_plugin

BATCH = 10_000

# ------------------------------------------------------------------------------------------ vocabulary

TOPICS = [
    "检验检疫",
    "进出口食品安全",
    "动植物检疫",
    "卫生检疫",
    "口岸疫情防控",
    "非洲猪瘟防控",
    "H7N9禽流感防控",
    "进境水果检疫",
    "出口商品质量",
    "原产地证签证",
    "实验室能力建设",
    "标准化工作",
    "行政许可",
    "党风廉政建设",
    "安全生产",
    "节能减排",
    "信息化建设",
    "电子政务",
    "干部培训",
    "职工休假",
    "财务预算",
    "内部审计",
    "督查督办",
    "档案管理",
    "保密工作",
    "应急管理",
    "防汛抗旱",
    "信访维稳",
    "法治宣传",
    "通关便利化",
    "跨境电商监管",
    "进口冷链食品",
    "旅检现场查验",
    "船舶卫生监督",
    "国境口岸卫生许可",
    "检疫处理",
    "认证认可",
    "计量器具检定",
]
TITLE_FORMS = [
    "关于{t}的通知",
    "关于做好{t}工作的通知",
    "关于{t}有关问题的请示",
    "关于{t}情况的报告",
    "关于印发《{t}管理办法》的通知",
    "{y}年{t}工作要点",
    "关于开展{t}专项检查的通知",
    "转发{o}关于{t}的函",
    "关于{t}的批复",
    "{t}工作会议纪要",
    "关于加强{t}的意见",
    "关于表彰{y}年度{t}先进集体的决定",
]
VERBS = ["认真落实", "切实做好", "进一步加强", "扎实推进", "严格执行", "统筹做好", "全面开展", "持续深化"]
PHRASES = [
    "各分支局、局机关各处室",
    "根据海关总署有关要求",
    "结合我局实际",
    "现将有关事项通知如下",
    "请各单位高度重视",
    "确保各项措施落到实处",
    "如有问题请及时报告",
    "请于规定时间内报送",
    "特此通知",
    "按照职责分工",
    "加强组织领导",
    "明确责任分工",
    "做好风险评估",
    "强化监督检查",
    "提高工作效率",
    "严格落实岗位责任制",
]
ORGS = [
    "海关总署",
    "省人民政府办公厅",
    "国家质检总局",
    "省商务厅",
    "省卫生健康委员会",
    "省市场监督管理局",
    "南昌市人民政府",
]
UNIT_NAMES = [
    "办公室",
    "人事处",
    "财务处",
    "卫生检疫处",
    "动植物检疫处",
    "食品安全处",
    "检务处",
    "法规处",
    "信息化处",
    "科技处",
    "监察室",
    "机关党委",
]
BRANCHES = [
    "南昌分局",
    "九江分局",
    "赣州分局",
    "景德镇分局",
    "上饶分局",
    "吉安分局",
    "宜春分局",
    "昌北机场办事处",
]
NUMBER_PREFIXES = ["赣检发", "赣检办", "赣检人", "赣检财", "赣检函", "赣检通", "国质检", "署检"]
DOC_TYPES = ["通知", "通知", "通知", "报告", "请示", "批复", "函", "纪要", "意见", "决定"]
URGENCIES = ["", "", "", "", "加急", "特急", "平急"]

QUERY_SETS = {
    "两字": ["通知", "休假", "检疫", "口岸", "猪瘟", "审计", "档案", "冷链", "保密", "培训"],
    "四字": ["检验检疫", "食品安全", "疫情防控", "安全生产", "行政许可", "电子政务", "实验室能", "督查督办"],
    "文号": [
        "赣检发〔2025〕123",
        "赣检办〔2024〕45号",
        "国质检〔2023〕7",
        "检人〔2026〕201",
        "赣检函〔2022〕88号",
    ],
    "混合": [
        "H7N9 疫情",
        "2025 工作要点",
        "非洲猪瘟 防控",
        "原产地证 2024",
        "关于 休假",
        "冷链食品 检疫处理",
    ],
}


class BenchHooks:
    @hookimpl
    def register_search_sources(self, app):
        return [SearchSource("bench.doc", "基准测试公文", lambda app: iter(()))]


def sentence(rng: random.Random, topic: str) -> str:
    return f"{rng.choice(PHRASES)}，{rng.choice(VERBS)}{topic}工作，{rng.choice(PHRASES)}。"


def make_record(
    rng: random.Random,
    i: int,
    units: list[int],
    users: list[int],
    start: date,
    *,
    source: str = "bench.doc",
    issuer: str = "江西出入境检验检疫局",
    permission: str = "bench.read_all",
    number_prefixes: list[str] = NUMBER_PREFIXES,
) -> tuple[dict, dict, list]:
    """One entry ``i`` of ``source`` (module: its first part): the ``core_search_doc`` values (in the table's
    column order), the text row and the reader rows."""
    module = source.split(".", 1)[0]
    topic = rng.choice(TOPICS)
    day = start + timedelta(days=rng.randrange(5 * 365))
    year = day.year
    title = rng.choice(TITLE_FORMS).format(t=topic, y=year, o=rng.choice(ORGS))
    number = f"{rng.choice(number_prefixes)}〔{year}〕{rng.randrange(1, 400)}号"
    body = "".join(
        sentence(rng, rng.choice((topic, topic, rng.choice(TOPICS)))) for _ in range(rng.randrange(3, 9))
    )
    unit = rng.choice(units)
    incoming = rng.random() < 0.4
    doc = {
        "id": i,
        "source": source,
        "record_id": str(i),
        "module": module,
        "title": title,
        "url": f"/{module}/{i}",
        "doc_number": number,
        "from_unit": rng.choice(ORGS) if incoming else "",
        "issuer_unit": "" if incoming else issuer,
        "year": year,
        "unit_id": unit,
        "doc_type": rng.choice(DOC_TYPES),
        "urgency": rng.choice(URGENCIES),
        "date": day,
        "created_at": datetime(day.year, day.month, day.day, 9, 0),
        "indexed_at": datetime(2026, 3, 1, 9, 0),
    }
    roll = rng.random()
    if roll < 0.3:
        readers = [("everyone", "")]
    elif roll < 0.8:
        readers = [("unit", str(unit))]
    elif roll < 0.95:
        readers = [("user", str(rng.choice(users))) for _ in range(3)]
    else:
        readers = [("permission", permission)]
    text = {
        "doc": i,
        "body": body,
        "attachments_text": sentence(rng, topic) * 3 if rng.random() < 0.2 else "",
    }
    return doc, text, list(dict.fromkeys(readers))


#: Where bench text may be cut without joining or splitting a run of the tokenizer (punctuation, spaces).
_PIECES = re.compile("[。，、\n ]")


@lru_cache(maxsize=200_000)
def _piece_tokens(piece: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The bigram/word tokens and the distinct Chinese characters of one piece, as ``field_tokens`` makes
    them (the pieces of generated text repeat a lot, so they are cached)."""
    tokens: list[str] = []
    chars: dict[str, None] = {}
    for run in segment.runs(piece):
        if segment.is_cjk(run):
            if len(run) > 1:
                tokens.extend(segment.run_tokens(run))
            chars.update(dict.fromkeys(run))
        else:
            tokens.append(run)
    return tuple(tokens), tuple(chars)


def field_tokens(text: str) -> list[str]:
    """``segment.field_tokens(text)``, the same tokens faster for bulk loads: the text is tokenized in
    cached pieces and the distinct characters are checked against a set, not the token list."""
    tokens: list[str] = []
    chars: dict[str, None] = {}
    for piece in _PIECES.split(text or ""):
        piece_tokens, piece_chars = _piece_tokens(piece)
        tokens.extend(piece_tokens)
        chars.update(dict.fromkeys(piece_chars))
    seen = set(tokens)
    return tokens + [c for c in chars if c not in seen]


def token_columns(doc, body: str, attachments: str, readers, verify: bool = False) -> dict[str, list[str]]:
    """``index.fts_columns`` with :func:`field_tokens`; ``verify`` compares the result with the core's own
    (a seed checks its first entries, so the index it writes is the one ``index_entry`` would write)."""
    columns = {
        "title": field_tokens(doc.title),
        "doc_number": field_tokens(doc.doc_number),
        "extra": field_tokens(" ".join([doc.from_unit, doc.issuer_unit, doc.doc_type, doc.urgency])),
        "body": field_tokens(body),
        "attachments": field_tokens(attachments),
        "acl": [reader_token(kind, value) for kind, value in readers],
    }
    if verify and columns != fts_columns(doc, body, attachments, readers):
        raise AssertionError(f"bench tokens differ from the index's for {doc.title!r}")
    return columns


#: The columns of the index tables, in the order :func:`write_entries` takes its rows.
DOC_COLUMNS = (
    "id source record_id module title url doc_number from_unit issuer_unit year unit_id doc_type urgency "
    "date created_at indexed_at"
).split()


#: Position marks of a tsvector literal ("12A"), made once: formatting them per token is the slow part.
_MARKS = {w: [f"{min(p, PG_MAX_POS)}{w}" for p in range(PG_MAX_POS + 1)] for w in set(PG_WEIGHTS.values())}


def tsvector_text(columns: dict[str, list[str]]) -> str:
    """``index.tsvector_literal(columns)``, the same text faster (precomputed position marks)."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name, tokens in columns.items():
        marks = _MARKS[PG_WEIGHTS[name]]
        for token in tokens:
            mark = marks[pos if pos < PG_MAX_POS else PG_MAX_POS]
            found = positions.get(token)
            if found is None:
                positions[token] = [mark]
            else:
                found.append(mark)
            pos += 1
        pos += 10
    return " ".join(f"'{token}':{','.join(p[:256])}" for token, p in positions.items())


def fts_row(app, doc_id: int, columns: dict[str, list[str]], verify: bool = False) -> tuple:
    """The ``core_search_fts`` row of one entry from its token lists (``index.fts_columns``), as
    ``index_entry`` writes it: two tsvectors on PostgreSQL, the space-joined tokens per column on SQLite.
    ``verify`` compares the tsvectors with the core's ``pg_vectors``."""
    if is_postgres(app):
        short = {k: v for k, v in columns.items() if k in ("title", "doc_number")}
        row = (doc_id, tsvector_text(columns), tsvector_text(short))
        if verify and row[1:] != pg_vectors(columns):
            raise AssertionError(f"bench tsvectors differ from the index's for entry {doc_id}")
        return row
    return (doc_id, *(" ".join(t) for t in columns.values()))


def write_entries(app, docs: list, texts: list, readers: list, fts: list) -> None:
    """Bulk-write index rows (``core_search_doc`` tuples in :data:`DOC_COLUMNS` order, ``(doc, body,
    attachments_text)``, ``(doc, kind, value)`` and :func:`fts_row` rows) in the caller's transaction."""
    db = app.db
    bulk.bulk_insert(db, "core_search_doc", DOC_COLUMNS, docs)
    bulk.bulk_insert(db, "core_search_text", ["doc_id", "body", "attachments_text"], texts)
    bulk.bulk_insert(db, "core_search_reader", ["doc_id", "kind", "value"], readers)
    if is_postgres(app):
        bulk.bulk_insert(db, "core_search_fts", ["doc_id", "fts", "title_fts"], fts)
    else:
        columns = ["rowid", "title", "doc_number", "extra", "body", "attachments", "acl"]
        bulk.bulk_insert(db, "core_search_fts", columns, fts)


def finish_index(app, analyze: bool = True) -> None:
    """After a bulk load: merge SQLite's FTS segments, or move PostgreSQL's id sequence past the rows; then
    (``analyze``) refresh the planner's statistics."""
    if is_postgres(app):
        bulk.sync_sequence(app.db, "core_search_doc")
        if analyze:
            bulk.analyze(app.db, ["core_search_doc", "core_search_reader", "core_search_fts"])
    else:
        app.db.execute_sql("INSERT INTO core_search_fts (core_search_fts) VALUES ('optimize')")
        if analyze:
            app.db.execute_sql("ANALYZE")


def bulk_load(app, total: int, units: list[int], users: list[int], seed: int = 2026) -> float:
    """Insert ``total`` records in batches, with the full-text rows ``index_entry`` would write."""
    rng = random.Random(seed)
    start = date(2021, 1, 1)
    t0 = time.perf_counter()
    with bulk.fast_writes(app.db):
        for first in range(1, total + 1, BATCH):
            docs, texts, readers, fts = [], [], [], []
            for i in range(first, min(first + BATCH, total + 1)):
                doc, text, rows = make_record(rng, i, units, users, start)
                docs.append(tuple(doc.values()))
                texts.append((i, text["body"], text["attachments_text"]))
                readers += [(i, kind, value) for kind, value in rows]
                shape = SimpleNamespace(**doc)
                columns = token_columns(shape, text["body"], text["attachments_text"], rows, verify=i <= 100)
                fts.append(fts_row(app, i, columns, verify=i <= 100))
            with write_transaction(app.db):
                write_entries(app, docs, texts, readers, fts)
            done = min(first + BATCH - 1, total)
            rate = done / (time.perf_counter() - t0)
            print(f"\r  seeded {done:>9,}/{total:,}  ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    finish_index(app)
    return time.perf_counter() - t0


def make_units(app) -> list[int]:
    with write_transaction(app.db):
        ju = Unit.create(code="ju", name="江西出入境检验检疫局", kind="bureau")
        ids = [ju.id]
        for n, name in enumerate(UNIT_NAMES + BRANCHES):
            unit = Unit.create(code=f"u{n}", name=name, kind="department", parent=ju)
            ids.append(unit.id)
            for k in range(3):
                ids.append(
                    Unit.create(code=f"u{n}k{k}", name=f"{name}第{k + 1}科", kind="section", parent=unit).id
                )
    return ids


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run_queries(app, user: User, rounds: int) -> dict[str, dict[str, float]]:
    figures = {}
    for name, queries in QUERY_SETS.items():
        times, totals = [], []
        for q in queries:  # warm-up, not timed
            search(app, user, SearchQuery(text=q))
        for _ in range(rounds):
            for q in queries:
                t0 = time.perf_counter()
                result = search(app, user, SearchQuery(text=q))
                times.append((time.perf_counter() - t0) * 1000)
                totals.append(result.total)
        figures[name] = {
            "median_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
            "mean_hits": statistics.mean(totals),
            "runs": len(times),
        }
    return figures


def open_site(database_url: str | None) -> tuple:
    site = Path(tempfile.mkdtemp(prefix="officium-search-bench-"))
    schema = None
    url = "sqlite:///data/officium.db"
    if database_url:
        import psycopg

        schema = f"bench_search_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{database_url}{'&' if '?' in database_url else '?'}search_path={schema}"
    write_config(site, database_url=url, enabled_plugins=["search"])
    app = create_app(
        SiteConfig.load(site), extra_plugins=[make_plugin("bench", BenchHooks())], check_schema=False
    )
    upgrade(app)
    return app, site, schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="indexed records to seed (default 1,000,000)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="times each query is run (default 5)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temporary site)")
    parser.add_argument("--keep", action="store_true", help="keep the site folder and PostgreSQL schema")
    args = parser.parse_args(argv)

    app, site, schema = open_site(args.database_url)
    try:
        kind = "PostgreSQL" if args.database_url else "SQLite"
        print(f"site: {site}  database: {kind}  records: {args.records:,}")
        units = make_units(app)
        people = [
            add_user(app, f"user{i}", unit=Unit.get_by_id(units[1 + i % (len(units) - 1)])) for i in range(20)
        ]
        seconds = bulk_load(app, args.records, units, [p.id for p in people])
        print(f"seeded {args.records:,} records in {seconds:.0f} s")
        staff = people[4]
        figures = run_queries(app, staff, args.rounds)
        print(
            f"\n{kind}, {args.records:,} records; user {staff.username} (ordinary staff of {staff.unit.name})"
        )
        print(f"{'queries':<6} {'median ms':>10} {'p95 ms':>8} {'mean hits':>10} {'runs':>5}")
        for name, f in figures.items():
            print(
                f"{name:<6} {f['median_ms']:>10.1f} {f['p95_ms']:>8.1f} {f['mean_hits']:>10,.0f} {f['runs']:>5}"
            )
    finally:
        if app.db is not None:
            app.db.close_all() if hasattr(app.db, "close_all") else app.db.close()
        if schema and not args.keep:
            import psycopg

            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if not args.keep:
            shutil.rmtree(site, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
