"""删除草稿: the drafter deletes a draft never submitted (page with confirmation, and the API); its files and
search entry go with it; others get 404; a submitted document cannot be deleted."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.files import Attachment
from officium.core.search.models import SearchDoc
from officium.plugins.docs_outgoing.models import Document, Version
from tests.plugins.docs_outgoing.conftest import DRAFT

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _draft_with_files(session, title):
    response = session.post(
        "/docs_outgoing/new",
        data=dict(DRAFT) | {"title": title},
        files=[
            ("body_file", ("正文.pdf", PDF, "application/pdf")),
            ("attachments", ("附件一.txt", "名单".encode(), "text/plain")),
        ],
    )
    assert response.status_code == 303, response.text[:2000]
    return int(response.headers["location"].rstrip("/").split("/")[-1])


def _live_files(doc_id):
    return Attachment.select().where(
        (Attachment.plugin == "docs_outgoing")
        & (Attachment.owner_id == str(doc_id))
        & (Attachment.deleted_at.is_null())
    )


def _indexed(doc_id):
    return (
        SearchDoc.select()
        .where((SearchDoc.source == "docs_outgoing.document") & (SearchDoc.record_id == str(doc_id)))
        .exists()
    )


def test_the_drafter_deletes_an_unsubmitted_draft_with_its_files_and_search_entry(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = _draft_with_files(nigao, "江南出入境检验检疫局关于废弃草稿的通知")
    assert _live_files(doc_id).count() == 2 and _indexed(doc_id)
    page = nigao.get(f"/docs_outgoing/{doc_id}").text
    form = page.split(f'action="/docs_outgoing/{doc_id}/delete"')[1].split("</form>")[0]
    assert "删除草稿" in form
    assert "data-confirm=" in page.split(f'action="/docs_outgoing/{doc_id}/delete"')[1][:200]
    # nobody else may delete it, not even the office: 404, and nothing changes
    for other in ("wenshu", "renchu"):
        assert browsers(other).post(f"/docs_outgoing/{doc_id}/delete").status_code == 404
        assert (
            browsers(other)
            .client.delete(
                f"/api/v1/docs_outgoing/documents/{doc_id}", headers={"X-CSRF-Token": browsers(other).token}
            )
            .status_code
            == 404
        )
    assert Document.get_or_none(Document.id == doc_id) is not None
    deleted = nigao.post(f"/docs_outgoing/{doc_id}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"].rstrip("/") == "/docs_outgoing"
    assert "已删除" in nigao.get(deleted.headers["location"]).text
    assert Document.get_or_none(Document.id == doc_id) is None
    assert not Version.select().where(Version.document == doc_id).exists()
    assert _live_files(doc_id).count() == 0 and not _indexed(doc_id)
    assert nigao.get(f"/docs_outgoing/{doc_id}").status_code == 404
    entry = AuditEntry.get(
        (AuditEntry.action == "docs_outgoing.delete_draft") & (AuditEntry.object_id == str(doc_id))
    )
    assert "废弃草稿" in entry.summary


def test_the_api_deletes_a_draft_but_never_a_submitted_document(bureau, browsers):
    nigao = browsers("nigao")
    headers = {"X-CSRF-Token": nigao.token}
    created = nigao.api("/api/v1/docs_outgoing/documents", dict(DRAFT) | {"title": "关于经接口删除的通知"})
    assert created.status_code in (200, 201), created.text
    doc_id = created.json()["id"]
    answer = nigao.client.delete(f"/api/v1/docs_outgoing/documents/{doc_id}", headers=headers)
    assert answer.status_code == 200 and answer.json() == {"deleted": doc_id}
    assert Document.get_or_none(Document.id == doc_id) is None
    assert (
        nigao.client.delete(f"/api/v1/docs_outgoing/documents/{doc_id}", headers=headers).status_code == 404
    )

    submitted = _draft_with_files(nigao, "江南出入境检验检疫局关于已送核稿文件的通知")
    assert nigao.post(f"/docs_outgoing/{submitted}/submit").status_code == 303
    assert f'action="/docs_outgoing/{submitted}/delete"' not in nigao.get(f"/docs_outgoing/{submitted}").text
    refused = nigao.post(f"/docs_outgoing/{submitted}/delete")
    assert refused.status_code == 303
    assert "已送核稿进入流程，不能删除" in nigao.get(refused.headers["location"]).text
    conflict = nigao.client.delete(f"/api/v1/docs_outgoing/documents/{submitted}", headers=headers)
    assert conflict.status_code == 409 and "不能删除" in conflict.json()["error"]["message"]
    assert Document.get_by_id(submitted).state == "running"
    assert _live_files(submitted).count() == 2 and _indexed(submitted)
