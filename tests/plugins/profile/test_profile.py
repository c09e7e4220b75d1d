"""个人设置 (the ``profile`` plugin) through HTTP: overview, second factor, own sessions."""

from __future__ import annotations

import re

import pytest
from playhouse.schema_diff import diff_models

from officium.core.audit import AuditEntry
from officium.core.identity.models import LoginRecord, Session, User
from officium.core.identity.sessions import COOKIE_NAME, session_label
from officium.testing import TEST_PASSWORD, add_unit, add_user, app_client, csrf_from, login


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["profile"])


@pytest.fixture
def office(app):
    return add_unit(app, "BGS", "办公室")


@pytest.fixture
def zhou(app, office):
    return add_user(app, "zhou", name="周静", unit=office, roles=["clerk"])


def fresh(user: User) -> User:
    return User.get_by_id(user.id)


def signed_in(client) -> bool:
    """Whether the client's session cookie still opens a signed-in page."""
    response = client.get("/profile/", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def labels_of(user: User) -> set[str]:
    return {session_label(s) for s in Session.select().where(Session.user == user)}


def test_migrations_match_the_models(app):
    assert not diff_models(app.db, app.registry.models["profile"])


def test_menu_item_under_personal_affairs(app, client, zhou):
    login(client, "zhou")
    html = client.get("/").text
    nav = html.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    section = nav.split(">个人事务</h2>", 1)[1].split("</section>", 1)[0]
    assert re.search(r'<a href="/profile/"[^>]*>个人设置</a>', section)


def test_the_top_bar_links_to_personal_settings(app, client, zhou):
    login(client, "zhou")
    userbar = client.get("/").text.split('class="userbar"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'<a href="/profile/"[^>]*>个人设置</a>', userbar)


def test_anonymous_is_sent_to_login(client):
    for path in ("/profile/", "/profile/mfa", "/profile/sessions", "/profile/opinions"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/profile/opinions").status_code == 401


def test_overview_shows_the_account_roles_and_recent_sign_ins(app, client, zhou, office, clock):
    section = add_unit(app, "BGS1", "秘书科", kind="section", parent=office)
    from officium.core.identity.accounts import grant_role

    with app.db.atomic():
        grant_role(app.registry, zhou, "leader", section)
        User.update(position="副主任").where(User.id == zhou.id).execute()
    # A wrong password first, then the real sign-in a minute later.
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"username": "zhou", "password": "wrong-one", "csrf_token": token})
    clock.advance(minutes=1)
    login(client, "zhou")
    html = client.get("/profile/").text
    assert "周静" in html and "zhou" in html and "办公室" in html and "副主任" in html
    roles = html.split('data-testid="roles">', 1)[1].split("</td>", 1)[0]
    assert "综合人员（办公室）" in roles
    assert "单位负责人（秘书科）" in roles
    assert "工作人员" in roles
    logins = html.split('data-testid="logins">', 1)[1].split("</table>", 1)[0]
    rows = logins.split("<tr>")[2:]
    assert len(rows) == 2
    assert "2026-03-02 09:01" in rows[0] and "成功" in rows[0]
    assert "2026-03-02 09:00" in rows[1] and "密码错误" in rows[1]


def test_overview_lists_only_the_users_own_sign_ins(app, client, zhou):
    add_user(app, "hu", name="胡晶")
    with app_client(app) as other:
        login(other, "hu")
    login(client, "zhou")
    assert LoginRecord.select().count() == 2
    html = client.get("/profile/").text
    logins = html.split('data-testid="logins">', 1)[1].split("</table>", 1)[0]
    assert len(logins.split("<tr>")[2:]) == 1


def test_password_change_is_the_core_page(app, client, zhou):
    login(client, "zhou")
    html = client.get("/profile/").text
    assert 'href="/password"' in html
    assert client.get("/profile/password").status_code == 404


# ------------------------------------------------------------------------------------------------ TOTP


def test_mfa_page_shows_the_status_and_links_to_enrolment(app, client, zhou):
    login(client, "zhou")
    html = client.get("/profile/mfa").text
    assert "未绑定" in html and 'href="/mfa/setup"' in html
    assert 'action="/profile/mfa/disable"' not in html


def test_disabling_mfa_needs_the_current_password(app, client, office):
    user = add_user(app, "wang", unit=office, totp=True)
    token = login(client, "wang")
    html = client.get("/profile/mfa").text
    assert "已绑定" in html and 'action="/profile/mfa/disable"' in html and "data-confirm" in html

    wrong = client.post("/profile/mfa/disable", data={"current": "Not@ThePass9", "csrf_token": token})
    assert wrong.status_code == 400
    assert "当前密码不正确" in wrong.text
    assert fresh(user).totp_secret != ""
    refused = AuditEntry.get(AuditEntry.action == "profile.mfa.disable")
    assert refused.result == "refused"

    ok = client.post(
        "/profile/mfa/disable",
        data={"current": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/profile/mfa?done=mfa_disabled"
    assert fresh(user).totp_secret == ""
    assert "已解除身份验证器绑定" in client.get(ok.headers["location"]).text
    done = (
        AuditEntry.select().where(AuditEntry.action == "profile.mfa.disable").order_by(AuditEntry.id.desc())
    )
    assert done.first().result == "ok"
    # Signing in again takes the password alone.
    with app_client(app) as other:
        token = csrf_from(other.get("/login").text)
        answer = other.post(
            "/login",
            data={"username": "wang", "password": TEST_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and COOKIE_NAME in other.cookies


def test_disabling_mfa_without_csrf_token_is_refused(app, client, office):
    user = add_user(app, "wang", unit=office, totp=True)
    login(client, "wang")
    response = client.post("/profile/mfa/disable", data={"current": TEST_PASSWORD})
    assert response.status_code == 403
    assert fresh(user).totp_secret != ""


def test_disabling_mfa_when_not_enrolled_is_a_400(app, client, zhou):
    token = login(client, "zhou")
    response = client.post("/profile/mfa/disable", data={"current": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 400
    assert "没有绑定" in response.text


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_administrators_cannot_disable_mfa(app, client, role):
    admin = add_user(app, "admin1", roles=[role])
    token = login(client, "admin1")
    page = client.get("/profile/mfa")
    assert page.status_code == 200
    assert "不能解除绑定" in page.text
    assert 'action="/profile/mfa/disable"' not in page.text
    response = client.post("/profile/mfa/disable", data={"current": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 403
    assert "必须使用动态口令" in response.text
    assert fresh(admin).totp_secret != ""


# -------------------------------------------------------------------------------------------- sessions


def test_sessions_page_lists_own_sessions_and_marks_the_current_one(app, zhou):
    add_user(app, "hu")
    with app_client(app) as phone, app_client(app) as desk, app_client(app) as stranger:
        login(phone, "zhou")
        login(stranger, "hu")
        login(desk, "zhou")
        html = desk.get("/profile/sessions", headers={"user-agent": "whatever"}).text
    table = html.split('data-testid="sessions">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-session=") == 2  # hu's session is not listed
    assert labels_of(zhou) == set(part.split('"', 1)[0] for part in table.split('data-session="')[1:])
    assert table.count("当前会话") == 1
    assert "2026-03-02 09:00" in table
    assert "testclient" in table  # the IP address the server saw


def test_device_names_come_from_the_user_agent():
    from officium.plugins.profile.routes import device_of

    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    assert device_of(chrome) == "Chrome · Windows"
    assert (
        device_of("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        == "Firefox · Linux"
    )
    assert device_of("") == "（未提供）"
    assert device_of("curl/8.0") == "未知设备"


def test_ending_one_own_session_refuses_its_cookie_afterwards(app, zhou):
    with app_client(app) as phone, app_client(app) as desk:
        login(phone, "zhou")
        phone_label = labels_of(zhou)
        token = login(desk, "zhou")
        (phone_label,) = phone_label
        response = desk.post(
            f"/profile/sessions/{phone_label}/end", data={"csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/profile/sessions?done=session_ended"
        assert phone_label not in labels_of(zhou)
        assert not signed_in(phone)
        assert signed_in(desk)
    entry = AuditEntry.get(AuditEntry.action == "profile.session.end")
    assert entry.object_id == phone_label


def test_ending_the_current_session_by_its_label_signs_out(app, client, zhou):
    token = login(client, "zhou")
    (label,) = labels_of(zhou)
    response = client.post(
        f"/profile/sessions/{label}/end", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert labels_of(zhou) == set()
    assert not signed_in(client)


def test_another_users_session_label_is_404_and_ends_nothing(app, client, zhou):
    hu = add_user(app, "hu")
    with app_client(app) as other:
        login(other, "hu")
        (label,) = labels_of(hu)
        token = login(client, "zhou")
        for target in (label, "0123456789abcdef", "not-a-label", label.upper()):
            response = client.post(f"/profile/sessions/{target}/end", data={"csrf_token": token})
            assert response.status_code == 404
        assert labels_of(hu) == {label}
        assert signed_in(other)


def test_ending_all_other_sessions_keeps_only_this_one(app, zhou):
    hu = add_user(app, "hu")
    with (
        app_client(app) as one,
        app_client(app) as two,
        app_client(app) as this,
        app_client(app) as strangers,
    ):
        login(one, "zhou")
        login(two, "zhou")
        login(strangers, "hu")
        token = login(this, "zhou")
        assert len(labels_of(zhou)) == 3
        page = this.get("/profile/sessions").text
        assert "结束其他全部会话（2 个）" in page
        response = this.post(
            "/profile/sessions/end-others", data={"csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert "已结束其他 2 个会话" in this.get(response.headers["location"]).text
        assert not signed_in(one)
        assert not signed_in(two)
        assert signed_in(this)
        assert signed_in(strangers)
        assert len(labels_of(zhou)) == 1 and len(labels_of(hu)) == 1


def test_expired_sessions_are_not_listed(app, zhou, clock):
    with app_client(app) as old, app_client(app) as new:
        login(old, "zhou")
        clock.advance(minutes=29)
        login(new, "zhou")
        clock.advance(minutes=2)  # the first session is now idle for 31 minutes
        html = new.get("/profile/sessions").text
    assert html.count("<tr data-session=") == 1
