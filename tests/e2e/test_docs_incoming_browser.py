"""收文管理 in a real browser: the office's clerk registers a document with its scanned original, accepts it,
the director proposes and picks the leader with the person picker, the leader instructs, the clerk assigns a
主办 and a 协办 unit, both handle it, the 主办 concludes it and the clerk archives it."""

from __future__ import annotations

import re

import pytest

from officium.plugins.docs_incoming.models import IncomingDocument
from tests.plugins.docs_incoming.conftest import build_bureau

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def plugins():
    return ["docs_incoming"]


def switch(page, server, username):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(server.url + "/login")
    sign_in(page, server, username)


def open_document(page, server, document):
    page.goto(server.url + document.url)


def approve_in_panel(page, opinion):
    panel = page.get_by_test_id("workflow-panel")
    panel.get_by_label("意见", exact=True).fill(opinion)
    with page.expect_navigation():
        panel.get_by_role("button", name="同意").click()


def confirm(page):
    page.get_by_role("dialog").get_by_role("button", name=re.compile("^确定")).click()


def test_register_and_handle_a_document(live_app, live_server, page):
    build_bureau(live_app)
    base = live_server.url

    # 登记
    sign_in(page, live_server, "wu")
    page.get_by_role("navigation", name="功能导航").get_by_role("link", name="收文登记").click()
    page.wait_for_url(base + "/docs_incoming/new")
    page.get_by_label("来文单位").fill("海关总署办公厅")
    page.get_by_label("来文字号").fill("署办函〔2026〕88号")
    page.get_by_label("标题").fill("关于加强进境水果检疫的通知")
    page.get_by_label("文种").select_option("通知")
    page.get_by_label("紧急程度").select_option("urgent")
    page.get_by_label("办理时限（工作日）").fill("5")
    page.get_by_label("本文件为非涉密文件").check()
    page.get_by_label("来文原件和附件").set_input_files(
        {"name": "原件.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    screenshot(page, "docs-incoming-register")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(base + r"/docs_incoming/\d+$"))
    document = IncomingDocument.get(IncomingDocument.doc_number == "署办函〔2026〕88号")
    assert page.get_by_test_id("number").inner_text() == document.number
    assert page.get_by_test_id("attachments").get_by_role("link", name="在线预览").count() == 1

    # 初审: a 批办件
    review = page.get_by_test_id("review-form")
    review.get_by_label("批办件").check()
    with page.expect_navigation():
        page.get_by_test_id("accept").click()
    assert page.get_by_test_id("wf-step").inner_text().startswith("拟办")

    # 拟办: the director picks the leader with the person picker
    switch(page, live_server, "liu")
    open_document(page, live_server, document)
    panel = page.get_by_test_id("workflow-panel")
    panel.get_by_label("意见", exact=True).fill("拟请陈局长阅示，人事处主办。")
    box = panel.get_by_role("combobox")
    box.fill("陈局长")
    page.get_by_role("option", name="陈局长").click()
    with page.expect_navigation():
        panel.get_by_role("button", name="同意").click()

    # 领导批示
    switch(page, live_server, "chen")
    open_document(page, live_server, document)
    approve_in_panel(page, "请人事处牵头落实，财务处配合。")
    assert "请人事处牵头落实" in page.get_by_test_id("instructions").inner_text()
    screenshot(page, "docs-incoming-instructed")

    # 分办
    switch(page, live_server, "wu")
    open_document(page, live_server, document)
    assign = page.get_by_test_id("assign-form")
    assign.get_by_label("主办单位").select_option(label="人事处")
    assign.get_by_role("group", name="协办单位").get_by_label("财务处").check()
    with page.expect_navigation():
        page.get_by_test_id("assign").click()
    assert "主办单位：人事处；协办单位：财务处" in page.get_by_test_id("assignments").inner_text()

    # 协办 and 主办
    switch(page, live_server, "li")
    open_document(page, live_server, document)
    approve_in_panel(page, "财务处已配合。")
    switch(page, live_server, "zhou")
    open_document(page, live_server, document)
    page.get_by_test_id("conclude-form").get_by_label("办理结果").fill("已组织专项检疫。")
    with page.expect_navigation():
        page.get_by_test_id("conclude").click()
    assert page.get_by_test_id("result").inner_text() == "办理结果：已组织专项检疫。"

    # 归档
    switch(page, live_server, "wu")
    open_document(page, live_server, document)
    page.get_by_test_id("archive").click()
    with page.expect_navigation():
        confirm(page)
    assert IncomingDocument.get_by_id(document.id).status == "archived"
    page.goto(base + "/docs_incoming/")
    row = page.get_by_role("row").filter(has_text="关于加强进境水果检疫的通知")
    assert "已归档" in row.inner_text()
    screenshot(page, "docs-incoming-register-book")
