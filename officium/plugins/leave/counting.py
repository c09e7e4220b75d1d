"""Counting the days of a leave: working days of the calendar (statutory holidays off, 调休 make-up days
on) or calendar days, with half days at either end.  A leave runs from ``start`` (``am``: the whole first
day; ``pm``: from the afternoon) to ``end`` (``am``: until noon; ``pm``: the whole last day)."""

from __future__ import annotations

from datetime import date, timedelta

from officium.core.workcalendar import is_workday

#: The longest span one request may cover, in calendar days (产假 with every addition fits).
MAX_SPAN = 400


class CountError(ValueError):
    """Dates that cannot make a leave; ``field`` says which form field the message belongs beside."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def slots(start: date, start_half: str, end: date, end_half: str) -> tuple[int, int]:
    """The leave as a half-open range of half-day slots (two per calendar day), for overlap tests."""
    first = start.toordinal() * 2 + (1 if start_half == "pm" else 0)
    last = end.toordinal() * 2 + (1 if end_half == "pm" else 0)
    return first, last + 1


def check_span(start: date, start_half: str, end: date, end_half: str, half_day: bool) -> None:
    """Refuse an impossible span (end before start, half days where the type has none, too long)."""
    if start_half not in ("am", "pm") or end_half not in ("am", "pm"):
        raise CountError("请选择上午或下午。", "start_half")
    if end < start:
        raise CountError("结束日期不能早于开始日期。", "end_date")
    if not half_day and (start_half != "am" or end_half != "pm"):
        raise CountError("该假别按整天计算，不能请半天。", "start_half")
    if start == end and start_half == "pm" and end_half == "am":
        raise CountError("同一天从下午开始就不能在中午结束。", "end_half")
    if (end - start).days >= MAX_SPAN:
        raise CountError(f"一次请假不能超过 {MAX_SPAN} 个自然日。", "end_date")


def count_days(start: date, start_half: str, end: date, end_half: str, counting: str) -> float:
    """The days a leave takes: every day (``calendar``) or working days (``working``), less a half day
    for a start in the afternoon and for an end at noon when those days count."""

    def counts(day: date) -> bool:
        return counting == "calendar" or is_workday(day)

    total = 0.0
    day = start
    while day <= end:
        if counts(day):
            total += 1
        day += timedelta(days=1)
    if start_half == "pm" and counts(start):
        total -= 0.5
    if end_half == "am" and counts(end):
        total -= 0.5
    return max(total, 0.0)


def days_in_year(start: date, end: date, year: int) -> int:
    """Calendar days of ``start``..``end`` that fall in ``year`` (for the 病假 months of 第四条)."""
    first = max(start, date(year, 1, 1))
    last = min(end, date(year, 12, 31))
    return max((last - first).days + 1, 0)


def fmt_days(value: float) -> str:
    """3.0 → "3", 2.5 → "2.5"."""
    return f"{value:g}"
