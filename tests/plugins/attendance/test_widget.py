"""The dashboard notice: only for a clerk who missed a window earlier today that has already ended."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from officium.core.identity.models import User
from officium.core.workcalendar import CalendarOverride
from officium.plugins.attendance import report
from officium.plugins.attendance.presence import record
from officium.plugins.attendance.report import missed_windows_today
from officium.plugins.attendance.rules import rules
from officium.testing import app_client, login

NOTICE = "时段未登录系统"


def dashboard(app, username: str) -> str:
    with app_client(app) as client:
        login(client, username)
        response = client.get("/")
        assert response.status_code == 200
        return response.text


def test_a_clerk_who_missed_an_ended_window_is_told_which(app, bureau, clock):
    clock.now = datetime(2026, 3, 2, 10, 0)
    html = dashboard(app, "zhou")
    assert "您今天 08:30–09:30 时段未登录系统" in html
    assert "10:30–11:30" not in html.split(NOTICE)[0].rsplit("您今天", 1)[1]  # not ended yet
    clock.now = datetime(2026, 3, 2, 11, 45)  # 10:00 was between windows: 10:30–11:30 missed too
    assert "您今天 08:30–09:30、10:30–11:30 时段未登录系统" in dashboard(app, "zhou")


def test_no_notice_for_a_clerk_who_covered_every_ended_window(app, bureau, clock):
    clock.now = datetime(2026, 3, 2, 9, 0)
    dashboard(app, "zhou")
    clock.now = datetime(2026, 3, 2, 10, 40)
    assert NOTICE not in dashboard(app, "zhou")


def test_no_notice_before_the_first_window_ends(app, bureau, clock):
    clock.now = datetime(2026, 3, 2, 8, 10)
    assert NOTICE not in dashboard(app, "zhou")
    # Any request inside a window covers it, so the exact end is checked on the rule itself.
    the_rules = rules(app)
    assert missed_windows_today(the_rules, bureau.zhou, datetime(2026, 3, 2, 9, 29, 59)) == []
    assert missed_windows_today(the_rules, bureau.zhou, datetime(2026, 3, 2, 9, 30)) == [the_rules.windows[0]]
    clock.now = datetime(2026, 3, 2, 9, 30)
    assert "您今天 08:30–09:30 时段未登录系统" in dashboard(app, "zhou")


def test_no_notice_for_staff_who_are_not_clerks(app, bureau, clock):
    clock.now = datetime(2026, 3, 2, 17, 0)
    for username in ("hu", "li"):
        assert NOTICE not in dashboard(app, username)


def test_no_notice_on_a_day_off(app, bureau, clock):
    sunday = date(2026, 3, 8)
    assert not chinese_calendar.is_workday(sunday)
    clock.now = datetime.combine(sunday, datetime.min.time()) + timedelta(hours=17)
    assert NOTICE not in dashboard(app, "zhou")


def test_yesterdays_presence_does_not_help_today(app, bureau, clock):
    record(app, bureau.zhou.id, datetime(2026, 3, 2, 8, 45))
    clock.now = datetime(2026, 3, 3, 10, 0)
    assert "您今天 08:30–09:30 时段未登录系统" in dashboard(app, "zhou")


def test_the_answer_is_kept_until_another_window_ends_but_the_calendar_is_read_each_time(app, bureau, clock):
    """The 首页 keeps a clerk's missed windows in the app object: a window that has ended gets no presence
    afterwards.  The next window's end asks again; a day declared off shows no notice at once."""
    zhou = User.get(User.username == "zhou")
    memo: dict = {}
    clock.now = datetime(2026, 3, 2, 10, 0)
    first = missed_windows_today(rules(app), zhou, clock.now, memo)
    assert [p.span for p in first] == ["08:30–09:30"] and len(memo) == 1
    # kept: the same answer without the presence statements (checked by giving a wrong one)
    (key,) = memo
    memo[key] = []
    assert missed_windows_today(rules(app), zhou, clock.now, memo) == []
    # another window ends: asked again
    clock.now = datetime(2026, 3, 2, 11, 45)
    assert [p.span for p in missed_windows_today(rules(app), zhou, clock.now, memo)] == [
        "08:30–09:30",
        "10:30–11:30",
    ]
    # not kept in the minute after a window's end, when a late presence may still be written
    memo.clear()
    clock.now = datetime(2026, 3, 2, 11, 30, 30)
    missed_windows_today(rules(app), zhou, clock.now, memo)
    assert not memo and report.SETTLED == timedelta(minutes=1)
    # the calendar is read every time: a day declared off has no notice whatever is kept
    clock.now = datetime(2026, 3, 2, 11, 45)
    assert missed_windows_today(rules(app), zhou, clock.now, memo) and memo
    override = CalendarOverride.create(day=date(2026, 3, 2), workday=False, note="临时放假")
    try:
        assert missed_windows_today(rules(app), zhou, clock.now, memo) == []
    finally:
        override.delete_instance()
