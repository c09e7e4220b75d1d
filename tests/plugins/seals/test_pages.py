"""The seal pages end to end: register a seal, request its use with a PDF, the custodian approves and applies
it, the requester downloads the sealed file, the verify page accepts it and rejects a changed copy; the
用印登记簿 lists and exports it."""

from __future__ import annotations

import base64
import io
import re

from openpyxl import load_workbook

from officium.core.audit import AuditEntry
from officium.core.notifications import Notification
from officium.plugins.seals import service
from officium.plugins.seals.models import Seal, UseRequest
from officium.testing import app_client, login

from .conftest import new_seal


def _post(client, url, token, data=None, files=None):
    return client.post(url, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=False)


def test_register_a_seal_through_the_form(app, bureau):
    with app_client(app) as client:
        token = login(client, "sealadmin")
        page = client.get("/seals/new")
        assert page.status_code == 200 and "登记印章" in page.text
        bad = _post(
            client,
            "/seals/new",
            token,
            {
                "unit": str(bureau.bgs.id),
                "name": "",
                "kind": "公章",
                "custodian": "sys",
                "valid_from": "2026-01-01",
                "valid_until": "2025-01-01",
            },
        )
        assert bad.status_code == 400
        assert "请填写印章名称。" in bad.text
        assert "不能保管印章" in bad.text  # 三员 never keep seals
        assert "有效期至不能早于启用日期。" in bad.text
        before = Seal.select().count()
        created = _post(
            client,
            "/seals/new",
            token,
            {
                "unit": str(bureau.bgs.id),
                "name": "办公室公章（页面）",
                "kind": "公章",
                "custodian": "keeper",
                "valid_from": "2026-01-01",
                "valid_until": "2027-12-31",
            },
        )
        assert created.status_code == 303
        assert Seal.select().count() == before + 1
        seal = Seal.get(Seal.name == "办公室公章（页面）")
        detail = client.get(created.headers["location"])
        assert "李保管" in detail.text and "非国密算法" in detail.text
        image = client.get(f"/seals/{seal.id}/image.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        entry = AuditEntry.select().where(
            (AuditEntry.action == "seals.create") & (AuditEntry.object_id == str(seal.id))
        )
        assert entry.exists()


def test_permissions_on_the_pages(app, bureau):
    seal = new_seal(app, bureau)
    with app_client(app) as client:
        login(client, "hu")  # 工作人员: no seal permission
        assert client.get("/seals/new").status_code == 403
        assert client.get(f"/seals/{seal.id}").status_code == 404
        assert client.get("/seals/register").status_code == 403
        assert client.get("/seals/verify").status_code == 200  # anyone signed in may verify
    with app_client(app) as client:
        login(client, "zhou")  # clerk: may request
        assert client.get(f"/seals/{seal.id}").status_code == 200
        assert client.get(f"/seals/{seal.id}/request").status_code == 200
        assert client.get("/seals/new").status_code == 403


def test_request_approve_apply_download_and_verify(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    with app_client(app) as client:
        token = login(client, "zhou")
        missing = _post(client, f"/seals/{seal.id}/request", token, {"reason": "", "copies": "1"})
        assert missing.status_code == 400 and "请选择要用印的 PDF 文件。" in missing.text
        not_pdf = _post(
            client,
            f"/seals/{seal.id}/request",
            token,
            {"reason": "报送", "copies": "1"},
            files={"document": ("a.txt", b"hello", "text/plain")},
        )
        assert not_pdf.status_code == 400 and "只能对 PDF 文件用印。" in not_pdf.text
        made = _post(
            client,
            f"/seals/{seal.id}/request",
            token,
            {"reason": "报送市政府", "title": "测试通知", "copies": "2"},
            files={"document": ("通知.pdf", sample_pdf, "application/pdf")},
        )
        assert made.status_code == 303
        use = UseRequest.select().order_by(UseRequest.id.desc()).first()
        assert use.state == "pending" and use.copies == 2 and use.requester_id == bureau.clerk.id
        # the requester cannot approve their own request
        assert _post(client, f"/seals/requests/{use.id}/approve", token).status_code == 403
    assert (
        Notification.select()
        .where((Notification.user == bureau.keeper) & (Notification.kind == "seals.request"))
        .exists()
    )
    with app_client(app) as client:
        token = login(client, "keeper")
        todo = client.get("/seals/requests/")
        assert "测试通知" in todo.text and "待我处理" in todo.text
        marked = _post(client, f"/seals/requests/{use.id}/reject", token, {"note": "内容属绝密★"})
        assert marked.status_code == 303 and UseRequest.get_by_id(use.id).state == "pending"
        assert "涉密" in client.get(f"/seals/requests/{use.id}").text
        assert _post(client, f"/seals/requests/{use.id}/approve", token, {"note": "同意"}).status_code == 303
        assert UseRequest.get_by_id(use.id).state == "approved"
        assert _post(client, f"/seals/requests/{use.id}/apply", token).status_code == 303
        assert UseRequest.get_by_id(use.id).state == "used"
        again = _post(client, f"/seals/requests/{use.id}/apply", token)
        assert again.status_code == 303
        assert UseRequest.get_by_id(use.id).used_by_id == bureau.keeper.id
    with app_client(app) as client:
        token = login(client, "zhou")
        download = client.get(f"/seals/requests/{use.id}/sealed.pdf")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert "attachment" in download.headers["content-disposition"]
        sealed = download.content
        ok = _post(client, "/seals/verify", token, files={"document": ("s.pdf", sealed, "application/pdf")})
        assert ok.status_code == 200 and 'data-result="ok"' in ok.text and "验证通过" in ok.text
        tampered = bytearray(sealed)
        tampered[len(sample_pdf) // 2] ^= 0x20
        bad = _post(
            client, "/seals/verify", token, files={"document": ("s.pdf", bytes(tampered), "application/pdf")}
        )
        assert 'data-result="hash_mismatch"' in bad.text and "验证未通过" in bad.text
        # another clerk sees nothing of it
    with app_client(app) as client:
        login(client, "qian")
        assert client.get(f"/seals/requests/{use.id}").status_code == 404
        assert client.get(f"/seals/requests/{use.id}/sealed.pdf").status_code == 404


def test_register_filters_and_export(app, bureau, sample_pdf):
    from .conftest import sealed_copy

    seal = new_seal(app, bureau)
    sealed_copy(app, bureau, seal, sample_pdf)
    with app_client(app) as client:
        login(client, "sealadmin")
        page = client.get(f"/seals/register?seal={seal.id}&state=used")
        assert page.status_code == 200 and seal.name in page.text
        none = client.get(f"/seals/register?seal={seal.id}&state=rejected")
        assert "没有符合条件的用印记录。" in none.text
        export = client.get(f"/seals/register.xlsx?seal={seal.id}")
        assert export.status_code == 200
        sheet = load_workbook(io.BytesIO(export.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "申请编号" and len(rows) == 2
        assert rows[1][2] == seal.name and rows[1][11] == "已用印"
        # the source module by its title; a module not enabled on this site keeps its code name
        assert rows[0][5] == "来源模块" and rows[1][5] == "docs_outgoing"
    use = UseRequest.select().where(UseRequest.seal == seal).get()
    use.plugin = "seals"  # as if filed on the seals pages (not saved)
    assert next(service.register_rows(app, [use]))[5] == "电子印章"


def test_revoke_needs_a_reason_and_confirms(app, bureau):
    seal = new_seal(app, bureau)
    with app_client(app) as client:
        token = login(client, "sealadmin")
        detail = client.get(f"/seals/{seal.id}")
        assert re.search(r'data-confirm="[^"]*注销', detail.text)
        _post(client, f"/seals/{seal.id}/revoke", token, {"reason": ""})
        assert Seal.get_by_id(seal.id).revoked_at is None
        _post(client, f"/seals/{seal.id}/revoke", token, {"reason": "印章遗失"})
        assert Seal.get_by_id(seal.id).revoke_reason == "印章遗失"
    with app_client(app) as client:
        login(client, "zhou")
        assert client.get(f"/seals/{seal.id}").status_code == 404  # revoked seals leave the clerks' list


def test_edit_with_an_uploaded_image(app, bureau):
    from PIL import Image

    seal = new_seal(app, bureau)
    picture = io.BytesIO()
    Image.new("RGBA", (300, 300), (220, 0, 0, 255)).save(picture, format="PNG")
    values = {
        "name": seal.name,
        "kind": "部门章",
        "custodian": "keeper",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }
    with app_client(app) as client:
        token = login(client, "sealadmin")
        bad = _post(
            client,
            f"/seals/{seal.id}/edit",
            token,
            values,
            files={"image": ("seal.png", b"GIF89a not a png", "image/png")},
        )
        assert bad.status_code == 400 and "印章图片必须是 PNG 文件。" in bad.text
        assert Seal.get_by_id(seal.id).kind == "公章"  # bad input changes nothing
        ok = _post(
            client,
            f"/seals/{seal.id}/edit",
            token,
            values,
            files={"image": ("seal.png", picture.getvalue(), "image/png")},
        )
        assert ok.status_code == 303
        assert client.get(f"/seals/{seal.id}/image.png").content == picture.getvalue()
    changed = Seal.get_by_id(seal.id)
    assert changed.kind == "部门章"
    entry = AuditEntry.get((AuditEntry.action == "seals.update") & (AuditEntry.object_id == str(seal.id)))
    assert "类型" in entry.summary and "印模" in entry.summary


def test_classified_marks_are_refused(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    before = UseRequest.select().count()
    with app_client(app) as client:
        token = login(client, "zhou")
        refused = _post(
            client,
            f"/seals/{seal.id}/request",
            token,
            {"reason": "报送", "title": "机密★5年 关于某事项的请示", "copies": "1"},
            files={"document": ("请示.pdf", sample_pdf, "application/pdf")},
        )
        assert refused.status_code == 422 and "机密★" in refused.text and "未保存任何内容" in refused.text
        api = client.post(
            "/api/v1/seals/requests",
            headers={"X-CSRF-Token": token},
            json={
                "seal": seal.id,
                "reason": "秘密★ 材料",
                "pdf": base64.b64encode(sample_pdf).decode("ascii"),
            },
        )
        assert api.status_code == 422 and api.json()["error"]["code"] == "classified"
    assert UseRequest.select().count() == before
    assert AuditEntry.select().where(AuditEntry.action == "seals.secrecy_refused").count() >= 2


def test_register_search_by_title_and_date(app, bureau, sample_pdf):
    from .conftest import sealed_copy

    seal = new_seal(app, bureau)
    sealed_copy(app, bureau, seal, sample_pdf)
    with app_client(app) as client:
        login(client, "sealadmin")
        found = client.get(f"/seals/register?seal={seal.id}&q=用印测试&start=2026-03-01&end=2026-03-31")
        assert "关于开展用印测试的通知" in found.text
        later = client.get(f"/seals/register?seal={seal.id}&q=用印测试&start=2026-04-01")
        assert "没有符合条件的用印记录。" in later.text
        other = client.get(f"/seals/register?seal={seal.id}&q=不存在的标题")
        assert "没有符合条件的用印记录。" in other.text


def test_a_request_another_installed_module_files_is_read_only_here(app, bureau, sample_pdf):
    """Filed on behalf of another module's workflow (here the installed 外出授权 module stands in for 局发文),
    a request is neither notified nor listed as the custodian's 待办 here, and every action is refused with
    a Chinese message; the module's title replaces the raw owner code.  Uploaded requests stay actionable."""
    from officium.core.db import write_transaction
    from officium.plugins.seals import crypto, service

    seal = new_seal(app, bureau)
    with write_transaction(app.db):
        use = service.request_use(
            app,
            seal,
            owner=("delegation", "record", 5),
            version=1,
            sha256=crypto.sha256_hex(sample_pdf),
            requester=bureau.clerk,
            reason="流程用印",
            title="他模块流程中的文件",
        )
    assert not Notification.select().where(Notification.url == f"/seals/requests/{use.id}").exists()
    with app_client(app) as client:
        token = login(client, "keeper")
        assert "他模块流程中的文件" not in client.get("/seals/requests/").text
        page = client.get(f"/seals/requests/{use.id}").text
        assert 'data-testid="handled-elsewhere"' in page and "外出授权：他模块流程中的文件" in page
        assert "delegation / record" not in page and f"/seals/requests/{use.id}/approve" not in page
        for action in ("approve", "reject", "apply"):
            assert (
                _post(client, f"/seals/requests/{use.id}/{action}", token, {"note": "不同意"}).status_code
                == 303
            )
            refused = client.post(
                f"/api/v1/seals/requests/{use.id}/{action}",
                json={"note": "不同意", "pdf": ""},
                headers={"X-CSRF-Token": token},
            )
            assert refused.status_code == 409 and "外出授权" in refused.json()["error"]["message"]
        assert "不能在电子印章中审批" in client.get(f"/seals/requests/{use.id}").text
    assert UseRequest.get_by_id(use.id).state == "pending"
    # the owner module's own step still approves and applies it through the service
    with write_transaction(app.db):
        service.approve_use(app, use, seal.custodian)
        assert service.apply_seal(app, use, sample_pdf, seal.custodian).startswith(b"%PDF-")
    assert UseRequest.get_by_id(use.id).state == "used"


def test_an_uploaded_request_names_the_seals_module_as_its_source(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    with app_client(app) as client:
        token = login(client, "zhou")
        made = _post(
            client,
            f"/seals/{seal.id}/request",
            token,
            {"reason": "报送", "title": "上传的通知", "copies": "1"},
            files={"document": ("通知.pdf", sample_pdf, "application/pdf")},
        )
        assert made.status_code == 303
        use = UseRequest.select().order_by(UseRequest.id.desc()).first()
        page = client.get(f"/seals/requests/{use.id}").text
        assert "电子印章，版本" in page and "seals / file" not in page
        assert 'data-testid="handled-elsewhere"' not in page
    assert Notification.select().where(Notification.url == f"/seals/requests/{use.id}").exists()
