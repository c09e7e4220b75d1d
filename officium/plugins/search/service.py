"""文档查询: reading a search from a query string, saved searches, and what the pages and the API show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from officium import Permission
from officium.core.identity.models import Unit, User
from officium.core.search import SearchQuery
from officium.core.search.query import FACETS, SORTS, SearchHit, SearchResult
from officium.plugins.search.models import SavedSearch

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

URL = "/search/"
USE = "search.use"
PERMISSIONS = [Permission(USE, "使用文档查询", default_roles=("staff",))]

#: The query-string keys of a search, in the order a saved search keeps them.
KEYS = (
    "q",
    "module",
    "year",
    "unit",
    "date_from",
    "date_to",
    "doc_type",
    "urgency",
    "title",
    "doc_number",
    "from_unit",
    "issuer_unit",
    "sort",
)
#: 公文要素 of the advanced search (高级查询) and their labels.
ADVANCED = {
    "title": "标题",
    "doc_number": "文号",
    "from_unit": "来文单位",
    "issuer_unit": "发文单位",
    "date_from": "成文日期从",
    "date_to": "成文日期至",
    "doc_type": "文种",
    "urgency": "紧急程度",
}
DOC_TYPES = [
    "决议",
    "决定",
    "命令",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "函",
    "纪要",
]
URGENCIES = ["特急", "加急", "平急"]
MAX_TEXT = 100
MAX_SAVED = 50


def module_options(app: OfficiumApp) -> list[tuple[str, str]]:
    """(plugin, title) of every module that feeds the index."""
    names = list(dict.fromkeys(name.split(".")[0] for name in app.registry.search_sources))
    titles = {p.name: p.info.title for p in app.plugins}
    return [(name, titles.get(name, name)) for name in names]


def unit_options() -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in Unit.select().where(Unit.active == True).order_by(Unit.order, Unit.id)]  # noqa: E712


def parse(
    app: OfficiumApp, params: Mapping[str, Any], getlist: Any = None
) -> tuple[SearchQuery, dict[str, str]]:
    """Read a search from query parameters; returns the query and ``{field: Chinese error}``."""
    errors: dict[str, str] = {}

    def text(key: str, limit: int = MAX_TEXT) -> str:
        value = str(params.get(key, "") or "").strip()
        if len(value) > limit:
            errors[key] = f"不能超过 {limit} 个字。"
            return ""
        return value

    modules = tuple(m for m in (getlist("module") if getlist else [params.get("module", "")]) if m)
    known = {name for name, _ in module_options(app)}
    if any(m not in known for m in modules):
        errors["module"] = "没有这个模块。"
    year = None
    raw_year = text("year")
    if raw_year:
        if raw_year.isascii() and raw_year.isdigit() and 1900 <= int(raw_year) <= 2999:
            year = int(raw_year)
        else:
            errors["year"] = "年度应为四位数字，如 2026。"
    unit_id = None
    raw_unit = text("unit")
    if raw_unit:
        if (
            raw_unit.isascii()
            and raw_unit.isdigit()
            and Unit.get_or_none(Unit.id == int(raw_unit)) is not None
        ):
            unit_id = int(raw_unit)
        else:
            errors["unit"] = "没有这个单位。"
    dates: dict[str, date | None] = {}
    for key in ("date_from", "date_to"):
        raw = text(key)
        dates[key] = None
        if raw:
            try:
                dates[key] = date.fromisoformat(raw)
            except ValueError:
                errors[key] = "日期应写成 2026-03-01 的格式。"
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = "结束日期不能早于开始日期。"
    sort = text("sort") or "relevance"
    if sort not in SORTS:
        errors["sort"] = "排序方式不正确。"
    query = SearchQuery(
        text=text("q"),
        modules=modules,
        year=year,
        unit_id=unit_id,
        date_from=dates["date_from"],
        date_to=dates["date_to"],
        doc_type=text("doc_type", 32),
        urgency=text("urgency", 16),
        title=text("title"),
        doc_number=text("doc_number"),
        from_unit=text("from_unit"),
        issuer_unit=text("issuer_unit"),
        sort=sort if sort in SORTS else "relevance",
    )
    return query, errors


def canonical(params: Mapping[str, Any], getlist: Any = None) -> str:
    """The query string of a search with empty and unknown keys left out (what a saved search keeps)."""
    pairs: list[tuple[str, str]] = []
    for key in KEYS:
        values = getlist(key) if getlist else [params.get(key, "")]
        pairs += [(key, str(v).strip()) for v in values if str(v or "").strip()]
    if ("sort", "relevance") in pairs:
        pairs.remove(("sort", "relevance"))
    return urlencode(pairs)


def describe(app: OfficiumApp, query: SearchQuery) -> str:
    """A short Chinese description of a search, for the audit trail and the saved-search list."""
    parts = [f"“{query.text}”"] if query.text else []
    modules = dict(module_options(app))
    if query.modules:
        parts.append("模块：" + "、".join(modules.get(m, m) for m in query.modules))
    if query.year:
        parts.append(f"{query.year} 年")
    for key, label in ADVANCED.items():
        value = getattr(query, key)
        if value:
            parts.append(f"{label}：{value}")
    return "；".join(parts) or "全部"


# -------------------------------------------------------------------------------------- saved searches


class SavedError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("；".join(fields.values()))
        self.fields = fields


def saved_of(user: User) -> list[SavedSearch]:
    return list(SavedSearch.select().where(SavedSearch.user == user).order_by(SavedSearch.name))


def save(app: OfficiumApp, user: User, name: str, query: str) -> SavedSearch:
    """Keep ``query`` under ``name`` for ``user``; the same name again replaces the earlier search."""
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "请填写名称。"
    elif len(name) > 50:
        errors["name"] = "名称不能超过 50 个字。"
    if not query:
        errors["name"] = "没有可保存的查询条件：请先输入查询内容或选择筛选条件。"
    existing = SavedSearch.get_or_none((SavedSearch.user == user) & (SavedSearch.name == name))
    if (
        existing is None
        and not errors
        and SavedSearch.select().where(SavedSearch.user == user).count() >= MAX_SAVED
    ):
        errors["name"] = f"最多保存 {MAX_SAVED} 个查询，请先删除不用的。"
    if errors:
        raise SavedError(errors)
    if existing is not None:
        existing.query = query
        existing.created_at = app.clock()
        existing.save()
        return existing
    return SavedSearch.create(user=user, name=name, query=query, created_at=app.clock())


def saved_or_none(user: User, saved_id: int) -> SavedSearch | None:
    return SavedSearch.get_or_none((SavedSearch.id == saved_id) & (SavedSearch.user == user))


# ---------------------------------------------------------------------------------------------- output


def serialize_hit(hit: SearchHit) -> dict[str, Any]:
    doc = hit.doc
    return {
        "source": doc.source,
        "record_id": doc.record_id,
        "module": doc.module,
        "module_title": hit.module_title,
        "title": doc.title,
        "url": doc.url,
        "title_html": str(hit.title_html),
        "snippet_html": str(hit.snippet_html),
        "doc_number": doc.doc_number,
        "from_unit": doc.from_unit,
        "issuer_unit": doc.issuer_unit,
        "doc_type": doc.doc_type,
        "urgency": doc.urgency,
        "year": doc.year,
        "unit_id": doc.unit_id,
        "date": doc.date.isoformat() if doc.date else None,
    }


def serialize_result(result: SearchResult) -> dict[str, Any]:
    return {
        "items": [serialize_hit(h) for h in result.hits],
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
        "facets": {
            key: [{"value": f.value, "label": f.label, "count": f.count} for f in result.facets.get(key, [])]
            for key in FACETS
        },
    }


def serialize_saved(saved: SavedSearch) -> dict[str, Any]:
    return {
        "id": saved.id,
        "name": saved.name,
        "query": saved.query,
        "url": f"{URL}?{saved.query}",
        "created_at": saved.created_at.isoformat(),
    }


def search_box_url(request: Any) -> str:
    """The shell's search box target: ``/search/`` for a user who may search, else "" (no box)."""
    ctx = getattr(getattr(request, "state", None), "ctx", None)
    if ctx is None or ctx.user is None or USE not in ctx.permissions:
        return ""
    return URL
