"""The 涉密 guard of registration: a 密级 other than 非涉密, a 保密期限, or a classification mark in a field, a
file name or the text of an attached file refuses the registration, stores nothing and audits the refusal."""

from __future__ import annotations

import base64

import pytest

from officium.core.audit import AuditEntry
from officium.core.files import Attachment
from officium.plugins.docs_incoming.models import Counter, IncomingDocument
from officium.testing import app_client, login
from tests.plugins.docs_incoming.conftest import docx_bytes, form


@pytest.fixture(scope="module")
def client(site):
    with app_client(site) as c:
        c.token = login(c, "wu")
        yield c


def nothing_stored():
    return (
        IncomingDocument.select().count() == 0
        and Attachment.select().where(Attachment.plugin == "docs_incoming").count() == 0
        and Counter.select().where(Counter.last > 0).count() == 0
    )


def refusals():
    return AuditEntry.select().where(AuditEntry.action == "docs_incoming.secrecy_refused").count()


MARKS = ["秘密★", "机密★10年", "绝密★长期", "秘密 ★1年", "密级：秘密", "★绝密", "绝密★启用前", "机密*5年"]


@pytest.mark.parametrize("mark", MARKS)
def test_a_mark_in_the_title_is_refused(site, bureau, client, mark):
    before = refusals()
    response = client.post("/docs_incoming/new", data=form(client.token, title=f"{mark} 关于某项工作的通知"))
    assert response.status_code == 422
    assert "涉密信息严禁在本系统中处理" in response.text
    # the message stands beside the title field
    assert 'id="f-title-error"' in response.text
    assert nothing_stored()
    assert refusals() == before + 1
    entry = (
        AuditEntry.select()
        .where(AuditEntry.action == "docs_incoming.secrecy_refused")
        .order_by(AuditEntry.id.desc())
        .first()
    )
    assert entry.result == "refused" and "标题" in entry.detail


@pytest.mark.parametrize(
    ("fields", "beside"),
    [
        ({"classification": "机密"}, "classification"),
        ({"classification": "秘密"}, "classification"),
        ({"secrecy_period": "1年"}, "secrecy_period"),
        ({"from_unit": "某部 密级：机密"}, "from_unit"),
        ({"doc_number": "某发〔2026〕1号 秘密★"}, "doc_number"),
        ({"note": "原件标注 绝密★"}, "note"),
    ],
)
def test_declarations_and_marks_in_other_fields_are_refused(site, bureau, client, fields, beside):
    before = refusals()
    response = client.post("/docs_incoming/new", data=form(client.token, **fields))
    assert response.status_code == 422
    # the form has no 保密期限 field (only the API could send one): that message heads the form
    marker = 'data-testid="form-error"' if beside == "secrecy_period" else f'id="f-{beside}-error"'
    assert marker in response.text
    assert "涉密信息严禁" in response.text
    assert nothing_stored()
    assert refusals() == before + 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("机密★1年 会议纪要.docx", docx_bytes("普通内容")),
        ("会议纪要.docx", docx_bytes("本件 秘密★6个月 请妥善保管")),
        ("说明.txt", "密级：绝密\n内容".encode()),
    ],
)
def test_a_mark_in_a_file_name_or_a_file_body_is_refused(site, bureau, client, name, content):
    before = refusals()
    response = client.post(
        "/docs_incoming/new",
        data=form(client.token),
        files=[("attachments", (name, content, "application/octet-stream"))],
    )
    assert response.status_code == 422
    assert 'id="f-attachments-error"' in response.text and "涉密信息严禁" in response.text
    assert nothing_stored()
    assert refusals() == before + 1


def test_ordinary_words_are_no_marks(site, bureau, client):
    response = client.post(
        "/docs_incoming/new",
        data=form(client.token, title="关于加强保密工作和商业秘密保护的通知", doc_number="保密办〔2026〕2号"),
        files=[
            (
                "attachments",
                ("保密工作要点.docx", docx_bytes("做好保密工作，保护商业秘密。"), "application/octet-stream"),
            )
        ],
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert IncomingDocument.select().count() == 1
    IncomingDocument.delete().execute()  # leave the module's site as the other tests expect it
    Attachment.delete().where(Attachment.plugin == "docs_incoming").execute()
    Counter.delete().execute()


def test_the_api_refuses_classified_material_too(site, bureau, client):
    before = refusals()
    body = {
        "from_unit": "某部",
        "title": "工作方案",
        "doc_type": "函",
        "urgency": "normal",
        "classification": "非涉密",
        "attachments": [
            {
                "filename": "方案.docx",
                "content_base64": base64.b64encode(docx_bytes("机密★ 方案全文")).decode(),
            }
        ],
    }
    response = client.post(
        "/api/v1/docs_incoming/documents", json=body, headers={"X-CSRF-Token": client.token}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "classified" and "涉密信息严禁" in error["message"]
    assert "attachments" in error["fields"]
    assert nothing_stored()
    assert refusals() == before + 1
