"""Bulk import of units and accounts from CSV or XLSX (``officium import units|users FILE``).

Every row is checked before anything is written, and every problem is reported with its row number (the
header is row 1, as a spreadsheet counts).  When any row is wrong nothing is imported; otherwise all rows
go in through the same service functions the pages use (so each gets its audit entry), in one
transaction.  The file formats are documented in docs/admin-guide.md ("Accounts and units").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.core.admin import service
from officium.core.db import write_transaction
from officium.core.identity.models import UNIT_KINDS, Unit

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: Column name → the header texts accepted for it (English or Chinese, case-insensitive).
UNIT_COLUMNS = {
    "code": ("code", "单位代码", "代码"),
    "name": ("name", "单位名称", "名称"),
    "kind": ("kind", "单位类型", "类型"),
    "parent": ("parent", "上级单位代码", "上级代码", "上级单位"),
    "order": ("order", "排序"),
}
UNIT_REQUIRED = ("code", "name", "kind")
USER_COLUMNS = {
    "username": ("username", "用户名", "登录名"),
    "name": ("name", "姓名"),
    "unit": ("unit", "单位代码", "单位"),
    "position": ("position", "职务"),
    "roles": ("roles", "角色"),
}
USER_REQUIRED = ("username", "name")
#: Kind keys and their Chinese names are both accepted.
KIND_NAMES = {**{k: k for k in UNIT_KINDS}, **{v: k for k, v in UNIT_KINDS.items()}}
MAX_ROWS = 50_000
_ROLE_SEPARATORS = re.compile(r"[;；,，、\s]+")


class ImportFileError(ValueError):
    """The file cannot be read at all (missing, wrong type, not a table)."""


@dataclass
class Plan:
    """The checked rows of a file: ``rows`` as ``(row number, values)``, and every problem found."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error(self, row: int, message: str) -> None:
        """Note a problem on ``row``."""
        self.errors.append((row, message))

    def report(self) -> list[str]:
        """The problems as lines ``第 N 行：…``, by row."""
        return [f"第 {row} 行：{message}" for row, message in sorted(self.errors, key=lambda e: e[0])]


# ------------------------------------------------------------------------------------------ reading


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise ImportFileError("文件编码无法识别，请另存为 UTF-8 编码的 CSV。")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(content, newline=""))]


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged or foreign file
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(path: Path) -> list[list[str]]:
    """All rows of a ``.csv`` or ``.xlsx`` file (the first sheet) as lists of text, the header first."""
    if not path.is_file():
        raise ImportFileError(f"找不到文件 {path}。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        raise ImportFileError("只支持 .csv 和 .xlsx 文件。")
    if not rows or not any(rows[0]):
        raise ImportFileError("文件是空的，或第 1 行不是表头。")
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行，请分批导入。")
    return rows


def _records(
    rows: list[list[str]], columns: dict[str, tuple[str, ...]], required: tuple[str, ...], plan: Plan
) -> list[tuple[int, dict[str, str]]]:
    aliases = {alias.lower(): key for key, names in columns.items() for alias in names}
    header: list[str | None] = []
    for title in rows[0]:
        key = aliases.get(title.strip().lower())
        if title.strip() and key is None:
            plan.error(1, f"不认识的列“{title}”，可用的列：{'、'.join(n[0] for n in columns.values())}。")
        if key is not None and key in header:
            plan.error(1, f"列“{title}”重复。")
        header.append(key)
    missing = [columns[key][0] for key in required if key not in header]
    if missing:
        plan.error(1, f"缺少必需的列：{'、'.join(missing)}。")
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {key: "" for key in columns}
        for key, cell in zip(header, row, strict=False):
            if key is not None:
                values[key] = cell.strip()
        records.append((number, values))
    return records


# -------------------------------------------------------------------------------------------- units


def check_units(rows: list[list[str]]) -> Plan:
    """Check a units table: required values, code format and uniqueness, kinds, parents before children."""
    plan = Plan()
    records = _records(rows, UNIT_COLUMNS, UNIT_REQUIRED, plan)
    in_file: dict[str, int] = {}
    existing = {u.code: u for u in Unit.select()}
    for number, values in records:
        code, name, kind, parent = values["code"], values["name"], values["kind"], values["parent"]
        if not code:
            plan.error(number, "缺少单位代码。")
        elif not service.UNIT_CODE_RE.match(code):
            plan.error(number, f"单位代码“{code}”不合法：应为 1–32 位字母、数字、点、下划线或连字符。")
        elif code in in_file:
            plan.error(number, f"单位代码 {code} 与第 {in_file[code]} 行重复。")
        elif code in existing:
            plan.error(number, f"单位代码 {code} 在系统中已存在。")
        if not name:
            plan.error(number, "缺少单位名称。")
        elif len(name) > 100:
            plan.error(number, "单位名称最多 100 个字。")
        if kind.lower() not in KIND_NAMES and kind not in KIND_NAMES:
            choices = "、".join(f"{k}（{v}）" for k, v in UNIT_KINDS.items())
            plan.error(number, f"单位类型“{kind}”不合法，应为 {choices} 之一。")
        if parent:
            if parent == code:
                plan.error(number, "上级单位不能是本单位。")
            elif parent not in in_file and parent not in existing:
                later = next((n for n, v in records if v["code"] == parent and n > number), None)
                where = f"，它在第 {later} 行，上级单位须写在下级单位之前" if later else ""
                plan.error(number, f"上级单位代码 {parent} 不存在{where}。")
            elif parent in existing and not existing[parent].active:
                plan.error(number, f"上级单位 {parent} 已撤销。")
        order = values["order"] or "0"
        if (
            not re.fullmatch(r"-?\d+", order)
            or not service.ORDER_RANGE[0] <= int(order) <= service.ORDER_RANGE[1]
        ):
            plan.error(
                number,
                f"排序“{values['order']}”应为 {service.ORDER_RANGE[0]}–{service.ORDER_RANGE[1]} 之间的整数。",
            )
        if code and code not in in_file:
            in_file[code] = number
        plan.rows.append((number, values))
    return plan


def import_units(
    app: OfficiumApp, plan: Plan, source: str, progress: Callable[[Iterable[Any]], Any] = lambda x: x
) -> int:
    """Create every unit of a checked plan in one transaction; return how many."""
    with write_transaction(app.db):
        for _, values in progress(plan.rows):
            parent = service.unit_by_code(values["parent"]) if values["parent"] else None
            kind = KIND_NAMES.get(values["kind"]) or KIND_NAMES[values["kind"].lower()]
            service.create_unit(
                app,
                {
                    "code": values["code"],
                    "name": values["name"],
                    "kind": kind,
                    "parent": str(parent.id) if parent else "",
                    "order": values["order"] or "0",
                },
            )
        audit.record(
            app,
            "core.import.units",
            object_type="import",
            summary=f"命令行：从 {source} 批量导入 {len(plan.rows)} 个单位",
        )
    return len(plan.rows)


# -------------------------------------------------------------------------------------------- users


def _parse_roles(
    app: OfficiumApp, text: str, unit_code: str, units: dict[str, Unit], number: int, plan: Plan
) -> list[tuple[str, str]]:
    """``"clerk@BGS;leader"`` → ``[("clerk", "BGS"), ("leader", <the user's unit>)]``; staff is skipped."""
    roles = app.registry.roles
    titles = {role.title: name for name, role in roles.items()}
    found: list[tuple[str, str]] = []
    for item in _ROLE_SEPARATORS.split(text):
        if not item:
            continue
        name, _, code = item.partition("@")
        name = titles.get(name, name)
        code = code or unit_code
        if name not in roles:
            plan.error(number, f"角色“{item}”不存在。")
        elif name == service.IMPLICIT_ROLE:
            continue
        elif roles[name].admin:
            plan.error(
                number, f"三员角色（{roles[name].title}）不能通过批量导入授予，请由安全保密管理员单独授予。"
            )
        elif code and code not in units:
            plan.error(number, f"角色“{item}”中的单位代码 {code} 不存在。")
        elif code and not units[code].active:
            plan.error(number, f"角色“{item}”中的单位 {code} 已撤销。")
        elif (name, code) not in found:
            found.append((name, code))
    return found


def check_users(app: OfficiumApp, rows: list[list[str]]) -> Plan:
    """Check an accounts table: usernames (format, unique in the file and the site), names, units, roles."""
    plan = Plan()
    records = _records(rows, USER_COLUMNS, USER_REQUIRED, plan)
    units = {u.code: u for u in Unit.select()}
    seen: dict[str, int] = {}
    for number, values in records:
        username = service.normalise_username(values["username"])
        values["username"] = username
        if not username:
            plan.error(number, "缺少用户名。")
        elif not service.USERNAME_RE.match(username):
            plan.error(
                number,
                f"用户名“{username}”不合法：应为 2–64 位小写字母、数字、点、下划线或连字符，以字母开头。",
            )
        elif username in seen:
            plan.error(number, f"用户名 {username} 与第 {seen[username]} 行重复。")
        elif service.username_taken(username):
            plan.error(number, f"用户名 {username} 在系统中已存在。")
        if username and username not in seen:
            seen[username] = number
        if not values["name"]:
            plan.error(number, "缺少姓名。")
        elif len(values["name"]) > 64:
            plan.error(number, "姓名最多 64 个字。")
        if len(values["position"]) > 64:
            plan.error(number, "职务最多 64 个字。")
        code = values["unit"]
        if code and code not in units:
            plan.error(number, f"单位代码 {code} 不存在。")
        elif code and not units[code].active:
            plan.error(number, f"单位 {code} 已撤销。")
        values["grants"] = _parse_roles(app, values["roles"], code, units, number, plan)
        plan.rows.append((number, values))
    return plan


@dataclass(frozen=True)
class NewAccount:
    """An imported account and its one-time password (written to the passwords file, never shown)."""

    username: str
    name: str
    password: str


def import_users(
    app: OfficiumApp,
    plan: Plan,
    source: str,
    progress: Callable[[Iterable[Any]], Any] = lambda x: x,
    keep_passwords: Callable[[list[NewAccount]], None] = lambda accounts: None,
) -> list[NewAccount]:
    """Create every account of a checked plan and grant its roles, in one transaction.

    ``keep_passwords`` receives the new accounts before the transaction commits: if it fails (the
    passwords file cannot be written), nothing is imported, so no password is ever lost.
    """
    made: list[NewAccount] = []
    with write_transaction(app.db):
        for _, values in progress(plan.rows):
            unit = service.unit_by_code(values["unit"]) if values["unit"] else None
            user, password = service.create_account(
                app,
                {
                    "username": values["username"],
                    "name": values["name"],
                    "unit": str(unit.id) if unit else "",
                    "position": values["position"],
                },
            )
            for role, code in values["grants"]:
                scope = service.unit_by_code(code) if code else None
                service.grant(app, user, {"role": role, "unit": str(scope.id) if scope else ""})
            made.append(NewAccount(user.username, user.name, password))
        audit.record(
            app,
            "core.import.users",
            object_type="import",
            summary=f"命令行：从 {source} 批量导入 {len(made)} 个账号",
        )
        keep_passwords(made)
    return made


def write_passwords(path: Path, accounts: list[NewAccount]) -> None:
    """Write ``用户名,姓名,一次性密码`` rows (UTF-8 with BOM) to a file only its owner can read (0600)."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["用户名", "姓名", "一次性密码"])
        for account in accounts:
            writer.writerow([account.username, account.name, account.password])
