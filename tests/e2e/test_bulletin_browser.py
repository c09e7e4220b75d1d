"""公告板 in a real browser: the printed announcement is the announcement — the publisher's tools (修改, 阅读情况,
撤回) and the reader's 确认已阅 box stay on the screen."""

from __future__ import annotations

import pytest

from officium.testing import add_unit, add_user, app_client, login

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def plugins():
    return ["bulletin"]


def test_print_shows_the_announcement_only(live_app, live_server, page):
    office = add_unit(live_app, "BGS", "办公室")
    add_user(live_app, "wu", name="吴芳", unit=office, roles=["clerk", "bulletin_admin"])
    with app_client(live_app) as client:
        csrf = login(client, "wu")
        headers = {"X-CSRF-Token": csrf}
        column = client.post(
            "/api/v1/bulletin/columns",
            json={
                "name": "通知",
                "approval": "none",
                "readers": {"all": True},
                "publishers": {"roles": ["clerk"]},
            },
            headers=headers,
        )
        assert column.status_code == 201, column.text
        notice = client.post(
            "/api/v1/bulletin/announcements",
            json={
                "column": column.json()["id"],
                "title": "关于元旦值班的通知",
                "body": "<p>值班安排如下。</p>",
                "must_read": True,
                "submit": True,
            },
            headers=headers,
        )
        assert notice.status_code == 201 and notice.json()["state"] == "published", notice.text
    sign_in(page, live_server, "wu")
    page.goto(f"{live_server.url}/bulletin/{notice.json()['id']}")
    tools = page.locator(".publisher-tools")
    receipt = page.get_by_text("确认阅读")
    assert tools.is_visible() and receipt.is_visible()
    page.emulate_media(media="print")
    assert page.get_by_text("值班安排如下。").is_visible()
    assert tools.is_hidden() and receipt.is_hidden()


def test_the_body_editor_writes_headings_and_emphasis(live_app, live_server, page):
    """The core's rich-text editor (officium.js, ``textarea[data-rich]``) on the 发布公告 form."""
    from officium.plugins.bulletin.models import Announcement

    office = add_unit(live_app, "BGS", "办公室")
    add_user(live_app, "wu", name="吴芳", unit=office, roles=["clerk", "bulletin_admin"])
    with app_client(live_app) as client:
        csrf = login(client, "wu")
        column = client.post(
            "/api/v1/bulletin/columns",
            json={
                "name": "通知",
                "approval": "none",
                "readers": {"all": True},
                "publishers": {"roles": ["clerk"]},
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert column.status_code == 201, column.text
    sign_in(page, live_server, "wu")
    page.goto(f"{live_server.url}/bulletin/new")
    page.locator("select[name=column]").select_option(str(column.json()["id"]))
    page.get_by_label("标题").fill("关于春节值班的通知")
    editor = page.get_by_role("textbox", name="正文")
    assert page.locator("textarea[name=body]").is_hidden() and editor.is_visible()
    editor.click()
    page.get_by_role("button", name="小标题").click()
    page.keyboard.type("值班安排")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="正文段落").click()
    page.get_by_role("button", name="加粗").click()
    page.keyboard.type("请按时到岗")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    saved = Announcement.get(Announcement.title == "关于春节值班的通知")
    assert "<h3>值班安排</h3>" in saved.body
    assert "<strong>请按时到岗</strong>" in saved.body or "<b>请按时到岗</b>" in saved.body
