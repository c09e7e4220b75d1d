"""Who reads what: a column's readers, an announcement's own scope (two units), roles, sub-units; a reader
outside the scope finds nothing in the lists and gets 404 by id (page, API, attachment)."""

from __future__ import annotations

from playhouse.schema_diff import diff_models

from tests.plugins.bulletin.conftest import api, board_ids, draft, make_column


def test_migrations_match_the_models(bureau):
    assert not diff_models(bureau.app.db, bureau.app.registry.models["bulletin"])


def test_a_column_read_by_one_unit_is_hidden_from_the_others(bureau, people):
    office = people("wu")
    column = make_column(office, "人事动态", readers={"units": ["RSC"]}, publishers={"roles": ["clerk"]})
    zhou = people("zhou")
    notice = draft(zhou, column, "人事处内部通知", submit=True)
    assert notice["state"] == "published"

    for username in ("qian", "ke"):  # 人事处 and its 一科
        reader = people(username)
        assert notice["id"] in board_ids(reader)
        assert reader.get(f"/bulletin/{notice['id']}").status_code == 200

    outsider = people("sun")  # 财务处
    assert notice["id"] not in board_ids(outsider)
    assert notice["id"] not in board_ids(outsider, column=column)
    assert outsider.get(f"/bulletin/{notice['id']}").status_code == 404
    assert api(outsider, "GET", f"/announcements/{notice['id']}").status_code == 404
    assert api(outsider, "POST", f"/announcements/{notice['id']}/confirm").status_code == 404
    page = outsider.get("/bulletin/")
    assert "人事处内部通知" not in page.text
    assert "人事动态" not in page.text  # the column itself is not offered to those who do not read it


def test_an_announcement_published_to_two_units(bureau, people):
    zhou = people("zhou")
    notice = draft(
        zhou,
        _everyone_column(people),
        "人事处与财务处联合通知",
        scope={"units": ["RSC", "CWC"]},
        submit=True,
    )
    for username in ("qian", "sun", "ke"):
        assert notice["id"] in board_ids(people(username)), username
    office_leader = people("liu")  # 办公室 is not in the scope, although the column is read by everybody
    assert notice["id"] not in board_ids(office_leader)
    assert office_leader.get(f"/bulletin/{notice['id']}").status_code == 404
    # the office (公告管理员) manages every announcement
    assert people("wu").get(f"/bulletin/{notice['id']}").status_code == 200


def test_a_scope_by_role(bureau, people):
    zhou = people("zhou")
    notice = draft(zhou, _everyone_column(people), "致各单位负责人", scope={"roles": ["leader"]}, submit=True)
    assert notice["id"] in board_ids(people("zhao"))
    assert notice["id"] in board_ids(people("liu"))
    clerk = people("li")
    assert notice["id"] not in board_ids(clerk)
    assert clerk.get(f"/bulletin/{notice['id']}").status_code == 404


def test_drafts_are_seen_by_their_author_only(bureau, people):
    zhou = people("zhou")
    notice = draft(zhou, _everyone_column(people), "还在起草的通知")
    assert notice["state"] == "draft"
    assert zhou.get(f"/bulletin/{notice['id']}").status_code == 200
    qian = people("qian")
    assert notice["id"] not in board_ids(qian)
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 404
    assert qian.get(f"/bulletin/{notice['id']}/edit").status_code == 404
    assert qian.post(f"/bulletin/{notice['id']}/submit", data={"csrf_token": qian.csrf}).status_code == 404


def test_publishing_needs_the_columns_publishing_scope(bureau, people):
    qian = people("qian")  # staff, not a clerk: the default columns let 综合人员 publish
    response = api(
        qian, "POST", "/announcements", json={"column": _everyone_column(people), "title": "x", "body": "y"}
    )
    assert response.status_code == 400
    assert "column" in response.json()["error"]["fields"]
    assert qian.get("/bulletin/new").status_code == 403


def test_the_office_manages_columns_and_nobody_else(bureau, people):
    zhou = people("zhou")
    assert zhou.get("/bulletin/columns").status_code == 403
    assert api(zhou, "POST", "/columns", json={"name": "x"}).status_code == 403
    office = people("wu")
    page = office.post(
        "/bulletin/columns/new",
        data={"csrf_token": office.csrf, "name": "", "approval": "leader", "readers_all": "1"},
    )
    assert page.status_code == 400
    assert "请填写栏目名称" in page.text
    page = office.post(
        "/bulletin/columns/new",
        data={
            "csrf_token": office.csrf,
            "name": "党建园地",
            "approval": "office",
            "active": "1",
            "readers_all": "1",
            "publishers_units": ["BGS"],
        },
        follow_redirects=False,
    )
    assert page.status_code == 303
    listed = office.get("/bulletin/columns").text
    assert "党建园地" in listed and "办公室审核" in listed


_COLUMN: dict[str, int] = {}


def _everyone_column(people) -> int:
    """A column read by everybody, without approval, 综合人员 publish (made once per site)."""
    if "all" not in _COLUMN:
        _COLUMN["all"] = make_column(people("wu"), "综合信息")
    return _COLUMN["all"]


def test_the_office_changes_a_column_and_its_readers_follow(bureau, people):
    office = people("wu")
    column = make_column(office, "可改栏目")
    notice = draft(people("li"), column, "范围随栏目变化的公告", submit=True)
    qian = people("qian")
    assert notice["id"] in board_ids(qian)
    form = office.get(f"/bulletin/columns/{column}")
    assert form.status_code == 200 and 'value="可改栏目"' in form.text
    changed = office.post(
        f"/bulletin/columns/{column}",
        data={
            "csrf_token": office.csrf,
            "name": "可改栏目",
            "approval": "none",
            "active": "1",
            "readers_units": ["CWC"],
            "publishers_roles": ["clerk"],
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert notice["id"] not in board_ids(qian)
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 404
    assert notice["id"] in board_ids(people("sun"))
    assert office.get("/bulletin/columns/99999").status_code == 404

    stopped = api(
        office,
        "POST",
        f"/columns/{column}",
        json={
            "name": "可改栏目",
            "approval": "none",
            "active": False,
            "readers": {"all": True},
            "publishers": {"all": True},
        },
    )
    assert stopped.status_code == 200 and stopped.json()["active"] is False
    sun = people("sun")
    assert notice["id"] not in board_ids(sun)
    assert sun.get(f"/bulletin/{notice['id']}").status_code == 404
