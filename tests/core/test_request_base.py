"""The statements every signed-in request runs (the request base), and the prepared queries behind them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from officium.core.identity.models import Session, Unit, User
from officium.core.identity.sessions import COOKIE_NAME, _session_with_user, find_session
from officium.core.prepared import prepared
from officium.testing import add_unit, add_user, app_client, login


@contextmanager
def recorded(app) -> Iterator[list[str]]:
    statements: list[str] = []
    real = app.db.execute_sql

    def recording(sql, *args, **kwargs):
        statements.append(sql)
        return real(sql, *args, **kwargs)

    app.db.execute_sql = recording
    try:
        yield statements
    finally:
        del app.db.execute_sql


def test_a_signed_in_request_reads_the_session_user_unit_and_roles_in_two_statements(app):
    office = add_unit(app, "BGS", "办公室")
    add_user(app, "zhang", name="张三", unit=office, roles=["clerk"])
    with app_client(app) as client:
        login(client, "zhang")
        client.get("/")  # the first page view may touch last_seen_at
        with recorded(app) as statements:
            page = client.get("/")
        assert page.status_code == 200 and "张三 · 办公室" in page.text  # the header shows the unit
        with recorded(app) as health:
            assert client.get("/health").status_code == 200
    assert not [s for s in statements if s.startswith('SELECT "t1"."id"') and '"core_unit"' in s]
    assert len(health) == 3  # session with user and unit, the roles, SELECT 1
    assert '"core_unit"' in health[0] and '"core_role_grant"' in health[1]


def test_the_prepared_session_lookup_makes_the_models_peewee_makes(app):
    office = add_unit(app, "BGS", "办公室")
    add_user(app, "zhang", name="张三", unit=office)
    add_user(app, "li", name="李四")  # no unit: the left join leaves user.unit empty
    with app_client(app) as client:
        for username in ("zhang", "li"):
            client.cookies.clear()
            login(client, username)
            token = client.cookies[COOKIE_NAME]
            expected = Session.select(Session, User).join(User).where(User.username == username).get()
            with recorded(app) as statements:
                session = find_session(app, token, app.clock())
                user = session.user
                unit_name = user.unit.name if user.unit_id else None
            assert len(statements) == 1
            assert session.__data__ == expected.__data__ and not session.dirty_fields
            assert user.__data__ == expected.user.__data__ and not user.dirty_fields
            assert unit_name == ("办公室" if username == "zhang" else None)
            if user.unit_id:
                assert isinstance(user.unit, Unit) and user.unit.__data__ == Unit.get_by_id(office.id).__data__
    assert find_session(app, "no such cookie", app.clock()) is None


def test_a_prepared_query_must_use_every_marker(app):
    with pytest.raises(ValueError, match="every marker"):
        prepared(app, "test.unused", lambda key, other: Session.select().where(Session.key == key), arity=2)
    # the SQL is built once per process and kept on the app
    first = prepared(app, "core.session", _session_with_user)
    assert prepared(app, "core.session", _session_with_user) is first
    assert app.process_state["core.prepared"]["core.session"] is first


def test_a_prepared_query_may_repeat_a_marker_and_returns_every_row(app):
    office = add_unit(app, "BGS", "办公室")
    add_user(app, "zhou", name="周明", unit=office)
    add_user(app, "wu", name="吴芳", unit=office)
    add_user(app, "li", name="李强")

    def build(unit, name):
        # ``unit`` twice: the same value compared in two places
        return (
            User.select(User, Unit)
            .join(Unit, on=(User.unit == Unit.id), attr="unit")
            .where((User.unit == unit) & ((Unit.id == unit) | (User.name == name)))
            .order_by(User.username)
        )

    statement = prepared(app, "test.repeat", build, arity=2)
    rows = statement.rows(office.id, "无此人")
    assert [u.username for u in rows] == ["wu", "zhou"]
    assert rows[0].unit.name == "办公室" and rows[0].__data__ == User.get(User.username == "wu").__data__
    assert statement.rows(office.id + 1000, "吴芳") == []
