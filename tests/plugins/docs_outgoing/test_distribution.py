"""用印, then 核发/分发 of one issued document: the sealed PDF, the external exchange package and its import
into another unit's 收文, the internal distribution into the units' 收文 (linked to the original), 归档.

The tests share one document (sealing renders the 套红 PDF, which takes seconds) and run in file order:
the export happens while the document is at 核发/分发, the last test completes 核发 and 归档.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from officium.core.notifications import Notification
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.plugins.docs_incoming.service import incoming_for_source
from officium.plugins.docs_outgoing import sealing
from officium.plugins.docs_outgoing.models import Distribution, Document, Number
from officium.plugins.seals import service as seals
from officium.plugins.seals.models import UseRequest
from tests.plugins.docs_outgoing.conftest import approve, step_of, to_issue


@pytest.fixture(scope="module")
def issued(bureau, browsers):
    return to_issue(
        bureau, browsers, title="江南出入境检验检疫局关于联合检查的通知", main_to="各处室、某某海关"
    )


def test_the_custodian_sealed_the_exact_pdf_and_it_verifies(bureau, browsers, issued):
    doc = Document.get_by_id(issued)
    use = UseRequest.get_by_id(doc.use_request_id)
    assert use.state == "used" and use.used_by.username == "yinzhang" and use.requester.username == "wenshu"
    assert use.plugin == "docs_outgoing" and use.owner_id == str(doc.id) and use.sha256 == doc.pdf_sha256
    sealed = sealing.sealed_pdf(bureau.app, doc)
    assert sealed.startswith(b"%PDF-") and use.sealed_sha256 == hashlib.sha256(sealed).hexdigest()
    assert seals.verify_pdf(bureau.app, sealed).ok
    flipped = bytearray(sealed)
    flipped[len(flipped) // 3] ^= 0x01
    assert not seals.verify_pdf(bureau.app, bytes(flipped)).ok
    # the sealed PDF is what the document's PDF link serves from now on
    served = browsers("nigao").get(f"/docs_outgoing/{issued}/pdf")
    assert served.status_code == 200 and served.content == sealed
    assert served.headers["content-type"] == "application/pdf"


@pytest.fixture(scope="module")
def exported(bureau, browsers, issued):
    wenshu = browsers("wenshu")
    empty = wenshu.post(f"/docs_outgoing/{issued}/export", data={"recipient": ""})
    assert (
        empty.status_code == 303 and not Distribution.select().where(Distribution.document == issued).exists()
    )
    assert wenshu.post(f"/docs_outgoing/{issued}/export", data={"recipient": "某某海关"}).status_code == 303
    made = Distribution.get((Distribution.document == issued) & (Distribution.kind == "external"))
    package = wenshu.get(f"/docs_outgoing/{issued}/files/{made.incoming_ref}")
    return made, package


def test_the_external_package_carries_the_sealed_pdf_metadata_and_signature(bureau, exported):
    made, package = exported
    assert made.recipient == "某某海关" and made.package_sha256 == hashlib.sha256(package.content).hexdigest()
    assert package.status_code == 200 and package.headers["content-disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    assert {"metadata.json", "document.pdf", "signature.json"} <= set(archive.namelist())
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format"] == "officium-outgoing/1" and metadata["doc_number"].startswith("X检发〔2026〕")
    assert metadata["recipient"] == "某某海关" and metadata["paragraphs"][0]["kind"] == "h1"
    signature = json.loads(archive.read("signature.json"))
    assert signature["sealed"] is True and signature["seal"] == "江南出入境检验检疫局公章"
    assert seals.verify_pdf(bureau.app, archive.read("document.pdf")).ok


def test_another_unit_imports_the_package_into_its_incoming(bureau, browsers, exported):
    _made, package = exported
    metadata = json.loads(zipfile.ZipFile(io.BytesIO(package.content)).read("metadata.json"))
    page = browsers("wenshu").post(
        "/docs_outgoing/import",
        data={"unit": str(bureau.units.kjc.id)},
        files={"package": ("包.zip", package.content, "application/zip")},
    )
    assert page.status_code == 303
    incoming = IncomingDocument.select().order_by(IncomingDocument.id.desc()).first()
    assert (
        incoming.title == "江南出入境检验检疫局关于联合检查的通知" and incoming.unit_id == bureau.units.kjc.id
    )
    assert incoming.doc_number == metadata["doc_number"] and incoming.status == "registered"
    assert page.headers["location"] == incoming.url


def test_a_changed_or_broken_package_is_refused(bureau, browsers, exported):
    source = zipfile.ZipFile(io.BytesIO(exported[1].content))
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


def test_a_package_with_a_forged_seal_record_is_refused_even_with_a_consistent_manifest(bureau, exported):
    from officium.plugins.docs_outgoing.distribution import DistributionError, read_package

    source = zipfile.ZipFile(io.BytesIO(exported[1].content))
    members = {name: source.read(name) for name in source.namelist()}
    pdf = members["document.pdf"]
    at = pdf.rindex(b'"signature":"') + len(b'"signature":"')
    forged = pdf[:at] + (b"B" if pdf[at : at + 1] != b"B" else b"C") + pdf[at + 1 :]
    # whoever forged it also rewrote every digest the package lists
    digest = hashlib.sha256(forged).hexdigest()
    metadata = json.loads(members["metadata.json"])
    metadata["files"]["document.pdf"]["sha256"] = digest
    signature = json.loads(members["signature.json"])
    signature["document_sha256"] = digest
    members.update({"document.pdf": forged, "signature.json": json.dumps(signature).encode()})
    metadata["files"]["signature.json"]["sha256"] = hashlib.sha256(members["signature.json"]).hexdigest()
    members["metadata.json"] = json.dumps(metadata).encode()
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
    with pytest.raises(DistributionError, match="电子印章验证未通过"):
        read_package(bureau.app, package.getvalue())


def test_internal_distribution_arrives_in_the_units_incoming_then_issue_and_archive(bureau, browsers, issued):
    units = bureau.units
    doc_id = issued
    wenshu = browsers("wenshu")
    # only the handler of 核发/分发 may distribute, and a unit must be chosen
    early = browsers("nigao").post(f"/docs_outgoing/{doc_id}/distribute", data={"units": [str(units.cwc.id)]})
    assert early.status_code == 403
    before = IncomingDocument.select().count()
    assert wenshu.post(f"/docs_outgoing/{doc_id}/distribute", data={}).status_code == 303
    assert IncomingDocument.select().count() == before
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
    page = wenshu.get(f"/docs_outgoing/{doc_id}")
    assert "内部单位收文状态" in page.text and "财务处" in page.text
    assert "下一步：归档（办公室公文管理员）" in page.text  # the role's title, not its code doc_office
    # distributing to 财务处 again (a second click, a second clerk) would register it twice in its 收文
    again = wenshu.post(
        f"/docs_outgoing/{doc_id}/distribute", data={"units": [str(units.cwc.id), str(units.kjc.id)]}
    )
    assert again.status_code == 303 and "不能重复分发" in wenshu.get(again.headers["location"]).text
    assert len(incoming_for_source("docs_outgoing", "document", doc_id)) == 2
    assert (
        Distribution.select().where(Distribution.document == doc_id, Distribution.kind == "internal").count()
        == 2
    )
    # the units registered it under its 文号: that number can no longer be voided from under them
    number = Number.get(Number.number == doc.doc_number)
    voided = wenshu.post(f"/docs_outgoing/numbers/{number.id}/void", data={"reason": "代字选错"})
    assert voided.status_code == 303 and "文件已分发" in wenshu.get(voided.headers["location"]).text
    assert not Number.get_by_id(number.id).voided and Document.get_by_id(doc_id).doc_number == doc.doc_number

    approve(wenshu, doc_id, "wenshu", "核发。")
    doc = Document.get_by_id(doc_id)
    assert doc.state == "issued" and doc.issued_at is not None and step_of(doc_id) == "archive"
    told = Notification.select().where(
        (Notification.kind == "docs_outgoing.issued") & (Notification.user == bureau.people.nigao)
    )
    assert doc.doc_number in told.get().title
    approve(wenshu, doc_id, "wenshu", "归档。")
    assert Document.get_by_id(doc_id).state == "archived" and step_of(doc_id) == "done"


def test_the_import_command_registers_a_package(bureau, exported, tmp_path):
    from click.testing import CliRunner

    from officium.cli import main
    from officium.core.db import database

    path = tmp_path / "包.zip"
    path.write_bytes(exported[1].content)
    command = ["--site", str(bureau.app.config.site_dir), "docs_outgoing", "import-package", str(path)]
    try:
        runner = CliRunner()
        unknown = runner.invoke(main, [*command, "--unit", "NONE", "--user", "wenshu"])
        assert unknown.exit_code != 0 and "找不到单位" in unknown.output
        again = runner.invoke(main, [*command, "--unit", "CWC", "--user", "wenshu"])
        assert again.exit_code != 0 and "已登记过" in again.output  # imported on the page already
        done = runner.invoke(main, [*command, "--unit", "CWC", "--user", "wenshu", "--confirm-duplicate"])
        assert done.exit_code == 0, done.output
        assert "已登记到财务处收文" in done.output
    finally:
        database.initialize(bureau.app.db)  # the command opened the site again; the shared site goes on
    incoming = IncomingDocument.select().order_by(IncomingDocument.id.desc()).first()
    assert (
        incoming.unit_id == bureau.units.cwc.id and incoming.title == "江南出入境检验检疫局关于联合检查的通知"
    )
