"""A site with 外出授权 and three small workflow plugins (局发文 ``docs``, 休假管理 ``leave``, 电子印章
``seals``), each with a one-step workflow whose handlers the drafter names, driven through their API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from officium.core.identity.models import User
from officium.testing import add_unit, add_user, app_client

from .flows import As, flow_plugins


@dataclass
class People:
    zhang: User  # 张三, the usual principal
    li: User  # 李四, the usual delegate
    wang: User  # 王五
    zhao: User  # 赵六
    writer: User  # 拟稿人 who starts documents
    admin: User  # 系统管理员 (三员)


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["delegation"], extra_plugins=flow_plugins())


@pytest.fixture
def people(app) -> People:
    office = add_unit(app, "BGS", "办公室")
    return People(
        zhang=add_user(app, "zhang", name="张三", unit=office),
        li=add_user(app, "li", name="李四", unit=office),
        wang=add_user(app, "wang", name="王五", unit=office),
        zhao=add_user(app, "zhao", name="赵六", unit=office),
        writer=add_user(app, "writer", name="拟稿人", unit=office),
        admin=add_user(app, "sys", name="系统管理员", unit=office, roles=["sysadmin"]),
    )


@pytest.fixture
def client(app):
    with app_client(app) as c:
        yield c


@pytest.fixture
def api(app, client, people):
    """``api("zhang").post(...)``: an API caller per username."""
    made: dict[str, As] = {}

    def caller(username: str) -> As:
        if username not in made:
            made[username] = As(client, app, User.get(User.username == username))
        return made[username]

    return caller
