"""The approval chain of a request from HR's rules (table ``leave_rule``).

A rule matches a request when its rank is empty or the person's rank, its type is empty or the request's
type, and the request is longer than its ``min_days``.  The most specific matching rule decides: one for
the rank beats one for any rank, then one for the type beats one for any type, then the highest
``min_days`` wins.  With no matching rule the request goes to the unit leader and HR.
"""

from __future__ import annotations

from officium.plugins.leave.models import STEPS, HrRecord, LeaveRule, LeaveType

FALLBACK = ["unit", "hr"]


class RuleError(ValueError):
    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


def rank_of(user_id: int) -> str:
    record = HrRecord.get_or_none(HrRecord.user == user_id)
    return record.rank if record is not None else ""


def matching(rank: str, leave_type: LeaveType, days: float) -> LeaveRule | None:
    """The rule that decides a request, or None."""
    candidates = [
        r
        for r in LeaveRule.select()
        if (r.rank in ("", rank)) and (r.leave_type_id in (None, leave_type.id)) and days > r.min_days
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.rank != "", r.leave_type_id is not None, r.min_days, -r.id))


def chain_for(rank: str, leave_type: LeaveType, days: float) -> list[str]:
    """The step codes, in workflow order."""
    rule = matching(rank, leave_type, days)
    wanted = set(rule.step_list) if rule is not None else set(FALLBACK)
    return [s for s in STEPS if s in wanted]


def describe(steps: list[str]) -> str:
    """e.g. ``单位负责人审批 → 人事处备案``."""
    return " → ".join(STEPS[s] for s in steps if s in STEPS)


def check(data: dict[str, object], types: dict[int, LeaveType]) -> dict[str, object]:
    """Validate a rule from a form or JSON: ``rank``, ``leave_type`` (id or empty), ``min_days``, ``steps``
    (list of codes), ``note``; return the values to store."""
    from officium.plugins.leave.models import RANKS

    errors: dict[str, str] = {}
    rank = str(data.get("rank") or "").strip()
    if rank not in RANKS:
        errors["rank"] = "请选择职级。"
    raw_type = str(data.get("leave_type") or "").strip()
    leave_type = None
    if raw_type:
        leave_type = types.get(int(raw_type)) if raw_type.isdigit() else None
        if leave_type is None:
            errors["leave_type"] = "请选择假别。"
    try:
        min_days = float(str(data.get("min_days") or "0"))
        if not 0 <= min_days <= 400:
            raise ValueError
    except ValueError:
        errors["min_days"] = "天数应为 0 到 400 之间的数字。"
        min_days = 0
    raw_steps = data.get("steps") or []
    steps = [raw_steps] if isinstance(raw_steps, str) else [str(s) for s in raw_steps]
    steps = [s for s in STEPS if s in steps]
    if not steps:
        errors["steps"] = "请至少选择一个审批环节。"
    note = str(data.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = "说明不能超过 200 个字。"
    if errors:
        raise RuleError("提交的内容不正确。", errors)
    return {
        "rank": rank,
        "leave_type": leave_type,
        "min_days": min_days,
        "steps": ",".join(steps),
        "note": note,
    }
