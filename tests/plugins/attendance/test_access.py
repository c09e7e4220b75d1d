"""Who sees whose attendance: leaders their units and sub-units, 三员 auditor and sysadmin all, staff themselves."""

from __future__ import annotations

import pytest

from officium.testing import add_user, app_client, login


def people_in(client, query: str = "") -> set[str]:
    response = client.get(f"/api/v1/attendance/report?per_page=100{query}")
    assert response.status_code == 200
    return {p["username"] for p in response.json()["items"]}


def page_people(html: str) -> set[str]:
    return set(part.split('"', 1)[0] for part in html.split('data-person="')[1:])


def test_a_leader_sees_the_unit_and_its_sub_units_only(app, bureau):
    with app_client(app) as client:
        login(client, "li")
        assert people_in(client) == {"zhou", "hu", "sun", "li"}
        assert page_people(client.get("/attendance/").text) == {"zhou", "hu", "sun", "li"}
        assert people_in(client, f"&unit={bureau.msk.id}") == {"sun"}
        # Another unit, and the bureau above, are refused as if they did not exist.
        for unit in (bureau.rsc, bureau.ju):
            assert client.get(f"/attendance/?unit={unit.id}").status_code == 404
            assert client.get(f"/api/v1/attendance/report?unit={unit.id}").status_code == 404
            assert client.get(f"/attendance/export.csv?unit={unit.id}").status_code == 404
        assert client.get("/attendance/?unit=99999").status_code == 404
        # The unit filter offers only the leader's units.
        html = client.get("/attendance/").text
        assert "办公室" in html and "秘书科" in html and "人事处" not in html
        # Person pages: in reach, and out of reach.
        assert client.get(f"/attendance/people/{bureau.sun.id}").status_code == 200
        for path in (
            f"/attendance/people/{bureau.qian.id}",
            f"/attendance/people/{bureau.qian.id}/export.csv",
        ):
            assert client.get(path).status_code == 404
        assert client.get(f"/api/v1/attendance/people/{bureau.qian.id}").status_code == 404
        csv_text = client.get("/attendance/export.csv").content.decode("utf-8-sig")
        assert "zhou" in csv_text and "qian" not in csv_text and "wang" not in csv_text


def test_another_leader_sees_only_their_own_unit(app, bureau):
    with app_client(app) as client:
        login(client, "wang")
        assert people_in(client) == {"qian", "wang"}
        assert client.get(f"/attendance/people/{bureau.zhou.id}").status_code == 404


@pytest.mark.parametrize("role", ["supervising_leader", "deputy_leader"])
def test_leaders_of_several_units_see_each(app, bureau, role):
    add_user(app, "boss", unit=bureau.ju, roles=[(role, bureau.msk), (role, bureau.rsc)])
    with app_client(app) as client:
        login(client, "boss")
        assert people_in(client) == {"sun", "qian", "wang"}


def test_a_clerk_is_not_a_leader(app, bureau):
    with app_client(app) as client:
        login(client, "zhou")
        assert client.get("/attendance/").status_code == 403
        assert client.get("/api/v1/attendance/report").status_code == 403


@pytest.mark.parametrize("role", ["auditor", "sysadmin"])
def test_auditor_and_sysadmin_see_every_unit_but_are_not_listed(app, bureau, role):
    add_user(app, "admin1", roles=[role])
    add_user(app, "nowhere", name="无单位")
    with app_client(app) as client:
        login(client, "admin1")
        everyone = {"zhou", "hu", "sun", "qian", "li", "wang", "nowhere"}
        assert people_in(client) == everyone
        assert page_people(client.get("/attendance/").text) == everyone
        assert client.get(f"/attendance/?unit={bureau.rsc.id}").status_code == 200
        assert client.get(f"/attendance/people/{bureau.qian.id}").status_code == 200
        # Administrators are accounts, not staff: they have no page of their own.
        assert client.get("/attendance/me").status_code == 403


def test_the_security_administrator_sees_nothing(app, bureau):
    add_user(app, "sec", roles=["secadmin"])
    with app_client(app) as client:
        login(client, "sec")
        assert client.get("/attendance/").status_code == 403
        assert client.get(f"/attendance/people/{bureau.zhou.id}").status_code == 404
        assert client.get(f"/api/v1/attendance/people/{bureau.zhou.id}").status_code == 404


def test_staff_see_only_themselves(app, bureau):
    with app_client(app) as client:
        login(client, "hu")
        assert client.get("/attendance/").status_code == 403
        assert client.get("/attendance/export.csv").status_code == 403
        assert client.get("/api/v1/attendance/report").status_code == 403
        own = client.get("/attendance/me", follow_redirects=False)
        assert own.status_code == 303 and own.headers["location"] == f"/attendance/people/{bureau.hu.id}"
        assert client.get(own.headers["location"]).status_code == 200
        assert client.get(f"/attendance/people/{bureau.hu.id}/export.csv").status_code == 200
        assert client.get(f"/api/v1/attendance/people/{bureau.hu.id}").json()["username"] == "hu"
        for other in (bureau.zhou, bureau.li, bureau.qian):
            assert client.get(f"/attendance/people/{other.id}").status_code == 404
            assert client.get(f"/attendance/people/{other.id}/export.csv").status_code == 404
            response = client.get(f"/api/v1/attendance/people/{other.id}")
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused_everywhere(app, bureau, client):
    for path in (
        "/attendance/",
        "/attendance/me",
        f"/attendance/people/{bureau.hu.id}",
        "/attendance/export.csv",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/v1/attendance/report").status_code == 401
    assert client.get(f"/api/v1/attendance/people/{bureau.hu.id}").status_code == 401


def test_menu_links_to_the_report_or_to_ones_own_page(app, bureau):
    with app_client(app) as client:
        login(client, "li")
        nav = client.get("/").text.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
        assert 'href="/attendance/"' in nav and "在线考勤" in nav
    with app_client(app) as client:
        login(client, "hu")
        nav = client.get("/").text.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
        assert 'href="/attendance/me"' in nav and 'href="/attendance/"' not in nav
