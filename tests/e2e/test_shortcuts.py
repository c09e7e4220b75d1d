"""快捷操作 in a real browser: open it from the navigation, a refused address shown beside the field, the
shortcut on the dashboard, and removal through the confirmation dialog."""

from __future__ import annotations

import pytest

from officium.plugins.shortcuts.models import Shortcut
from officium.testing import add_unit, add_user

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def plugins():
    return ["shortcuts"]


def test_pin_see_on_the_dashboard_and_remove_with_confirmation(live_app, live_server, page):
    office = add_unit(live_app, "BGS", "办公室")
    add_user(live_app, "zhoujing", name="周静", unit=office, roles=["clerk"])
    sign_in(page, live_server, "zhoujing")

    nav = page.get_by_role("navigation", name="功能导航")
    nav.get_by_role("link", name="管理快捷操作").click()
    page.wait_for_url(live_server.url + "/shortcuts/")
    assert nav.get_by_role("link", name="管理快捷操作").get_attribute("aria-current") == "page"
    crumbs = page.get_by_role("navigation", name="当前位置")
    assert crumbs.get_by_role("link", name="首页").is_visible()
    assert crumbs.locator('[aria-current="page"]').inner_text() == "我的快捷操作"

    page.get_by_label("名称").fill("起草发文")
    page.get_by_label("地址").fill("javascript:alert(1)")
    page.get_by_role("button", name="添加").click()
    error = page.locator("#f-url-error")
    assert "只能填写本站内的地址" in error.inner_text()
    assert page.get_by_label("地址").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("名称").input_value() == "起草发文"  # kept
    field_box, error_box = page.get_by_label("地址").bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40  # right below the field
    screenshot(page, "shortcuts-error")

    page.get_by_label("地址").fill("/docs_outgoing/new")
    page.get_by_role("button", name="添加").click()
    page.wait_for_url(live_server.url + "/shortcuts/")
    assert page.get_by_role("status").inner_text() == "已添加快捷操作“起草发文”。"
    screenshot(page, "shortcuts")

    nav.get_by_role("link", name="首页").click()
    page.wait_for_url(live_server.url + "/")
    panel = page.locator('[data-widget="shortcuts"]')
    assert panel.get_by_role("link", name="起草发文").get_attribute("href") == "/docs_outgoing/new"
    assert nav.get_by_role("link", name="起草发文").is_visible()
    screenshot(page, "dashboard-shortcuts")

    panel.get_by_role("link", name="管理快捷操作").click()
    page.wait_for_url(live_server.url + "/shortcuts/")
    page.get_by_role("button", name="移除").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    assert "确定移除快捷操作“起草发文”吗？" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "取消"  # the safe answer has the focus
    screenshot(page, "confirm-dialog", full_page=False)
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert Shortcut.select().count() == 1

    page.get_by_role("button", name="移除").click()
    dialog.get_by_role("button", name="取消").click()
    assert Shortcut.select().count() == 1

    page.get_by_role("button", name="移除").click()
    dialog.get_by_role("button", name="确定移除").click()
    page.wait_for_url(live_server.url + "/shortcuts/")
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == "已移除快捷操作“起草发文”。"
    assert Shortcut.select().count() == 0
