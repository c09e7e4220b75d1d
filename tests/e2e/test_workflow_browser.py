"""A document's way through the workflow in a real browser: a clerk submits it, the leader finds it in the
待办中心, approves it with a phrase picked from 常用意见, and the 流转记录 shows both steps."""

from __future__ import annotations

import pytest

from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.profile.opinions import add as add_phrase
from officium.testing import TEST_PASSWORD
from tests.core import flows

from .conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def plugins():
    return ["profile"]


@pytest.fixture
def extra_plugins():
    return [flows.make_plugin()]


def sign_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


def test_clerk_submits_leader_approves_with_a_common_opinion(live_app, live_server, page):
    people = flows.staff(live_app)
    add_phrase(people["leader"], "拟同意，请办公室按程序办理。", live_app.clock())
    add_phrase(people["leader"], "同意。", live_app.clock())
    base = live_server.url

    # the clerk (拟稿人, 综合人员) drafts and submits
    sign_in(page, base, "writer")
    page.goto(base + "/flows/")
    page.get_by_label("标题").fill("关于召开年度工作会议的请示")
    page.get_by_label("流程").select_option("single")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(base + "/flows/doc/*")
    timeline = page.get_by_test_id("wf-timeline")
    assert "拟稿人" in timeline.inner_text() and "提交" in timeline.inner_text()
    assert page.get_by_test_id("wf-step").inner_text() == "负责人审核"
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(base + "/login")

    # the leader finds it in the 待办中心
    sign_in(page, base, "leader")
    page.get_by_role("navigation", name="功能导航").get_by_role("link", name="待办中心").click()
    page.wait_for_url(base + "/todo/")
    row = page.get_by_role("row").filter(has_text="关于召开年度工作会议的请示")
    assert "负责人审核" in row.inner_text() and "正常" in row.inner_text()
    screenshot(page, "todo-centre")
    row.get_by_role("link", name="关于召开年度工作会议的请示").click()
    page.wait_for_url(base + "/flows/doc/*")

    # picks a common opinion: it fills the opinion box, then approves
    panel = page.get_by_test_id("workflow-panel")
    panel.get_by_label("常用意见").first.select_option("拟同意，请办公室按程序办理。")
    opinion = panel.get_by_label("意见", exact=True)
    assert opinion.input_value() == "拟同意，请办公室按程序办理。"
    with page.expect_navigation():
        panel.get_by_role("button", name="同意").click()
    assert page.get_by_role("status").filter(has_text="已办理。").count() == 1
    entries = page.get_by_test_id("wf-timeline").get_by_role("listitem")
    assert entries.count() == 2
    first, second = entries.nth(0).inner_text(), entries.nth(1).inner_text()
    assert "拟稿人" in first and "提交" in first
    assert "主任" in second and "负责人审核" in second and "同意" in second
    assert "拟同意，请办公室按程序办理。" in second
    assert page.get_by_test_id("wf-step").inner_text() == "办公室办理（任一人办理）"
    screenshot(page, "workflow-panel-after-approval")

    instance = Instance.get(Instance.title == "关于召开年度工作会议的请示")
    approved = WorkItem.get(WorkItem.instance == instance.id, WorkItem.step == "review")
    assert (approved.state, approved.opinion) == ("done", "拟同意，请办公室按程序办理。")
