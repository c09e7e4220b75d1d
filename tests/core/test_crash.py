"""Crash safety on SQLite: the short kill-cycle run of tests/crash/harness.py, and a full disk during an
HTTP request.

SQLite only, on purpose (so the same on a PostgreSQL test run): the harness kills a process that writes to a
local database file, which SQLite's WAL with ``synchronous=FULL`` must survive; PostgreSQL's durability is the
server's, a killed client only loses its open transaction.  A full disk is simulated with
``PRAGMA max_page_count`` on the connection that serves the request.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from officium.core.audit import AuditEntry, verify_chain
from officium.core.workflow.models import ActionLog, WorkItem
from officium.testing import FakeClock, login
from tests.core import flows
from tests.crash import harness

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A site after 15 SIGKILL cycles of the harness, run as its own process; its JSON summary."""
    site = tmp_path_factory.mktemp("crash") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash.harness", str(site), "--cycles", "15", "--seed", "7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return site, json.loads(done.stdout.strip().splitlines()[-1])


def test_every_acknowledged_write_survives_fifteen_kills(crashed: tuple[Path, dict[str, Any]]) -> None:
    site, summary = crashed
    assert summary["cycles"] == 15
    assert summary["lost"] == [] and summary["half_applied"] == [] and summary["problems"] == []
    assert summary["integrity"] == "ok"
    # the children did real work between the kills: documents started, items approved, notes, files
    assert summary["acknowledged"]["start"] > 0 and summary["acknowledged"]["approve"] > 0
    # checked again from this process, on the files the killed children left
    again = harness.verify(site)
    assert again.ok, again.as_dict()
    assert sum(again.acknowledged.values()) == summary["acknowledged_total"]


def test_the_checks_find_a_lost_write_and_a_half_applied_approval(
    crashed: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    site = tmp_path / "copy"
    shutil.copytree(crashed[0], site)
    with (site / harness.ACK_NAME).open("a", encoding="utf-8") as fh:
        fh.write("approve 987654\nnote 98765")  # the torn last line is no acknowledgement
    conn = sqlite3.connect(site / "data" / "officium.db")
    with conn:
        victim = conn.execute(
            "SELECT id, instance_id FROM core_wf_log WHERE action = 'approve' LIMIT 1"
        ).fetchone()
        conn.execute("DELETE FROM core_wf_log WHERE id = ?", (victim[0],))
    conn.close()
    result = harness.verify(site)
    assert result.lost == ["approve 987654"]
    assert len(result.half_applied) == 1 and "items/log/audit approvals" in result.half_applied[0]
    assert not result.ok


# ------------------------------------------------------------------------------------------ disk full


@pytest.fixture
def full_disk_site(tmp_path: Path) -> Iterator[Any]:
    """A SQLite site (whatever the test database) with the flows plugin and a document at the leader."""
    from officium.core.app import create_app
    from officium.core.config import SiteConfig, write_config
    from officium.core.migrations_runner import upgrade

    write_config(tmp_path / "site", database_url="sqlite:///data/officium.db", enabled_plugins=[])
    app = create_app(
        SiteConfig.load(tmp_path / "site"),
        clock=FakeClock(),
        extra_plugins=[flows.make_plugin()],
        check_schema=False,
    )
    upgrade(app)
    flows.staff(app)
    yield app
    app.db.close()


def _fill_up(app: Any) -> None:
    """From now on the database may not grow: no free page, no new page (SQLITE_FULL on growth)."""
    app.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    app.db.execute_sql("VACUUM")
    pages = app.db.execute_sql("PRAGMA page_count").fetchone()[0]
    app.db._pragmas.append(("max_page_count", pages))  # every connection opened from now on


def _state(app: Any) -> tuple[int, int, int, list[tuple[str, str]]]:
    items = [(i.state, i.action) for i in WorkItem.select().order_by(WorkItem.id)]
    return AuditEntry.select().count(), ActionLog.select().count(), WorkItem.select().count(), items


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_full_disk_fails_the_request_cleanly_and_changes_nothing(full_disk_site: Any, via: str) -> None:
    app = full_disk_site
    instance = flows.start(app, "single", flows.User.get(flows.User.username == "writer"))
    item = WorkItem.get((WorkItem.instance == instance) & (WorkItem.state == "open"))
    with flows.app_client(app) as client:
        token = login(client, "leader")
        _fill_up(app)
        before = _state(app)
        # the request's thread keeps its connection: apply the limit there too
        client.portal.call(lambda: app.db.execute_sql(f"PRAGMA max_page_count = {app.db._pragmas[-1][1]}"))
        opinion = "同意。" + "办理意见很长，" * 4000  # far more than any free space: new pages are needed
        if via == "page":
            answer = client.post(
                f"/workflow/items/{item.id}/approve",
                data={"opinion": opinion, "csrf_token": token, "next": instance.url},
                follow_redirects=False,
            )
            assert answer.status_code == 503
            assert "存储空间已满" in answer.text and "Traceback" not in answer.text
            assert "<html" in answer.text.lower()
        else:
            answer = client.post(
                f"/api/v1/core/workflow/items/{item.id}/approve",
                json={"opinion": opinion},
                headers={"X-CSRF-Token": token},
            )
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "disk_full"
            assert "存储空间已满" in answer.json()["error"]["message"]
        after = _state(app)
        assert after == before
        assert app.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert verify_chain(app).ok
        # space again: the same action now succeeds, the database was left fully usable
        app.db._pragmas.pop()
        client.portal.call(lambda: app.db.execute_sql("PRAGMA max_page_count = 1073741823"))
        answer = client.post(
            f"/workflow/items/{item.id}/approve",
            data={"opinion": "同意。", "csrf_token": token, "next": instance.url},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert WorkItem.get_by_id(item.id).state == "done"
