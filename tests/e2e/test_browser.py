"""The key pages in a real browser: sign in, dashboard, navigation, a form error, sign out."""

from __future__ import annotations

import pytest

from officium.testing import TEST_PASSWORD, add_unit, add_user

from .conftest import screenshot, sign_in

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


def test_phone_layout_collapses_the_navigation_behind_a_button(live_app, live_server, phone):
    add_user(live_app, "mobile", name="移动")
    sign_in(phone, live_server, "mobile")
    nav = phone.get_by_role("navigation", name="功能导航")
    toggle = phone.get_by_role("button", name="菜单")
    assert nav.is_hidden()
    assert toggle.get_attribute("aria-expanded") == "false"
    screenshot(phone, "phone-dashboard", full_page=False)

    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert phone.evaluate("document.activeElement.textContent") == "首页"  # focus moved into the menu
    nav_box, main_box = nav.bounding_box(), phone.locator("main").bounding_box()
    assert nav_box["y"] + nav_box["height"] <= main_box["y"] + 1  # above the content, full width
    assert nav_box["width"] > 350
    screenshot(phone, "phone-navigation", full_page=False)

    phone.keyboard.press("Escape")
    assert nav.is_hidden()
    assert phone.evaluate("document.activeElement.className") == "nav-toggle"


def test_wide_screen_shows_navigation_beside_the_content(live_app, live_server, page):
    add_user(live_app, "desk")
    sign_in(page, live_server, "desk")
    assert page.get_by_role("button", name="菜单").is_hidden()
    nav_box = page.get_by_role("navigation", name="功能导航").bounding_box()
    main_box = page.locator("main").bounding_box()
    assert nav_box["x"] + nav_box["width"] <= main_box["x"] + 1
    assert abs(nav_box["y"] - main_box["y"]) < 2


def focused(page) -> dict:
    """What has the keyboard focus, and how its focus ring is drawn."""
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName, text: e.textContent.trim(), cls: e.className, id: e.id,
                outline: s.outlineStyle, width: parseFloat(s.outlineWidth), top: e.getBoundingClientRect().top}; }"""
    )


def test_keyboard_reaches_the_skip_link_first_then_the_navigation(live_app, live_server, page):
    add_user(live_app, "keys", name="键盘")
    sign_in(page, live_server, "keys")
    page.keyboard.press("Tab")
    first = focused(page)
    assert (first["cls"], first["text"]) == ("skip-link", "跳到主要内容")
    assert first["top"] >= 0  # shown on the screen once it has the focus
    assert first["outline"] != "none" and first["width"] >= 2
    screenshot(page, "keyboard-skip-link", full_page=False)

    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now["text"])
        if now["text"] == "修改密码":
            break
    assert seen[0] == live_app.config.site_name  # then the top bar, in reading order
    assert seen.index("待办 0") < seen.index("个人设置") < seen.index("退出") < seen.index("首页")
    # the navigation follows, in its order (other entries, e.g. 消息通知, may stand between these two)
    assert seen[-1] == "修改密码" and seen.index("首页") < len(seen) - 1
    ring = focused(page)
    assert ring["outline"] != "none" and ring["width"] >= 2  # focus is visible on the navigation too

    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # follow the skip link
    assert focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert focused(page)["text"] not in ("首页", "修改密码")  # past the navigation, inside the content
