"""The 收文登记簿 as an XLSX workbook (openpyxl), with the same cells a clerk's paper register has."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from officium.core.admin.queries import neutralise
from officium.core.workflow.todo import Lights
from officium.plugins.docs_incoming import service
from officium.plugins.docs_incoming.models import IncomingDocument

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

HEADER = [
    "收文编号",
    "收文单位",
    "收文日期",
    "来文单位",
    "来文字号",
    "标题",
    "文种",
    "紧急程度",
    "份数",
    "办理时限",
    "时限状态",
    "状态",
    "主办单位",
    "办理结果",
    "登记人",
    "签收时间",
]


def rows(app: OfficiumApp, documents: Iterable[IncomingDocument]) -> Iterable[list[object]]:
    lights = Lights.for_app(app)
    for d in documents:
        _, label = service.light(lights, d)
        lead = service.assignments(d)["lead"]
        yield [
            d.number,
            d.unit.name,
            d.received_on.isoformat(),
            d.from_unit,
            d.doc_number,
            d.title,
            d.doc_type,
            d.urgency_title,
            d.copies,
            d.due_date.isoformat() if d.due_date else "",
            label,
            d.status_title,
            lead[0].name if lead else "",
            d.result,
            d.registered_by.name,
            d.registered_at.strftime("%Y-%m-%d %H:%M"),
        ]


def workbook(app: OfficiumApp, documents: Iterable[IncomingDocument]) -> bytes:
    """The workbook's bytes; text cells are neutralised against formula injection."""
    # openpyxl (~8 MiB with lxml and Pillow) is imported on export only, not in every worker at start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "收文登记簿"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(app, documents):
        sheet.append([neutralise(c) if isinstance(c, str) else c for c in row])
    for column, width in zip(
        "ABCDEFGHIJKLMNOP", (16, 12, 12, 20, 18, 40, 8, 8, 6, 12, 10, 12, 14, 30, 8, 17), strict=True
    ):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
