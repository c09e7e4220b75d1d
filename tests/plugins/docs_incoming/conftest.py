"""A small bureau for the 收文 tests: 局 → 办公室 (with 秘书科), 人事处, 财务处, 法规处.

办公室: 刘主任 (leader: 拟办), 吴文书 (clerk: 登记, 初审, 分办, 归档), 孙管理员 (incoming_manager).
局领导: 陈局长 and 黄副局长 (leaders who 批示).  人事处 and 财务处 each have a clerk and a staff member.
One site per test module (module-scoped), rebound before every test.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import pytest

from officium.core.db import database
from officium.core.identity.models import Unit, User
from officium.testing import FakeClock, add_unit, add_user, close_site, csrf_from, login, make_site

__all__ = ["csrf_from", "login"]


@dataclass
class Bureau:
    ju: Unit
    bgs: Unit
    msk: Unit
    rsc: Unit
    cwc: Unit
    fgc: Unit
    liu: User  # 办公室主任 (leader of 办公室): 拟办
    wu: User  # 办公室文书 (clerk of 办公室)
    sun: User  # 收文管理员 (incoming_manager)
    chen: User  # 局长
    huang: User  # 副局长
    zhou: User  # 人事处 clerk
    qian: User  # 人事处 staff
    li: User  # 财务处 clerk
    zhao: User  # 财务处 staff
    ma: User  # 法规处 staff (nothing to do with the documents)


def build_bureau(app) -> Bureau:
    ju = add_unit(app, "JU", "江南局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    msk = add_unit(app, "MSK", "秘书科", kind="section", parent=bgs)
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    cwc = add_unit(app, "CWC", "财务处", parent=ju)
    fgc = add_unit(app, "FGC", "法规处", parent=ju)
    return Bureau(
        ju=ju,
        bgs=bgs,
        msk=msk,
        rsc=rsc,
        cwc=cwc,
        fgc=fgc,
        liu=add_user(app, "liu", name="刘主任", unit=bgs, roles=["leader"]),
        wu=add_user(app, "wu", name="吴文书", unit=bgs, roles=["clerk"]),
        sun=add_user(app, "sun", name="孙管理", unit=bgs, roles=["incoming_manager"]),
        chen=add_user(app, "chen", name="陈局长", unit=ju, roles=["leader"]),
        huang=add_user(app, "huang", name="黄副局长", unit=ju, roles=["supervising_leader"]),
        zhou=add_user(app, "zhou", name="周文书", unit=rsc, roles=["clerk"]),
        qian=add_user(app, "qian", name="钱干事", unit=rsc),
        li=add_user(app, "li", name="李文书", unit=cwc, roles=["clerk"]),
        zhao=add_user(app, "zhao", name="赵干事", unit=cwc),
        ma=add_user(app, "ma", name="马干事", unit=fgc),
    )


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0))


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_clock):
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        app = make_site(tmp_path_factory.mktemp("incoming"), plugins=["docs_incoming"], clock=module_clock)
        app.bureau = build_bureau(app)
        # the tests move the clock by months: keep the passwords from expiring on the way
        User.update(password_expires_at=None).execute()
    yield app
    close_site(app)


@pytest.fixture(autouse=True)
def bound(request):
    """Point the database proxy back at the module's site (a test may have made one of its own)."""
    if "site" in request.fixturenames:
        database.initialize(request.getfixturevalue("site").db)


@pytest.fixture
def bureau(site) -> Bureau:
    return site.bureau


def docx_bytes(text: str) -> bytes:
    """A minimal Word document whose body is ``text``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return buffer.getvalue()


def form(token: str, **fields) -> dict:
    """A registration form with sensible defaults."""
    data = {
        "csrf_token": token,
        "from_unit": "海关总署办公厅",
        "doc_number": "署办函〔2026〕1号",
        "title": "关于做好春季动植物检疫工作的通知",
        "doc_type": "通知",
        "urgency": "normal",
        "copies": "1",
        "classification": "非涉密",
    }
    data.update(fields)
    return data
