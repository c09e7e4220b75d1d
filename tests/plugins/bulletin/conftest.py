"""A small bureau for the bulletin tests, one site per test file (tests of a file share it and only move its
clock forward): 局 → 办公室, 人事处 (with 一科 below it), 财务处; the office's 公告管理员, clerks, leaders and
staff; and helpers that drive the board through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from officium.core.app import OfficiumApp
from officium.core.identity.models import Unit, User
from officium.testing import FakeClock, add_unit, add_user, app_client, close_site, login, make_site

SCOPE_ROLES_ALL = {"all": True}


@dataclass
class Bureau:
    app: OfficiumApp
    clock: FakeClock
    ju: Unit
    bgs: Unit
    rsc: Unit
    rsc1: Unit
    cwc: Unit
    wu: User  # 办公室 综合人员 and 公告管理员 (the office)
    liu: User  # 办公室 负责人
    zhou: User  # 人事处 综合人员 (publishes)
    wang: User  # 人事处 负责人 (approves)
    qian: User  # 人事处 工作人员
    ke: User  # 人事处一科 工作人员
    li: User  # 财务处 综合人员
    zhao: User  # 财务处 负责人
    sun: User  # 财务处 工作人员


def build(app: OfficiumApp, clock: FakeClock) -> Bureau:
    ju = add_unit(app, "JU", "江南局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    rsc1 = add_unit(app, "RSC1", "人事处一科", kind="section", parent=rsc)
    cwc = add_unit(app, "CWC", "财务处", parent=ju)
    return Bureau(
        app,
        clock,
        ju,
        bgs,
        rsc,
        rsc1,
        cwc,
        wu=add_user(app, "wu", name="吴文书", unit=bgs, roles=["clerk", ("bulletin_admin", None)]),
        liu=add_user(app, "liu", name="刘主任", unit=bgs, roles=["leader"]),
        zhou=add_user(app, "zhou", name="周静", unit=rsc, roles=["clerk"]),
        wang=add_user(app, "wang", name="王处长", unit=rsc, roles=["leader"]),
        qian=add_user(app, "qian", name="钱科员", unit=rsc),
        ke=add_user(app, "ke", name="柯科员", unit=rsc1),
        li=add_user(app, "li", name="李文书", unit=cwc, roles=["clerk"]),
        zhao=add_user(app, "zhao", name="赵处长", unit=cwc, roles=["leader"]),
        sun=add_user(app, "sun", name="孙会计", unit=cwc),
    )


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bureau]:
    """One site for the whole test file."""
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        clock = FakeClock()
        app = make_site(tmp_path_factory.mktemp("bulletin"), plugins=["bulletin", "search"], clock=clock)
        try:
            yield build(app, clock)
        finally:
            close_site(app)


@pytest.fixture
def people(bureau: Bureau) -> Iterator[Any]:
    """``people("zhou")`` → a signed-in client (``client.csrf`` holds its CSRF token).

    All of a test's clients share one test client's event-loop thread, hence one database connection, which
    goes back to the pool when the test ends (the site, and its PostgreSQL pool, serve the whole file).
    """
    with app_client(bureau.app) as main:

        def open_as(username: str) -> TestClient:
            client = TestClient(main.app, base_url=str(main.base_url))
            client.portal = main.portal  # run on the main client's thread
            opened.append(client)
            client.csrf = login(client, username)  # type: ignore[attr-defined]
            return client

        opened: list[TestClient] = []
        yield open_as
        for client in opened:
            client.close()
        main.portal.call(bureau.app.db.close)


def api(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    """Call the bulletin API with the session's CSRF token."""
    headers = {"X-CSRF-Token": client.csrf}  # type: ignore[attr-defined]
    return client.request(method, f"/api/v1/bulletin{path}", headers=headers, **kwargs)


def column_id(name: str) -> int:
    from officium.plugins.bulletin.models import Column

    return Column.get(Column.name == name).id


def make_column(client: TestClient, name: str, **fields: Any) -> int:
    """The office creates a column through the API; returns its id."""
    body = {
        "name": name,
        "approval": "none",
        "readers": {"all": True},
        "publishers": {"roles": ["clerk"]},
        **fields,
    }
    response = api(client, "POST", "/columns", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def draft(client: TestClient, column: int, title: str, **fields: Any) -> dict[str, Any]:
    """Write an announcement through the API (``submit=True`` sends it on); returns its JSON."""
    body = {"column": column, "title": title, "body": f"<p>{title}的正文。</p>", **fields}
    response = api(client, "POST", "/announcements", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def board_ids(client: TestClient, **params: Any) -> list[int]:
    response = api(client, "GET", "/announcements", params={"per_page": 100, **params})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["items"]]
