"""The demo site: the leave plugin's ``seed_demo`` makes 林娜 the HR officer and gives everyone an HR
record; then an employee requests leave, the chain approves it, the team calendar and the balance show
it, and 销假 closes it — all through the web pages."""

from __future__ import annotations

import re
from datetime import datetime

from officium.core.bootstrap import DEMO_PASSWORD, seed_demo
from officium.core.identity.models import RoleGrant, User
from officium.plugins.leave.models import HrRecord, LeaveRequest
from officium.testing import app_client, login


def approve_on_the_page(client, url: str, username: str) -> None:
    token = login(client, username, DEMO_PASSWORD)
    page = client.get(url)
    action = re.search(r'action="(/workflow/items/\d+/approve)"', page.text)
    assert action, f"{username} has nothing to approve on {url}"
    done = client.post(
        action.group(1), data={"csrf_token": token, "opinion": "同意。", "next": url}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == url


def test_hook_seed_demo(site_factory, clock):
    app = site_factory(plugins=["leave", "delegation"])
    seed_demo(app)
    linna = User.get(User.username == "linna")
    assert RoleGrant.select().where((RoleGrant.user == linna) & (RoleGrant.role == "hr_officer")).exists()
    assert HrRecord.get(HrRecord.user == User.get(User.username == "heping")).rank == "处级"
    assert HrRecord.get(HrRecord.user == User.get(User.username == "liming")).rank == "厅局级"
    assert HrRecord.get(HrRecord.user == User.get(User.username == "hujing")).rank == "科级及以下"

    with app_client(app) as client:
        token = login(client, "hujing", DEMO_PASSWORD)
        before = client.get("/leave/")
        available = float(
            re.search(r'data-testid="available-annual"><strong>([\d.]+)<', before.text).group(1)
        )
        assert available >= 5
        filed = client.post(
            "/leave/new",
            data={
                "csrf_token": token,
                "leave_type": "annual",
                "start_date": "2026-03-09",
                "start_half": "am",
                "end_date": "2026-03-10",
                "end_half": "pm",
                "reason": "回老家",
            },
            follow_redirects=False,
        )
        assert filed.status_code == 303
        url = filed.headers["location"]
        approve_on_the_page(client, url, "xugang")  # 秘书科科长
        approve_on_the_page(client, url, "linna")  # 人事处备案
        login(client, "hujing", DEMO_PASSWORD)
        assert "已批准" in client.get(url).text
        after = client.get("/leave/")
        assert f'data-testid="available-annual"><strong>{available - 2:g}<' in after.text
        calendar = client.get("/leave/calendar?month=2026-03").text
        row = calendar[calendar.index('data-user="hujing"') :].split("</tr>")[0]
        assert 'data-day="9"' in row and 'data-day="10"' in row and 'data-day="11"' not in row

        home = client.get("/").text
        assert f'data-testid="widget-annual">{available - 2:g}<' in home and "已批准" in home
        # a colleague of the unit sees who is away on the day
        clock.now = datetime(2026, 3, 9, 10, 0)
        login(client, "xugang", DEMO_PASSWORD)
        assert "本单位今日休假：胡晶" in client.get("/").text

        clock.now = datetime(
            2026, 3, 11, 9, 0
        )  # the leave is over: the panel reminds her to register the return
        token = login(client, "hujing", DEMO_PASSWORD)
        assert "请<a" in client.get("/").text and "办理销假" in client.get("/").text
        ended = client.post(
            f"{url}/end",
            data={"csrf_token": token, "actual_end_date": "2026-03-09", "actual_end_half": "pm"},
            follow_redirects=False,
        )
        assert ended.status_code == 303
        assert LeaveRequest.get().status == "ended"
        assert f'data-testid="available-annual"><strong>{available - 1:g}<' in client.get("/leave/").text
