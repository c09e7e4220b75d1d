"""A small bureau for the attendance tests: 局 → 办公室 → 秘书科, and 人事处; a clerk, staff, leaders, 三员."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from officium.core.identity.models import Unit, User
from officium.testing import FakeClock, add_unit, add_user, app_client, login


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2026-03-02 (a working day), 08:00, before the first window."""
    return FakeClock(datetime(2026, 3, 2, 8, 0))


@dataclass
class Bureau:
    ju: Unit
    bgs: Unit
    msk: Unit
    rsc: Unit
    zhou: User  # 综合人员 of 办公室
    hu: User  # 工作人员 of 办公室
    sun: User  # 工作人员 of 秘书科 (a sub-unit of 办公室)
    qian: User  # 工作人员 of 人事处
    li: User  # 单位负责人 of 办公室
    wang: User  # 单位负责人 of 人事处


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["attendance"])


@pytest.fixture
def bureau(app) -> Bureau:
    ju = add_unit(app, "JU", "江南局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    msk = add_unit(app, "MSK", "秘书科", kind="section", parent=bgs)
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    return Bureau(
        ju=ju,
        bgs=bgs,
        msk=msk,
        rsc=rsc,
        zhou=add_user(app, "zhou", name="周静", unit=bgs, roles=["clerk"]),
        hu=add_user(app, "hu", name="胡晶", unit=bgs),
        sun=add_user(app, "sun", name="孙立", unit=msk),
        qian=add_user(app, "qian", name="钱程", unit=rsc),
        li=add_user(app, "li", name="李主任", unit=bgs, roles=["leader"]),
        wang=add_user(app, "wang", name="王处长", unit=rsc, roles=["leader"]),
    )


def visit(app, username: str) -> None:
    """``username`` signs in and opens the dashboard at the clock's current time, in a fresh browser."""
    with app_client(app) as client:
        login(client, username)
        assert client.get("/").status_code == 200
