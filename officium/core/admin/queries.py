"""What the auditor reads: the audit log and the login records, filtered, and their CSV export.

Both lists take the same filters from a query string (``user``, ``unit``, ``since``, ``until``, ``result``;
the audit log also ``plugin`` and ``action``).  Dates are ``YYYY-MM-DD`` and both ends are inclusive.
The CSV is UTF-8 with a byte-order mark (so that Excel opens Chinese text correctly) and neutralises
formula injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'``, so a spreadsheet shows it as text instead of running it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from peewee import JOIN

from officium.core.admin.service import get_unit_or_none
from officium.core.audit import AuditEntry
from officium.core.identity.accounts import descendant_ids
from officium.core.identity.models import LoginRecord, Unit, User

AUDIT_RESULTS = {"ok": "成功", "refused": "拒绝", "error": "出错"}
LOGIN_RESULTS = {"success": "成功", "failure": "失败"}
LOGIN_REASONS = {
    "": "",
    "unknown_user": "用户不存在",
    "bad_password": "密码错误",
    "status_disabled": "账号已停用",
    "status_left": "账号已离职",
    "locked": "账号锁定中",
    "one_time_expired": "一次性密码已过期",
    "code_requested": "待输入动态口令",
    "bad_code": "动态口令错误",
}
#: Longest filter text accepted.
FILTER_MAX = 64
#: The most rows one download from the web page may hold; the CLI has no limit.
EXPORT_LIMIT = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filters:
    """Parsed filters of an audit-log or login-record list."""

    user: str = ""
    unit: Unit | None = None
    plugin: str = ""
    action: str = ""
    result: str = ""
    since: date | None = None
    until: date | None = None

    def unit_ids(self) -> list[int]:
        """The unit and every unit below it."""
        assert self.unit is not None
        return [self.unit.id, *descendant_ids(self.unit)]


def parse_date(raw: str) -> date | None:
    """``YYYY-MM-DD`` to a date; None when empty; ValueError when malformed."""
    return date.fromisoformat(raw) if raw else None


def parse_filters(params: Mapping[str, str], results: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Read the filters from query parameters; return them with ``{field: message}`` for bad ones."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in ("user", "plugin", "action"):
        raw = str(params.get(key, "")).strip()
        if len(raw) > FILTER_MAX:
            errors[key] = f"最多 {FILTER_MAX} 个字符。"
        else:
            values[key] = raw
    raw_unit = str(params.get("unit", "")).strip()
    if raw_unit:
        unit = get_unit_or_none(raw_unit)
        if unit is None:
            errors["unit"] = "单位不存在。"
        values["unit"] = unit
    result = str(params.get("result", "")).strip()
    if result and result not in results:
        errors["result"] = f"结果应为 {'、'.join(results)} 之一。"
    else:
        values["result"] = result
    for key in ("since", "until"):
        try:
            values[key] = parse_date(str(params.get(key, "")).strip())
        except ValueError:
            errors[key] = "日期格式应为 YYYY-MM-DD，例如 2026-03-01。"
    if not errors and values["since"] and values["until"] and values["since"] > values["until"]:
        errors["until"] = "结束日期不能早于开始日期。"
    if errors:
        return Filters(), errors
    return Filters(**values), {}


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def audit_query(filters: Filters):
    """Audit entries matching ``filters``, newest first."""
    query = AuditEntry.select()
    if filters.user:
        query = query.where(AuditEntry.actor_name.contains(filters.user))
    if filters.unit is not None:
        query = query.where(AuditEntry.unit.in_(filters.unit_ids()))
    if filters.plugin:
        query = query.where(AuditEntry.plugin == filters.plugin)
    if filters.action:
        query = query.where(AuditEntry.action.contains(filters.action))
    if filters.result:
        query = query.where(AuditEntry.result == filters.result)
    if filters.since:
        query = query.where(AuditEntry.at >= _day_start(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _day_start(filters.until) + timedelta(days=1))
    return query.order_by(AuditEntry.id.desc())


def login_query(filters: Filters):
    """Login records matching ``filters`` (``user`` matches the username typed or the account's name)."""
    query = (
        LoginRecord.select(LoginRecord, User)
        .join(User, JOIN.LEFT_OUTER, on=(LoginRecord.user == User.id))
        .switch(LoginRecord)
    )
    if filters.user:
        query = query.where(LoginRecord.username.contains(filters.user) | User.name.contains(filters.user))
    if filters.unit is not None:
        query = query.where(User.unit.in_(filters.unit_ids()))
    if filters.result:
        query = query.where(LoginRecord.success == (filters.result == "success"))
    if filters.since:
        query = query.where(LoginRecord.at >= _day_start(filters.since))
    if filters.until:
        query = query.where(LoginRecord.at < _day_start(filters.until) + timedelta(days=1))
    return query.order_by(LoginRecord.at.desc(), LoginRecord.id.desc())


def unit_names() -> dict[int, str]:
    """``{unit id: name}`` for showing the unit of an audit entry (entries keep only the id)."""
    return {u.id: u.name for u in Unit.select(Unit.id, Unit.name)}


def login_reason(record: LoginRecord) -> str:
    """The Chinese reason of a login record."""
    return LOGIN_REASONS.get(record.reason, record.reason)


# ----------------------------------------------------------------------------------------------- CSV

AUDIT_HEADER = [
    "编号",
    "时间",
    "操作人",
    "单位",
    "模块",
    "操作",
    "对象类型",
    "对象编号",
    "结果",
    "IP",
    "说明",
    "详情",
]
LOGIN_HEADER = ["时间", "登录名", "姓名", "单位", "IP", "结果", "原因"]


def neutralise(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading ``'`` before a formula-starting character.

    Line breaks inside a value are written as ``\\n`` so that every record stays on one line.
    """
    cell = "" if value is None else str(value)
    # One record per line, whatever a user typed into a name or a title (log injection).
    cell = cell.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _detail_text(raw: str) -> str:
    if not raw:
        return ""
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, sort_keys=True)
    except ValueError:
        return raw


def audit_rows(entries: Iterable[AuditEntry]) -> Iterator[list[object]]:
    """CSV rows (without the header) for audit entries."""
    names = unit_names()
    for e in entries:
        yield [
            e.id,
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name or "（系统/命令行）",
            names.get(e.unit, "") if e.unit else "",
            e.plugin,
            e.action,
            e.object_type,
            e.object_id,
            AUDIT_RESULTS.get(e.result, e.result),
            e.ip,
            e.summary,
            _detail_text(e.detail),
        ]


def login_rows(records: Iterable[LoginRecord]) -> Iterator[list[object]]:
    """CSV rows (without the header) for login records."""
    names = unit_names()
    for r in records:
        user = r.user if r.user_id else None
        yield [
            r.at.strftime("%Y-%m-%d %H:%M:%S"),
            r.username,
            user.name if user else "",
            names.get(user.unit_id, "") if user and user.unit_id else "",
            r.ip,
            "成功" if r.success else "失败",
            login_reason(r),
        ]


def write_csv(out: io.TextIOBase | Any, header: list[str], rows: Iterable[list[object]]) -> int:
    """Write a BOM, the header and the neutralised rows to a text stream; return the number of rows."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def csv_bytes(header: list[str], rows: Iterable[list[object]]) -> bytes:
    """The whole CSV document as UTF-8 bytes (with BOM)."""
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: Iterable[list[object]], title: str = "Sheet1") -> bytes:
    """The same table as an Excel workbook (one sheet, bold header).  Text cells are neutralised as in
    the CSV; numbers stay numbers so that the spreadsheet can sum them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31] or "Sheet1"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [c if isinstance(c, int | float) and not isinstance(c, bool) else neutralise(c) for c in row]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
