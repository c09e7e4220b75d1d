"""Sealing and verification: the record's shape, tamper detection, and each failure in GB/T 38540's order."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from playhouse.schema_diff import diff_models

from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.plugins.seals import crypto, pdfsig, service
from officium.plugins.seals.models import MakerKey
from officium.plugins.seals.service import SealError

from .conftest import approved_request, new_seal, sealed_copy


@pytest.fixture(scope="module")
def sealed(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    return seal, sealed_copy(app, bureau, seal, sample_pdf)


def test_migrations_match_the_models(app):
    assert not diff_models(app.db, app.registry.models["seals"])


def test_sealed_pdf_verifies_and_keeps_the_original_bytes(app, sealed, sample_pdf):
    seal, data = sealed
    assert data.startswith(sample_pdf)  # an incremental update: the document itself is untouched
    result = service.verify_pdf(app, data)
    assert result.ok and result.code == "ok"
    assert result.seal_name == seal.name and result.unit_name == "办公室"
    assert result.signer_name == "李保管"
    assert result.algorithm == "Ed25519" and result.non_gm
    assert result.signed_at == "2026-03-02 09:00:00"


def test_record_has_the_shape_of_gbt_38540(app, sealed, sample_pdf):
    _, data = sealed
    record = json.loads(pdfsig.extract_record(data))
    to_sign = record["toSign"]
    assert to_sign["version"] == 4
    assert to_sign["dataHash"] == crypto.sha256_hex(sample_pdf)
    assert to_sign["hashAlgID"] == crypto.SHA256_OID
    assert to_sign["propertyInfo"]["range"] == [0, len(sample_pdf)]
    assert to_sign["extDatas"]["sm3"] == crypto.sm3_hex(sample_pdf)
    seal_info = to_sign["eseal"]["sealInfo"]
    assert seal_info["header"] == {"ID": "ES", "version": 4, "Vid": "officium"}
    assert seal_info["property"]["certListType"] == 2
    assert seal_info["property"]["certList"] == [record["cert"]["keyId"]]
    assert seal_info["picture"]["type"] == "png"
    assert record["signatureAlgID"] == to_sign["eseal"]["signAlgID"] == crypto.ED25519_OID


def test_a_flipped_byte_anywhere_fails(app, sealed, sample_pdf):
    _, data = sealed
    n = len(sample_pdf)
    rng = random.Random(38540)
    positions = set(rng.sample(range(n), 150))  # in the document
    positions |= set(rng.sample(range(n, len(data)), 150))  # in the record and the update
    positions |= set(range(len(data) - 200, len(data)))  # every byte of the xref and trailer
    positions |= {0, n - 1, n, len(data) - 1}
    for at in sorted(positions):
        changed = bytearray(data)
        changed[at] ^= 0x01
        result = service.verify_pdf(app, bytes(changed))
        assert not result.ok, f"a flipped bit at byte {at} went unnoticed"


def test_appended_or_truncated_bytes_fail(app, sealed, sample_pdf):
    _, data = sealed
    assert service.verify_pdf(app, data + b"\n").code == "modified"
    assert not service.verify_pdf(app, data[:-1]).ok
    assert service.verify_pdf(app, data[: len(data) - 150]).code == "modified"  # the trailer cut off
    assert service.verify_pdf(app, data[: len(sample_pdf) + 500]).code == "format"  # the record cut short
    assert service.verify_pdf(app, data[: len(sample_pdf)]).code == "not_sealed"


def test_unsealed_pdf_and_other_files(app, sample_pdf):
    assert service.verify_pdf(app, sample_pdf).code == "not_sealed"
    assert service.verify_pdf(app, b"not a pdf at all").code == "not_sealed"


def _rewrite(app, data: bytes, change, *, resign: bool = True, maker_resign: bool = False) -> bytes:
    """Change the record of a sealed file and optionally sign it again with the seal's (and maker's) keys."""
    from officium.plugins.seals.models import Seal

    record = json.loads(pdfsig.extract_record(data))
    end = record["toSign"]["propertyInfo"]["range"][1]
    seal = Seal.get(Seal.es_id == record["toSign"]["eseal"]["sealInfo"]["esID"])
    change(record)
    secret = app.config.secret
    if maker_resign:
        maker = MakerKey.get()
        info = record["toSign"]["eseal"]["sealInfo"]
        value = crypto.sign(secret, maker.algorithm, maker.key_id, maker.private_key, crypto.canonical(info))
        record["toSign"]["eseal"]["signedValue"] = crypto.b64(value)
    if resign:
        value = crypto.sign(
            secret, seal.algorithm, seal.key_id, seal.private_key, crypto.canonical(record["toSign"])
        )
        record["signature"] = crypto.b64(value)
    return pdfsig.append_record(data[:end], crypto.canonical(record))


def test_each_check_has_its_own_failure(app, bureau, sealed):
    _, data = sealed

    def unsigned_time(r):
        r["toSign"]["timeInfo"] = "20250101000000"

    assert service.verify_pdf(app, _rewrite(app, data, unsigned_time, resign=False)).code == "signature"

    def unknown_alg(r):
        r["signatureAlgID"] = crypto.SM2_SM3_OID

    assert service.verify_pdf(app, _rewrite(app, data, unknown_alg, resign=False)).code == "unknown_alg"

    other = new_seal(app, bureau)

    def foreign_key(r):  # signed by another seal's key, which is not in this seal's certList
        r["cert"] = {"keyId": other.key_id, "publicKey": other.public_key}

    def sign_with_other(r):
        foreign_key(r)
        value = crypto.sign(
            app.config.secret, other.algorithm, other.key_id, other.private_key, crypto.canonical(r["toSign"])
        )
        r["signature"] = crypto.b64(value)

    assert service.verify_pdf(app, _rewrite(app, data, sign_with_other, resign=False)).code == "cert_mismatch"

    def widen_validity(r):  # the seal's data changed without the maker's signature
        r["toSign"]["eseal"]["sealInfo"]["property"]["validEnd"] = "2099-12-31"

    assert service.verify_pdf(app, _rewrite(app, data, widen_validity)).code == "seal_signature"

    def expired(r):  # a consistent record whose seal was no longer valid when it was signed
        r["toSign"]["eseal"]["sealInfo"]["property"]["validEnd"] = "2026-02-01"

    assert service.verify_pdf(app, _rewrite(app, data, expired, maker_resign=True)).code == "seal_expired"

    def other_document(r):
        r["toSign"]["dataHash"] = "0" * 64

    assert service.verify_pdf(app, _rewrite(app, data, other_document)).code == "hash_mismatch"


def test_a_seal_from_another_site_is_not_trusted(app, sealed):
    _, data = sealed
    _, kid, public, private = crypto.new_key_pair("another site's secret, at least 32 characters")

    def foreign_maker(r):
        info = r["toSign"]["eseal"]["sealInfo"]
        value = crypto.sign(
            "another site's secret, at least 32 characters", "Ed25519", kid, private, crypto.canonical(info)
        )
        r["toSign"]["eseal"]["cert"] = {"keyId": kid, "publicKey": public}
        r["toSign"]["eseal"]["signedValue"] = crypto.b64(value)

    foreign = _rewrite(app, data, foreign_maker)
    refused = service.verify_pdf(app, foreign)
    assert refused.code == "untrusted_maker" and not refused.maker_trusted
    assert "其他系统制发" in refused.message and refused.maker_key_id == kid

    def forged_foreign_maker(r):
        foreign_maker(r)
        r["toSign"]["eseal"]["signedValue"] = crypto.b64(b"\0" * 64)

    # an unknown maker whose own signature does not hold is a bad seal, not merely an unknown one
    forged = service.verify_pdf(app, _rewrite(app, data, forged_foreign_maker))
    assert forged.code == "seal_signature" and not forged.maker_trusted


def test_a_listed_foreign_maker_is_trusted(app, sealed, monkeypatch):
    _, data = sealed
    secret = "another site's secret, at least 32 characters"
    _, kid, public, private = crypto.new_key_pair(secret)

    def foreign_maker(r):
        info = r["toSign"]["eseal"]["sealInfo"]
        info["esID"] = "ES-from-another-site"
        r["toSign"]["eseal"]["cert"] = {"keyId": kid, "publicKey": public}
        value = crypto.sign(secret, "Ed25519", kid, private, crypto.canonical(info))
        r["toSign"]["eseal"]["signedValue"] = crypto.b64(value)

    foreign = _rewrite(app, data, foreign_maker)
    settings = app.settings
    monkeypatch.setattr(
        app,
        "settings",
        lambda name: {**settings(name), "trusted_makers": [kid]} if name == "seals" else settings(name),
    )
    result = service.verify_pdf(app, foreign)
    assert result.ok and result.maker_trusted
    assert any("其他系统制发" in n for n in result.notes)
    changed = bytearray(foreign)
    changed[200] ^= 0x01
    assert service.verify_pdf(app, bytes(changed)).code == "hash_mismatch"  # integrity still checked


def test_private_keys_are_stored_encrypted(app, bureau):
    seal = new_seal(app, bureau)
    assert seal.private_key.startswith("v1:")
    # the stored blob is not the raw key, and only the site's secret opens it
    with pytest.raises(crypto.SealKeyError):
        crypto.sign(
            "a different secret of the right length....", seal.algorithm, seal.key_id, seal.private_key, b"x"
        )
    signature = crypto.sign(app.config.secret, seal.algorithm, seal.key_id, seal.private_key, b"x")
    assert crypto.verify(crypto.ED25519_OID, crypto.unb64(seal.public_key), signature, b"x")


def test_apply_is_single_use_and_bound_to_the_document(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    use = approved_request(app, bureau, seal, sample_pdf)
    other = sample_pdf.replace(b"%PDF-1.", b"%PDF-1.", 1) + b"\n% another version\n"
    with pytest.raises(SealError) as refused, write_transaction(app.db):
        service.apply_seal(app, use, other, bureau.keeper)
    assert refused.value.status == 403 and "版本不一致" in refused.value.message
    with write_transaction(app.db):
        service.apply_seal(app, use, sample_pdf, bureau.keeper)
    with pytest.raises(SealError) as again, write_transaction(app.db):
        service.apply_seal(app, use, sample_pdf, bureau.keeper)
    assert again.value.status == 409
    use = type(use).get_by_id(use.id)
    assert use.state == "used" and use.used_by_id == bureau.keeper.id and len(use.sealed_sha256) == 64
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.object_id == str(use.id))]
    assert {"seals.request", "seals.approve", "seals.apply"} <= set(actions)


def test_only_the_custodian_approves_and_applies(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    with write_transaction(app.db):
        use = service.request_use(
            app,
            seal,
            owner=("x", "y", 1),
            version=1,
            sha256=crypto.sha256_hex(sample_pdf),
            requester=bureau.clerk,
            reason="测试",
        )
    for outsider in (bureau.admin, bureau.clerk, bureau.keeper2):
        with pytest.raises(SealError) as refused, write_transaction(app.db):
            service.approve_use(app, use, outsider)
        assert refused.value.status == 403 and "印章保管不能委托" in refused.value.message
    with pytest.raises(SealError), write_transaction(app.db):
        service.apply_seal(app, use, sample_pdf, bureau.keeper)  # not approved yet
    with write_transaction(app.db):
        service.approve_use(app, use, bureau.keeper)
    with pytest.raises(SealError) as refused, write_transaction(app.db):
        service.apply_seal(app, use, sample_pdf, bureau.admin)
    assert refused.value.status == 403


def test_custodian_change_hands_over_the_requests(app, bureau, sample_pdf):
    seal = new_seal(app, bureau)
    use = approved_request(app, bureau, seal, sample_pdf)
    data = service.SealInput(
        name=seal.name,
        kind=seal.kind,
        custodian=bureau.keeper2,
        valid_from=seal.valid_from,
        valid_until=seal.valid_until,
    )
    with write_transaction(app.db):
        assert service.update_seal(app, seal, data, bureau.admin) == ["保管人"]
    with pytest.raises(SealError), write_transaction(app.db):
        service.apply_seal(app, use, sample_pdf, bureau.keeper)  # the old custodian no longer may
    with write_transaction(app.db):
        sealed = service.apply_seal(app, use, sample_pdf, bureau.keeper2)
    result = service.verify_pdf(app, sealed)
    assert result.ok and result.signer_name == "赵接管"


def test_revoked_and_expired_seals(app, bureau, sample_pdf, clock):
    seal = new_seal(app, bureau)
    before = sealed_copy(app, bureau, seal, sample_pdf)
    pending = approved_request(app, bureau, seal, sample_pdf)
    clock.advance(hours=1)
    with write_transaction(app.db):
        service.revoke_seal(app, seal, bureau.admin, "印章更换")
    assert type(pending).get_by_id(pending.id).state == "cancelled"
    result = service.verify_pdf(app, before)
    assert result.ok and any("注销" in n for n in result.notes)  # sealed before the revocation
    with pytest.raises(SealError) as refused, write_transaction(app.db):
        service.request_use(
            app, seal, owner=("x", "y", 1), version=1, sha256="a" * 64, requester=bureau.clerk, reason="再次"
        )
    assert refused.value.status == 409
    assert seal not in service.seals_for_unit(bureau.bgs, on=date(2026, 3, 2))
    old = new_seal(app, bureau, valid=(date(2025, 1, 1), date(2025, 12, 31)))
    assert old not in service.seals_for_unit(bureau.bgs, on=date(2026, 3, 2))
    with pytest.raises(SealError) as expired, write_transaction(app.db):
        service.request_use(
            app, old, owner=("x", "y", 1), version=1, sha256="a" * 64, requester=bureau.clerk, reason="过期"
        )
    assert "已过期" in expired.value.message


def test_seal_image_is_generated_or_uploaded(app, bureau):
    from io import BytesIO

    from PIL import Image, ImageChops

    generated = service.seal_image_png(new_seal(app, bureau))
    with Image.open(BytesIO(generated)) as picture:
        rgba = picture.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0  # transparent outside the ring
        r, g, _, a = rgba.split()
        mask = ImageChops.multiply(
            ImageChops.multiply(
                r.point(lambda v: 255 if v > 180 else 0), g.point(lambda v: 255 if v < 80 else 0)
            ),
            a.point(lambda v: 255 if v > 128 else 0),
        )
        red = mask.histogram()[255]
        assert red > rgba.width * rgba.height * 0.08  # ring, name and star in red
    uploaded = BytesIO()
    Image.new("RGBA", (200, 200), (255, 0, 0, 255)).save(uploaded, format="PNG")
    assert service.seal_image_png(new_seal(app, bureau, image=uploaded.getvalue())) == uploaded.getvalue()
