"""核发/分发: into the 收文 of internal units (linked to the original), the external exchange package and its
import into another unit's 收文, then 归档."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from officium.plugins.docs_incoming.models import IncomingDocument
from officium.plugins.docs_incoming.service import incoming_for_source
from officium.plugins.docs_outgoing.models import Distribution, Document
from tests.plugins.docs_outgoing.conftest import approve, step_of, to_issue


def test_internal_distribution_arrives_in_the_units_incoming_queue(bureau, browsers):
    units = bureau.units
    doc_id = to_issue(bureau, browsers, title="江南出入境检验检疫局关于春节值班安排的通知")
    wenshu = browsers("wenshu")
    # 核发 cannot complete before the document was distributed
    refused = approve(wenshu, doc_id, "wenshu", "", expect=400)
    assert "分发" in refused.text and step_of(doc_id) == "issue"
    # only the handler of 核发/分发 may distribute
    early = browsers("nigao").post(f"/docs_outgoing/{doc_id}/distribute", data={"units": [str(units.cwc.id)]})
    assert early.status_code == 403
    response = wenshu.post(
        f"/docs_outgoing/{doc_id}/distribute", data={"units": [str(units.cwc.id), str(units.kjc.id)]}
    )
    assert response.status_code == 303
    doc = Document.get_by_id(doc_id)
    copies = incoming_for_source("docs_outgoing", "document", doc_id)
    assert {c.unit_id for c in copies} == {units.cwc.id, units.kjc.id}
    for copy in copies:
        assert copy.status == "registered" and copy.doc_number == doc.doc_number and copy.title == doc.title
        assert copy.from_unit == "江南出入境检验检疫局" and copy.doc_type == "通知"
    assert Distribution.select().where(Distribution.document == doc_id).count() == 2
    page = wenshu.get(f"/docs_outgoing/{doc_id}")
    assert "内部单位收文状态" in page.text and "财务处" in page.text

    approve(wenshu, doc_id, "wenshu", "核发。")
    doc = Document.get_by_id(doc_id)
    assert doc.state == "issued" and doc.issued_at is not None and step_of(doc_id) == "archive"
    approve(wenshu, doc_id, "wenshu", "归档。")
    assert Document.get_by_id(doc_id).state == "archived" and step_of(doc_id) == "done"


def test_distribution_needs_a_unit(bureau, browsers):
    doc_id = to_issue(bureau, browsers, title="江南出入境检验检疫局关于空分发的通知")
    before = IncomingDocument.select().count()
    response = browsers("wenshu").post(f"/docs_outgoing/{doc_id}/distribute", data={})
    assert response.status_code == 303
    assert IncomingDocument.select().count() == before
    assert not Distribution.select().where(Distribution.document == doc_id).exists()


@pytest.fixture(scope="module")
def exported(bureau, browsers):
    """One 函 to an external recipient, exported once (rendering the 套红 PDF takes seconds)."""
    doc_id = to_issue(
        bureau, browsers, title="江南出入境检验检疫局关于联合检查的函", doc_type="函", main_to="某某海关"
    )
    wenshu = browsers("wenshu")
    empty = wenshu.post(f"/docs_outgoing/{doc_id}/export", data={"recipient": ""})
    assert (
        empty.status_code == 303 and not Distribution.select().where(Distribution.document == doc_id).exists()
    )
    assert wenshu.post(f"/docs_outgoing/{doc_id}/export", data={"recipient": "某某海关"}).status_code == 303
    made = Distribution.get(Distribution.document == doc_id)
    package = wenshu.get(f"/docs_outgoing/{doc_id}/files/{made.incoming_ref}")
    return doc_id, made, package


def test_the_external_package_carries_pdf_metadata_and_signature(bureau, browsers, exported):
    _doc_id, made, package = exported
    assert made.kind == "external" and made.recipient == "某某海关"
    assert package.status_code == 200 and package.headers["content-disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    assert {"metadata.json", "document.pdf", "signature.json"} <= set(archive.namelist())
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format"] == "officium-outgoing/1" and metadata["doc_number"].startswith("X检发〔2026〕")
    assert metadata["recipient"] == "某某海关" and metadata["paragraphs"][0]["kind"] == "h1"
    assert archive.read("document.pdf").startswith(b"%PDF-")
    assert json.loads(archive.read("signature.json"))["sealed"] is False  # this site has no seals module
    assert made.package_sha256 == hashlib.sha256(package.content).hexdigest()


def test_another_unit_imports_the_package_into_its_incoming(bureau, browsers, exported):
    _doc_id, _made, package = exported
    metadata = json.loads(zipfile.ZipFile(io.BytesIO(package.content)).read("metadata.json"))
    page = browsers("wenshu").post(
        "/docs_outgoing/import",
        data={"unit": str(bureau.units.kjc.id)},
        files={"package": ("包.zip", package.content, "application/zip")},
    )
    assert page.status_code == 303
    incoming = IncomingDocument.select().order_by(IncomingDocument.id.desc()).first()
    assert (
        incoming.title == "江南出入境检验检疫局关于联合检查的函" and incoming.unit_id == bureau.units.kjc.id
    )
    assert incoming.doc_number == metadata["doc_number"] and incoming.status == "registered"
    assert page.headers["location"] == incoming.url


def test_a_changed_or_broken_package_is_refused(bureau, browsers, exported):
    source = zipfile.ZipFile(io.BytesIO(exported[2].content))
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            if name == "document.pdf":
                content = content.replace(b"%%EOF", b"%%EOF\n% changed")
            out.writestr(name, content)
    before = IncomingDocument.select().count()
    wenshu = browsers("wenshu")
    response = wenshu.post(
        "/docs_outgoing/import",
        data={"unit": str(bureau.units.kjc.id)},
        files={"package": ("包.zip", tampered.getvalue(), "application/zip")},
    )
    assert response.status_code == 400 and "可能被改动过" in response.text
    not_zip = wenshu.post(
        "/docs_outgoing/import",
        data={"unit": str(bureau.units.kjc.id)},
        files={"package": ("包.zip", b"PK\x03\x04garbage", "application/zip")},
    )
    assert not_zip.status_code == 400 and "损坏" in not_zip.text
    assert IncomingDocument.select().count() == before
