"""Presence: the middleware marks a signed-in person present at most once per 10-minute slot."""

from __future__ import annotations

from datetime import date, datetime

from playhouse.schema_diff import diff_models

from officium.core.identity.tokens import issue_token
from officium.plugins.attendance.models import Presence
from officium.plugins.attendance.presence import record, slot_of
from officium.testing import app_client, login


def rows(user=None) -> list[tuple[int, date, int]]:
    query = Presence.select(Presence.user, Presence.day, Presence.slot).order_by(Presence.id)
    if user is not None:
        query = query.where(Presence.user == user)
    return [(r.user_id, r.day, r.slot) for r in query]


def test_migrations_match_the_models(app):
    assert not diff_models(app.db, app.registry.models["attendance"])


def test_slots_are_ten_minutes():
    assert slot_of(datetime(2026, 3, 2, 0, 0)) == 0
    assert slot_of(datetime(2026, 3, 2, 8, 29, 59)) == 50
    assert slot_of(datetime(2026, 3, 2, 8, 30)) == 51
    assert slot_of(datetime(2026, 3, 2, 23, 59)) == 143


def test_many_requests_in_one_slot_make_one_row(app, bureau, client, clock):
    login(client, "zhou")
    for _ in range(25):
        assert client.get("/").status_code == 200
    clock.advance(minutes=9, seconds=59)  # 08:09:59, still the slot 08:00–08:09
    client.get("/attendance/me")
    assert rows(bureau.zhou) == [(bureau.zhou.id, date(2026, 3, 2), 48)]
    clock.advance(seconds=1)  # 08:10: the next slot
    client.get("/")
    client.get("/")
    assert rows(bureau.zhou) == [
        (bureau.zhou.id, date(2026, 3, 2), 48),
        (bureau.zhou.id, date(2026, 3, 2), 49),
    ]


def test_each_person_gets_their_own_row(app, bureau, clock):
    with app_client(app) as a, app_client(app) as b:
        login(a, "zhou")
        login(b, "hu")
        for _ in range(5):
            a.get("/")
            b.get("/")
    assert sorted(rows()) == sorted(
        [(bureau.zhou.id, date(2026, 3, 2), 48), (bureau.hu.id, date(2026, 3, 2), 48)]
    )


def test_refused_requests_of_a_signed_in_user_count_too(app, bureau, client, clock):
    login(client, "hu")
    clock.advance(minutes=10)
    assert client.get("/attendance/").status_code == 403  # hu may not open the unit report
    assert client.get("/attendance/people/999").status_code == 404
    assert rows(bureau.hu) == [(bureau.hu.id, date(2026, 3, 2), 48), (bureau.hu.id, date(2026, 3, 2), 49)]


def test_anonymous_requests_record_nothing(app, bureau, client):
    assert client.get("/login").status_code == 200
    assert client.get("/attendance/me", follow_redirects=False).status_code == 303
    assert rows() == []


def test_api_token_requests_are_not_presence(app, bureau):
    with app.db.atomic():
        token = issue_token(bureau.zhou, "集成", app.clock())
    with app_client(app) as client:
        response = client.get(
            f"/api/v1/attendance/people/{bureau.zhou.id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
    assert rows() == []


def test_a_second_worker_writing_the_same_slot_adds_no_row(app, bureau, clock):
    # Each worker process remembers only its own writes; the unique index absorbs the rest.
    record(app, bureau.zhou.id, clock())
    record(app, bureau.zhou.id, clock())
    assert rows() == [(bureau.zhou.id, date(2026, 3, 2), 48)]
    with app_client(app) as client:
        login(client, "zhou")
        client.get("/")
    assert rows() == [(bureau.zhou.id, date(2026, 3, 2), 48)]
