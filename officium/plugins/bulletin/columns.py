"""Columns (栏目): the office sets them up, with who may publish in each, who reads it and who approves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.plugins.bulletin import access, scopes
from officium.plugins.bulletin.models import APPROVALS, Announcement, Column

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

NAME_MAX = 64
DESCRIPTION_MAX = 300


class ColumnError(ValueError):
    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


def active() -> list[Column]:
    return list(Column.select().where(Column.active).order_by(Column.order, Column.id))


def everything() -> list[Column]:
    return list(Column.select().order_by(Column.active.desc(), Column.order, Column.id))


def may_publish(who: scopes.Viewer, column: Column) -> bool:
    """The office may publish everywhere; others where the column's publishing scope covers them."""
    return access.is_manager(who) or scopes.covers(who, scopes.PUBLISH, column.id)


def publishable(who: scopes.Viewer) -> list[Column]:
    """The active columns ``who`` may publish in."""
    if access.is_manager(who):
        return active()
    ids = scopes.column_ids(who, scopes.PUBLISH)
    return [c for c in active() if c.id in ids]


def readable(who: scopes.Viewer) -> list[Column]:
    """The active columns ``who`` reads."""
    ids = scopes.column_ids(who, scopes.READ)
    return [c for c in active() if c.id in ids or access.is_manager(who)]


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _scope(data: Any, field: str, errors: dict[str, str]) -> list[scopes.Entry]:
    if not isinstance(data, Mapping):
        errors[field] = "请选择范围：全局，或至少一个单位或角色。"
        return []
    units = data.get("units") or []
    roles = data.get("roles") or []
    units = [units] if isinstance(units, str) else [str(u) for u in units if str(u).strip()]
    roles = [roles] if isinstance(roles, str) else [str(r) for r in roles if str(r).strip()]
    everyone = data.get("all") in (True, "1", "true", "on")
    chosen, problem = scopes.parse(everyone, units, roles)
    if problem:
        errors[field] = problem
    return chosen


def check(data: Mapping[str, Any], column: Column | None = None) -> dict[str, Any]:
    """``name``, ``description``, ``order``, ``approval``, ``active``, ``readers`` and ``publishers``
    (each ``{"all": bool, "units": [codes], "roles": [names]}``)."""
    errors: dict[str, str] = {}
    name = _text(data, "name")
    if not name:
        errors["name"] = "请填写栏目名称。"
    elif len(name) > NAME_MAX:
        errors["name"] = f"栏目名称不能超过 {NAME_MAX} 个字。"
    elif Column.select().where((Column.name == name) & (Column.id != (column.id if column else 0))).exists():
        errors["name"] = f"已有名为“{name}”的栏目。"
    description = _text(data, "description")
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"栏目说明不能超过 {DESCRIPTION_MAX} 个字。"
    raw_order = data.get("order", 0)
    raw_order = str(raw_order).strip() if raw_order is not None else "0"
    if raw_order in ("", "0"):
        order = 0
    elif raw_order.isascii() and raw_order.lstrip("-").isdigit() and abs(int(raw_order)) < 10000:
        order = int(raw_order)
    else:
        errors["order"] = "排序应为整数。"
        order = 0
    approval = _text(data, "approval")
    if approval not in APPROVALS:
        errors["approval"] = "请选择审核方式。"
    readers = _scope(data.get("readers"), "readers", errors)
    publishers = _scope(data.get("publishers"), "publishers", errors)
    active_flag = data.get("active", True)
    if isinstance(active_flag, str):
        active_flag = active_flag.strip().lower() in ("1", "true", "on", "yes")
    if errors:
        raise ColumnError("提交的内容不正确。", errors)
    return {
        "name": name,
        "description": description,
        "order": order,
        "approval": approval,
        "active": bool(active_flag),
        "readers": readers,
        "publishers": publishers,
    }


def save(
    app: OfficiumApp, values: Mapping[str, Any], column: Column | None, request: Request | None
) -> Column:
    """Create a column, or change one."""
    created = column is None
    if column is None:
        column = Column(created_at=app.clock())
    for key in ("name", "description", "order", "approval", "active"):
        setattr(column, key, values[key])
    column.save()
    scopes.store(scopes.READ, column.id, values["readers"])
    scopes.store(scopes.PUBLISH, column.id, values["publishers"])
    audit.record(
        app,
        "bulletin.column_create" if created else "bulletin.column_change",
        request=request,
        object_type="column",
        object_id=column.id,
        summary=f"{'新建' if created else '修改'}栏目“{column.name}”（{APPROVALS[column.approval]}）",
    )
    if not created:
        # readers of announcements that follow the column changed: the search index follows
        from officium.plugins.bulletin import schedule

        for announcement in Announcement.select().where(
            (Announcement.column == column) & (Announcement.status == "published")
        ):
            schedule.refresh(app, announcement)
    return column


def serialize(column: Column, role_titles: dict[str, str]) -> dict[str, Any]:
    readers = scopes.entries(scopes.READ, column.id)
    publishers = scopes.entries(scopes.PUBLISH, column.id)
    return {
        "id": column.id,
        "name": column.name,
        "description": column.description,
        "order": column.order,
        "approval": column.approval,
        "approval_title": column.approval_title,
        "active": column.active,
        "readers": scopes.as_data(readers),
        "readers_text": scopes.describe(readers, role_titles),
        "publishers": scopes.as_data(publishers),
        "publishers_text": scopes.describe(publishers, role_titles),
    }
