"""The login-window report across a working day, a weekend, a holiday and a 调休 make-up Saturday."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from officium.core.audit import AuditEntry
from officium.core.identity.models import LoginRecord
from officium.plugins.attendance.presence import record
from officium.testing import add_user, app_client, login

from .conftest import visit


def marks_of(html: str, username: str) -> dict[str, str]:
    """The period marks and the result of one person's row in a day report."""
    row = html.split(f'data-person="{username}">', 1)[1].split("</tr>", 1)[0]
    found = dict(re.findall(r'data-period="(\w+)" data-mark="(\w+)"', row))
    found["result"] = re.search(r'data-result="(\w+)"', row).group(1)
    return found


def day_report(app, day: date | None = None, viewer: str = "li") -> str:
    with app_client(app) as client:
        login(client, viewer)
        response = client.get("/attendance/" + (f"?date={day.isoformat()}" if day else ""))
        assert response.status_code == 200
        return response.text


def at(clock, hour: int, minute: int = 0, day: date | None = None) -> None:
    clock.now = datetime.combine(day or clock.now.date(), datetime.min.time()) + timedelta(
        hours=hour, minutes=minute
    )


def first_weekend(year: int, *, workday: bool, saturday: bool = True) -> date:
    """A Saturday (or Sunday) of ``year`` that chinese_calendar says is (or is not) a working day."""
    day = date(year, 1, 1)
    while day.year == year:
        if day.weekday() == (5 if saturday else 6) and chinese_calendar.is_workday(day) == workday:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"chinese_calendar knows no such day in {year}")


# ----------------------------------------------------------------------------------------- a working day


def test_clerk_windows_covered_and_missed_across_a_working_day(app, bureau, clock):
    assert chinese_calendar.is_workday(clock.now.date())
    at(clock, 8, 40)
    visit(app, "zhou")  # 08:30–09:30 covered
    at(clock, 10, 0)
    visit(app, "zhou")  # between windows: covers none of them
    at(clock, 11, 29)
    assert marks_of(day_report(app), "zhou") == {
        "w1": "ok",
        "w2": "pending",
        "w3": "pending",
        "w4": "pending",
        "am": "ok",
        "pm": "pending",
        "result": "pending",
    }
    at(clock, 11, 30)  # 10:30–11:30 has ended without presence
    assert marks_of(day_report(app), "zhou")["w2"] == "missed"
    at(clock, 14, 29)
    visit(app, "zhou")  # 13:30–14:30 covered in its last minute
    at(clock, 15, 29)
    visit(app, "zhou")  # a minute before 15:30: does not count for 15:30–16:30
    at(clock, 16, 30)
    assert marks_of(day_report(app), "zhou") == {
        "w1": "ok",
        "w2": "missed",
        "w3": "ok",
        "w4": "missed",
        "am": "ok",
        "pm": "ok",
        "result": "missed",
    }


def test_a_clerk_who_covers_every_window_passes(app, bureau, clock):
    for hour, minute in ((8, 30), (10, 45), (13, 31), (16, 29)):
        at(clock, hour, minute)
        visit(app, "zhou")
    at(clock, 18, 0)
    assert marks_of(day_report(app), "zhou") == {
        "w1": "ok",
        "w2": "ok",
        "w3": "ok",
        "w4": "ok",
        "am": "ok",
        "pm": "ok",
        "result": "ok",
    }


def test_window_ends_are_exclusive(app, bureau, clock):
    at(clock, 9, 30)
    visit(app, "zhou")  # 09:30 belongs to no window
    at(clock, 12, 0)
    marks = marks_of(day_report(app), "zhou")
    assert marks["w1"] == "missed" and marks["am"] == "ok"


def test_other_staff_need_each_morning_and_afternoon(app, bureau, clock):
    at(clock, 11, 50)
    visit(app, "hu")
    at(clock, 17, 59)
    html = day_report(app)
    assert marks_of(html, "hu") == {
        "w1": "na",
        "w2": "na",
        "w3": "na",
        "w4": "na",
        "am": "ok",
        "pm": "pending",
        "result": "pending",
    }
    at(clock, 18, 0)
    assert marks_of(day_report(app), "hu")["result"] == "missed"
    # The next day hu signs in once in the morning and once in the afternoon: that is enough.
    at(clock, 8, 5, clock.now.date() + timedelta(days=1))
    visit(app, "hu")
    at(clock, 17, 45)
    visit(app, "hu")
    at(clock, 18, 0)
    assert marks_of(day_report(app), "hu") == {
        "w1": "na",
        "w2": "na",
        "w3": "na",
        "w4": "na",
        "am": "ok",
        "pm": "ok",
        "result": "ok",
    }
    # hu's visits count for hu alone.
    assert marks_of(day_report(app), "sun")["am"] == "missed"


def test_a_successful_sign_in_counts_even_without_further_requests(app, bureau, clock):
    with app.db.atomic():
        LoginRecord.create(username="zhou", user=bureau.zhou, at=datetime(2026, 3, 2, 10, 35), success=True)
        LoginRecord.create(
            username="zhou",
            user=bureau.zhou,
            at=datetime(2026, 3, 2, 8, 45),
            success=False,
            reason="bad_password",
        )
    at(clock, 12, 0)
    marks = marks_of(day_report(app), "zhou")
    assert marks["w2"] == "ok" and marks["w1"] == "missed"


def test_presence_of_another_day_does_not_count(app, bureau, clock):
    record(app, bureau.zhou.id, datetime(2026, 2, 27, 8, 45))  # the Friday before
    at(clock, 12, 0)
    assert marks_of(day_report(app), "zhou")["w1"] == "missed"


# ---------------------------------------------------------------------------------- days that are not work


def test_a_weekend_is_not_in_the_report(app, bureau, clock):
    saturday = date(2026, 3, 7)
    assert not chinese_calendar.is_workday(saturday)
    at(clock, 9, 0, saturday)
    visit(app, "zhou")
    html = day_report(app)
    assert "不是工作日" in html and 'data-person="zhou"' not in html
    with app_client(app) as client:
        login(client, "zhou")
        grid = client.get("/attendance/me").text
        assert "2026-03-07" not in grid and "2026-03-06" in grid and "2026-03-09" in grid


def test_a_statutory_holiday_on_a_weekday_is_not_in_the_report(app, bureau, clock):
    holiday = next(
        d
        for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365))
        if d.weekday() < 5 and not chinese_calendar.is_workday(d)
    )
    at(clock, 17, 0, holiday)
    assert "不是工作日" in day_report(app)
    with app_client(app) as client:
        login(client, "zhou")
        assert (
            holiday.isoformat()
            not in client.get(f"/attendance/me?month={holiday:%Y-%m}", follow_redirects=True).text
        )


def test_a_make_up_working_saturday_is_in_the_report(app, bureau, clock):
    saturday = first_weekend(2026, workday=True)
    assert saturday.weekday() == 5 and chinese_calendar.is_workday(saturday)
    at(clock, 8, 40, saturday)
    visit(app, "zhou")
    at(clock, 17, 0)
    marks = marks_of(day_report(app), "zhou")
    assert marks["w1"] == "ok" and marks["w2"] == "missed" and marks["result"] == "missed"
    with app_client(app) as client:
        login(client, "zhou")
        grid = client.get(f"/attendance/me?month={saturday:%Y-%m}", follow_redirects=True).text
    assert f'data-day="{saturday.isoformat()}"' in grid
    ordinary = first_weekend(2026, workday=False)
    if ordinary.month == saturday.month:
        assert f'data-day="{ordinary.isoformat()}"' not in grid


# ------------------------------------------------------------------------------------------------- month


def test_month_totals(app, bureau, clock):
    # Monday: the clerk covers everything; Tuesday: only the morning windows; Wednesday is today, 10:00.
    for hour, minute in ((8, 30), (10, 30), (13, 30), (15, 30)):
        record(app, bureau.zhou.id, datetime(2026, 3, 2, hour, minute))
    for hour, minute in ((8, 30), (10, 30)):
        record(app, bureau.zhou.id, datetime(2026, 3, 3, hour, minute))
    record(app, bureau.hu.id, datetime(2026, 3, 2, 9, 0))
    record(app, bureau.hu.id, datetime(2026, 3, 2, 14, 0))
    at(clock, 10, 0, date(2026, 3, 4))
    with app_client(app) as client:
        login(client, "li")
        data = client.get("/api/v1/attendance/report?month=2026-03&per_page=100").json()
        text = client.get("/attendance/?month=2026-03").text
    people = {p["username"]: p for p in data["items"]}
    working = [
        d for d in (date(2026, 3, 1) + timedelta(days=i) for i in range(31)) if chinese_calendar.is_workday(d)
    ]
    assert data["working_days"] == [d.isoformat() for d in working]
    zhou = people["zhou"]
    # Tuesday: both afternoon windows and the afternoon missed.  Wednesday: 08:30–09:30 ended at 09:30
    # without presence, so today is already a missed day although the morning is still open.
    assert [d["result"] for d in zhou["days"][:4]] == ["ok", "missed", "missed", "pending"]
    assert (zhou["ok_days"], zhou["missed_days"], zhou["missed_windows"], zhou["missed_halves"]) == (
        1,
        2,
        3,
        1,
    )
    # hu: Monday morning and afternoon; nothing on Tuesday; Wednesday morning is still open.
    hu = people["hu"]
    assert [d["result"] for d in hu["days"][:3]] == ["ok", "missed", "pending"]
    assert (hu["ok_days"], hu["missed_days"], hu["missed_windows"], hu["missed_halves"]) == (1, 1, 0, 2)
    row = text.split('data-person="zhou">', 1)[1].split("</tr>", 1)[0]
    assert '<td data-col="ok">1</td>' in row and '<td data-col="windows">3</td>' in row
    assert '<td data-col="windows">—</td>' in text.split('data-person="hu">', 1)[1].split("</tr>", 1)[0]


def test_person_page_shows_the_month_grid(app, bureau, clock):
    record(app, bureau.zhou.id, datetime(2026, 3, 2, 8, 35))
    at(clock, 17, 0)
    with app_client(app) as client:
        login(client, "zhou")
        page = client.get("/attendance/me")
        assert page.url.path == f"/attendance/people/{bureau.zhou.id}"
        html = page.text
    assert "2026 年 3 月" in html
    row = html.split('data-day="2026-03-02">', 1)[1].split("</tr>", 1)[0]
    assert 'data-period="w1" data-mark="ok"' in row and 'data-period="w2" data-mark="missed"' in row
    later = html.split('data-day="2026-03-03">', 1)[1].split("</tr>", 1)[0]
    assert 'data-result="pending"' in later
    assert "达标 0 天，未达标 1 天，缺综合人员时段 3 个" in html


# --------------------------------------------------------------------------------------------- CSV, API


def test_csv_export_has_a_bom_and_neutralises_formulas(app, bureau, clock):
    add_user(app, "evil", name='=HYPERLINK("http://x","点我")', unit=bureau.bgs)
    add_user(app, "minus", name="-1+2", unit=bureau.bgs)
    at(clock, 12, 0)
    with app_client(app) as client:
        login(client, "li")
        response = client.get("/attendance/export.csv?date=2026-03-02")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="attendance-2026-03-02.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["日期", "单位", "姓名", "用户名", "角色"]
    names = [row[2] for row in table[1:]]
    assert '\'=HYPERLINK("http://x","点我")' in names and "'-1+2" in names
    zhou = next(row for row in table if row[3] == "zhou")
    # At 12:00 both morning windows and the morning have ended without presence.
    assert zhou[5:] == ["✗", "✗", "未到", "未到", "✗", "未到", "未达标"]
    assert AuditEntry.select().where(AuditEntry.action == "attendance.export").count() == 1


def test_month_csv_and_person_csv(app, bureau, clock):
    record(app, bureau.zhou.id, datetime(2026, 3, 2, 8, 35))
    at(clock, 17, 0)
    with app_client(app) as client:
        login(client, "li")
        month = client.get("/attendance/export.csv?month=2026-03")
        person = client.get(f"/attendance/people/{bureau.zhou.id}/export.csv?month=2026-03")
    rows = list(csv.reader(io.StringIO(month.content.decode("utf-8-sig"))))
    assert rows[0][0] == "单位" and any(r[2] == "zhou" and r[7] == "1" for r in rows[1:])
    assert person.headers["content-disposition"] == 'attachment; filename="attendance-zhou-2026-03.csv"'
    grid = list(csv.reader(io.StringIO(person.content.decode("utf-8-sig"))))
    assert grid[1][0] == "2026-03-02" and grid[1][5] == "✓"


def test_api_report_shape_pagination_and_unit_filter(app, bureau, clock):
    at(clock, 12, 0)
    with app_client(app) as client:
        login(client, "li")
        first = client.get("/api/v1/attendance/report?date=2026-03-02&per_page=2").json()
        assert first["kind"] == "day" and first["date"] == "2026-03-02"
        assert first["total"] == 4 and len(first["items"]) == 2 and first["page"] == 1
        assert [p["key"] for p in first["periods"]] == ["w1", "w2", "w3", "w4", "am", "pm"]
        second = client.get("/api/v1/attendance/report?date=2026-03-02&per_page=2&page=2").json()
        everyone = {p["username"] for p in first["items"] + second["items"]}
        assert everyone == {"zhou", "hu", "sun", "li"}
        only = client.get(f"/api/v1/attendance/report?unit={bureau.msk.id}").json()
        assert [p["username"] for p in only["items"]] == ["sun"]
        bad = client.get("/api/v1/attendance/report?date=2026-3-2")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_query"
        assert client.get("/api/v1/attendance/report?month=2026-13").status_code == 400
        assert client.get("/api/v1/attendance/report?unit=abc").status_code == 400


@pytest.mark.parametrize(
    "query", ["date=2026-02-30", "date=yesterday", "month=2026-00", "month=1999-01", "unit=x"]
)
def test_bad_query_on_the_page_is_a_400(app, bureau, query):
    with app_client(app) as client:
        login(client, "li")
        response = client.get(f"/attendance/?{query}")
    assert response.status_code == 400
    assert "Traceback" not in response.text
