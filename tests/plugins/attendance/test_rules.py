"""The attendance settings: defaults, a site's own windows, and bad values stopping the start-up."""

from __future__ import annotations

import pytest

from officium.core.errors import StartupError
from officium.plugins.attendance.rules import load_rules, rules
from officium.testing import app_client


def test_defaults_are_the_regulations_windows(app):
    r = rules(app)
    assert [p.label for p in r.windows] == ["08:30–09:30", "10:30–11:30", "13:30–14:30", "15:30–16:30"]
    assert (r.morning.start, r.morning.end) == (8 * 60, 12 * 60)
    assert (r.afternoon.start, r.afternoon.end) == (13 * 60, 18 * 60)
    assert list(r.windows[0].slots) == [51, 52, 53, 54, 55, 56]  # 08:30 … 09:29


def test_a_site_sets_its_own_windows(site_factory, serves_pages):
    app = site_factory(
        plugins=["attendance"],
        settings={
            "attendance": {"clerk_windows": ["09:00-10:00", "14:00-15:05"], "afternoon": "13:30-17:30"}
        },
    )
    r = rules(app)
    assert [p.label for p in r.windows] == ["09:00–10:00", "14:00–15:05"]
    assert list(r.windows[1].slots) == list(range(84, 91))  # 14:00 … 15:09 overlaps the window
    assert (r.afternoon.start, r.afternoon.end) == (13 * 60 + 30, 17 * 60 + 30)
    serves_pages(app)


@pytest.fixture
def serves_pages():
    """Checks that the site with these settings serves pages (its web application builds)."""

    def check(app):
        with app_client(app) as client:
            assert client.get("/login").status_code == 200

    return check


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"clerk_windows": ["8:30-9:30"]}, "clerk_windows"),
        ({"clerk_windows": ["08:30-09:30", "10:30—11:30"]}, "clerk_windows 第 2 项"),
        ({"clerk_windows": ["09:30-08:30"]}, "clerk_windows"),
        ({"clerk_windows": ["08:30-08:30"]}, "clerk_windows"),
        ({"clerk_windows": ["25:00-26:00"]}, "clerk_windows"),
        ({"clerk_windows": ["08:61-09:00"]}, "clerk_windows"),
        ({"clerk_windows": [830]}, "clerk_windows"),
        ({"clerk_windows": ["10:30-11:30", "08:30-09:30"]}, "clerk_windows"),
        ({"clerk_windows": ["08:30-09:30", "09:00-10:00"]}, "clerk_windows"),
        ({"morning": "08:00"}, "morning"),
        ({"afternoon": "午后"}, "afternoon"),
        ({"morning": "08:00-14:00"}, "afternoon"),
    ],
)
def test_a_bad_window_stops_the_start_up_naming_the_key(site_factory, values, key):
    app = site_factory(plugins=["attendance"], settings={"attendance": values})
    with pytest.raises(StartupError) as caught:
        app.asgi()
    assert key in str(caught.value)
    assert "[plugins.attendance]" in str(caught.value)
    with pytest.raises(StartupError):
        with app_client(app):
            pass


def test_a_window_of_the_wrong_type_is_refused_by_the_core(site_factory):
    with pytest.raises(StartupError) as caught:
        site_factory(plugins=["attendance"], settings={"attendance": {"clerk_windows": "08:30-09:30"}})
    assert "clerk_windows" in str(caught.value)


def test_the_last_window_may_end_at_midnight():
    r = load_rules({"clerk_windows": ["23:00-24:00"], "morning": "00:00-12:00", "afternoon": "12:00-24:00"})
    assert list(r.windows[0].slots) == list(range(138, 144))
    with pytest.raises(StartupError):
        load_rules({"clerk_windows": ["23:00-24:10"], "morning": "08:00-12:00", "afternoon": "13:00-18:00"})


def test_no_windows_at_all_is_allowed(site_factory):
    app = site_factory(plugins=["attendance"], settings={"attendance": {"clerk_windows": []}})
    app.asgi()
    assert rules(app).windows == ()
