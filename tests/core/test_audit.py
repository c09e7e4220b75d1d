"""The audit log: append-only, hash-chained, in the same transaction as the change."""

from __future__ import annotations

import pytest
from peewee import PostgresqlDatabase

from officium import Page, Permission, hookimpl
from officium.core import audit
from officium.core.audit import AuditEntry, verify_chain
from officium.core.db import write_transaction
from officium.core.web.views import redirect
from officium.testing import add_user, app_client, csrf_from, login, make_plugin


def append(app, n, actor=None):
    for i in range(n):
        with write_transaction(app.db):
            audit.record(app, "core.test", actor=actor, summary=f"第 {i} 条", detail={"i": i})


def test_chain_verifies_and_counts(app):
    append(app, 5, actor=add_user(app, "a1"))
    report = verify_chain(app)
    assert report.ok and report.checked == 5
    assert [e.prev_hash for e in AuditEntry.select().order_by(AuditEntry.id)][1:] == [
        e.hash for e in AuditEntry.select().order_by(AuditEntry.id)
    ][:-1]


@pytest.mark.parametrize(
    "statement", ["UPDATE core_audit SET summary = 'x' WHERE id = 2", "DELETE FROM core_audit WHERE id = 3"]
)
def test_update_and_delete_are_refused_by_the_database(app, statement):
    append(app, 3)
    with pytest.raises(Exception, match="append-only"):
        with write_transaction(app.db):
            app.db.execute_sql(statement)
    assert verify_chain(app).ok


def _without_triggers(app, statement):
    """Tamper the way an attacker with raw database access would: drop the guards, then edit."""
    with write_transaction(app.db):
        app.db.execute_sql("DROP TRIGGER core_audit_no_update" + (" ON core_audit" if _pg(app) else ""))
        app.db.execute_sql("DROP TRIGGER core_audit_no_delete" + (" ON core_audit" if _pg(app) else ""))
        app.db.execute_sql(statement)


def _pg(app):
    return isinstance(app.db, PostgresqlDatabase)


@pytest.mark.parametrize(
    ("statement", "bad_id"),
    [
        ("UPDATE core_audit SET summary = '改过了' WHERE id = 2", 2),
        ("UPDATE core_audit SET actor = 99 WHERE id = 4", 4),
        ("DELETE FROM core_audit WHERE id = 3", 4),
        ("DELETE FROM core_audit WHERE id = 5", None),
    ],
)
def test_tampering_is_detected(app, statement, bad_id):
    append(app, 5)
    _without_triggers(app, statement)
    report = verify_chain(app)
    assert not report.ok
    assert report.first_bad_id == bad_id


def test_every_successful_unsafe_request_is_audited_in_its_transaction(site_factory):
    def save(request):
        return redirect("/")

    def fail(request):
        with write_transaction(request.state.app.db):
            audit.record(request.state.app, "notes.attempt", request=request)
        raise RuntimeError("boom")

    class Hooks:
        @hookimpl
        def register_permissions(self, app):
            return [Permission("notes.write", "写", default_roles=("staff",))]

        @hookimpl
        def register_routes(self, app):
            return [
                Page("/save", save, "save", "notes.write", methods=("POST",)),
                Page("/fail", fail, "fail", "notes.write", methods=("POST",)),
            ]

    app = site_factory(extra_plugins=[make_plugin("notes", Hooks())])
    add_user(app, "zhang", name="张三")
    with app_client(app, raise_server_exceptions=False) as client:
        token = login(client, "zhang")
        before = AuditEntry.select().count()
        assert (
            client.post("/notes/save", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        )
        entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
        assert (entry.action, entry.actor_name, entry.summary) == (
            "notes.save",
            "张三(zhang)",
            "POST /notes/save",
        )
        assert AuditEntry.select().count() == before + 1
        assert client.post("/notes/fail", data={"csrf_token": token}).status_code == 500
        assert AuditEntry.select().where(AuditEntry.action == "notes.attempt").count() == 0
    assert verify_chain(app).ok


def test_logins_are_audited_with_result(app, client):
    add_user(app, "li")
    token = login(client, "li")
    client.post("/logout", data={"csrf_token": token})
    anon = csrf_from(client.get("/login").text)
    client.post("/login", data={"username": "li", "password": "nope", "csrf_token": anon})
    actions = [(e.action, e.result) for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == [("core.login", "ok"), ("core.logout", "ok"), ("core.login", "refused")]


def test_purge_refuses_records_younger_than_180_days_and_keeps_the_chain(app, clock, tmp_path):
    import csv as csv_module
    from datetime import timedelta

    from officium.core.audit import RetentionError, purge

    append(app, 3)
    clock.advance(days=200)
    append(app, 2)
    with pytest.raises(RetentionError, match="至少保留 180 天"):
        with open(tmp_path / "young.csv", "w") as fh:
            purge(app, clock() - timedelta(days=179), fh)
    assert AuditEntry.select().count() == 5
    with open(tmp_path / "old.csv", "w", newline="") as fh:
        assert purge(app, clock() - timedelta(days=181), fh) == 3
    archived = list(csv_module.reader(open(tmp_path / "old.csv", newline="")))
    assert [row[0] for row in archived[1:]] == ["1", "2", "3"]
    remaining = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert remaining == ["core.test", "core.test", "core.audit.purge"]
    assert verify_chain(app).ok
    with pytest.raises(Exception, match="append-only"):  # the guards are back
        with write_transaction(app.db):
            app.db.execute_sql("DELETE FROM core_audit")


def test_purge_cli_writes_the_archive_and_refuses_young_dates(app, clock, tmp_path):
    from datetime import datetime, timedelta

    from click.testing import CliRunner

    from officium.cli import main

    append(app, 2)
    runner = CliRunner()
    site = str(app.config.site_dir)
    recent = (datetime.now() - timedelta(days=10)).strftime("%Y-%m-%d")  # the CLI runs on the real clock
    young = runner.invoke(
        main,
        ["--site", site, "audit", "purge", "--before", recent, "--archive", str(tmp_path / "a.csv")],
    )
    assert young.exit_code != 0 and "至少保留 180 天" in young.output
    assert not (tmp_path / "a.csv").exists()
