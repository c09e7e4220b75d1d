"""The shell and the component kit: sorting, flash messages, the kit's macros, error pages, colours."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from peewee import Table
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse

import officium
from officium import AUTHENTICATED, PUBLIC, Page, hookimpl
from officium.core.identity.models import Unit
from officium.core.web.views import flash, redirect, render, sort_query
from officium.testing import add_unit, add_user, app_client, login, make_plugin

CSS = Path(officium.__file__).parent / "core" / "static" / "officium.css"


# ------------------------------------------------------------------------------------- test plugin


def units_view(request):
    query, sorting = sort_query(
        request, Unit.select(), {"name": Unit.name, "code": Unit.code, "kind": (Unit.kind, Unit.code)}, "code"
    )
    rows = "|".join(u.code for u in query)
    links = {col: sorting.url(col) for col in ("name", "code")}
    return PlainTextResponse(
        f"{rows}\n{sorting.column} {sorting.direction}\n{json.dumps(links)}\n{sorting.aria('name')}"
    )


def save_view(request):
    flash(request, "已保存。")
    flash(request, "请注意：附件未上传。", "warn")
    return redirect("/kit/page")


def fail_view(request):
    flash(request, "保存失败。", "bad")
    return redirect("/kit/page")


def page_view(request):
    return render(request, "core/plugins.html", plugins=[], breadcrumbs=[("系统管理", ""), ("测试页", "")])


def anonymous_flash_view(request):
    return PlainTextResponse(str(flash(request, "没有会话")))


def conflict_view(request):
    raise HTTPException(409)


def crash_view(request):
    raise RuntimeError("secret internal detail")


class KitHooks:
    @hookimpl
    def register_routes(self, app):
        return [
            Page("/units", units_view, "units", AUTHENTICATED),
            Page("/save", save_view, "save", AUTHENTICATED, methods=("POST",)),
            Page("/fail", fail_view, "fail", AUTHENTICATED, methods=("POST",)),
            Page("/page", page_view, "page", AUTHENTICATED),
            Page("/anonymous-flash", anonymous_flash_view, "anonymous_flash", PUBLIC),
            Page("/conflict", conflict_view, "conflict", AUTHENTICATED, methods=("GET", "POST")),
            Page("/crash", crash_view, "crash", AUTHENTICATED),
        ]


@pytest.fixture
def site(site_factory):
    app = site_factory(extra_plugins=[make_plugin("kit", KitHooks())])
    add_user(app, "zhang", name="张三")
    return app


@pytest.fixture
def signed_in(site):
    with app_client(site) as client:
        token = login(client, "zhang")
        client.csrf = token
        yield client


# ------------------------------------------------------------------------------------------ sorting


@pytest.fixture
def units(site):
    add_unit(site, "C", "办公室", kind="department")
    add_unit(site, "A", "卫生检疫处", kind="section")
    add_unit(site, "B", "人事处", kind="department")


def sorted_by(client, **params):
    rows, used, links, aria = client.get("/kit/units", params=params).text.split("\n")
    return rows.split("|"), used, json.loads(links), aria


def test_the_default_column_and_direction(signed_in, units):
    rows, used, _, aria = sorted_by(signed_in)
    assert rows == ["A", "B", "C"]
    assert (used, aria) == ("code asc", "none")


def test_sorting_by_an_allowed_column_and_direction(signed_in, units):
    rows, used, _, aria = sorted_by(signed_in, sort="code", dir="desc")
    assert (rows, used) == (["C", "B", "A"], "code desc")
    rows, used, _, aria = sorted_by(signed_in, sort="name", dir="asc")
    assert [r for r in rows] == [u.code for u in Unit.select().order_by(Unit.name, Unit.id)]
    assert (used, aria) == ("name asc", "ascending")


def test_a_tuple_of_columns_sorts_together(signed_in, units):
    rows, used, _, _ = sorted_by(signed_in, sort="kind", dir="desc")
    assert (rows, used) == (["A", "C", "B"], "kind desc")


@pytest.mark.parametrize("column", ["password_hash", "id; DROP TABLE core_unit", "", "Unit.name"])
def test_an_unknown_column_falls_back_to_the_default(signed_in, units, column):
    rows, used, _, _ = sorted_by(signed_in, sort=column, dir="desc")
    assert (rows, used) == (["A", "B", "C"], "code asc")


def test_an_unknown_direction_falls_back_to_the_default_direction(signed_in, units):
    rows, used, _, _ = sorted_by(signed_in, sort="code", dir="sideways")
    assert (rows, used) == (["A", "B", "C"], "code asc")


def test_header_links_keep_filters_drop_the_page_and_toggle(signed_in, units):
    _, _, links, _ = sorted_by(signed_in, sort="code", dir="asc", q="处", page="3")
    assert links["code"] == "?q=%E5%A4%84&sort=code&dir=desc"  # sorted by it already: reversed
    assert links["name"] == "?q=%E5%A4%84&sort=name&dir=asc"  # another column starts ascending


def test_a_default_outside_the_columns_is_a_programming_error():
    with pytest.raises(ValueError):
        sort_query(None, Unit.select(), {"name": Unit.name}, "code")


# -------------------------------------------------------------------------------------------- flash


def flash_texts(html):
    return re.findall(r'<p class="flash flash-(\w+)" role="(\w+)">([^<]*)</p>', html)


def test_a_flash_is_shown_once_after_the_redirect(signed_in):
    response = signed_in.post("/kit/save", data={"csrf_token": signed_in.csrf}, follow_redirects=False)
    assert response.status_code == 303
    page = signed_in.get(response.headers["location"]).text
    assert flash_texts(page) == [("ok", "status", "已保存。"), ("warn", "status", "请注意：附件未上传。")]
    assert flash_texts(signed_in.get("/kit/page").text) == []


def test_an_error_flash_is_announced_as_an_alert(signed_in):
    page = signed_in.post("/kit/fail", data={"csrf_token": signed_in.csrf}).text
    assert flash_texts(page) == [("bad", "alert", "保存失败。")]


def test_a_flash_belongs_to_its_session(site, signed_in):
    signed_in.post("/kit/save", data={"csrf_token": signed_in.csrf}, follow_redirects=False)
    add_user(site, "li")
    with app_client(site) as other:
        login(other, "li")
        assert flash_texts(other.get("/kit/page").text) == []
    assert len(flash_texts(signed_in.get("/kit/page").text)) == 2


def test_an_anonymous_request_cannot_flash(site):
    with app_client(site) as client:
        assert client.get("/kit/anonymous-flash").text == "False"
    sessions = Table("core_session", ("key", "flash")).bind(site.db)
    assert sessions.select().where(sessions.flash.is_null(False)).count() == 0


def test_an_unknown_flash_kind_is_a_programming_error(signed_in):
    with pytest.raises(ValueError):
        flash(None, "x", kind="purple")


# -------------------------------------------------------------------------------------------- shell


def test_the_skip_link_comes_first_and_targets_main(signed_in):
    html = signed_in.get("/kit/page").text
    body = html[html.index("<body>") :]
    first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
    assert first == '<a class="skip-link" href="#main">'
    assert '<main id="main" tabindex="-1">' in html


def test_the_top_bar_has_user_unit_todo_settings_and_logout(site):
    office = add_unit(site, "BGS", "办公室")
    add_user(site, "zhou", name="周静", unit=office)
    with app_client(site) as client:
        login(client, "zhou")
        bar = re.search(r'<nav class="userbar".*?</nav>', client.get("/").text, re.S).group(0)
    assert "周静 · 办公室" in bar
    assert 'data-testid="todo-badge">0<' in bar
    assert '<a href="/password">个人设置</a>' in bar
    assert 'action="/logout"' in bar


def test_personal_settings_go_to_the_profile_plugin_when_it_is_enabled(site_factory):
    app = site_factory(extra_plugins=[make_plugin("profile", object(), area="个人事务")])
    add_user(app, "zhou")
    with app_client(app) as client:
        login(client, "zhou")
        assert '<a href="/profile/">个人设置</a>' in client.get("/").text


def test_the_current_navigation_item_is_marked(site_factory):
    app = site_factory()
    add_user(app, "sysadmin", roles=["sysadmin"])
    with app_client(app) as client:
        login(client, "sysadmin")
        nav = re.search(r'<nav class="sidenav".*?</nav>', client.get("/plugins").text, re.S).group(0)
        assert re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', nav) == ["/plugins"]
        home = re.search(r'<nav class="sidenav".*?</nav>', client.get("/").text, re.S).group(0)
        assert re.findall(r'href="([^"]+)"[^>]*aria-current="page"', home) == ["/"]


def test_navigation_has_a_toggle_for_narrow_screens(signed_in):
    html = signed_in.get("/kit/page").text
    assert '<button type="button" class="nav-toggle" aria-controls="sidenav" aria-expanded="false">' in html
    assert '<nav class="sidenav" id="sidenav" aria-label="功能导航">' in html


def test_breadcrumbs_start_at_home_and_mark_the_page(signed_in):
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', signed_in.get("/kit/page").text, re.S).group(0)
    assert re.findall(r"<li>(.*?)</li>", crumbs) == [
        '<a href="/">首页</a>',
        "系统管理",
        '<span aria-current="page">测试页</span>',
    ]


def test_no_breadcrumbs_unless_a_view_passes_them(signed_in):
    assert 'class="breadcrumbs"' not in signed_in.get("/").text


def test_the_footer_shows_the_version(signed_in):
    footer = re.search(r'<footer class="footer">(.*?)</footer>', signed_in.get("/").text).group(1)
    assert f"Officium {officium.__version__}" in footer


# --------------------------------------------------------------------------------------- error pages


def assert_clean(html):
    for leak in ("Traceback", "RuntimeError", "secret internal detail", 'File "'):
        assert leak not in html


def test_409_is_a_chinese_conflict_page_with_a_way_back(signed_in):
    response = signed_in.get("/kit/conflict", headers={"referer": "http://testserver/kit/page"})
    assert response.status_code == 409
    assert '<h1 id="error-title">操作冲突</h1>' in response.text
    assert "该记录已被他人处理，请刷新后查看最新状态。" in response.text
    assert '<a class="button" href="http://testserver/kit/page">返回上一页查看最新状态</a>' in response.text
    assert "<title>操作冲突 - " in response.text
    assert_clean(response.text)


def test_409_never_links_back_to_another_site(signed_in):
    response = signed_in.get("/kit/conflict", headers={"referer": "http://testserver.evil.example/x"})
    assert response.status_code == 409
    assert "evil.example" not in response.text


def test_a_409_after_a_post_is_rolled_back_and_shown(signed_in):
    response = signed_in.post("/kit/conflict", data={"csrf_token": signed_in.csrf})
    assert response.status_code == 409
    assert "操作冲突" in response.text


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [("/plugins", 403, "没有权限"), ("/no/such/page", 404, "找不到页面"), ("/kit/crash", 500, "系统出错")],
)
def test_error_pages_are_chinese_and_never_show_a_stack_trace(site, path, status, heading):
    with app_client(site, raise_server_exceptions=False) as client:
        login(client, "zhang")
        response = client.get(path)
    assert response.status_code == status
    assert f'<h1 id="error-title">{heading}</h1>' in response.text
    assert f"错误代码 {status}" in response.text
    assert_clean(response.text)


# ------------------------------------------------------------------------------------------- macros


def macro(app, call, **context):
    """Render one kit macro call."""
    names = re.match(r"\s*(\w+)", call).group(1)
    source = f'{{% from "core/kit.html" import {names} %}}{{{{ {call} }}}}'
    return app.jinja_env.from_string(source).render(**context)


def test_field_keeps_the_value_and_shows_the_error_beside_it(app):
    html = macro(app, 'field("title", "标题", value="<b>周一</b>", errors={"title": "请填写标题。"})')
    assert 'value="&lt;b&gt;周一&lt;/b&gt;"' in html
    assert 'aria-invalid="true" aria-describedby="f-title-error"' in html
    assert '<p class="field-error" id="f-title-error">请填写标题。</p>' in html
    assert '<label for="f-title">标题</label>' in html


def test_date_field_takes_a_date(app):
    html = macro(app, 'date_field("due", "办结期限", value=d, min=d)', d=date(2026, 3, 2))
    assert 'type="date" value="2026-03-02"' in html
    assert 'min="2026-03-02"' in html


def test_checkboxes_keep_the_ticked_values_in_a_labelled_group(app):
    html = macro(
        app,
        'checkboxes("units", "抄送单位", [(1, "办公室"), (2, "人事处"), (3, "财务处")], values=["2", 3], '
        'errors={"units": "至少选择一个单位。"})',
    )
    assert "<legend>抄送单位</legend>" in html
    assert re.findall(r'value="(\d)" checked', html) == ["2", "3"]
    assert '<fieldset class="field group has-error" id="f-units" aria-describedby="f-units-error">' in html
    assert '<p class="field-error" id="f-units-error">至少选择一个单位。</p>' in html


def test_radios_keep_the_chosen_value(app):
    html = macro(app, 'radios("urgency", "缓急", [("normal", "普通"), ("urgent", "急件")], value="urgent")')
    assert re.findall(r'value="(\w+)" checked', html) == ["urgent"]
    assert '<label class="choice"><input type="radio" name="urgency" value="normal"> 普通</label>' in html


def test_a_single_checkbox(app):
    html = macro(app, 'checkbox("notify", "短信提醒", checked=true)')
    assert '<input id="f-notify" name="notify" type="checkbox" value="1" checked>' in html
    assert '<label for="f-notify">短信提醒</label>' in html


def test_person_picker_is_a_plain_field_of_usernames_without_javascript(app):
    html = macro(
        app,
        'person_picker("readers", "传阅", value=["wangjg", "zhoujing"], multiple=true, labels={"wangjg": "王\\"建国"})',
    )
    assert '<input id="f-readers" name="readers" type="text" value="wangjg,zhoujing"' in html
    assert 'data-multiple="true"' in html
    assert 'data-source="/api/v1/core/people"' in html
    labels = re.search(r'data-labels="([^"]*)"', html).group(1)  # JSON, escaped for the attribute
    assert json.loads(unescape(labels)) == {"wangjg": '王"建国'}
    assert "多人用逗号分隔" in html


def test_file_field_states_the_rules_and_carries_the_limit(app):
    html = macro(app, 'file_field("attachment", "附件", accept=".pdf,.docx", max_mb=20)')
    assert 'data-max-bytes="20971520"' in html
    assert 'accept=".pdf,.docx"' in html
    assert "允许的类型：.pdf、.docx；每个文件不超过 20 MB" in html
    assert 'aria-describedby="f-attachment-hint f-attachment-files"' in html


@pytest.mark.parametrize(
    ("state", "text"), [("green", "正常"), ("yellow", "黄灯"), ("red", "红灯"), ("bogus", "正常")]
)
def test_lights_say_their_state_in_words(app, state, text):
    html = macro(app, f'light("{state}", "还剩 1 个工作日")')
    assert f"</span>{text}：还剩 1 个工作日</span>" in html


def test_data_table_marks_the_sorted_column_and_renders_rows_through_the_caller(app):
    from officium.core.web.views import Sorting

    source = (
        '{% from "core/kit.html" import data_table %}'
        '{% call(row) data_table([("title", "标题", true), ("n", "数量", false)], rows, sorting) %}'
        "<td>{{ row.title }}</td><td>{{ row.n }}</td>{% endcall %}"
    )
    html = app.jinja_env.from_string(source).render(
        rows=[{"title": "甲", "n": 1}], sorting=Sorting("title", "asc", "q=x&page=2")
    )
    assert (
        '<th scope="col" aria-sort="ascending"><a class="sort sort-ascending" href="?q=x&amp;sort=title&amp;dir=desc">'
        in html
    )
    assert '<th scope="col">数量</th>' in html
    assert "<tr><td>甲</td><td>1</td></tr>" in html


def test_data_table_shows_the_empty_state_instead_of_an_empty_table(app):
    source = (
        '{% from "core/kit.html" import data_table %}'
        '{% call(row) data_table([("title", "标题", false)], [], empty_message="暂无收文。") %}'
        "<td>{{ row.title }}</td>{% endcall %}"
    )
    html = app.jinja_env.from_string(source).render()
    assert "<table" not in html
    assert '<div class="empty-state"><p>暂无收文。</p></div>' in html


def test_filters_keep_the_sorting_and_offer_a_reset(app):
    source = (
        '{% from "core/kit.html" import filters, field %}'
        '{% call filters(reset_url="/x/", keep={"sort": "title", "dir": "desc", "empty": ""}) %}'
        '{{ field("q", "关键词") }}{% endcall %}'
    )
    html = app.jinja_env.from_string(source).render()
    assert '<form method="get" class="toolbar filters" role="search" aria-label="筛选">' in html
    assert re.findall(r'<input type="hidden" name="(\w+)" value="(\w+)">', html) == [
        ("sort", "title"),
        ("dir", "desc"),
    ]
    assert '<a href="/x/">重置</a>' in html


def test_confirm_form_carries_the_question(app):
    html = macro(app, 'confirm_form("/x/1/delete", "删除", "确定删除吗？", "")')
    assert '<form method="post" action="/x/1/delete" class="inline" data-confirm="确定删除吗？">' in html
    assert '<button type="submit" class="danger">删除</button>' in html


def test_pagination_links_keep_the_filters_and_mark_the_page(app):
    from officium.core.web.views import PageOf

    listing = PageOf([], 2, 3, 45, "q=%E5%A4%84&sort=name&page=2")
    source = '{% from "core/kit.html" import pagination %}{{ pagination(l.page, l.pages, l.total, l.url) }}'
    html = app.jinja_env.from_string(source).render(l=listing)
    assert '<a href="?q=%E5%A4%84&amp;sort=name&amp;page=1" rel="prev">上一页</a>' in html
    assert '<a href="?q=%E5%A4%84&amp;sort=name&amp;page=3" rel="next">下一页</a>' in html
    assert '<span aria-current="page">第 2 / 3 页，共 45 条</span>' in html


# -------------------------------------------------------------------------------------------- colours


def hex_luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((hex_luminance(a), hex_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_have_a_contrast_of_at_least_4_5():
    css = CSS.read_text(encoding="utf-8")
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", css))
    declared = re.search(r"/\* contrast:(.*?)\*/", css, re.S).group(1)
    pairs = re.findall(r"(--[\w-]+|#[0-9a-fA-F]{6}) on (--[\w-]+|#[0-9a-fA-F]{6})", declared)
    assert len(pairs) >= 15
    resolve = lambda name: variables[name] if name.startswith("--") else name  # noqa: E731
    weak = {f"{fg} on {bg}": round(contrast(resolve(fg), resolve(bg)), 2) for fg, bg in pairs}
    assert {k: v for k, v in weak.items() if v < 4.5} == {}


def test_the_print_stylesheet_hides_the_shell():
    css = CSS.read_text(encoding="utf-8")
    printed = css[css.index("@media print") :]
    for part in (".topbar", ".sidenav", ".footer", ".skip-link", "button"):
        assert part in printed.split("{ display: none")[0]
