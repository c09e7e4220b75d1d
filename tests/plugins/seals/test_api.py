"""The JSON API: every action of the pages, with the standard error shape."""

from __future__ import annotations

import base64

from officium.core.audit import AuditEntry
from officium.plugins.seals.models import Seal
from officium.testing import app_client, login


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_api_walk_through(app, bureau, sample_pdf):
    with app_client(app) as client:
        token = login(client, "sealadmin")
        headers = {"X-CSRF-Token": token}
        invalid = client.post(
            "/api/v1/seals/seals", json={"unit": bureau.bgs.id, "kind": "乱写"}, headers=headers
        )
        assert invalid.status_code == 400
        fields = invalid.json()["error"]["fields"]
        assert {"name", "kind", "custodian", "valid_from", "valid_until"} <= set(fields)
        created = client.post(
            "/api/v1/seals/seals",
            json={
                "unit": bureau.bgs.id,
                "name": "办公室（接口）",
                "kind": "公章",
                "custodian": "keeper",
                "valid_from": "2026-01-01",
                "valid_until": "2027-12-31",
            },
            headers=headers,
        )
        assert created.status_code == 201
        seal = created.json()
        assert seal["state"] == "valid" and seal["non_gm"] and seal["custodian"]["username"] == "keeper"
        changed = client.post(
            f"/api/v1/seals/seals/{seal['id']}", json={"valid_until": "2028-06-30"}, headers=headers
        )
        assert changed.json()["changed"] == ["有效期"]
        image = client.get(f"/api/v1/seals/seals/{seal['id']}/image")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")

    with app_client(app) as client:
        token = login(client, "zhou")
        headers = {"X-CSRF-Token": token}
        listed = client.get("/api/v1/seals/seals").json()
        assert seal["id"] in [s["id"] for s in listed["items"]]
        assert client.post("/api/v1/seals/seals", json={}, headers=headers).status_code == 403
        bad = client.post(
            "/api/v1/seals/requests", json={"seal": seal["id"], "reason": "x", "pdf": "@@@"}, headers=headers
        )
        assert bad.status_code == 400 and "pdf" in bad.json()["error"]["fields"]
        made = client.post(
            "/api/v1/seals/requests",
            json={"seal": seal["id"], "reason": "报送", "title": "接口测试", "pdf": _b64(sample_pdf)},
            headers=headers,
        )
        assert made.status_code == 201
        use = made.json()
        assert use["state"] == "pending"
        refused = client.post(f"/api/v1/seals/requests/{use['id']}/approve", json={}, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    with app_client(app) as client:
        token = login(client, "keeper")
        headers = {"X-CSRF-Token": token}
        mine = client.get("/api/v1/seals/requests?state=pending").json()
        assert use["id"] in [u["id"] for u in mine["items"]]
        # a decision note is part of the register: the 涉密 guard refuses a marked one, nothing changes
        marked = client.post(
            f"/api/v1/seals/requests/{use['id']}/approve", json={"note": "同意（机密★5年）"}, headers=headers
        )
        assert marked.status_code == 422 and "note" in marked.json()["error"]["fields"]
        assert client.get(f"/api/v1/seals/requests/{use['id']}").json()["state"] == "pending"
        assert AuditEntry.select().where(AuditEntry.action == "seals.secrecy_refused").count() >= 1
        approved = client.post(
            f"/api/v1/seals/requests/{use['id']}/approve", json={"note": "同意"}, headers=headers
        )
        assert approved.json()["state"] == "approved"
        other = client.post(
            f"/api/v1/seals/requests/{use['id']}/apply",
            json={"pdf": _b64(sample_pdf + b"\n")},
            headers=headers,
        )
        assert other.status_code == 403  # not the version the request names
        applied = client.post(f"/api/v1/seals/requests/{use['id']}/apply", json={}, headers=headers)
        assert applied.status_code == 200
        sealed = base64.b64decode(applied.json()["sealed_pdf"])
        assert applied.json()["state"] == "used"
        again = client.post(f"/api/v1/seals/requests/{use['id']}/apply", json={}, headers=headers)
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        verified = client.post("/api/v1/seals/verify", json={"pdf": _b64(sealed)}, headers=headers).json()
        assert (
            verified["ok"]
            and verified["seal_name"] == "办公室（接口）"
            and verified["use_request_id"] == use["id"]
        )
        changed_copy = bytearray(sealed)
        changed_copy[-20] ^= 0x01
        verified = client.post(
            "/api/v1/seals/verify", json={"pdf": _b64(bytes(changed_copy))}, headers=headers
        )
        assert verified.json()["ok"] is False
        assert client.get("/api/v1/seals/register").status_code == 403

    with app_client(app) as client:
        token = login(client, "sealadmin")
        headers = {"X-CSRF-Token": token}
        register = client.get(f"/api/v1/seals/register?seal={seal['id']}").json()
        assert [r["id"] for r in register["items"]] == [use["id"]]
        assert register["items"][0]["sealed_sha256"]
        no_reason = client.post(f"/api/v1/seals/seals/{seal['id']}/revoke", json={}, headers=headers)
        assert no_reason.status_code == 400
        revoked = client.post(
            f"/api/v1/seals/seals/{seal['id']}/revoke", json={"reason": "更换"}, headers=headers
        )
        assert revoked.json()["state"] == "revoked"
        assert Seal.get_by_id(seal["id"]).revoked_by_id == bureau.admin.id


def test_another_modules_document_cannot_be_named_through_the_api(app, bureau, sample_pdf):
    """A 局发文 is sealed only at its own 用印 step; a client cannot file a request in its name."""
    from officium.plugins.seals import crypto
    from officium.plugins.seals.models import UseRequest

    from .conftest import new_seal

    seal = new_seal(app, bureau)
    before = UseRequest.select().count()
    with app_client(app) as client:
        token = login(client, "zhou")
        refused = client.post(
            "/api/v1/seals/requests",
            json={
                "seal": seal.id,
                "reason": "发文",
                "owner": {"plugin": "docs_outgoing", "type": "document", "id": 7},
                "version": "3",
                "sha256": crypto.sha256_hex(sample_pdf),
            },
            headers={"X-CSRF-Token": token},
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["fields"] == {"pdf": "请提交要用印的 PDF 文件。"}
        # the owner is ignored when a PDF comes with it: the request is for that file, in seals' own name
        made = client.post(
            "/api/v1/seals/requests",
            json={
                "seal": seal.id,
                "reason": "发文",
                "pdf": _b64(sample_pdf),
                "owner": {"plugin": "docs_outgoing", "type": "document", "id": 7},
            },
            headers={"X-CSRF-Token": token},
        )
        assert made.status_code == 201, made.text
        assert made.json()["owner"]["plugin"] == "seals"
    assert UseRequest.select().count() == before + 1
