"""One small bureau for the seal tests: 办公室 with its seal custodian, a seal administrator, clerks.

The site is shared by the tests of a module (building one costs more than the tests); each test makes the
seals and requests it needs, so that the tests do not depend on each other's data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pytest

from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.plugins.docs_outgoing.redhead import Paragraph, RedheadDocument, render_pdf
from officium.plugins.seals import crypto, service
from officium.plugins.seals.models import Seal, UseRequest
from officium.plugins.seals.service import SealInput
from officium.testing import FakeClock, add_unit, add_user, close_site, make_site

_names = itertools.count(1)


@dataclass
class Bureau:
    ju: Unit
    bgs: Unit
    cwc: Unit
    keeper: User  # 印章保管人 (办公室)
    keeper2: User  # another custodian-to-be (办公室)
    admin: User  # 印章管理员 (seals.manage)
    clerk: User  # 综合人员 of 办公室 (seals.use)
    clerk2: User  # 综合人员 of 财务处 (seals.use)
    staff: User  # 工作人员: no seal permission
    sysadmin: User  # 系统管理员 (三员)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def app(tmp_path_factory, clock):
    site = make_site(tmp_path_factory.mktemp("seals") / "site", plugins=["seals", "delegation"], clock=clock)
    yield site
    close_site(site)


@pytest.fixture(scope="module")
def bureau(app) -> Bureau:
    ju = add_unit(app, "JU", "X市出入境检验检疫局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    cwc = add_unit(app, "CWC", "财务处", parent=ju)
    return Bureau(
        ju=ju,
        bgs=bgs,
        cwc=cwc,
        keeper=add_user(app, "keeper", name="李保管", unit=bgs, roles=["clerk"]),
        keeper2=add_user(app, "keeper2", name="赵接管", unit=bgs),
        admin=add_user(app, "sealadmin", name="王管理", unit=bgs, roles=["seal_admin"]),
        clerk=add_user(app, "zhou", name="周文书", unit=bgs, roles=["clerk"]),
        clerk2=add_user(app, "qian", name="钱文书", unit=cwc, roles=["clerk"]),
        staff=add_user(app, "hu", name="胡晶", unit=bgs),
        sysadmin=add_user(app, "sys", name="系统管理员", unit=ju, roles=["sysadmin"]),
    )


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    """A small rendered 套红 PDF (rendering takes seconds: one for the whole run)."""
    doc = RedheadDocument(
        issuer_mark="X市出入境检验检疫局文件",
        doc_number="X检发〔2026〕3号",
        title="关于开展用印测试的通知",
        body=[Paragraph("请各处室按要求开展测试。")],
        issuer_name="X市出入境检验检疫局",
        date_written=date(2026, 3, 2),
    )
    return render_pdf(doc)


def new_seal(app, bureau: Bureau, *, custodian=None, unit=None, kind="公章", valid=None, image=None) -> Seal:
    start, end = valid or (date(2026, 1, 1), date(2027, 12, 31))
    with write_transaction(app.db):
        return service.create_seal(
            app,
            SealInput(
                unit=unit or bureau.bgs,
                name=f"测试印章{next(_names)}",
                kind=kind,
                custodian=custodian or bureau.keeper,
                valid_from=start,
                valid_until=end,
                image=image,
            ),
            bureau.admin,
        )


def approved_request(app, bureau: Bureau, seal: Seal, pdf: bytes, *, document: bool = False) -> UseRequest:
    with write_transaction(app.db):
        use = service.request_use(
            app,
            seal,
            owner=("docs_outgoing", "document", next(_names)),
            version=1,
            sha256=crypto.sha256_hex(pdf),
            requester=bureau.clerk,
            reason="发文用印",
            title="关于开展用印测试的通知",
            document=pdf if document else None,
        )
        return service.approve_use(app, use, seal.custodian)


def sealed_copy(app, bureau: Bureau, seal: Seal, pdf: bytes) -> bytes:
    use = approved_request(app, bureau, seal, pdf)
    with write_transaction(app.db):
        return service.apply_seal(app, use, pdf, seal.custodian)
