"""Leave statistics for HR: approved and completed leave per unit, type and month (by the month a leave
starts), and the same table as an XLSX workbook (``officium.core.admin.queries.xlsx_bytes``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from officium.core.admin.queries import xlsx_bytes
from officium.core.identity.models import Unit
from officium.plugins.leave.models import LeaveRequest, LeaveType

HEADER = ["单位", "假别", "月份", "人次", "天数"]


@dataclass(frozen=True)
class Row:
    unit: str
    leave_type: str
    month: str
    count: int
    days: float


def rows(
    year: int, unit: Unit | None = None, leave_type: LeaveType | None = None, month: int = 0
) -> list[Row]:
    """Rows sorted by unit order, type order and month, with the days actually taken."""
    query = (
        LeaveRequest.select(LeaveRequest, LeaveType, Unit)
        .join(LeaveType)
        .switch(LeaveRequest)
        .join(Unit, on=(LeaveRequest.unit == Unit.id))
        .where((LeaveRequest.year == year) & LeaveRequest.status.in_(("approved", "ended")))
    )
    if unit is not None:
        query = query.where(LeaveRequest.unit == unit)
    if leave_type is not None:
        query = query.where(LeaveRequest.leave_type == leave_type)
    groups: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0])
    for r in query:
        if month and r.start_date.month != month:
            continue
        key = (
            r.unit.order,
            r.unit.id,
            r.unit.name,
            r.leave_type.order,
            r.leave_type.name,
            r.start_date.month,
        )
        groups[key][0] += 1
        groups[key][1] += r.taken_days
    return [Row(k[2], k[4], f"{year}-{k[5]:02d}", int(v[0]), v[1]) for k, v in sorted(groups.items())]


def totals(found: list[Row]) -> tuple[int, float]:
    return sum(r.count for r in found), sum(r.days for r in found)


def workbook(found: list[Row], year: int) -> bytes:
    return xlsx_bytes(
        HEADER, ([r.unit, r.leave_type, r.month, r.count, r.days] for r in found), f"{year}年休假统计"
    )
