"""The key pages in a real browser: sign in, dashboard, navigation, a form error, sign out."""

from __future__ import annotations

import pytest

from officium.testing import TEST_PASSWORD, add_unit, add_user

from .conftest import screenshot

pytestmark = pytest.mark.browser


def test_sign_in_navigate_form_error_sign_out(live_app, live_server, page):
    unit = add_unit(live_app, "BGS", "办公室")
    add_user(live_app, "zhoujing", name="周静", unit=unit, roles=["clerk"])

    page.goto(live_server.url + "/")
    assert page.url.endswith("/login?next=/")
    screenshot(page, "login")
    page.get_by_label("用户名").fill("zhoujing")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。"

    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    assert "周静，您好" in page.inner_text("main")
    assert "周静 · 办公室" in page.inner_text("header")
    screenshot(page, "dashboard")

    page.get_by_role("navigation", name="功能导航").get_by_role("link", name="修改密码").click()
    page.wait_for_url(live_server.url + "/password")
    page.get_by_label("当前密码").fill("not-my-password")
    page.locator("#f-new").fill("short")
    page.get_by_label("再次输入新密码").fill("short")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#f-current-error").inner_text() == "当前密码不正确。"
    assert "至少 8 个字符" in page.locator("#f-new-error").inner_text()
    assert page.get_by_label("当前密码").get_attribute("aria-invalid") == "true"
    screenshot(page, "password-errors")

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(live_server.url + "/login")
    page.goto(live_server.url + "/")
    assert "/login" in page.url


def test_narrow_screen_stacks_navigation(live_app, live_server, browser):
    add_user(live_app, "mobile")
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("用户名").fill("mobile")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    nav = page.get_by_role("navigation", name="功能导航").bounding_box()
    main = page.locator("main").bounding_box()
    assert nav["y"] + nav["height"] <= main["y"] + 1  # navigation above the content, not beside it
    screenshot(page, "dashboard-phone")
    context.close()
