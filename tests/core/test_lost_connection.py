"""A lost PostgreSQL connection (server restart, fail-over, a cut network — here ``pg_terminate_backend``):
a request that had written nothing runs again on a new connection; one that had is answered with a clean
503 in Chinese and leaves nothing behind; the next request works.

PostgreSQL only (``postgresql`` marker): SQLite has no connection to lose.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from starlette.responses import HTMLResponse

from officium import AUTHENTICATED, Api, Page, hookimpl
from officium.core.identity.models import Unit
from officium.core.web.errors import DATABASE_LOST
from officium.testing import TEST_DATABASE_ENV, add_user, app_client, login, make_plugin

pytestmark = pytest.mark.postgresql


def admin_connection() -> psycopg.Connection:
    import os

    url = re.sub(r"^postgres(ql)?://", "postgresql://", os.environ[TEST_DATABASE_ENV]).split("?")[0]
    return psycopg.connect(url, autocommit=True)


def terminate(pid: int) -> None:
    """What a database restart does to one connection, done from another connection."""
    with admin_connection() as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True


def backend_pid(request) -> int:
    return request.state.app.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def add_unit_then_lose_the_connection(request):
    """Writes, then its connection dies before the transaction commits."""
    Unit.create(
        code=request.state.form.get("code") or request.state.json["code"], name="半途", kind="department"
    )
    terminate(backend_pid(request))
    Unit.select().count()  # the first statement after the loss fails
    return HTMLResponse("不应到达这里")


def add_unit(request):
    Unit.create(code=request.state.form["code"], name="新单位", kind="department")
    return HTMLResponse("已创建", status_code=201)


class Probe:
    @hookimpl
    def register_routes(self, app):
        return [
            Page("/pid", lambda r: HTMLResponse(str(backend_pid(r))), "pid", AUTHENTICATED),
            Page("/unit", add_unit, "unit", AUTHENTICATED, methods=("POST",)),
            Page("/half", add_unit_then_lose_the_connection, "half", AUTHENTICATED, methods=("POST",)),
            Api("/half", add_unit_then_lose_the_connection, "half", AUTHENTICATED, methods=("POST",)),
        ]


@pytest.fixture(scope="module")
def probe_site(tmp_path_factory):
    from argon2 import PasswordHasher

    from officium.testing import close_site, make_site

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        app = make_site(tmp_path_factory.mktemp("lost"), extra_plugins=[make_plugin("probe", Probe())])
        add_user(app, "zhang")
        with app_client(app) as client:
            token = login(client, "zhang")
            yield app, client, token
        close_site(app)


def kill_the_servers_connection(client) -> int:
    pid = int(client.get("/probe/pid").text)
    terminate(pid)
    return pid


def test_a_reading_request_is_retried_on_a_new_connection(probe_site, caplog):
    _, client, _ = probe_site
    before = kill_the_servers_connection(client)
    page = client.get("/")  # the session lookup is the first statement to meet the dead connection
    assert page.status_code == 200 and "zhang" in page.text
    assert int(client.get("/probe/pid").text) != before
    assert "the database connection was lost" in caplog.text


def test_a_write_that_had_not_started_is_retried_and_applied_once(probe_site):
    _, client, token = probe_site
    kill_the_servers_connection(client)
    answer = client.post("/probe/unit", data={"csrf_token": token, "code": "RETRY"})
    assert answer.status_code == 201 and answer.text == "已创建"
    assert Unit.select().where(Unit.code == "RETRY").count() == 1


def test_a_request_that_had_written_gets_a_clean_503_and_nothing_is_applied(probe_site):
    _, client, token = probe_site
    answer = client.post("/probe/half", data={"csrf_token": token, "code": "HALF"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert DATABASE_LOST in answer.text and "Traceback" not in answer.text
    assert "text/html" in answer.headers["content-type"]
    assert Unit.select().where(Unit.code == "HALF").count() == 0  # the server rolled the write back
    assert client.get("/").status_code == 200  # and the next request works


def test_the_api_answers_the_standard_json_error(probe_site):
    _, client, token = probe_site
    answer = client.post("/api/v1/probe/half", json={"code": "HALF-API"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 503
    assert answer.json() == {"error": {"code": "unavailable", "message": DATABASE_LOST}}
    assert Unit.select().where(Unit.code == "HALF-API").count() == 0
    assert client.get("/probe/pid").status_code == 200


def test_a_job_worker_thread_gets_a_new_connection_after_losing_one(probe_site):
    """A worker thread whose connection died fails that one task, then carries on with a new connection."""
    from peewee import OperationalError

    from officium.core.jobs import JobRun, build_queue

    app, _, _ = probe_site
    run_job = build_queue(app).officium_tasks["run_job"]
    terminate(app.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])  # this thread's connection
    with pytest.raises(OperationalError):
        run_job.call_local("core.workflow_deadlines")
    run_job.call_local("core.workflow_deadlines")
    (run,) = JobRun.select().where(JobRun.name == "core.workflow_deadlines")
    assert run.ok
