"""What HR (leave.admin) changes: leave types, approval rules and the HR record of a person.  Each change
is checked, stored and audited in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.core.identity.models import User
from officium.plugins.leave import rules
from officium.plugins.leave.models import COUNTING, RANKS, HrRecord, LeaveRule, LeaveType
from officium.plugins.leave.requests import LeaveError, parse_date

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _number(data: Mapping[str, Any], key: str, errors: dict[str, str], label: str) -> float:
    raw = data.get(key, 0)
    try:
        value = float(str(raw).strip() or 0)
    except ValueError:
        value = -1
    if not 0 <= value <= 400 or value * 2 != int(value * 2):
        errors[key] = f"{label}应为 0 到 400 之间的整数或半天。"
        return 0
    return value


def save_type(
    app: OfficiumApp, leave_type: LeaveType, data: Mapping[str, Any], request: Request | None = None
) -> LeaveType:
    """Change a type's name, counting, half days, balance, quota, per-request maximum, documents, note."""
    errors: dict[str, str] = {}
    name = _text(data, "name")
    if not name or len(name) > 32:
        errors["name"] = "请填写名称（不超过 32 个字）。"
    counting = _text(data, "counting")
    if counting not in COUNTING:
        errors["counting"] = "请选择按工作日或自然日计算。"
    quota = _number(data, "yearly_quota", errors, "年度额度")
    max_days = _number(data, "max_days", errors, "每次最多天数")
    note = _text(data, "note")
    if len(note) > 500:
        errors["note"] = "说明不能超过 500 个字。"
    if errors:
        raise LeaveError("提交的内容不正确。", errors)
    before = {
        "name": leave_type.name,
        "counting": leave_type.counting,
        "half_day": leave_type.half_day,
        "balance_required": leave_type.balance_required,
        "yearly_quota": leave_type.yearly_quota,
        "max_days": leave_type.max_days,
        "document_required": leave_type.document_required,
        "active": leave_type.active,
    }
    leave_type.name = name
    leave_type.counting = counting
    leave_type.half_day = _flag(data, "half_day")
    leave_type.balance_required = _flag(data, "balance_required")
    leave_type.yearly_quota = quota
    leave_type.max_days = max_days
    leave_type.document_required = _flag(data, "document_required")
    leave_type.paid = _flag(data, "paid")
    leave_type.active = _flag(data, "active")
    leave_type.note = note
    leave_type.save()
    after = {key: getattr(leave_type, key) for key in before}
    audit.record(
        app,
        "leave.type.update",
        request=request,
        object_type="type",
        object_id=leave_type.code,
        summary=f"修改假别：{leave_type.name}",
        detail={"before": before, "after": after},
    )
    return leave_type


def add_rule(app: OfficiumApp, data: Mapping[str, Any], request: Request | None = None) -> LeaveRule:
    types = {t.id: t for t in LeaveType.select()}
    try:
        values = rules.check(dict(data), types)
    except rules.RuleError as exc:
        raise LeaveError(exc.message, exc.fields) from exc
    rule = LeaveRule.create(**values)
    audit.record(
        app,
        "leave.rule.create",
        request=request,
        object_type="rule",
        object_id=rule.id,
        summary=f"新增审批规则：{describe_rule(rule)}",
    )
    return rule


def update_rule(
    app: OfficiumApp, rule: LeaveRule, data: Mapping[str, Any], request: Request | None = None
) -> LeaveRule:
    types = {t.id: t for t in LeaveType.select()}
    try:
        values = rules.check(dict(data), types)
    except rules.RuleError as exc:
        raise LeaveError(exc.message, exc.fields) from exc
    before = describe_rule(rule)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    audit.record(
        app,
        "leave.rule.update",
        request=request,
        object_type="rule",
        object_id=rule.id,
        summary=f"修改审批规则：{before} → {describe_rule(rule)}",
    )
    return rule


def delete_rule(app: OfficiumApp, rule: LeaveRule, request: Request | None = None) -> None:
    text = describe_rule(rule)
    rule.delete_instance()
    audit.record(
        app,
        "leave.rule.delete",
        request=request,
        object_type="rule",
        object_id=rule.id,
        summary=f"删除审批规则：{text}",
    )


def describe_rule(rule: LeaveRule) -> str:
    who = rule.rank or "所有职级"
    what = rule.leave_type.name if rule.leave_type_id else "所有假别"
    days = f"超过 {rule.min_days:g} 天" if rule.min_days else "不限天数"
    return f"{who}、{what}、{days}：{rules.describe(rule.step_list)}"


def record_of(user: User) -> HrRecord | None:
    return HrRecord.get_or_none(HrRecord.user == user)


def save_record(
    app: OfficiumApp, user: User, data: Mapping[str, Any], actor: User, request: Request | None = None
) -> HrRecord:
    """Set a person's 参加工作时间, 本单位连续工作起算日 and 职级."""
    errors: dict[str, str] = {}
    today = app.clock().date()
    work_start = parse_date(data.get("work_start", "")) if _text(data, "work_start") else None
    service_start = parse_date(data.get("service_start", "")) if _text(data, "service_start") else None
    if _text(data, "work_start") and work_start is None:
        errors["work_start"] = "日期格式不正确，如 2005-07-01。"
    elif work_start is not None and work_start > today:
        errors["work_start"] = "参加工作时间不能晚于今天。"
    if _text(data, "service_start") and service_start is None:
        errors["service_start"] = "日期格式不正确，如 2015-03-01。"
    elif service_start is not None and service_start > today:
        errors["service_start"] = "本单位工作起算日不能晚于今天。"
    elif service_start is not None and work_start is not None and service_start < work_start:
        errors["service_start"] = "本单位工作起算日不能早于参加工作时间。"
    rank = _text(data, "rank")
    if rank not in RANKS:
        errors["rank"] = "请选择职级。"
    if errors:
        raise LeaveError("提交的内容不正确。", errors)
    record = record_of(user)
    before = (
        {
            "work_start": str(record.work_start or ""),
            "service_start": str(record.service_start or ""),
            "rank": record.rank,
        }
        if record
        else {}
    )
    if record is None:
        record = HrRecord(user=user)
    record.work_start = work_start
    record.service_start = service_start
    record.rank = rank
    record.updated_at = app.clock()
    record.updated_by = actor
    record.save()
    audit.record(
        app,
        "leave.hr_record.update",
        actor=actor,
        request=request,
        object_type="hr_record",
        object_id=user.username,
        summary=f"修改{user.name}的人事信息：参加工作 {work_start or '未填'}，本单位起算 {service_start or '未填'}，职级 {rank or '未填'}",
        detail={
            "before": before,
            "after": {
                "work_start": str(work_start or ""),
                "service_start": str(service_start or ""),
                "rank": rank,
            },
        },
    )
    return record
