"""The working-day calendar: due dates across a national holiday and a 调休 make-up Saturday, computed
from chinese_calendar itself, and the system administrator's 工作日历 page with its overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.workcalendar import CalendarOverride, add_working_days
from officium.testing import add_user, app_client, login


def national_day_2026():
    """The National Day days off of 2026 and the make-up working Saturday or Sunday that goes with them."""
    days = [date(2026, 9, 20) + timedelta(days=i) for i in range(40)]
    off = [d for d in days if chinese_calendar.get_holiday_detail(d) == (True, "National Day")]
    make_up = [
        d for d in days if d.weekday() >= 5 and chinese_calendar.is_workday(d) and d > off[0]
    ]
    return off, make_up


def test_due_dates_skip_the_national_holiday_and_count_the_make_up_day(app):
    off, make_up = national_day_2026()
    assert len(off) >= 5, "chinese_calendar should know 2026's National Day holiday"
    assert make_up, "chinese_calendar should know a make-up working day after National Day 2026"
    last_workday_before = max(d for d in (off[0] - timedelta(days=i) for i in range(1, 8)) if chinese_calendar.is_workday(d))
    start = datetime.combine(last_workday_before, datetime.min.time()).replace(hour=9)
    # the next working day after the holiday: every day off is skipped
    first_after = min(d for d in (off[-1] + timedelta(days=i) for i in range(1, 8)) if chinese_calendar.is_workday(d))
    assert add_working_days(start, 1).date() == first_after
    # count working days one by one: the make-up Saturday is among them
    expected, day, counted = None, last_workday_before, 0
    while counted < 5:
        day += timedelta(days=1)
        if day in off or (day.weekday() >= 5 and day not in make_up):
            continue
        counted += 1
        expected = day
    assert add_working_days(start, 5).date() == expected
    assert make_up[0] <= expected  # the five working days reach past the make-up day
    assert all(add_working_days(start, n).date() not in off for n in range(1, 8))


def test_an_override_changes_a_due_date(app):
    _, make_up = national_day_2026()
    saturday = make_up[0]
    start = datetime.combine(saturday - timedelta(days=1), datetime.min.time()).replace(hour=9)
    assert add_working_days(start, 1).date() == saturday
    with write_transaction(app.db):
        CalendarOverride.create(day=saturday, workday=False, note="本局不调休")
    assert add_working_days(start, 1).date() > saturday


def _unknown_year() -> int:
    year = date.today().year + 1
    while True:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return year
        year += 1


def test_calendar_page_shows_the_year(app, client):
    add_user(app, "sysadm", roles=["sysadmin"])
    login(client, "sysadm")
    off, make_up = national_day_2026()
    page = client.get("/admin/calendar?year=2026").text
    assert f'data-date="{off[0].isoformat()}" data-kind="holiday"' in page and "国庆节" in page
    assert f'data-date="{make_up[0].isoformat()}" data-kind="makeup"' in page
    assert 'data-date="2026-03-02" data-kind="work"' in page and 'data-date="2026-03-07" data-kind="rest"' in page
    workdays = sum(chinese_calendar.is_workday(date(2026, 1, 1) + timedelta(days=i)) for i in range(365))
    assert f'data-testid="workdays">{workdays}<' in page
    assert 'data-testid="unknown-year"' not in page


def test_overrides_for_a_year_the_package_does_not_know(app, client):
    add_user(app, "sysadm", roles=["sysadmin"])
    token = login(client, "sysadm")
    year = _unknown_year()
    page = client.get(f"/admin/calendar?year={year}").text
    assert 'data-testid="unknown-year"' in page
    oct1 = date(year, 10, 1)
    weekday_kind = "work" if oct1.weekday() < 5 else "rest"
    assert f'data-date="{oct1.isoformat()}" data-kind="{weekday_kind}"' in page
    answer = client.post(
        f"/admin/calendar?year={year}",
        data={"csrf_token": token, "action": "set", "day": oct1.isoformat(), "workday": "0", "note": "国庆节"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/admin/calendar?year={year}"
    override = CalendarOverride.get(CalendarOverride.day == oct1)
    assert override.workday is False and override.note == "国庆节"
    page = client.get(f"/admin/calendar?year={year}").text
    assert f'data-date="{oct1.isoformat()}" data-kind="holiday"' in page and f'data-day="{oct1.isoformat()}"' in page
    # the due date now steps over that day
    eve = datetime.combine(oct1 - timedelta(days=1), datetime.min.time())
    assert add_working_days(eve, 1).date() != oct1
    entry = AuditEntry.select().where(AuditEntry.action == "core.calendar.set").get()
    assert oct1.isoformat() in entry.summary and entry.object_id == oct1.isoformat()
    # a make-up working Saturday
    saturday = next(oct1 + timedelta(days=i) for i in range(7, 14) if (oct1 + timedelta(days=i)).weekday() == 5)
    client.post(
        f"/admin/calendar?year={year}",
        data={"csrf_token": token, "action": "set", "day": saturday.isoformat(), "workday": "1", "note": "调休上班"},
    )
    assert f'data-date="{saturday.isoformat()}" data-kind="makeup"' in client.get(f"/admin/calendar?year={year}").text
    # remove the holiday again
    client.post(f"/admin/calendar?year={year}", data={"csrf_token": token, "action": "remove", "id": str(override.id)})
    assert CalendarOverride.get_or_none(CalendarOverride.day == oct1) is None
    assert AuditEntry.select().where(AuditEntry.action == "core.calendar.remove").count() == 1
    after = oct1
    while after.weekday() >= 5 and after != saturday:  # back to Monday–Friday plus the make-up Saturday
        after += timedelta(days=1)
    assert add_working_days(eve, 1).date() == after


def test_bad_input_changes_nothing_and_others_may_not_edit(app):
    add_user(app, "sysadm", roles=["sysadmin"])
    add_user(app, "zhang")
    with app_client(app) as client:
        token = login(client, "sysadm")
        bad = client.post("/admin/calendar", data={"csrf_token": token, "action": "set", "day": "2026-02-30", "workday": "0"})
        assert bad.status_code == 400 and "请按 YYYY-MM-DD 填写日期" in bad.text
        odd = client.post("/admin/calendar", data={"csrf_token": token, "action": "set", "day": "2026-05-06", "workday": "x"})
        assert odd.status_code == 400 and "请选择上班或休息" in odd.text
        assert CalendarOverride.select().count() == 0
    with app_client(app) as client:
        token = login(client, "zhang")
        assert client.get("/admin/calendar").status_code == 403
        refused = client.post("/admin/calendar", data={"csrf_token": token, "action": "set", "day": "2026-05-06", "workday": "0"})
        assert refused.status_code == 403 and CalendarOverride.select().count() == 0
