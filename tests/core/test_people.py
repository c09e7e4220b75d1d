"""Finding people: the pinyin index, the people API behind the person picker, parsing the picker's value."""

from __future__ import annotations

import pytest

from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.identity.people import (
    PersonIndex,
    name_readings,
    people_by_username,
    refresh_person_index,
)
from officium.core.migrations_runner import migration_dirs, upgrade
from officium.testing import add_unit, add_user, login


def test_name_readings_give_initials_and_full_pinyin():
    initials, full = name_readings("王建国")
    assert "wjg" in initials.split()
    assert "wangjianguo" in full.split()
    assert name_readings("周静") == ("zj", "zhoujing")


def test_every_reading_of_the_surname_is_indexed():
    initials, full = name_readings("曾明")
    assert set(initials.split()) == {"zm", "cm"}
    assert "zengming" in full.split()


def test_creating_an_account_indexes_its_name(app):
    user = add_user(app, "wangjg", name="王建国")
    row = PersonIndex.get(PersonIndex.user == user)
    assert "wjg" in row.initials.split()
    assert "wangjianguo" in row.full_pinyin.split()


def test_refreshing_after_a_rename_replaces_the_row(app):
    user = add_user(app, "wangjg", name="王建国")
    User.update(name="李明").where(User.id == user.id).execute()
    refresh_person_index(User.get_by_id(user.id))
    assert [(r.initials, r.full_pinyin) for r in PersonIndex.select()] == [("lm", "liming")]


def test_the_migration_backfills_accounts_created_before_it(app):
    from playhouse.migrations import Runner

    runner = Runner(app.db, str(migration_dirs(app)["core"]), table_name="core_migrations")
    # Revert every migration after and including 0004 (later ones stack on top of it).
    reverted = runner.down("0004_person_index")
    assert reverted[-1] == "0004_person_index"
    assert "core_person_index" not in app.db.get_tables()
    with write_transaction(app.db):
        # An account made by the code of before the migration: no index row.
        User.insert(username="zhoujing", name="周静", created_at=app.clock()).execute()
    assert upgrade(app)["core"] == list(reversed(reverted))
    row = PersonIndex.select().join(User).where(User.username == "zhoujing").get()
    assert row.initials == "zj"
    assert "flash" in {c.name for c in app.db.get_columns("core_session")}


@pytest.mark.parametrize(
    ("text", "known", "unknown"),
    [
        ("wangjg, zhoujing", ["wangjg", "zhoujing"], []),
        ("zhoujing，wangjg、nobody", ["zhoujing", "wangjg"], ["nobody"]),
        ("  wangjg  wangjg ", ["wangjg"], []),
        ("", [], []),
    ],
)
def test_picker_text_resolves_to_people_in_order(app, text, known, unknown):
    add_user(app, "wangjg", name="王建国")
    add_user(app, "zhoujing", name="周静")
    people, missing = people_by_username(text)
    assert [p.username for p in people] == known
    assert missing == unknown


def test_disabled_accounts_are_not_resolved(app):
    add_user(app, "wangjg", name="王建国")
    User.update(status="disabled").where(User.username == "wangjg").execute()
    assert people_by_username("wangjg") == ([], ["wangjg"])


# ------------------------------------------------------------------------------------------- the API

API = "/api/v1/core/people"


@pytest.fixture
def bureau(app):
    office = add_unit(app, "BGS", "办公室")
    quarantine = add_unit(app, "WSJY", "卫生检疫处")
    add_user(app, "wangjg", name="王建国", unit=office)
    add_user(app, "zhoujing", name="周静", unit=quarantine)
    add_user(app, "limin", name="李敏", unit=quarantine)
    add_user(app, "sysadmin", name="系统管理员", roles=["sysadmin"])
    return office, quarantine


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["items"]]


def test_anonymous_is_refused_with_401(client):
    response = client.get(API, params={"q": "wjg"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_pinyin_initials_find_the_person(app, client, bureau):
    login(client, "zhoujing")
    body = client.get(API, params={"q": "wjg"}).json()
    assert body["items"] == [
        {
            "id": body["items"][0]["id"],
            "username": "wangjg",
            "name": "王建国",
            "unit": "办公室",
            "position": "",
        }
    ]
    assert body["total"] == 1


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("王建", ["王建国"]),
        ("WJG", ["王建国"]),
        ("zhouj", ["周静"]),
        ("limin", ["李敏"]),
        ("卫生检疫", ["周静", "李敏"]),
        ("nobody", []),
    ],
)
def test_name_username_pinyin_and_unit_match(app, client, bureau, q, expected):
    login(client, "zhoujing")
    assert sorted(names(client.get(API, params={"q": q}))) == sorted(expected)


def test_administrators_and_disabled_accounts_are_left_out(app, client, bureau):
    User.update(status="disabled").where(User.username == "limin").execute()
    login(client, "zhoujing")
    assert sorted(names(client.get(API))) == sorted(["王建国", "周静"])


def test_results_are_paginated(app, client, bureau):
    login(client, "zhoujing")
    body = client.get(API, params={"per_page": 2, "page": 2}).json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 2, 3, 1)


def test_an_overlong_query_is_refused(app, client, bureau):
    login(client, "zhoujing")
    response = client.get(API, params={"q": "王" * 65})
    assert response.status_code == 400
    assert "q" in response.json()["error"]["fields"]
