"""The 首页 panel caches the person's 年休假 balance per day (``balance_cache``), and every change to what the
balance is computed from shows on the very next 首页: a request filed, approved, cancelled or ended, HR's
adjustment, the HR record, the type, and a change made outside this process (straight in the database).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from officium.core.db import write_transaction
from officium.plugins.leave import balance_cache
from officium.plugins.leave.models import LeaveAdjustment, LeaveRequest, LeaveType

from .conftest import Site


def shown(site: Site, username: str) -> float | None:
    """The 年休假 days the 首页 panel shows to ``username`` (None when it shows none)."""
    home = site(username).page("/")
    assert home.status_code == 200
    found = re.search(r'data-testid="widget-annual">([\d.-]+)<', home.text)
    return float(found.group(1)) if found else None


def cached(site: Site, username: str) -> bool:
    """Whether this process holds today's panel for ``username``."""
    user = site(username).user
    entries = site.app.process_state.get(balance_cache.CACHE, {})
    return (user.id, site.clock().date()) in entries


def test_filing_approving_and_cancelling_show_at_once(site: Site):
    site.set_record("zhangsan", "2012-06-01")  # 14 years: 10 days
    assert shown(site, "zhangsan") == 10 and cached(site, "zhangsan")
    assert shown(site, "zhangsan") == 10  # from the cache
    leave = site.file("zhangsan", leave_type="annual", start_date="2026-04-13", end_date="2026-04-17")
    assert shown(site, "zhangsan") == 5  # pending days are held
    home = site("zhangsan").page("/").text
    assert "审批中" in home and f'href="/leave/{leave["id"]}"' in home
    site.approve_all(leave["id"])
    home = site("zhangsan").page("/").text
    assert 'data-testid="widget-annual">5<' in home and "已批准" in home
    page = site("zhangsan").submit(f"/leave/{leave['id']}/cancel", {"reason": "工作需要，不休了"})
    assert page.status_code == 303
    home = site("zhangsan").page("/").text
    assert 'data-testid="widget-annual">10<' in home and "已批准" not in home


def test_ending_early_gives_days_back_and_the_reminder_follows_the_day(site: Site):
    site.set_record("lisi", "2012-06-01")
    leave = site.file("lisi", leave_type="annual", start_date="2026-04-20", end_date="2026-04-24")
    site.approve_all(leave["id"])
    assert shown(site, "lisi") == 5
    # the day after it ended, without any write, the panel asks for 销假
    site.clock.now = datetime(2026, 4, 27, 9, 0)
    site("lisi").relogin()
    home = site("lisi").page("/").text
    assert "办理销假" in home
    ended = site("lisi").submit(
        f"/leave/{leave['id']}/end", {"actual_end_date": "2026-04-22", "actual_end_half": "am"}
    )
    assert ended.status_code == 303
    home = site("lisi").page("/").text
    assert 'data-testid="widget-annual">7.5<' in home and "办理销假" not in home


def test_hr_adjustment_and_record_show_at_once(site: Site):
    site.set_record("wangwu", "2012-06-01")
    assert shown(site, "wangwu") == 10
    page = site("hr").submit(
        "/leave/admin/people/wangwu/adjust",
        {"year": "2026", "leave_type": "annual", "days": "2", "reason": "表彰奖励"},
    )
    assert page.status_code == 303
    assert shown(site, "wangwu") == 12
    page = site("hr").submit(
        "/leave/admin/people/wangwu/record", {"work_start": "2000-06-01", "service_start": "", "rank": ""}
    )
    assert page.status_code == 303
    assert shown(site, "wangwu") == 17  # 26 years: 15 days, plus the 2


def test_a_change_of_the_type_shows_for_everybody(site: Site):
    site.set_record("zhaoliu", "2012-06-01")
    assert shown(site, "zhaoliu") == 10
    hr = site("hr")
    assert hr.post("/api/v1/leave/types/annual", {"balance_required": False}).status_code == 200
    try:
        assert shown(site, "zhaoliu") is None  # no balance to show
    finally:
        assert hr.post("/api/v1/leave/types/annual", {"balance_required": True}).status_code == 200
    assert shown(site, "zhaoliu") == 10


def test_a_change_made_by_another_process_shows_at_once(site: Site):
    """Another web node writes to the same database: nothing of this process is told, the stamp is."""
    site.set_record("sunqi", "2012-06-01")
    assert shown(site, "sunqi") == 10 and cached(site, "sunqi")
    annual = LeaveType.get(LeaveType.code == "annual")
    with write_transaction(site.app.db):
        LeaveAdjustment.create(
            user=site("sunqi").user,
            leave_type=annual,
            year=2026,
            days=-3,
            kind="adjust",
            reason="另一节点",
            created_at=site.clock(),
        )
    assert shown(site, "sunqi") == 7
    with write_transaction(site.app.db):
        LeaveRequest.create(
            user=site("sunqi").user,
            unit=site("sunqi").user.unit,
            leave_type=annual,
            start_date=date(2026, 5, 11),
            end_date=date(2026, 5, 12),
            days=2,
            year=2026,
            status="approved",
            filed_by=site("sunqi").user,
            created_at=site.clock(),
        )
    assert shown(site, "sunqi") == 5
    row = LeaveRequest.get((LeaveRequest.user == site("sunqi").user) & (LeaveRequest.days == 2))
    with write_transaction(site.app.db):
        row.delete_instance()
    assert shown(site, "sunqi") == 7


def test_the_cache_is_per_day(site: Site):
    site.set_record("zhouba", "2012-06-01")
    assert shown(site, "zhouba") == 10
    site.clock.now = datetime(2026, 3, 3, 9, 0)
    site("zhouba").relogin()
    assert shown(site, "zhouba") == 10 and cached(site, "zhouba")
    days = {key[1] for key in site.app.process_state[balance_cache.CACHE] if key[0] == site("zhouba").user.id}
    assert days >= {date(2026, 3, 2), date(2026, 3, 3)}
