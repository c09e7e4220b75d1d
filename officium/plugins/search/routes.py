"""文档查询 pages and JSON API.

The results page and ``GET /api/v1/search/`` take the same query parameters (``q``, ``module``, ``year``,
``unit``, ``date_from``, ``date_to``, ``doc_type``, ``urgency``, ``title``, ``doc_number``, ``from_unit``,
``issuer_unit``, ``sort``, ``page``, ``per_page``); both are permission-filtered by the core index, so the
totals and facet counts count only what the user may open.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import Api, Page
from officium.core import audit
from officium.core.search import search
from officium.core.search.query import FACETS, SORTS
from officium.core.web.api import ApiError, page_params
from officium.core.web.views import current_user, flash, form_value, redirect, render
from officium.plugins.search import service
from officium.plugins.search.service import URL, USE, SavedError

FACET_PARAM = {"module": "module", "year": "year", "unit": "unit", "doc_type": "doc_type"}


def _page_number(params: Any) -> int:
    raw = params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100000 else 1


def _link(query: str, **changes: Any) -> str:
    """The results URL for ``query`` with some parameters replaced (and the page reset unless given)."""
    pairs = [(k, v) for k, v in parse_qsl(query) if k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return f"{URL}?{urlencode(pairs)}"


def _results_context(
    request: Request, params: Any, saved_errors: dict[str, str] | None = None, name: str = ""
) -> dict[str, Any]:
    app, user = request.state.app, current_user(request)
    query, errors = service.parse(app, params, params.getlist)
    query.page = _page_number(params)
    canonical = service.canonical(params, params.getlist)
    result = None
    if not errors and not query.is_empty():
        result = search(app, user, query)
    advanced_open = bool(errors) or any(getattr(query, k) for k in service.ADVANCED)
    return {
        "query": query,
        "values": {k: params.get(k, "") for k in service.KEYS},
        "errors": errors,
        "result": result,
        "canonical": canonical,
        "page_url": lambda n: _link(canonical, page=n),
        "facet_url": lambda key, value: _link(canonical, **{FACET_PARAM[key]: value}),
        "facet_clear_url": lambda key: _link(canonical, **{FACET_PARAM[key]: None}),
        "facet_labels": FACETS,
        "modules": service.module_options(app),
        "units": service.unit_options(),
        "sorts": list(SORTS.items()),
        "doc_types": service.DOC_TYPES,
        "urgencies": service.URGENCIES,
        "advanced": service.ADVANCED,
        "advanced_open": advanced_open,
        "saved": service.saved_of(user),
        "saved_errors": saved_errors or {},
        "saved_name": name,
        "breadcrumbs": [("文档查询", "")],
    }


def index(request: Request) -> Response:
    """The search form, results with facets and pages, and 我的查询."""
    return render(request, "search/index.html", **_results_context(request, request.query_params))


def save_page(request: Request) -> Response:
    """Save the search shown (``query``) under ``name``; errors are shown beside the name field."""
    app, user = request.state.app, current_user(request)
    query = form_value(request, "query")
    name = form_value(request, "name")
    params = _parse_qs(query)
    canonical = service.canonical(params, params.getlist)
    try:
        saved = service.save(app, user, name, canonical)
    except SavedError as exc:
        context = _results_context(request, params, saved_errors=exc.fields, name=name)
        return render(request, "search/index.html", status_code=400, **context)
    audit.record(
        app,
        "search.save",
        request=request,
        object_type="saved_search",
        object_id=saved.id,
        summary=f"保存查询“{saved.name}”",
    )
    flash(request, f"已保存查询“{saved.name}”。")
    return redirect(f"{URL}?{canonical}")


def _parse_qs(query: str) -> QueryParams:
    return QueryParams(query)


def delete_saved(request: Request) -> Response:
    """Delete one of the user's saved searches (after confirmation in the page)."""
    app, user = request.state.app, current_user(request)
    saved = service.saved_or_none(user, request.path_params["id"])
    if saved is None:
        raise HTTPException(404)
    audit.record(
        app,
        "search.delete_saved",
        request=request,
        object_type="saved_search",
        object_id=saved.id,
        summary=f"删除保存的查询“{saved.name}”",
    )
    saved.delete_instance()
    flash(request, f"已删除查询“{saved.name}”。")
    return redirect(URL)


# ------------------------------------------------------------------------------------------------ API


def api_search(request: Request) -> dict[str, Any]:
    """One page of results with the total and the facet counts (only what the caller may open)."""
    app, user = request.state.app, current_user(request)
    params = request.query_params
    page, per_page = page_params(request)
    query, errors = service.parse(app, params, params.getlist)
    if errors:
        raise ApiError(400, "invalid_query", "查询条件不正确。", errors)
    if query.is_empty():
        raise ApiError(400, "empty_query", "请输入查询内容或至少一个筛选条件。", {"q": "请输入查询内容。"})
    query.page, query.per_page = page, per_page
    return service.serialize_result(search(app, user, query))


def api_sources(request: Request) -> dict[str, Any]:
    """The modules that feed the index, the sort orders, 文种 and 紧急程度 choices."""
    app = request.state.app
    return {
        "modules": [{"name": n, "title": t} for n, t in service.module_options(app)],
        "sorts": [{"name": n, "title": t} for n, t in SORTS.items()],
        "doc_types": service.DOC_TYPES,
        "urgencies": service.URGENCIES,
    }


def api_saved(request: Request) -> dict[str, Any]:
    """The caller's saved searches."""
    return {"items": [service.serialize_saved(s) for s in service.saved_of(current_user(request))]}


def api_save(request: Request) -> Response:
    """Save ``{"name", "query"}`` (``query``: the search's query string, e.g. ``q=休假&year=2026``)."""
    app, user = request.state.app, current_user(request)
    data = request.state.json
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "请求体应为 JSON 对象。")
    params = _parse_qs(str(data.get("query", "")))
    try:
        saved = service.save(app, user, str(data.get("name", "")), service.canonical(params, params.getlist))
    except SavedError as exc:
        raise ApiError(400, "invalid", "保存失败。", exc.fields) from exc
    audit.record(
        app,
        "search.save",
        request=request,
        object_type="saved_search",
        object_id=saved.id,
        summary=f"保存查询“{saved.name}”",
    )
    return JSONResponse(service.serialize_saved(saved), status_code=201)


def api_delete_saved(request: Request) -> Response:
    """Delete one of the caller's saved searches; 404 for anyone else's."""
    app, user = request.state.app, current_user(request)
    saved = service.saved_or_none(user, request.path_params["id"])
    if saved is None:
        raise ApiError(404, "not_found", "没有这个保存的查询。")
    audit.record(
        app,
        "search.delete_saved",
        request=request,
        object_type="saved_search",
        object_id=saved.id,
        summary=f"删除保存的查询“{saved.name}”",
    )
    saved.delete_instance()
    return Response(status_code=204)


ROUTES = [
    Page("/", index, "index", USE),
    Page("/saved", save_page, "save", USE, methods=("POST",)),
    Page("/saved/{id:int}/delete", delete_saved, "delete_saved", USE, methods=("POST",)),
    Api("/", api_search, "search", USE, summary="全文检索（按权限过滤，含分面统计）"),
    Api("/sources", api_sources, "sources", USE, summary="可检索的模块和筛选选项"),
    Api("/saved", api_saved, "saved", USE, summary="我的查询"),
    Api("/saved", api_save, "save", USE, methods=("POST",), summary="保存查询"),
    Api(
        "/saved/{id:int}",
        api_delete_saved,
        "delete_saved",
        USE,
        methods=("DELETE",),
        summary="删除保存的查询",
    ),
]
