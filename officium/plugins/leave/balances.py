"""Balances per person, type and year — computed, never stored — plus HR's adjustments and the yearly
roll-over that carries unused 年休假 into the next year (one year only, up to ``carry_over_max`` days)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peewee import fn

from officium.core.identity.models import User
from officium.plugins.leave import entitlement
from officium.plugins.leave.models import LeaveAdjustment, LeaveRequest, LeaveType

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

REASON_MAX = 200
ADJUST_LIMIT = 400


class AdjustError(ValueError):
    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


@dataclass(frozen=True)
class Balance:
    """One type's balance for a year.  ``available`` is None for types without a balance."""

    leave_type: LeaveType
    year: int
    entitled: float
    carried: float
    adjusted: float
    used: float
    pending: float
    reason: str = ""

    @property
    def available(self) -> float | None:
        if not self.leave_type.balance_required:
            return None
        return self.entitled + self.carried + self.adjusted - self.used - self.pending

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.leave_type.code,
            "name": self.leave_type.name,
            "year": self.year,
            "balance_required": self.leave_type.balance_required,
            "entitled": self.entitled,
            "carried": self.carried,
            "adjusted": self.adjusted,
            "used": self.used,
            "pending": self.pending,
            "available": self.available,
            "reason": self.reason,
        }


def _adjusted(user: User, leave_type: LeaveType, year: int, kind: str) -> float:
    value = (
        LeaveAdjustment.select(fn.SUM(LeaveAdjustment.days))
        .where(
            (LeaveAdjustment.user == user)
            & (LeaveAdjustment.leave_type == leave_type)
            & (LeaveAdjustment.year == year)
            & (LeaveAdjustment.kind == kind)
        )
        .scalar()
    )
    return float(value or 0)


def _requests(user: User, leave_type: LeaveType, year: int, statuses: tuple[str, ...]) -> float:
    rows = LeaveRequest.select().where(
        (LeaveRequest.user == user)
        & (LeaveRequest.leave_type == leave_type)
        & (LeaveRequest.year == year)
        & LeaveRequest.status.in_(statuses)
    )
    return sum(r.taken_days for r in rows)


def balance(user: User, leave_type: LeaveType, year: int) -> Balance:
    """The person's balance of ``leave_type`` in ``year``."""
    reason = ""
    if leave_type.code == entitlement.ANNUAL:
        granted = entitlement.compute(user, year)
        entitled, reason = granted.days, granted.reason
    else:
        entitled = leave_type.yearly_quota if leave_type.balance_required else 0.0
    return Balance(
        leave_type,
        year,
        entitled,
        _adjusted(user, leave_type, year, "carry"),
        _adjusted(user, leave_type, year, "adjust"),
        _requests(user, leave_type, year, ("approved", "ended")),
        _requests(user, leave_type, year, ("pending",)),
        reason,
    )


def balances(user: User, year: int) -> list[Balance]:
    """Every active type's balance for the person, in HR's order."""
    types = LeaveType.select().where(LeaveType.active).order_by(LeaveType.order, LeaveType.id)
    return [balance(user, t, year) for t in types]


def adjust(
    app: OfficiumApp, user: User, leave_type: LeaveType, year: int, days: float, reason: str, actor: User
) -> LeaveAdjustment:
    """HR's adjustment of a balance (positive adds days), with a reason; refuses what would make no sense."""
    errors: dict[str, str] = {}
    if not leave_type.balance_required:
        errors["leave_type"] = f"{leave_type.name}不设额度，无需调整。"
    if days == 0 or abs(days) > ADJUST_LIMIT or days * 2 != int(days * 2):
        errors["days"] = f"调整天数应为不为 0 的整数或半天，绝对值不超过 {ADJUST_LIMIT}。"
    reason = reason.strip()
    if not reason:
        errors["reason"] = "请填写调整原因。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"原因不能超过 {REASON_MAX} 个字。"
    if not 2000 <= year <= 2100:
        errors["year"] = "年度不正确。"
    if errors:
        raise AdjustError("提交的内容不正确。", errors)
    return LeaveAdjustment.create(
        user=user,
        leave_type=leave_type,
        year=year,
        days=days,
        kind="adjust",
        reason=reason,
        created_by=actor,
        created_at=app.clock(),
    )


def carry_over_max(app: OfficiumApp) -> float:
    return float(app.settings("leave").get("carry_over_max", 5))


def rollover(app: OfficiumApp, year: int, actor: User | None) -> list[tuple[User, float]]:
    """Carry each active person's unused 年休假 of ``year`` into ``year + 1`` (own days only, never a
    previous carry, at most ``carry_over_max``).  Running it twice carries nothing more."""
    annual = LeaveType.get_or_none(LeaveType.code == entitlement.ANNUAL)
    cap = carry_over_max(app)
    if annual is None or cap <= 0:
        return []
    done = {
        row.user_id
        for row in LeaveAdjustment.select(LeaveAdjustment.user).where(
            (LeaveAdjustment.leave_type == annual)
            & (LeaveAdjustment.year == year + 1)
            & (LeaveAdjustment.kind == "carry")
        )
    }
    carried: list[tuple[User, float]] = []
    for user in User.select().where(User.status == "active").order_by(User.id):
        if user.id in done:
            continue
        b = balance(user, annual, year)
        unused = b.entitled + b.adjusted - b.used - b.pending
        days = min(max(unused, 0.0), cap)
        days = int(days * 2) / 2
        if days <= 0:
            continue
        LeaveAdjustment.create(
            user=user,
            leave_type=annual,
            year=year + 1,
            days=days,
            kind="carry",
            reason=f"{year}年未休年休假结转",
            created_by=actor,
            created_at=app.clock(),
        )
        carried.append((user, days))
    return carried
