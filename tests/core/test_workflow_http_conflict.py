"""Fifty people press 同意 on one document at the same moment, over real HTTP: exactly one wins.

The site is served by uvicorn — four servers in threads over the same database, each with its own
connection, so the transactions really overlap — and fifty signed-in clients post at once (a barrier
releases them together).  It runs on SQLite, and on PostgreSQL when OFFICIUM_TEST_DATABASE_URL is set
(the servers use the test site's own schema).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from officium import hookimpl
from officium.core import audit
from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, users
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from officium.testing import TEST_PASSWORD, add_unit, add_user, make_plugin
from tests.e2e.conftest import LiveServer

PEOPLE = [f"c{n:02d}" for n in range(50)]
SERVERS = 4


class Crowd:
    @hookimpl
    def register_workflows(self, app):
        return [
            Workflow(
                "crowd",
                "五十人任一办理",
                steps=(
                    Step("pick", "任一人审核", users(*PEOPLE), mode="any", days=1),
                    Step("final", "签发", users("boss")),
                ),
            )
        ]


def sign_in(base: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    answer = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, username
    session_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/password").text).group(1)
    return client, session_token


@pytest.fixture
def crowd_site(site_factory):
    app = site_factory(extra_plugins=[make_plugin("crowd", Crowd())])
    unit = add_unit(app, "BGS", "办公室")
    for username in [*PEOPLE, "boss", "writer"]:
        add_user(app, username, unit=unit)
    return app


def test_fifty_parallel_approvals_over_http_one_wins(crowd_site):
    app = crowd_site
    with write_transaction(app.db):
        instance = engine.start(
            app,
            "crowd.crowd",
            object_type="doc",
            object_id=1,
            title="五十人会办文件",
            url="/crowd/1",
            drafter=User.get(User.username == "writer"),
        )
    items = {i.assignee.username: i.id for i in WorkItem.select().where(WorkItem.instance == instance.id)}
    assert len(items) == 50
    audits_before = AuditEntry.select().count()
    with ExitStack() as stack:
        servers = [stack.enter_context(LiveServer(app)) for _ in range(SERVERS)]
        sessions = {
            username: sign_in(servers[n % SERVERS].url, username) for n, username in enumerate(PEOPLE)
        }
        for client, _ in sessions.values():
            stack.callback(client.close)
        audits_after_login = AuditEntry.select().count()
        assert audits_after_login == audits_before + 50  # one sign-in each
        barrier = threading.Barrier(len(PEOPLE))

        def press(username: str) -> httpx.Response:
            client, token = sessions[username]
            barrier.wait()  # everyone presses at the same moment
            return client.post(
                f"/workflow/items/{items[username]}/approve",
                data={"csrf_token": token, "opinion": f"{username} 同意", "next": instance.url},
            )

        with ThreadPoolExecutor(max_workers=len(PEOPLE)) as pool:
            answers = dict(zip(PEOPLE, pool.map(press, PEOPLE), strict=True))

    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [303] + [409] * 49
    (winner,) = [u for u, a in answers.items() if a.status_code == 303]
    for username, answer in answers.items():
        if username != winner:
            assert "操作冲突" in answer.text and "该事项已被处理" in answer.text, answer.text[:300]
    # one transition in the action log, the others' items taken away, the document moved on once
    approvals = list(
        ActionLog.select().where((ActionLog.instance == instance.id) & (ActionLog.action == "approve"))
    )
    assert [(a.actor.username, a.opinion) for a in approvals] == [(winner, f"{winner} 同意")]
    states = [
        i.state for i in WorkItem.select().where(WorkItem.instance == instance.id, WorkItem.step == "pick")
    ]
    assert sorted(states) == ["done"] + ["taken"] * 49
    moved = Instance.get_by_id(instance.id)
    assert moved.step == "final" and moved.version == instance.version + 1
    assert [
        i.assignee.username
        for i in WorkItem.select().where(WorkItem.instance == instance.id, WorkItem.step == "final")
    ] == ["boss"]
    # the audit log holds the one approval (nothing for the 49 refused posts) and its chain is intact
    added = list(AuditEntry.select().where(AuditEntry.id > audits_after_login).order_by(AuditEntry.id))
    assert [e.action for e in added] == ["crowd.workflow.approve"]
    assert audit.verify_chain(app).ok
