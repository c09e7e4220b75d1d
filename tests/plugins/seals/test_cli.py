"""``officium seal verify FILE``: exit status 0 for an authentic, unchanged file, 1 otherwise."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from officium.cli import main
from officium.core.db import write_transaction
from officium.plugins.seals import crypto, service
from officium.plugins.seals.service import SealInput
from officium.testing import add_unit, add_user


def test_seal_verify_command(site_factory, tmp_path, sample_pdf):
    app = site_factory(plugins=["seals"])
    office = add_unit(app, "BGS", "办公室")
    keeper = add_user(app, "keeper", name="李保管", unit=office, roles=["clerk"])
    admin = add_user(app, "sealadmin", name="王管理", unit=office, roles=["seal_admin"])
    pdf = sample_pdf
    with write_transaction(app.db):
        seal = service.create_seal(
            app,
            SealInput(
                unit=office,
                name="办公室",
                kind="公章",
                custodian=keeper,
                valid_from=date(2026, 1, 1),
                valid_until=date(2026, 12, 31),
            ),
            admin,
        )
        use = service.request_use(
            app,
            seal,
            owner=("x", "doc", 1),
            version=1,
            sha256=crypto.sha256_hex(pdf),
            requester=admin,
            reason="测试",
        )
        service.approve_use(app, use, keeper)
        sealed = service.apply_seal(app, use, pdf, keeper)
    good, changed, plain = tmp_path / "good.pdf", tmp_path / "changed.pdf", tmp_path / "plain.pdf"
    good.write_bytes(sealed)
    flipped = bytearray(sealed)
    flipped[300] ^= 0x01
    changed.write_bytes(bytes(flipped))
    plain.write_bytes(pdf)
    site = str(app.config.site_dir)
    runner = CliRunner()

    ok = runner.invoke(main, ["--site", site, "seal", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert (
        "验证通过" in ok.output and "办公室" in ok.output and "李保管" in ok.output and "非国密" in ok.output
    )

    bad = runner.invoke(main, ["--site", site, "seal", "verify", str(changed)])
    assert bad.exit_code == 1
    assert "验证未通过" in bad.output and "hash_mismatch" in bad.output

    none = runner.invoke(main, ["--site", site, "seal", "verify", str(plain)])
    assert none.exit_code == 1 and "没有电子印章签名记录" in none.output

    key = runner.invoke(main, ["--site", site, "seal", "maker-key"])
    assert key.exit_code == 0 and service.maker_key(app).key_id in key.output
