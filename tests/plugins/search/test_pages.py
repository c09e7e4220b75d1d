"""The results page, the search box in the shell, facets, pagination, advanced search, errors."""

from __future__ import annotations

import re

from officium.testing import add_user, app_client, close_site, login, make_site


def hits(html: str) -> list[str]:
    return re.findall(r'data-record="memo\.note:([^"]+)"', html)


def test_the_shell_has_a_search_box_for_staff_only(office):
    page = office.as_("wu").get("/").text
    assert 'class="topsearch"' in page and 'action="/search/"' in page
    assert 'href="/search/"' in page  # the menu entry under 历史数据
    assert 'class="topsearch"' not in office.as_("sysadmin").get("/").text  # 三员 do not search documents
    assert office.as_("sysadmin").get("/search/?q=休假").status_code == 403


def test_no_search_box_when_the_plugin_is_not_enabled(tmp_path):
    app = make_site(tmp_path)
    try:
        add_user(app, "li")
        with app_client(app) as client:
            login(client, "li")
            page = client.get("/").text
            assert "topsearch" not in page
            assert client.get("/search/").status_code == 404
    finally:
        close_site(app)


def test_results_show_only_what_the_user_may_open(office):
    wu = office.as_("wu").get("/search/?q=休假")
    assert wu.status_code == 200
    assert hits(wu.text) == ["m1"]
    assert "共找到 <strong>1</strong> 条" in wu.text
    fan = office.as_("fan").get("/search/?q=休假").text
    assert sorted(hits(fan)) == ["m1", "m2", "m3"]
    assert "共找到 <strong>3</strong> 条" in fan
    # the hidden entries leave no trace in the facets either
    assert "信息化处" not in wu.text.split('data-facet="unit"')[1].split("</section>")[0]


def test_highlighted_snippets_and_record_links(office):
    page = office.as_("wu").get("/search/?q=检办发〔2026〕3").text
    assert hits(page) == ["m1"]
    assert 'href="/memo/m1"' in page
    assert "赣<mark>检办发</mark>〔<mark>2026</mark>〕<mark>3</mark>号" in page


def test_pagination_keeps_the_query(office):
    first = office.as_("wu").get("/search/?q=周报").text
    assert len(hits(first)) == 20 and "第 1 / 2 页，共 25 条" in first
    assert 'href="/search/?q=%E5%91%A8%E6%8A%A5&amp;page=2"' in first
    second = office.as_("wu").get("/search/?q=周报&page=2").text
    assert len(hits(second)) == 5 and not set(hits(second)) & set(hits(first))


def test_facets_filter_the_results(office):
    page = office.as_("fan").get("/search/?q=休假").text
    years = page.split('data-facet="year"')[1].split("</section>")[0]
    assert '2026 年</a> <span class="count">2</span>' in years
    assert '2025 年</a> <span class="count">1</span>' in years
    assert 'href="/search/?q=%E4%BC%91%E5%81%87&amp;year=2025"' in years
    filtered = office.as_("fan").get("/search/?q=休假&year=2025").text
    assert hits(filtered) == ["m2"] and "不限年度" in filtered
    assert hits(office.as_("fan").get("/search/?q=休假&doc_type=报告").text) == ["m2"]
    assert hits(office.as_("fan").get(f"/search/?unit={office.units['bgs'].id}").text) == ["m1"]
    assert hits(office.as_("fan").get("/search/?q=休假&module=memo&sort=date").text) == ["m3", "m1", "m2"]


def test_advanced_search_by_document_elements(office):
    client = office.as_("wu")
    assert hits(client.get("/search/?doc_number=检办发").text) == ["m1"]
    assert hits(client.get("/search/?title=休假安排&urgency=加急").text) == ["m1"]
    assert hits(
        client.get("/search/?issuer_unit=检验检疫局&date_from=2026-01-01&date_to=2026-01-31").text
    ) == ["m1"]
    assert hits(client.get("/search/?issuer_unit=检验检疫局&date_from=2026-02-01").text) == []
    page = client.get("/search/?title=休假安排").text
    assert '<details class="advanced" open>' in page


def test_bad_conditions_are_explained_beside_the_fields(office):
    page = office.as_("wu").get("/search/?q=休假&year=二〇二六&date_from=2026-13-01&unit=99999&module=nope")
    assert page.status_code == 200
    text = page.text
    assert "年度应为四位数字" in text and "日期应写成 2026-03-01 的格式" in text
    assert "没有这个单位" in text and "没有这个模块" in text
    assert 'aria-invalid="true"' in text and hits(text) == []
    reversed_dates = office.as_("wu").get("/search/?date_from=2026-02-01&date_to=2026-01-01").text
    assert "结束日期不能早于开始日期" in reversed_dates


def test_empty_states(office):
    blank = office.as_("wu").get("/search/").text
    assert "请输入查询内容" in blank and hits(blank) == []
    none = office.as_("wu").get("/search/?q=不存在的词语组合").text
    assert "没有找到符合条件的文件" in none


def test_the_page_stylesheet_is_served(office):
    page = office.as_("wu").get("/search/?q=休假").text
    assert "/static/search/search.css" in page
    css = office.as_("wu").get("/static/search/search.css")
    assert css.status_code == 200 and ".hit mark" in css.text
