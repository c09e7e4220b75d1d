"""The kit's scripted parts in a real browser: the person picker and the file field's checks."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader
from starlette.responses import PlainTextResponse

from officium import AUTHENTICATED, Page, hookimpl
from officium.core.web.views import render
from officium.testing import add_unit, add_user, make_plugin

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

FORM = """{% extends "core/base.html" %}
{% from "core/kit.html" import person_picker, file_field %}
{% block content %}
<h1>传阅</h1>
<form method="post" enctype="multipart/form-data" class="form" novalidate>
  {{ csrf_field }}
  {{ person_picker("readers", "传阅人员", multiple=true) }}
  {{ file_field("attachment", "附件", accept=".pdf,.docx", max_mb=1) }}
  <button type="submit" class="primary">提交</button>
</form>
{% endblock %}"""


def form_page(request):
    if request.method == "POST":
        return PlainTextResponse(f"readers={request.state.form.get('readers', '')}")
    return render(request, "kitdemo/form.html")


class Hooks:
    @hookimpl
    def register_routes(self, app):
        return [Page("/", form_page, "form", AUTHENTICATED, methods=("GET", "POST"))]


@pytest.fixture
def extra_plugins():
    return [make_plugin("kitdemo", Hooks())]


@pytest.fixture
def form(live_app, live_server, page):
    live_app.jinja_env.loader.loaders.append(DictLoader({"kitdemo/form.html": FORM}))
    office = add_unit(live_app, "BGS", "办公室")
    hr = add_unit(live_app, "RSC", "人事处")
    add_user(live_app, "zhoujing", name="周静", unit=office)
    add_user(live_app, "wangjg", name="王建国", unit=office)
    add_user(live_app, "limin", name="李敏", unit=hr)
    sign_in(page, live_server, "zhoujing")
    page.goto(live_server.url + "/kitdemo/")
    return page


def test_person_picker_finds_by_initials_and_keeps_several_people(form):
    box = form.get_by_role("combobox", name="传阅人员")
    box.fill("wjg")
    option = form.get_by_role("option", name="王建国")
    option.wait_for()
    assert "办公室" in option.inner_text()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    assert option.get_attribute("aria-selected") == "true"
    box.press("Enter")
    assert form.get_by_role("listbox").is_hidden()
    chips = form.get_by_role("list", name="已选择")
    assert chips.locator("li > span").all_inner_texts() == ["王建国（办公室）"]

    box.fill("人事")  # by unit name
    form.get_by_role("option", name="李敏").click()
    assert len(chips.get_by_role("listitem").all()) == 2
    assert form.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    screenshot(form, "person-picker", full_page=False)

    form.get_by_role("button", name="移除 王建国（办公室）").click()
    assert chips.locator("li > span").all_inner_texts() == ["李敏（人事处）"]
    form.get_by_role("button", name="提交").click()
    assert form.locator("body").inner_text().strip() == "readers=limin"


def test_file_field_shows_the_file_and_stops_a_wrong_one(form):
    chooser = form.get_by_label("附件")
    chooser.set_input_files({"name": "通知.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" * 300})
    assert form.locator("#f-attachment-files").inner_text() == "通知.pdf（1.2 KB）"
    assert chooser.get_attribute("aria-invalid") == "false"

    chooser.set_input_files({"name": "大文件.pdf", "mimeType": "application/pdf", "buffer": b"0" * 2_000_000})
    assert form.locator("#f-attachment-files").inner_text() == "大文件.pdf（1.9 MB）：超过 1.0 MB 的大小限制"
    chooser.set_input_files({"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"})
    assert form.locator("#f-attachment-files").inner_text() == "setup.exe（2 B）：不允许的文件类型"
    assert chooser.get_attribute("aria-invalid") == "true"
    form.get_by_role("button", name="提交").click()
    assert form.evaluate("document.activeElement.id") == "f-attachment"  # not sent: back to the field
    assert form.get_by_role("heading", name="传阅").is_visible()
