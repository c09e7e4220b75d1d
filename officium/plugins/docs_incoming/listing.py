"""The 收文登记簿's filters (year, unit, 文种, status, overdue, keyword) and sorting, shared by the page, the
XLSX export and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from peewee import fn
from starlette.requests import Request

from officium.core.web.views import Sorting, sort_query
from officium.plugins.docs_incoming.constants import DOC_TYPES, STATUSES
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.plugins.docs_incoming.service import overdue_condition


@dataclass
class Filters:
    year: int | None = None
    unit: int | None = None
    doc_type: str = ""
    status: str = ""
    overdue: bool = False
    q: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year or "",
            "unit": self.unit or "",
            "doc_type": self.doc_type,
            "status": self.status,
            "overdue": "1" if self.overdue else "",
            "q": self.q,
        }


def _int(raw: str) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def parse_filters(params: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string; unknown values are dropped with a message beside the filter."""
    errors: dict[str, str] = {}
    filters = Filters(q=params.get("q", "").strip()[:100], overdue=params.get("overdue") == "1")
    if params.get("year"):
        filters.year = _int(params["year"])
        if filters.year is None:
            errors["year"] = "年度应为数字。"
    if params.get("unit"):
        filters.unit = _int(params["unit"])
        if filters.unit is None:
            errors["unit"] = "请选择单位。"
    if params.get("doc_type"):
        if params["doc_type"] in DOC_TYPES:
            filters.doc_type = params["doc_type"]
        else:
            errors["doc_type"] = "没有这个文种。"
    if params.get("status"):
        if params["status"] in STATUSES:
            filters.status = params["status"]
        else:
            errors["status"] = "没有这个状态。"
    return filters, errors


def filtered(query: Any, filters: Filters, today: date) -> Any:
    """``query`` narrowed by the filters; ``overdue`` means the time limit passed before ``today``."""
    if filters.year is not None:
        query = query.where(IncomingDocument.year == filters.year)
    if filters.unit is not None:
        query = query.where(IncomingDocument.unit == filters.unit)
    if filters.doc_type:
        query = query.where(IncomingDocument.doc_type == filters.doc_type)
    if filters.status:
        query = query.where(IncomingDocument.status == filters.status)
    if filters.overdue:
        query = query.where(overdue_condition(today))
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(
            IncomingDocument.title.contains(filters.q)
            | IncomingDocument.from_unit.contains(filters.q)
            | IncomingDocument.doc_number.contains(filters.q)
            | (IncomingDocument.number**like)
        )
    return query


SORT_COLUMNS = {
    "number": (IncomingDocument.year, IncomingDocument.seq),
    "received": IncomingDocument.received_on,
    "due": IncomingDocument.due_date,
    "from": IncomingDocument.from_unit,
}


def sorted_query(request: Request, query: Any) -> tuple[Any, Sorting]:
    return sort_query(request, query, SORT_COLUMNS, default="number", direction="desc")


def years() -> list[int]:
    """The years that have documents, newest first (the year filter's choices)."""
    rows = IncomingDocument.select(fn.DISTINCT(IncomingDocument.year)).order_by(IncomingDocument.year.desc())
    return [row[0] for row in rows.tuples()]
