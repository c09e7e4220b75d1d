"""年休假 entitlement (《职工带薪年休假条例》第二、三、四条) from the HR record of a person.

- Service is counted in whole years up to 31 December of the year: cumulative service from 参加工作时间
  (``work_start``) gives the days (1–10 years 5, 10–20 years 10, 20 years and more 15); continuous service
  at this employer (``service_start``) under one year gives none.
- 第四条 forfeiture: 事假 of 20 days or more in the year, or 病假 of 2/3/4 months or more (60/90/120
  calendar days, by the service band) — no annual leave that year.  When the person had already taken
  annual leave that year, the forfeiture falls on the next year instead (第四条第二款).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from officium.core.identity.models import User
from officium.plugins.leave.counting import days_in_year, fmt_days
from officium.plugins.leave.models import HrRecord, LeaveRequest, LeaveType

ANNUAL, PERSONAL, SICK = "annual", "personal", "sick"
#: Statuses whose days count as taken.
TAKEN = ("approved", "ended")
PERSONAL_LIMIT = 20
#: 病假 limit in calendar days per band (2, 3, 4 months).
SICK_LIMITS = {5: 60, 10: 90, 15: 120}


@dataclass(frozen=True)
class Entitlement:
    """A person's 年休假 for a year: ``days`` after forfeiture, and why (shown to them and to HR)."""

    year: int
    days: float
    band_days: float
    service_years: int | None
    continuous_years: int | None
    reason: str
    forfeited: bool = False


def full_years(since: date, until: date) -> int:
    """Whole years from ``since`` to ``until`` (0 when ``until`` is earlier)."""
    years = until.year - since.year - ((until.month, until.day) < (since.month, since.day))
    return max(years, 0)


def band(service_years: int) -> float:
    """Days for cumulative service (第三条)."""
    if service_years >= 20:
        return 15
    if service_years >= 10:
        return 10
    if service_years >= 1:
        return 5
    return 0


def _taken(user: User, code: str, year: int) -> list[LeaveRequest]:
    return list(
        LeaveRequest.select()
        .join(LeaveType)
        .where(
            (LeaveRequest.user == user)
            & (LeaveType.code == code)
            & (LeaveRequest.year == year)
            & LeaveRequest.status.in_(TAKEN)
        )
    )


def personal_days(user: User, year: int) -> float:
    """事假 days taken in the year."""
    return sum(r.taken_days for r in _taken(user, PERSONAL, year))


def sick_calendar_days(user: User, year: int) -> int:
    """病假 in the year as calendar days from the first to the last day of each leave."""
    total = 0
    for r in _taken(user, SICK, year):
        end = r.actual_end_date or r.end_date
        total += days_in_year(r.start_date, end, year)
    return total


def annual_taken(user: User, year: int) -> float:
    return sum(r.taken_days for r in _taken(user, ANNUAL, year))


def disqualification(user: User, year: int, band_days: float) -> str:
    """Why 第四条 applies to the year's own leave record, or ""."""
    personal = personal_days(user, year)
    if personal >= PERSONAL_LIMIT:
        return f"{year}年累计事假 {fmt_days(personal)} 天，达到 {PERSONAL_LIMIT} 天（条例第四条第二项）"
    limit = SICK_LIMITS.get(int(band_days))
    if limit is not None:
        sick = sick_calendar_days(user, year)
        if sick >= limit:
            months = limit // 30
            return f"{year}年累计病假 {sick} 天，达到 {months} 个月（条例第四条第三、四、五项）"
    return ""


def compute(user: User, year: int) -> Entitlement:
    """The person's 年休假 for ``year``, with the reason in Chinese."""
    record = HrRecord.get_or_none(HrRecord.user == user)
    if record is None or record.work_start is None:
        return Entitlement(year, 0, 0, None, None, "人事处尚未登记参加工作时间，暂无年休假额度。")
    until = date(year, 12, 31)
    service = full_years(record.work_start, until)
    continuous = full_years(record.service_start, until) if record.service_start else service
    band_days = band(service)
    if band_days == 0:
        return Entitlement(year, 0, 0, service, continuous, "累计工作未满1年，不享受年休假。")
    if continuous < 1:
        return Entitlement(
            year, 0, band_days, service, continuous, "在本单位连续工作未满1年，当年不享受年休假。"
        )
    base = f"累计工作 {service} 年，年休假 {fmt_days(band_days)} 天。"
    reason = disqualification(user, year, band_days)
    if reason:
        if annual_taken(user, year) > 0:
            return Entitlement(
                year,
                band_days,
                band_days,
                service,
                continuous,
                f"{base}注意：{reason}，因本年度已休年休假，下一年度不享受年休假。",
            )
        return Entitlement(year, 0, band_days, service, continuous, f"{reason}，当年不享受年休假。", True)
    previous = date(year - 1, 12, 31)
    if record.work_start <= previous:
        last_band = band(full_years(record.work_start, previous))
        last_reason = disqualification(user, year - 1, last_band) if last_band else ""
        if last_reason and annual_taken(user, year - 1) > 0:
            return Entitlement(
                year,
                0,
                band_days,
                service,
                continuous,
                f"{last_reason}，且当年已休年休假，本年度不享受年休假（条例第四条第二款）。",
                True,
            )
    return Entitlement(year, band_days, band_days, service, continuous, base)
