"""The 外出授权 首页 panel: what it shows of my delegations, read by the clock (the panel does not bring
delegations up to date itself: the middleware does, at most once a second)."""

from __future__ import annotations

from datetime import timedelta

from officium.testing import login

from .test_delegation import delegate


def panel(client) -> str:
    html = client.get("/").text
    return html.split('data-widget="delegation"', 1)[1].split("</section>", 1)[0]


def test_the_panel_shows_the_next_then_the_delegation_in_force_then_nothing(client, api, people, clock):
    start = clock.now + timedelta(days=1)
    end = clock.now + timedelta(days=3)
    assert delegate(api, "zhang", "li", clock, start=start, end=end).status_code == 201
    login(client, "zhang")
    shown = panel(client)
    assert "将于" in shown and "起授权 <strong>李四</strong> 代办（全部模块）" in shown
    clock.now = start + timedelta(hours=1)
    login(client, "zhang")
    shown = panel(client)
    assert "已授权 <strong>李四</strong> 代办（全部模块）" in shown and "我已返回" in shown
    clock.now = end + timedelta(minutes=1)
    login(client, "zhang")
    shown = panel(client)
    assert "李四" not in shown and "设置外出授权" in shown


def test_a_revoked_delegation_leaves_the_panel(client, api, people, clock):
    created = delegate(api, "zhang", "li", clock).json()
    login(client, "zhang")
    assert "已授权 <strong>李四</strong>" in panel(client)
    assert api("zhang").post(f"/api/v1/delegation/delegations/{created['id']}/revoke").status_code == 200
    assert "李四" not in panel(client)
