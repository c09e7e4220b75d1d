"""The working-day calendar: statutory holidays and 调休 make-up days from chinese_calendar, with the
system administrator's overrides per date for years the package does not know yet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
from peewee import BooleanField, CharField, DateField

from officium.core.db import BaseModel

#: A time limit of N working days ends at the close of the Nth working day after the start.
END_OF_DAY = time(23, 59, 59)


class CalendarOverride(BaseModel):
    """A date the administrator declared a working day or a day off, overriding the package."""

    day = DateField(unique=True)
    workday = BooleanField()
    note = CharField(max_length=100, default="")

    class Meta:
        table_name = "core_calendar_override"


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day: an override if there is one, else the national calendar.

    Years chinese_calendar does not cover fall back to Monday–Friday until overrides are entered.
    """
    override = CalendarOverride.get_or_none(CalendarOverride.day == day)
    if override is not None:
        return override.workday
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline ``days`` working days after ``start``: the end of that working day."""
    day = start.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return datetime.combine(day, END_OF_DAY)


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days from ``start`` (exclusive) to ``end`` (inclusive); negative when ``end`` is earlier."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start.date()
    while day < end.date():
        day += timedelta(days=1)
        count += is_workday(day)
    return count
