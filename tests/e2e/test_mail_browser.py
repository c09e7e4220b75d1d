"""电子邮件 in a real browser: the recipient picker finds a unit mailbox, the body editor and the draft
autosave work, the message is sent, and the unit's clerk opens it and hands it on to a colleague."""

from __future__ import annotations

import pytest

from officium.plugins.mail.models import Copy, Message
from officium.testing import add_unit, add_user

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def plugins():
    return ["mail"]


def test_write_autosave_send_and_hand_on(live_app, live_server, page):
    bgs = add_unit(live_app, "BGS", "办公室")
    rsc = add_unit(live_app, "RSC", "人事处")
    add_user(live_app, "zhou", name="周静", unit=bgs, roles=["clerk"])
    add_user(live_app, "wu", name="吴敏", unit=bgs)
    add_user(live_app, "qian", name="钱进", unit=rsc)
    base = live_server.url

    page.clock.install()
    sign_in(page, live_server, "qian")
    page.goto(base + "/mail/compose")
    picker = page.get_by_role("combobox", name="收件人")
    picker.fill("办公室")
    page.get_by_role("option", name="办公室（部门邮箱）").click()
    page.get_by_label("主题").fill("请报送值班表")
    editor = page.get_by_role("textbox", name="正文")
    editor.click()
    page.keyboard.type("请于周五前报送。")
    page.get_by_role("button", name="加粗").click()
    page.keyboard.type("务必按时")
    # the draft is saved on its own after 30 seconds
    page.clock.fast_forward(31_000)
    page.get_by_text("草稿已自动保存").wait_for()
    draft = Message.get(Message.subject == "请报送值班表")
    assert draft.state == "draft" and draft.to_tokens == "unit:BGS"
    assert "<strong>务必按时</strong>" in draft.body_html or "<b>务必按时</b>" in draft.body_html
    screenshot(page, "mail-compose")
    with page.expect_navigation():
        page.get_by_role("button", name="发送").click()
    page.get_by_text("邮件“请报送值班表”已发送。").wait_for()
    assert (
        Message.select().where(Message.subject == "请报送值班表").count() == 1
    )  # the draft was sent, not copied
    page.get_by_role("button", name="退出").click()

    sign_in(page, live_server, "zhou")
    page.goto(base + f"/mail/?box=unit{bgs.id}")
    page.get_by_role("link", name="请报送值班表").click()
    page.get_by_label("吴敏").check()
    with page.expect_navigation():
        page.get_by_role("button", name="分发").click()
    page.get_by_text("已分发给：吴敏。").wait_for()
    screenshot(page, "mail-unit-mailbox")
    assert (
        Copy.select()
        .join(Message)
        .where((Message.subject == "请报送值班表") & Copy.via.is_null(False))
        .count()
        == 1
    )
