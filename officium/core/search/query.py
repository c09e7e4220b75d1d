"""Querying the index: full text, 公文要素 filters, facets and snippets, filtered by what the user may read.

Who may read an entry is decided inside the SQL, so the total, the facet counts and every page only ever
include entries the user may open: for a text query by the reader tokens stored in the full-text row
(``_e``, ``_u<id>``, ``_n<unit>``, ``_p<hex>``: one index lookup answers text and readers together),
for a query by filters alone by an ``EXISTS`` over ``core_search_reader``.  Both hold the same rows:

* ``everyone`` rows: every active signed-in user;
* ``user`` rows: that user;
* ``unit`` rows: the members of that unit **and of all its sub-units** (an entry readable by 办公室 is
  readable by the 科 under 办公室).  Members of a parent unit do not see a sub-unit's entries through
  the tree: a unit leader who should see them is named by a permission or as a user;
* ``permission`` rows: holders of that permission, computed by
  :func:`officium.core.identity.access.permissions_of` (the project's one permission check).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from officium.core.identity.access import permissions_of
from officium.core.identity.models import Unit, User
from officium.core.search.index import is_postgres, reader_token
from officium.core.search.models import SearchDoc, SearchText
from officium.core.search.segment import Term, normalise, parse_query

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: How results can be ordered: by relevance (标题、文号命中在前) or by date, newest first.
SORTS = {"relevance": "相关度", "date": "日期"}
#: Facet keys and their Chinese labels, in the order the results page shows them.
FACETS = {"module": "模块", "year": "年度", "unit": "单位", "doc_type": "文种"}
SNIPPET_CHARS = 120
#: Above this many visible matches results are ordered by "title or 文号 matched", then date, not by score.
RANK_LIMIT = 5_000
_SQLITE_RANK_IDS = "SELECT rowid FROM core_search_fts WHERE core_search_fts MATCH {p}"


@dataclass
class SearchQuery:
    """What the user asked for; every part is optional.  ``title`` and ``doc_number`` search only those
    fields (高级查询), ``from_unit``/``issuer_unit`` match part of the unit's name."""

    text: str = ""
    modules: tuple[str, ...] = ()
    year: int | None = None
    unit_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    doc_type: str = ""
    urgency: str = ""
    title: str = ""
    doc_number: str = ""
    from_unit: str = ""
    issuer_unit: str = ""
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def is_empty(self) -> bool:
        keys = ("text", "modules", "year", "unit_id", "date_from", "date_to", "doc_type", "urgency", "title")
        keys += ("doc_number", "from_unit", "issuer_unit")
        return not any(getattr(self, key) for key in keys)


@dataclass
class SearchHit:
    """One result: the indexed row plus highlighted HTML for the title and a snippet of the text."""

    doc: SearchDoc
    title_html: Markup
    snippet_html: Markup
    module_title: str


@dataclass
class FacetValue:
    value: Any
    label: str
    count: int


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# ---------------------------------------------------------------------------------------------- readers


def unit_with_ancestors(unit_id: int | None) -> list[int]:
    """``unit_id`` and the ids of the units above it (an entry readable by those is readable here)."""
    found: list[int] = []
    parents = dict(Unit.select(Unit.id, Unit.parent).tuples())
    while unit_id is not None and unit_id not in found:
        found.append(unit_id)
        unit_id = parents.get(unit_id)
    return found


def unit_with_descendants(unit_id: int) -> list[int]:
    """``unit_id`` and every unit below it, for the 单位 filter."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in Unit.select(Unit.id, Unit.parent).tuples():
        children.setdefault(parent, []).append(uid)
    found, todo = [], [unit_id]
    while todo:
        uid = todo.pop()
        if uid not in found:
            found.append(uid)
            todo.extend(children.get(uid, []))
    return found


def user_reader_tokens(app: OfficiumApp, user: User) -> list[str]:
    """The index tokens of every reader row that lets ``user`` find an entry (see ``index.reader_token``)."""
    rows = [("everyone", ""), ("user", str(user.id))]
    rows += [("unit", str(u)) for u in unit_with_ancestors(user.unit_id)]
    rows += [("permission", perm) for perm in sorted(permissions_of(app.registry, user))]
    return [reader_token(kind, value) for kind, value in rows]


def _reader_condition(app: OfficiumApp, user: User, params: list[Any]) -> str:
    p = app.db.param
    ors = ["r.kind = 'everyone'", f"(r.kind = 'user' AND r.value = {p})"]
    params.append(str(user.id))
    units = [str(u) for u in unit_with_ancestors(user.unit_id)]
    if units:
        ors.append(f"(r.kind = 'unit' AND r.value IN ({', '.join([p] * len(units))}))")
        params.extend(units)
    held = sorted(permissions_of(app.registry, user))
    if held:
        ors.append(f"(r.kind = 'permission' AND r.value IN ({', '.join([p] * len(held))}))")
        params.extend(held)
    return f"EXISTS (SELECT 1 FROM core_search_reader r WHERE r.doc_id = d.id AND ({' OR '.join(ors)}))"


# ------------------------------------------------------------------------------------- match expressions


def _sqlite_term(term: Term) -> str:
    if term.phrase:
        return '"' + " ".join(term.tokens) + '"'
    return "(" + " AND ".join(f'"{tok}"' for tok in term.tokens) + ")"


def _sqlite_expr(terms: list[Term]) -> str:
    return " AND ".join(_sqlite_term(t) for t in terms)


def _pg_expr(terms: list[Term], weights: str = "") -> str:
    suffix = f":{weights}" if weights else ""
    joiner = {True: " <-> ", False: " & "}
    return " & ".join(
        "(" + joiner[t.phrase].join(f"'{tok}'{suffix}" for tok in t.tokens) + ")" for t in terms
    )


@dataclass
class _Match:
    """The full-text part of a query.

    ``expr`` selects the matches.  ``rank_expr`` tells the title/文号 matches that rank first.  On
    PostgreSQL ``expr`` is unweighted (so the GIN index answers it without reading the long tsvectors) and
    ``restrict`` (over the short ``title_fts``) adds the 标题/文号-only conditions of the advanced search.
    """

    expr: str
    rank_expr: str
    restrict: str = ""


def _match(app: OfficiumApp, query: SearchQuery) -> _Match | None:
    general = parse_query(query.text)
    title = parse_query(query.title)
    number = parse_query(query.doc_number)
    if not (general or title or number):
        return None
    if is_postgres(app):
        restrict = " & ".join(e for e in (_pg_expr(title, "A"), _pg_expr(number, "B")) if e)
        return _Match(
            _pg_expr(general + title + number), _pg_expr(general) if general else restrict, restrict
        )
    parts = []
    if general:
        parts.append(f"({_sqlite_expr(general)})")
    if title:
        parts.append(f"{{title}} : ({_sqlite_expr(title)})")
    if number:
        parts.append(f"{{doc_number}} : ({_sqlite_expr(number)})")
    rank = f"{{title doc_number}} : ({_sqlite_expr(general)})" if general else " AND ".join(parts)
    return _Match(" AND ".join(parts), rank)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filters(app: OfficiumApp, query: SearchQuery, params: list[Any]) -> list[str]:
    p = app.db.param
    where: list[str] = []
    if query.modules:
        where.append(f"d.module IN ({', '.join([p] * len(query.modules))})")
        params.extend(query.modules)
    if query.year:
        where.append(f"d.year = {p}")
        params.append(int(query.year))
    if query.unit_id:
        units = unit_with_descendants(int(query.unit_id))
        where.append(f"d.unit_id IN ({', '.join([p] * len(units))})")
        params.extend(units)
    if query.date_from:
        where.append(f"d.date >= {p}")
        params.append(query.date_from)
    if query.date_to:
        where.append(f"d.date <= {p}")
        params.append(query.date_to)
    for key in ("doc_type", "urgency"):
        if getattr(query, key):
            where.append(f"d.{key} = {p}")
            params.append(getattr(query, key))
    for key in ("from_unit", "issuer_unit"):
        if getattr(query, key).strip():
            where.append(f"d.{key} LIKE {p} ESCAPE '\\'")
            params.append(_like(getattr(query, key).strip()))
    return where


# ------------------------------------------------------------------------------------------------ search


def search(app: OfficiumApp, user: User | None, query: SearchQuery, *, facets: bool = True) -> SearchResult:
    """Run ``query`` for ``user``: one page of hits, the total and the facet counts, all permission-filtered."""
    page = max(1, int(query.page or 1))
    per_page = max(1, min(100, int(query.per_page or 20)))
    if user is None or not user.is_active or query.is_empty():
        return SearchResult([], 0, page, per_page, {})
    pg = is_postgres(app)
    p = app.db.param
    match = _match(app, query)
    params: list[Any] = []
    if match is None:
        source = "core_search_doc d"
        where: list[str] = []
    elif pg:
        # Who may read is part of the full-text condition: the GIN index answers text and readers at once.
        readers = " | ".join(f"'{t}'" for t in user_reader_tokens(app, user))
        source = "core_search_doc d JOIN core_search_fts f ON f.doc_id = d.id"
        where = [f"f.fts @@ {p}::tsquery"]
        params.append(f"({match.expr}) & ({readers})")
        if match.restrict:
            where.append(f"f.title_fts @@ {p}::tsquery")
            params.append(match.restrict)
    else:
        readers = " OR ".join(f'"{t}"' for t in user_reader_tokens(app, user))
        source = "core_search_fts JOIN core_search_doc d ON d.id = core_search_fts.rowid"
        where = [f"core_search_fts MATCH {p}"]
        params.append(f"({match.expr}) AND {{acl}} : ({readers})")
    where += _filters(app, query, params)
    if match is None:
        where.append(_reader_condition(app, user, params))
    sql_where = " AND ".join(where)

    if not (pg and match is not None):
        # (On SQLite a transaction would take the write lock: BEGIN IMMEDIATE.  Reads need none.)
        return _run(app, query, match, source, sql_where, params, page, per_page, facets)
    with app.db.atomic():
        # The planner cannot see that checking a row's tsvector means reading it from TOAST, and picks a
        # sequential scan for common words; the GIN index answers them without reading one tsvector.
        app.db.execute_sql("SET LOCAL enable_seqscan = off")
        try:
            return _run(app, query, match, source, sql_where, params, page, per_page, facets)
        finally:
            app.db.execute_sql("SET LOCAL enable_seqscan = on")


def _run(
    app: OfficiumApp,
    query: SearchQuery,
    match: _Match | None,
    source: str,
    sql_where: str,
    params: list[Any],
    page: int,
    per_page: int,
    facets: bool,
) -> SearchResult:
    pg = is_postgres(app)
    p = app.db.param
    # One grouped query gives the total and every facet.
    grouped = app.db.execute_sql(
        f"SELECT d.module, d.year, d.unit_id, d.doc_type, COUNT(*) FROM {source} WHERE {sql_where} "
        "GROUP BY d.module, d.year, d.unit_id, d.doc_type",
        params,
    ).fetchall()
    total = sum(row[4] for row in grouped)

    order_params: list[Any] = []
    by_date = "d.date DESC NULLS LAST, d.id DESC"
    if match is None or query.sort == "date":
        order = by_date
    elif total > RANK_LIMIT:
        # Scoring every one of a huge number of matches costs more than the rest of the query together;
        # the title/文号 matches still come first, then the newest.
        order = (
            f"(f.title_fts @@ {p}::tsquery) DESC, "
            if pg
            else f"(d.id IN ({_SQLITE_RANK_IDS.format(p=p)})) DESC, "
        ) + by_date
        order_params = [match.rank_expr]
    elif pg:
        order = (
            f"(f.title_fts @@ {p}::tsquery) DESC, ts_rank('{{0.1, 0.3, 1.0, 1.0}}'::float4[], f.fts, {p}::tsquery) DESC, "
            + by_date
        )
        order_params = [match.rank_expr, match.expr]
    else:
        order = (
            f"(d.id IN ({_SQLITE_RANK_IDS.format(p=p)})) DESC, bm25(core_search_fts, 10.0, 10.0, 3.0, 1.0, 0.5), "
            + by_date
        )
        order_params = [match.rank_expr]
    ids = (
        []
        if total == 0
        else [
            row[0]
            for row in app.db.execute_sql(
                f"SELECT d.id FROM {source} WHERE {sql_where} ORDER BY {order} LIMIT {p} OFFSET {p}",
                [*params, *order_params, per_page, (page - 1) * per_page],
            ).fetchall()
        ]
    )
    docs = {d.id: d for d in SearchDoc.select().where(SearchDoc.id.in_(ids))} if ids else {}
    texts = {t.doc_id: t for t in SearchText.select().where(SearchText.doc.in_(ids))} if ids else {}
    words = _highlight_words(query)
    titles = _module_titles(app)
    hits = [
        SearchHit(
            doc=docs[i],
            title_html=highlight(docs[i].title, words),
            snippet_html=snippet(texts.get(i), words),
            module_title=titles.get(docs[i].module, docs[i].module),
        )
        for i in ids
        if i in docs
    ]
    return SearchResult(hits, total, page, per_page, _facets(grouped, titles) if facets else {})


def _module_titles(app: OfficiumApp) -> dict[str, str]:
    return {p.name: p.info.title for p in app.plugins}


def _facets(grouped: list[tuple], titles: dict[str, str]) -> dict[str, list[FacetValue]]:
    counts: dict[str, dict[Any, int]] = {key: {} for key in FACETS}
    for module, year, unit_id, doc_type, count in grouped:
        for key, value in (("module", module), ("year", year), ("unit", unit_id), ("doc_type", doc_type)):
            if value not in (None, ""):
                counts[key][value] = counts[key].get(value, 0) + count
    unit_names = dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(list(counts["unit"]))).tuples())
    labels = {
        "module": lambda v: titles.get(v, v),
        "year": lambda v: f"{v} 年",
        "unit": lambda v: unit_names.get(v, f"单位 {v}"),
        "doc_type": str,
    }
    result = {}
    for key, values in counts.items():
        ordered = sorted(
            values.items(), key=lambda kv: (-kv[0], 0) if key == "year" else (-kv[1], str(kv[0]))
        )
        result[key] = [FacetValue(value, labels[key](value), count) for value, count in ordered]
    return result


# ---------------------------------------------------------------------------------------------- snippets


def _highlight_words(query: SearchQuery) -> list[str]:
    words: list[str] = []
    for text in (query.text, query.title, query.doc_number):
        for term in parse_query(text):
            words.extend(w for w in term.words if w not in words)
    for text in (query.from_unit, query.issuer_unit):
        if text.strip():
            words.append(normalise(text.strip()))
    return sorted(words, key=len, reverse=True)


def _folded(text: str) -> str:
    """``text`` NFKC-folded and lower-cased character by character, so positions stay the same."""
    return "".join(c if len(f := normalise(c)) != 1 else f for c in text)


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    words = [w for w in words if w]
    return re.compile("|".join(re.escape(w) for w in words)) if words else None


def highlight(text: str, words: list[str]) -> Markup:
    """``text`` as escaped HTML with each occurrence of ``words`` wrapped in ``<mark>``."""
    pattern = _pattern(words)
    if pattern is None or not text:
        return Markup(escape(text or ""))
    out, last = [], 0
    for m in pattern.finditer(_folded(text)):
        out.append(escape(text[last : m.start()]))
        out.append(Markup("<mark>") + escape(text[m.start() : m.end()]) + Markup("</mark>"))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(text_row: SearchText | None, words: list[str], size: int = SNIPPET_CHARS) -> Markup:
    """About ``size`` characters of the body (or of the attachments) around the first match, highlighted."""
    pattern = _pattern(words)
    body = text_row.body if text_row is not None else ""
    attachments = text_row.attachments_text if text_row is not None else ""
    for prefix, text in (("", body or ""), ("附件：", attachments or "")):
        text = " ".join(text.split())
        found = pattern.search(_folded(text)) if pattern is not None else None
        if found is None:
            continue
        start = max(0, found.start() - size // 3)
        piece = text[start : start + size]
        lead = "…" if start > 0 else ""
        tail = "…" if start + size < len(text) else ""
        return Markup(escape(prefix + lead)) + highlight(piece, words) + escape(tail)
    text = " ".join((body or "").split())
    return highlight(text[:size] + ("…" if len(text) > size else ""), words)
