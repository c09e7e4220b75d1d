"""产假 by circumstance (《女职工劳动保护特别规定》第七条): a birth gets the type's days (98 nationally;
HR sets the province's total, e.g. with 奖励假), 15 more for a difficult birth and 15 more per extra baby;
a miscarriage before 4 months of pregnancy 15 days, from 4 months 42 days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from officium.plugins.leave.models import LeaveType

CODE = "maternity"
NATIONAL_DAYS = 98
EXTRA_DAYS = 15
CASES = {
    "birth": "生育",
    "difficult": "难产",
    "miscarriage_early": "怀孕未满4个月流产",
    "miscarriage_late": "怀孕满4个月流产",
}
MISCARRIAGE_DAYS = {"miscarriage_early": 15, "miscarriage_late": 42}
MAX_EXTRA_BABIES = 5


def allowance(leave_type: LeaveType, data: Mapping[str, Any]) -> tuple[float, str, dict[str, str]]:
    """(days allowed, the circumstance in Chinese, field errors) for a 产假 request."""
    case = str(data.get("circumstance") or "birth").strip()
    if case not in CASES:
        return 0, "", {"circumstance": "请选择产假情形。"}
    raw = str(data.get("extra_babies") or "0").strip()
    if not raw.isdigit() or int(raw) > MAX_EXTRA_BABIES:
        return 0, "", {"extra_babies": f"多胞胎增加的婴儿数应为 0 到 {MAX_EXTRA_BABIES}。"}
    extra = int(raw)
    if case in MISCARRIAGE_DAYS:
        if extra:
            return 0, "", {"extra_babies": "流产不适用多胞胎增加天数。"}
        return MISCARRIAGE_DAYS[case], CASES[case], {}
    base = leave_type.max_days or NATIONAL_DAYS
    days = base + (EXTRA_DAYS if case == "difficult" else 0) + EXTRA_DAYS * extra
    text = CASES[case] + (f"；多胞胎（多{extra}个婴儿）" if extra else "")
    return days, text, {}
