"""年休假 entitlement by cumulative service (5/10/15 days, none in the first year of continuous service) and
the 第四条 forfeiture rules (事假 ≥ 20 days; 病假 ≥ 2/3/4 months by band), with the reason shown — all
through HTTP: HR sets the HR record, the person and HR read the balances."""

from __future__ import annotations

import pytest

from .conftest import Site, certificate


def annual(site: Site, username: str, year: int = 2026) -> dict:
    response = site("hr").get(f"/api/v1/leave/balances?user={username}&year={year}")
    assert response.status_code == 200, response.text
    return response.json()["annual"]


@pytest.mark.parametrize(
    ("work_start", "days", "years"),
    [
        ("2026-01-01", 0, 0),  # not a full year by the end of 2026
        ("2025-12-31", 5, 1),
        ("2017-01-01", 5, 9),
        ("2016-12-31", 10, 10),
        ("2007-01-01", 10, 19),
        ("2006-12-31", 15, 20),
        ("1990-05-01", 15, 36),
    ],
)
def test_entitlement_bands_follow_cumulative_service(site: Site, work_start, days, years):
    site.set_record("sunqi", work_start)
    found = annual(site, "sunqi")
    assert (found["days"], found["service_years"]) == (days, years)
    assert found["reason"]


def test_first_year_of_continuous_service_gives_none_and_says_why(site: Site):
    site.set_record("sunqi", "2000-07-01", service_start="2026-02-01")
    found = annual(site, "sunqi")
    assert found["days"] == 0 and found["band_days"] == 15
    assert "连续工作未满1年" in found["reason"]
    # the person sees the reason on 我的休假
    page = site("sunqi").page("/leave/")
    assert "连续工作未满1年" in page.text
    site.set_record("sunqi", "2000-07-01", service_start="2025-01-15")
    assert annual(site, "sunqi")["days"] == 15


def test_no_record_no_entitlement(site: Site):
    found = annual(site, "chener")
    assert found["days"] == 0 and "尚未登记" in found["reason"]


def test_twenty_days_of_personal_leave_forfeit_the_year(site: Site):
    site.set_record("zhouba", "2015-03-01")  # 11 years by the end of 2026: 10 days
    assert annual(site, "zhouba")["days"] == 10
    # 19 working days of 事假 in April–May is still below the limit
    first = site.file("zhouba", leave_type="personal", start_date="2026-04-01", end_date="2026-04-28")
    assert first["days"] == 19  # April 2026: 20 working days from 1 to 28 less the Qingming day off
    site.approve_all(first["id"])
    assert annual(site, "zhouba")["days"] == 10
    second = site.file("zhouba", leave_type="personal", start_date="2026-06-01", end_date="2026-06-01")
    site.approve_all(second["id"])
    found = annual(site, "zhouba")
    assert found["days"] == 0 and found["forfeited"]
    assert "事假 20 天" in found["reason"]
    # and a 年休假 request is now refused, with the reason beside the dates
    refused = site("zhouba").post(
        "/api/v1/leave/requests",
        {"leave_type": "annual", "start_date": "2026-07-06", "end_date": "2026-07-06", "reason": "休息"},
    )
    assert refused.status_code == 400
    assert "余额不足" in refused.json()["error"]["fields"]["end_date"]


def sick(site: Site, username: str, start: str, end: str) -> None:
    leave = site.file(
        username, leave_type="sick", start_date=start, end_date=end, reason="住院", attachments=certificate()
    )
    site.approve_all(leave["id"])


def test_sick_leave_limit_depends_on_the_service_band(site: Site):
    site.set_record("wujiu", "2020-01-01")  # 6 years: limit 2 months (60 days)
    site.set_record("zhengshi", "2012-01-01")  # 14 years: limit 3 months (90 days)
    sick(site, "wujiu", "2026-04-01", "2026-05-30")  # 60 calendar days
    found = annual(site, "wujiu")
    assert found["days"] == 0 and "病假 60 天" in found["reason"] and "2 个月" in found["reason"]
    sick(site, "zhengshi", "2026-04-01", "2026-05-30")
    assert annual(site, "zhengshi")["days"] == 10  # 60 days is below 3 months
    sick(site, "zhengshi", "2026-06-01", "2026-06-30")
    found = annual(site, "zhengshi")
    assert found["days"] == 0 and "3 个月" in found["reason"]


def test_forfeiture_after_annual_leave_was_taken_falls_on_the_next_year(site: Site):
    site.set_record("fengyi", "2010-01-01")  # 16 years: 10 days
    taken = site.file("fengyi", leave_type="annual", start_date="2026-03-09", end_date="2026-03-10")
    site.approve_all(taken["id"])
    personal = site.file("fengyi", leave_type="personal", start_date="2026-08-03", end_date="2026-08-28")
    assert personal["days"] == 20
    site.approve_all(personal["id"])
    this_year = annual(site, "fengyi")
    assert this_year["days"] == 10 and "下一年度不享受" in this_year["reason"]
    next_year = annual(site, "fengyi", 2027)
    assert next_year["days"] == 0 and next_year["forfeited"] and "第四条第二款" in next_year["reason"]
