"""首页 (``/``) stays cheap: the SQL statements one signed-in request runs, with every first-party plugin
and the demo data, stay within a budget, in total and per panel.

The dashboard is the page everyone opens first and most often; it had grown to 32 statements (13 of them
the 休假 panel's).  A failure prints the statements, so that the one that crept in is easy to find.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from officium.core.bootstrap import DEMO_PASSWORD, seed_demo
from officium.core.loader import installed_plugins
from officium.core.registry import Widget
from officium.testing import FakeClock, app_client, close_site, login, make_site

#: Statements of one ``/`` for any demo user, everything included: the session with its user and unit and
#: the roles (2), the 待办 and unread counts of the shell (4, and 2 more for a 综合人员's 收文), and the
#: panels (9, below).  It was 30-32.
TOTAL_BUDGET = 17
#: A 综合人员 after one of the day's attendance windows has ended: the calendar (before that, nothing: which
#: windows have ended is known from the clock; their presence and sign-ins in the windows that ended are
#: read once per process until the next one ends).
ATTENDANCE_CHECK = 1
#: Statements of each panel's ``render``.
WIDGET_BUDGET = {
    "welcome": 0,  # the user's unit came with the session
    "shortcuts": 2,  # the user's own shortcuts, else the defaults of their roles (the menu's too)
    "bulletin": 3,  # the unit and those above it; 必读 not confirmed; the latest
    "delegation": 2,  # my delegations not over (a third reads them when there are some); items I hold
    "leave": 2,  # the balance stamp (the rest is cached); who of my unit is away today
    "attendance_missed": 0,  # decided before the panel renders
}
#: Demo users of different kinds: a 处长, a 科员 two units down, a 综合人员, a 副局长, HR.
USERS = ("heping", "hujing", "zhoujing", "liming", "linna")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    first_party = sorted(
        name for name, where in installed_plugins().items() if where.startswith("officium.plugins.")
    )
    app = make_site(tmp_path_factory.mktemp("demo"), plugins=first_party, clock=FakeClock())
    seed_demo(app)
    yield app
    close_site(app)


@contextmanager
def counting(app: Any) -> Iterator[tuple[list[str], Counter, dict[str, list[str]]]]:
    """Record every statement, and those of each panel's ``render`` by panel name."""
    statements: list[str] = []
    per_widget: Counter = Counter()
    widget_sql: dict[str, list[str]] = {}
    real_execute = app.db.execute_sql
    real_hook = app.pm.hook.dashboard_widgets

    def execute(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        statements.append(re.sub(r"\s+", " ", sql))
        return real_execute(sql, params, *args, **kwargs)

    def counted(widget: Widget) -> Widget:
        def render(request: Any) -> Any:
            before = len(statements)
            try:
                return widget.render(request)
            finally:
                per_widget[widget.name] += len(statements) - before
                widget_sql.setdefault(widget.name, []).extend(statements[before:])

        return dataclasses.replace(widget, render=render)

    def hook(**kwargs: Any) -> list[list[Widget]]:
        return [[counted(w) for w in group or []] for group in real_hook(**kwargs)]

    app.db.execute_sql = execute
    app.pm.hook.dashboard_widgets = hook
    try:
        yield statements, per_widget, widget_sql
    finally:
        app.db.execute_sql = real_execute
        app.pm.hook.dashboard_widgets = real_hook


def listing(statements: list[str]) -> str:
    return "\n".join(f"  {sql[:200]}" for sql in statements)


def check_budget(demo, username: str, budget: int) -> None:
    with app_client(demo) as client:
        login(client, username, DEMO_PASSWORD)
        assert client.get("/").status_code == 200  # first one: templates, per-process caches
        with counting(demo) as (statements, per_widget, widget_sql):
            page = client.get("/")
        assert page.status_code == 200
    assert "休假" in page.text and "公告板" in page.text
    for name, count in per_widget.items():
        allowed = WIDGET_BUDGET.get(name, 2)
        assert count <= allowed, (
            f"panel {name} ran {count} statements (budget {allowed}):\n{listing(widget_sql[name])}"
        )
    assert len(statements) <= budget, (
        f"/ as {username} ran {len(statements)} statements (budget {budget}):\n{listing(statements)}"
    )


@pytest.mark.parametrize("username", USERS)
def test_dashboard_runs_few_statements(demo, username):
    check_budget(demo, username, TOTAL_BUDGET)


def test_a_clerk_in_the_afternoon(demo):
    """After a window has ended the attendance hook reads the calendar and the clerk's presence."""
    start = demo.clock.now
    demo.clock.now = start.replace(hour=16)
    try:
        check_budget(demo, "zhoujing", TOTAL_BUDGET + ATTENDANCE_CHECK)
    finally:
        demo.clock.now = start


def test_budget_counts_every_panel(demo):
    """The per-panel budgets above cover the panels the demo shows (a new panel gets a line of its own)."""
    with app_client(demo) as client:
        login(client, "zhoujing", DEMO_PASSWORD)
        with counting(demo) as (_, per_widget, _):
            client.get("/")
    assert {"welcome", "shortcuts", "bulletin", "delegation", "leave"} <= set(per_widget)
