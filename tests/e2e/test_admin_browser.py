"""系统管理 in a real browser: the system administrator signs in with a TOTP code, creates an account and
sees its one-time password once."""

from __future__ import annotations

import pytest

from officium.core.identity.models import User
from officium.testing import TEST_PASSWORD, add_unit, add_user, totp_code

from .conftest import screenshot

pytestmark = pytest.mark.browser


def test_system_admin_creates_an_account_and_sees_the_one_time_password(live_app, live_server, page):
    bureau = add_unit(live_app, "JYJ", "江南局", kind="bureau")
    office = add_unit(live_app, "BGS", "办公室", parent=bureau)
    add_user(live_app, "sa", name="系统管理员", roles=["sysadmin"])

    page.goto(live_server.url + "/admin/users")
    assert "/login?next=/admin/users" in page.url
    page.get_by_label("用户名").fill("sa")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("#code").fill(totp_code(live_app, "sa"))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/admin/users")
    nav = page.get_by_role("navigation", name="功能导航")
    assert nav.get_by_role("link", name="用户账号").is_visible()
    assert nav.get_by_role("link", name="审计日志").count() == 0  # the auditor's, not the system admin's

    page.get_by_role("link", name="新建账号").first.click()
    page.wait_for_url(live_server.url + "/admin/users/new")
    page.get_by_role("button", name="创建").click()  # empty form: errors beside the fields
    assert page.locator("#f-username-error").inner_text() == "请填写用户名。"
    assert page.locator("#f-name-error").inner_text() == "请填写姓名。"

    page.get_by_label("用户名").fill("liming")
    page.get_by_label("姓名").fill("李明")
    page.get_by_label("单位").select_option(str(office.id))
    page.get_by_label("职务").fill("科员")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url(live_server.url + "/admin/users/new")
    assert page.get_by_role("heading", name="账号已创建").is_visible()
    password = page.get_by_test_id("one-time-password").inner_text()
    assert len(password) == 14 and password.count("-") == 2
    assert "只显示这一次" in page.inner_text("main")
    screenshot(page, "admin-user-created")

    user = User.get(User.username == "liming")
    assert (user.name, user.unit_id, user.must_change_password) == ("李明", office.id, True)
    page.get_by_role("link", name="返回账号").click()
    page.wait_for_url(live_server.url + f"/admin/users/{user.id}")
    assert password not in page.content()
