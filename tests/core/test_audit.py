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
