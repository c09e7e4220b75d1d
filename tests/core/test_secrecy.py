"""The 涉密 guard (officium.core.secrecy): which marks it finds, where, and what a refused request leaves behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from officium.core import audit, secrecy
from officium.core.app import OfficiumApp
from officium.core.audit import AuditEntry
from officium.core.files import Attachment
from officium.testing import app_client, login
from tests.core.files_plugin import box_site  # noqa: F401  (module-scoped site fixture)
from tests.core.test_files import make_docx, make_pdf


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("秘密★", ["秘密★"]),
        ("机密★", ["机密★"]),
        ("绝密★", ["绝密★"]),
        ("秘密 ★1年", ["秘密 ★1年"]),
        ("机密★10年", ["机密★10年"]),
        ("绝密★长期", ["绝密★长期"]),
        ("绝密★启用前", ["绝密★启用前"]),
        ("机密★十年", ["机密★十年"]),
        ("秘密★６个月", ["秘密★６个月"]),
        ("★绝密", ["★绝密"]),
        ("☆ 机密", ["☆ 机密"]),
        ("密级：机密", ["密级：机密"]),
        ("密级:秘密", ["密级:秘密"]),
        ("密 级 ： 绝密", ["密 级 ： 绝密"]),
        ("密级：秘密★1年", ["密级：秘密★1年"]),  # one mark, though two patterns see it
        ("秘密☆", ["秘密☆"]),  # the hollow star of a font without ★
        ("秘密*1年", ["秘密*1年"]),  # a typed asterisk
        ("机密＊5年", ["机密＊5年"]),  # a full-width asterisk
        ("秘密 \u3000★ 1 年", ["秘密 \u3000★ 1 年"]),  # full-width space
        ("关于2026年工作安排的通知（机密★5年）", ["机密★5年"]),
        ("首页标注：秘密★1年\n正文……\n附件：绝密★", ["秘密★1年", "绝密★"]),
        ("秘密★ 和 秘密★", ["秘密★"]),  # each mark once
        ("機密★10年", ["機密★10年"]),  # traditional characters
        ("密級：絕密", ["密級：絕密"]),
        ("秘密 1年\n关于……的通知", ["秘密 1年"]),  # alone on its line: the star was lost in extraction
        ("  机密10年  ", ["机密10年"]),
    ],
)
def test_every_marking_style_is_found(text, marks):
    assert secrecy.find_marks(text) == marks


@pytest.mark.parametrize(
    "text",
    [
        "加强保密工作，严防失泄密",
        "依法保护商业秘密",
        "**商业秘密**不得公开",  # Markdown bold: the asterisks are emphasis, not a star
        "*商业秘密*",
        "会议室旁有一条秘密通道",  # an ordinary word: no star, no 密级 label
        "确保信息的机密性、完整性和可用性",
        "涉密人员离岗须脱密",
        "国家秘密的范围由法律规定",
        "保守商业秘密2年",
        "第一条 秘密3年以上的文件",
        "密级：内部",
        "密级：非密",
        "★★★★★ 五星好评",
        "",
    ],
)
def test_ordinary_words_are_not_marks(text):
    assert secrecy.find_marks(text) == []


def test_scan_looks_at_fields_file_names_and_file_text():
    findings = secrecy.scan(
        {"标题": "关于年度考核的通知", "正文": "此件机密★10年，请妥善处理"},
        [
            ("秘密★1年 名单.xlsx", b"PK\x03\x04"),
            ("说明.txt", "第一行\n绝密★启用前".encode("gb18030")),
            ("简报.pdf", make_pdf("本文件 秘密★1年 仅供内部")),
            ("纪要.docx", make_docx("会议纪要", "密级：机密")),
            ("干净.docx", make_docx("没有任何标志")),
            ("图片.png", b"\x89PNG\r\n\x1a\n" + "秘密★".encode()),  # binary formats are not read
        ],
    )
    assert findings == [
        secrecy.Finding("正文", "机密★10年"),
        secrecy.Finding("附件“秘密★1年 名单.xlsx”的文件名", "秘密★1年"),
        secrecy.Finding("附件“说明.txt”", "绝密★启用前"),
        secrecy.Finding("附件“简报.pdf”", "秘密★1年"),
        secrecy.Finding("附件“纪要.docx”", "密级：机密"),
    ]
    assert secrecy.scan({"标题": "保密工作要点"}, [("商业秘密保护.txt", "商业秘密".encode())]) == []


def test_a_star_inserted_as_a_wingdings_symbol_in_word_is_seen():
    from tests.core.test_files import make_zip

    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        '<w:p><w:r><w:t>秘密</w:t></w:r><w:r><w:sym w:font="Wingdings" w:char="F0AB"/></w:r>'
        "<w:r><w:t>1年</w:t></w:r></w:p><w:p><w:r><w:t>正文</w:t></w:r></w:p></w:body></w:document>"
    )
    docx = make_zip({"word/document.xml": document})
    assert secrecy.scan({}, [("通知.docx", docx)]) == [secrecy.Finding("附件“通知.docx”", "秘密★1年")]


def test_the_refusal_message_cites_the_rule_and_the_places():
    message = secrecy.refusal_message(
        [secrecy.Finding("标题", "秘密★"), secrecy.Finding("附件“a.pdf”", "机密★5年")]
    )
    assert message.startswith("根据《检验检疫局办公自动化系统使用及管理办法》")
    assert "涉密信息严禁在本系统中处理、存储或传输" in message
    assert "标题中的“秘密★”；附件“a.pdf”中的“机密★5年”" in message
    assert "未保存任何内容" in message
    many = secrecy.refusal_message([secrecy.Finding(f"字段{i}", "秘密★") for i in range(7)])
    assert "等 7 处" in many and "字段5" not in many


# ----------------------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def site(box_site: OfficiumApp) -> OfficiumApp:  # noqa: F811
    return box_site


# Clients live as long as the site: each holds a database connection (one per client thread), and a pool
# of PostgreSQL connections must not run dry over a module of tests.
@pytest.fixture(scope="module")
def wang(site: OfficiumApp) -> Iterator:
    with app_client(site) as client:
        client.csrf = login(client, "wang")
        yield client


def refusals() -> list[AuditEntry]:
    return list(
        AuditEntry.select().where(AuditEntry.action == "filebox.secrecy_refused").order_by(AuditEntry.id)
    )


def test_a_refused_form_stores_nothing_and_the_refusal_is_audited(site, wang):
    rows, entries, before = Attachment.select().count(), AuditEntry.select().count(), len(refusals())
    response = wang.post(
        "/filebox/notice",
        data={"csrf_token": wang.csrf, "title": "年度工作要点", "body": "见附件"},
        files={"file": ("要点.docx", make_docx("第一部分", "绝密★启用前"), "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "涉密信息严禁在本系统中处理" in response.text
    assert "附件“要点.docx”中的“绝密★启用前”" in response.text
    assert Attachment.select().count() == rows
    assert not AuditEntry.select().where(AuditEntry.action == "filebox.notice").exists()
    # exactly one new audit entry: the refusal (the generic "POST /filebox/notice" entry is not written)
    assert AuditEntry.select().count() == entries + 1
    entry = refusals()[-1]
    assert len(refusals()) == before + 1
    assert entry.result == "refused"
    assert entry.actor_name == "王文书(wang)"
    assert entry.plugin == "filebox"
    assert "POST /filebox/notice" in entry.summary
    assert "绝密★启用前" in entry.detail and "附件“要点.docx”" in entry.detail
    assert audit.verify_chain(site).ok


def test_a_clean_form_is_stored(site, wang):
    rows = Attachment.select().count()
    response = wang.post(
        "/filebox/notice",
        data={"csrf_token": wang.csrf, "title": "保密工作会议通知", "body": "加强商业秘密保护"},
        files={"file": ("通知.txt", "请各单位做好保密工作。".encode(), "text/plain")},
    )
    assert response.status_code == 200, response.text
    assert Attachment.select().count() == rows + 1
    assert AuditEntry.select().where(AuditEntry.action == "filebox.notice").exists()


def test_the_refusal_survives_when_the_view_raises_and_rolls_back(site, wang):
    rows, before = Attachment.select().count(), len(refusals())
    response = wang.post(
        "/api/v1/filebox/notice",
        json={"title": "机密★10年 专项检查方案", "body": "正文"},
        headers={"x-csrf-token": wang.csrf},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "classified"
    assert "标题中的“机密★10年”" in error["fields"]["title"]
    # the attachment the view wrote before refusing was rolled back with the request's transaction ...
    assert Attachment.select().count() == rows
    # ... but the refusal record was written afterwards, in its own transaction
    assert len(refusals()) == before + 1
    assert "机密★10年" in refusals()[-1].detail
    assert audit.verify_chain(site).ok


def test_the_auditor_sees_the_refusal(site):
    from officium.testing import add_user

    add_user(site, "shenji", name="审计员", roles=["auditor"])
    with app_client(site) as auditor:
        login(auditor, "shenji")
        page = auditor.get("/admin/audit", params={"action": "filebox.secrecy_refused"})
    assert page.status_code == 200
    assert "拒绝提交疑似涉密内容：POST /filebox/notice" in page.text
    assert "王文书(wang)" in page.text
