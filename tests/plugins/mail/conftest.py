"""A small bureau for the mail tests: 局 → 办公室 (BGS), 人事处 (RSC); one site per test module.

办公室: 周静 zhou (综合人员, reads the 部门邮箱), 刘强 liu (单位负责人), 吴敏 wu (工作人员).
人事处: 王芳 wang (单位负责人), 钱进 qian (工作人员), 孙丽 sun (工作人员).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher

from officium.core.app import OfficiumApp
from officium.core.identity.models import Unit
from officium.testing import FakeClock, add_unit, add_user, app_client, close_site, login, make_site


@dataclass
class Site:
    app: OfficiumApp
    clock: FakeClock
    bgs: Unit
    rsc: Unit


def build(tmp_path_factory: pytest.TempPathFactory, settings: dict[str, Any] | None = None) -> Iterator[Site]:
    clock = FakeClock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        app = make_site(tmp_path_factory.mktemp("mail"), plugins=["mail"], clock=clock, settings=settings)
        try:
            ju = add_unit(app, "JU", "江南局", kind="bureau")
            bgs = add_unit(app, "BGS", "办公室", parent=ju)
            rsc = add_unit(app, "RSC", "人事处", parent=ju)
            add_user(app, "zhou", name="周静", unit=bgs, roles=["clerk"])
            add_user(app, "liu", name="刘强", unit=bgs, roles=["leader"])
            add_user(app, "wu", name="吴敏", unit=bgs)
            add_user(app, "wang", name="王芳", unit=rsc, roles=["leader"])
            add_user(app, "qian", name="钱进", unit=rsc)
            add_user(app, "sun", name="孙丽", unit=rsc)
            yield Site(app, clock, bgs, rsc)
        finally:
            close_site(app)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from build(tmp_path_factory, {"mail": {"max_attachment_mb": 1, "max_attachments": 3}})


class Person:
    """A signed-in browser of one user, with API helpers that send the CSRF header."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def post(self, url: str, **kwargs: Any) -> Any:
        if "data" in kwargs or "files" in kwargs:
            kwargs.setdefault("data", {})["csrf_token"] = self.token
            return self.client.post(url, follow_redirects=False, **kwargs)
        return self.client.post(url, headers={"X-CSRF-Token": self.token}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def send(self, expect: int = 201, **fields: Any) -> dict[str, Any]:
        fields.setdefault("subject", "测试邮件")
        fields.setdefault("body", "<p>正文</p>")
        response = self.post("/api/v1/mail/messages", json=fields)
        assert response.status_code == expect, response.text
        return response.json()

    def inbox(self, box: str = "inbox", **params: Any) -> list[dict[str, Any]]:
        response = self.get("/api/v1/mail/messages", params={"box": box, "per_page": 100, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def find(self, subject: str, box: str = "inbox") -> dict[str, Any] | None:
        return next((m for m in self.inbox(box) if m["subject"] == subject), None)


@contextmanager
def signed_in(site: Site, username: str) -> Iterator[Person]:
    with app_client(site.app) as client:
        yield Person(client, login(client, username))


@pytest.fixture(scope="module")
def people(site: Site) -> Iterator[dict[str, Person]]:
    """Every user of the bureau signed in once for the module, each in a browser of their own."""
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        patch.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        sessions: dict[str, Person] = {}
        for name in ("zhou", "liu", "wu", "wang", "qian", "sun"):
            client = stack.enter_context(app_client(site.app))
            sessions[name] = Person(client, login(client, name))
        yield sessions
