"""One site per test module with 休假管理 and 外出授权, a small bureau, and callers per person.

The bureau: 局长 (leader of the bureau), a 副局长 in 局领导 who is 分管领导 of 信息化处 and 人事处, 人事处 with
its HR officer, 信息化处 with its 处长 (处级), 综合人员 and staff, and its 网络科 with a 科长 and a 科员.
Tests share the site; each uses its own people or dates, so that they do not interfere.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.identity.tokens import issue_token
from officium.core.workflow.models import Instance, WorkItem
from officium.testing import FakeClock, add_unit, add_user, app_client, close_site, login, make_site

START = datetime(2026, 3, 2, 9, 0, 0)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def certificate(filename: str = "诊断证明.pdf", content: bytes = PDF) -> list[dict[str, str]]:
    """The API's ``attachments`` with one 病假 certificate."""
    return [{"filename": filename, "content_base64": base64.b64encode(content).decode()}]


STAFF = ("zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi", "zhouba", "wujiu", "zhengshi", "fengyi", "chener")


class Person:
    """Calls as one user: ``api`` with a bearer token, ``page`` through a signed-in browser session."""

    def __init__(self, site: Site, username: str) -> None:
        self.site = site
        self.username = username
        self.user = User.get(User.username == username)
        with write_transaction(site.app.db):
            self.token = issue_token(self.user, "test", site.app.clock())
        self._client: TestClient | None = None
        self.csrf = ""

    def get(self, path: str, **kwargs: Any):
        return self.site.api_client.get(path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.site.api_client.post(
            path,
            json=json if json is not None else {},
            headers={"Authorization": f"Bearer {self.token}"},
            **kwargs,
        )

    @property
    def browser(self) -> TestClient:
        if self._client is None:
            self._client = self.site.stack.enter_context(app_client(self.site.app))
            self.csrf = login(self._client, self.username)
        return self._client

    def relogin(self) -> None:
        """Sign in again (after the clock moved past the session's idle timeout)."""
        self.csrf = login(self.browser, self.username)

    def page(self, path: str):
        return self.browser.get(path)

    def submit(self, path: str, data: dict[str, Any], files: Any = None):
        client = self.browser
        return client.post(path, data={**data, "csrf_token": self.csrf}, files=files, follow_redirects=False)


class Site:
    def __init__(self, app: Any, clock: FakeClock, stack: ExitStack) -> None:
        self.app = app
        self.clock = clock
        self.stack = stack
        self.api_client = stack.enter_context(app_client(app))
        self.people: dict[str, Person] = {}

    def __call__(self, username: str) -> Person:
        if username not in self.people:
            self.people[username] = Person(self, username)
        return self.people[username]

    # ---------------------------------------------------------------- workflow helpers

    def instance(self, leave_id: int) -> Instance:
        return Instance.get(
            (Instance.plugin == "leave")
            & (Instance.object_type == "request")
            & (Instance.object_id == str(leave_id))
        )

    def open_items(self, leave_id: int) -> list[WorkItem]:
        instance = self.instance(leave_id)
        return list(
            WorkItem.select()
            .where((WorkItem.instance == instance) & (WorkItem.kind == "todo") & (WorkItem.state == "open"))
            .order_by(WorkItem.id)
        )

    def handlers(self, leave_id: int) -> list[tuple[str, str]]:
        """(step, username) of the open items."""
        return [(i.step, i.assignee.username) for i in self.open_items(leave_id)]

    def approve_all(self, leave_id: int) -> list[tuple[str, str]]:
        """Approve step after step through the core's workflow API; return who approved which step."""
        walked = []
        for _ in range(6):
            items = self.open_items(leave_id)
            if not items:
                return walked
            item = items[0]
            who = self(item.assignee.username)
            response = who.post(f"/api/v1/core/workflow/items/{item.id}/approve", {"opinion": "同意。"})
            assert response.status_code == 200, response.text
            walked.append((item.step, who.username))
        raise AssertionError("workflow did not finish")

    def set_record(self, username: str, work_start: str, service_start: str = "", rank: str = "") -> None:
        response = self("hr").post(
            f"/api/v1/leave/hr/{username}",
            {"work_start": work_start, "service_start": service_start, "rank": rank},
        )
        assert response.status_code == 200, response.text

    def file(self, username: str, expect: int = 201, **data: Any) -> dict[str, Any]:
        data.setdefault("reason", "家中有事")
        response = self(username).post("/api/v1/leave/requests", data)
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from argon2 import PasswordHasher

    # the module's accounts are made before the function-scoped cheap_password_hashing applies
    patch = pytest.MonkeyPatch()
    patch.setattr(
        "officium.core.identity.passwords._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    clock = FakeClock(START)
    app = make_site(tmp_path_factory.mktemp("leave") / "site", plugins=["leave", "delegation"], clock=clock)
    with ExitStack() as stack:
        try:
            bureau = add_unit(app, "JYJ", "检验检疫局", kind="bureau")
            leaders = add_unit(app, "LD", "局领导", parent=bureau)
            hr_unit = add_unit(app, "RSC", "人事处", parent=bureau)
            it = add_unit(app, "XXH", "信息化处", parent=bureau)
            section = add_unit(app, "XXH-WL", "网络科", kind="section", parent=it)
            add_user(app, "juzhang", name="王局长", unit=leaders, roles=[("leader", bureau)])
            add_user(
                app,
                "fuju",
                name="李副局长",
                unit=leaders,
                roles=[("supervising_leader", it), ("supervising_leader", hr_unit)],
            )
            add_user(app, "hr", name="林人事", unit=hr_unit, roles=["hr_officer"])
            add_user(app, "rscld", name="何处长", unit=hr_unit, roles=["leader"])
            add_user(app, "xxhld", name="范处长", unit=it, roles=["leader"])
            add_user(app, "clerk", name="石综合", unit=it, roles=["clerk"])
            add_user(app, "kezhang", name="金科长", unit=section, roles=["leader"])
            add_user(app, "keyuan", name="黎科员", unit=section)
            add_user(app, "monitor", name="流程管理员", unit=leaders, roles=["workflow_admin"])
            for username in STAFF:
                add_user(app, username, unit=it)
            yield Site(app, clock, stack)
        finally:
            stack.close()
            close_site(app)
            patch.undo()


@pytest.fixture(autouse=True)
def reset_clock(site: Site) -> Iterator[None]:
    site.clock.now = START
    yield
    site.clock.now = START
