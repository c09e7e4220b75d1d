"""正文 as structured text, every saved version kept, and the diff between two versions (escaped)."""

from __future__ import annotations

import re

from officium.plugins.docs_outgoing import body
from officium.plugins.docs_outgoing.models import Document, Version
from officium.testing import add_user
from tests.plugins.docs_outgoing.conftest import DRAFT, draft


def test_the_line_syntax_gives_headings_and_paragraphs():
    text = "一、总体要求\n\n(一)工作目标\n1.第一项\n（1）细则\n正文段落。\n\\一、这不是标题"
    assert [(p.kind, p.text) for p in body.parse(text)] == [
        ("h1", "一、总体要求"),
        ("h2", "（一）工作目标"),
        ("h3", "1.第一项"),
        ("h4", "（1）细则"),
        ("p", "正文段落。"),
        ("p", "一、这不是标题"),
    ]
    assert body.normalise(text).split("\n")[-1] == "\\一、这不是标题"
    assert body.parse(body.normalise(text)) == body.parse(text)


def test_the_diff_marks_inserted_and_deleted_lines_and_escapes_them():
    html = str(body.diff_html("一、原标题\n相同段落。", "一、新标题<script>alert(1)</script>\n相同段落。"))
    assert "<del>一、原标题</del>" in html
    assert "<ins>一、新标题&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
    assert "<script>" not in html
    assert '<li class="diff-same">相同段落。</li>' in html


def test_every_save_is_a_version_and_the_page_shows_the_difference(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(nigao, title="江南出入境检验检疫局关于修订制度的通知")
    data = dict(DRAFT) | {
        "title": "江南出入境检验检疫局关于修订制度的通知",
        "body": DRAFT["body"].replace("做好考核工作。", "认真做好考核工作。"),
        "main_to": "各处室",
    }
    assert nigao.post(f"/docs_outgoing/{doc_id}/edit", data=data).status_code == 303
    # saving the same content again makes no new version
    assert nigao.post(f"/docs_outgoing/{doc_id}/edit", data=data).status_code == 303
    versions = list(Version.select().where(Version.document == doc_id).order_by(Version.number))
    assert [v.number for v in versions] == [1, 2] and Document.get_by_id(doc_id).version == 2
    assert versions[0].reason == "起草" and versions[1].author.username == "nigao"

    page = nigao.get(f"/docs_outgoing/{doc_id}/versions?a=1&b=2")
    assert page.status_code == 200
    assert "<del>做好考核工作。</del>" in page.text and "<ins>认真做好考核工作。</ins>" in page.text
    assert "各处室、各分支局" in page.text  # the 主送机关 change is listed with the fields

    api = nigao.client.get(f"/api/v1/docs_outgoing/documents/{doc_id}/diff?a=1&b=2").json()
    assert {"op": "del", "text": "做好考核工作。", "old": 2, "new": None} in api["lines"]
    assert {"op": "ins", "text": "认真做好考核工作。", "old": None, "new": 2} in api["lines"]
    bad = nigao.client.get(f"/api/v1/docs_outgoing/documents/{doc_id}/diff?a=1&b=9")
    assert bad.status_code == 400
    listed = nigao.client.get(f"/api/v1/docs_outgoing/documents/{doc_id}/versions").json()["items"]
    assert [v["number"] for v in listed] == [1, 2]


def test_the_body_is_shown_structured_and_escaped(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(nigao, title="江南出入境检验检疫局关于转义测试的通知", body="一、要求<b>加粗</b>\n正文。")
    page = nigao.get(f"/docs_outgoing/{doc_id}")
    assert '<h3 class="doc-h1">一、要求&lt;b&gt;加粗&lt;/b&gt;</h3>' in page.text
    assert '<p class="doc-p">正文。</p>' in page.text
    paragraphs = nigao.client.get(f"/api/v1/docs_outgoing/documents/{doc_id}").json()["paragraphs"]
    assert paragraphs == [{"kind": "h1", "text": "一、要求<b>加粗</b>"}, {"kind": "p", "text": "正文。"}]


def test_a_docx_or_pdf_body_file_is_accepted_and_other_types_refused(bureau, browsers):
    nigao = browsers("nigao")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = nigao.post(
        "/docs_outgoing/new",
        data=dict(DRAFT) | {"body": "", "title": "江南出入境检验检疫局关于上传正文的通知"},
        files={"body_file": ("正文.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 303, response.text[:2000]
    doc_id = int(response.headers["location"].split("/")[-1])
    page = nigao.get(f"/docs_outgoing/{doc_id}")
    assert "正文.pdf" in page.text
    refused = nigao.post(
        "/docs_outgoing/new",
        data=dict(DRAFT) | {"title": "江南出入境检验检疫局关于错误类型的通知"},
        files={"body_file": ("正文.txt", b"hello", "text/plain")},
    )
    assert refused.status_code == 400
    assert not Document.select().where(Document.title == "江南出入境检验检疫局关于错误类型的通知").exists()


def test_the_list_form_and_print_pages(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(
        nigao, title="江南出入境检验检疫局关于页面测试的通知", urgency="urgent", time_limit="2026-03-10"
    )
    form = nigao.get("/docs_outgoing/new")
    assert form.status_code == 200 and "命令(令)" in form.text and "江南出入境检验检疫局文件" in form.text
    listed = nigao.get("/docs_outgoing/?q=页面测试")
    assert listed.status_code == 200 and "关于页面测试的通知" in listed.text
    assert "关于页面测试的通知" not in nigao.get("/docs_outgoing/?q=页面测试&state=issued").text
    add_user(bureau.app, "xinren", name="新人", unit=bureau.units.kjc)  # has drafted and handled nothing
    assert "暂无发文" in browsers("xinren").get("/docs_outgoing/").text
    printed = nigao.get(f"/docs_outgoing/{doc_id}/print")
    assert printed.status_code == 200 and "加急" in printed.text and 'class="gw-h1"' in printed.text
    # the 12-character 发文机关标志 stays on one line of the 156 mm 版心 (at 36 pt it broke before “件”)
    assert '<p class="gw-mark gw-fit-12">江南出入境检验检疫局文件</p>' in printed.text
    css = nigao.get(re.search(r'href="(/static/docs_outgoing/docs_outgoing\.css[^"]*)"', printed.text)[1])
    assert css.status_code == 200 and ".gongwen .gw-fit-12 { font-size: 33pt; }" in css.text
    bad = nigao.post(
        "/docs_outgoing/new", data=dict(DRAFT) | {"title": "", "doc_type": "简报", "time_limit": "3月"}
    )
    assert bad.status_code == 400
    assert "请填写标题" in bad.text and "15 种" in bad.text and "YYYY-MM-DD" in bad.text
    wenshu = browsers("wenshu")
    assert wenshu.get("/docs_outgoing/import").status_code == 200
    assert wenshu.get("/docs_outgoing/numbers").status_code == 200
    assert nigao.get("/docs_outgoing/import").status_code == 403


def test_attachment_numbers_the_drafter_typed_are_not_doubled(browsers):
    from tests.plugins.docs_outgoing.test_redhead import text_of

    nigao = browsers("nigao")
    doc_id = draft(
        nigao,
        title="江南出入境检验检疫局关于附件编号的通知",
        attachment_note="1.口岸业务量统计表\n2、人员编制现状\n（3）联系人名单",
    )
    printed = nigao.get(f"/docs_outgoing/{doc_id}/print").text
    assert "附件：1.口岸业务量统计表" in printed and "2.人员编制现状" in printed and "3.联系人名单" in printed
    pdf = nigao.get(f"/docs_outgoing/{doc_id}/pdf")
    text = "".join(text_of(pdf.content)).replace(" ", "")
    assert "附件：1.口岸业务量统计表" in text and "2.人员编制现状" in text and "3.联系人名单" in text
    assert "1.1." not in text and "2.2、" not in text and "3.（3）" not in text
