"""休假管理 in a real browser: the request form counts the days as the dates change (across National Day
2026 and its 调休 Saturday), shows the certificate field only for 病假 and the circumstance only for 产假, and files the request."""

from __future__ import annotations

import pytest

from officium.plugins.leave.models import LeaveRequest
from officium.testing import add_unit, add_user

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def plugins():
    return ["leave"]


def test_live_day_count_and_filing(live_app, live_server, page):
    unit = add_unit(live_app, "XXH", "信息化处")
    add_user(live_app, "fan", name="范志勇", unit=unit, roles=["leader"])
    add_user(live_app, "qiu", name="邱峰", unit=unit)
    sign_in(page, live_server, "qiu")
    page.goto(live_server.url + "/leave/new")
    count = page.locator("[data-leave-count]")
    page.get_by_label("假别").select_option(label="事假")
    page.get_by_label("开始日期").fill("2026-09-28")
    page.get_by_label("结束日期").fill("2026-10-10")
    page.get_by_label("结束日期").dispatch_event("change")
    count.get_by_text("共 6 天（按工作日计算）").wait_for()
    assert "单位负责人审批 → 分管局领导审批 → 人事处备案" in count.inner_text()
    # a half day at the end
    page.get_by_label("上午（半天）").check()
    count.get_by_text("共 5.5 天").wait_for()
    document = page.locator("[data-document-field]")
    assert document.is_hidden()
    page.get_by_label("假别").select_option(label="病假")
    document.wait_for(state="visible")
    page.get_by_label("下午（全天）").check()  # 产假 is taken in whole days
    page.get_by_label("假别").select_option(label="产假")
    page.locator("[data-maternity-field]").wait_for(state="visible")
    page.get_by_label("产假情形").select_option(label="怀孕未满4个月流产")
    count.get_by_text("最多 15 天").wait_for()
    page.get_by_label("假别").select_option(label="事假")
    page.locator("[data-maternity-field]").wait_for(state="hidden")
    assert document.is_hidden()
    page.get_by_label("上午（半天）").check()
    page.get_by_label("事由").fill("回老家")
    screenshot(page, "leave-request-form")
    with page.expect_navigation():
        page.get_by_role("button", name="提交审批").click()
    page.get_by_text("请假申请已提交，等待审批。").wait_for()
    leave = LeaveRequest.get()
    assert (leave.days, leave.end_half) == (5.5, "am")
    # printed, the request keeps its facts and drops the action cards
    cancel = page.get_by_role("heading", name="撤销请假")
    assert cancel.is_visible()
    page.emulate_media(media="print")
    assert page.get_by_role("heading", name="邱峰的事假申请").is_visible() and cancel.is_hidden()


def test_a_late_count_never_overwrites_the_current_one(live_app, live_server, page):
    """Under load the count for an earlier state of the form (产假 of a birth) may answer after the count
    for the current one (a miscarriage): the form must keep showing the current count."""
    unit = add_unit(live_app, "XXH", "信息化处")
    add_user(live_app, "qiu", name="邱峰", unit=unit)
    # tells the test when the page's handler for an answer has run (a task after the JSON is parsed)
    page.add_init_script(
        "(() => { const json = Response.prototype.json; window.countsHandled = 0;"
        " Response.prototype.json = function () { return json.call(this).then((d) => {"
        " setTimeout(() => { window.countsHandled += 1; }, 0); return d; }); }; })()"
    )
    held = []

    def hold_birth(route):
        if "circumstance=birth" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    sign_in(page, live_server, "qiu")
    page.goto(live_server.url + "/leave/new")
    page.route("**/api/v1/leave/count?*", hold_birth)
    count = page.locator("[data-leave-count]")
    page.get_by_label("开始日期").fill("2026-09-28")
    page.get_by_label("结束日期").fill("2026-10-10")
    with page.expect_request(lambda r: "circumstance=birth" in r.url):
        page.get_by_label("假别").select_option(label="产假")
    page.get_by_label("产假情形").select_option(label="怀孕未满4个月流产")
    count.get_by_text("最多 15 天").wait_for()
    handled = page.evaluate("window.countsHandled")
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_function("(n) => window.countsHandled > n", arg=handled)
    assert "最多 15 天" in count.inner_text()
