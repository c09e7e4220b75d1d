"""The security baseline: lockout, one-time and expiring passwords, history, TOTP, session limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from officium.core.db import write_transaction
from officium.core.identity import totp
from officium.core.identity.accounts import grant_role, reset_password, set_status
from officium.core.identity.login import LOGIN_FAILED
from officium.core.identity.models import Session, User
from officium.core.identity.policy import SecurityPolicy, load_policy, save_policy, validate_policy
from officium.core.identity.sessions import COOKIE_NAME
from officium.testing import TEST_PASSWORD, add_user, app_client, csrf_from, login


def attempt(client, username, password, code=""):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "code": code, "csrf_token": token},
        follow_redirects=False,
    )


def alert(response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text)
    return found.group(1) if found else ""


# ------------------------------------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_for_fifteen_minutes(app, client, clock):
    add_user(app, "zhang")
    for _ in range(5):
        assert alert(attempt(client, "zhang", "wrong")) == LOGIN_FAILED
    locked = attempt(client, "zhang", TEST_PASSWORD)
    assert locked.status_code == 400
    assert "已临时锁定" in alert(locked)
    clock.advance(minutes=14)
    assert "已临时锁定" in alert(attempt(client, "zhang", TEST_PASSWORD))
    clock.advance(minutes=1, seconds=1)
    assert attempt(client, "zhang", TEST_PASSWORD).status_code == 303


def test_attempts_while_locked_do_not_extend_the_lock(app, client, clock):
    add_user(app, "li")
    for _ in range(5):
        attempt(client, "li", "wrong")
    for _ in range(3):
        clock.advance(minutes=4)
        attempt(client, "li", "wrong")
    clock.advance(minutes=3, seconds=1)  # 15 min after the fifth failure
    assert attempt(client, "li", TEST_PASSWORD).status_code == 303


def test_failures_spread_beyond_the_window_do_not_lock(app, client, clock):
    add_user(app, "wang")
    for _ in range(4):
        attempt(client, "wang", "wrong")
    clock.advance(minutes=16)
    attempt(client, "wang", "wrong")
    assert attempt(client, "wang", TEST_PASSWORD).status_code == 303


def test_unknown_usernames_lock_exactly_like_real_ones(app, client):
    add_user(app, "real")
    answers = {}
    for name in ("real", "ghost"):
        for _ in range(5):
            first = attempt(client, name, "wrong")
        answers[name] = (first.status_code, alert(first), alert(attempt(client, name, "wrong")))
    assert answers["real"] == answers["ghost"]
    assert "已临时锁定" in answers["ghost"][2]


def test_disabled_account_gets_the_generic_message(app, client):
    user = add_user(app, "gone")
    with write_transaction(app.db):
        set_status(user, "disabled")
    assert alert(attempt(client, "gone", TEST_PASSWORD)) == LOGIN_FAILED


# ------------------------------------------------------------------------------ one-time and expiry


def test_reset_password_is_one_time_expires_and_ends_sessions(app, clock):
    user = add_user(app, "zhao")
    with app_client(app) as old_browser:
        login(old_browser, "zhao")
        with write_transaction(app.db):
            one_time = reset_password(user, clock())
        assert old_browser.get("/", follow_redirects=False).headers["location"].startswith("/login")
    with app_client(app) as client:
        assert attempt(client, "zhao", TEST_PASSWORD).status_code == 400  # the old password is gone
        response = attempt(client, "zhao", one_time)
        assert response.headers["location"] == "/password"
        assert client.get("/", follow_redirects=False).headers["location"] == "/password"
    with write_transaction(app.db):
        expiring = reset_password(User.get_by_id(user.id), clock())
    clock.advance(hours=72, seconds=1)
    with app_client(app) as client:
        assert "一次性密码已过期" in alert(attempt(client, "zhao", expiring))


def test_expired_password_forces_a_change(app, client, clock):
    add_user(app, "qian")
    clock.advance(days=90, seconds=1)
    response = attempt(client, "qian", TEST_PASSWORD)
    assert response.headers["location"] == "/password"
    assert client.get("/api/v1/core/me").json()["error"]["code"] == "password_change_required"
    page = client.get("/password").text
    assert "已过期的密码" in page


def change(client, current, new):
    token = csrf_from(client.get("/password").text)
    return client.post(
        "/password", data={"current": current, "new": new, "confirm": new, "csrf_token": token}
    )


def test_recent_passwords_and_common_ones_are_refused(app, client, clock):
    add_user(app, "sun")
    login(client, "sun")
    assert "常见密码" in change(client, TEST_PASSWORD, "P@ssw0rd").text
    assert "最近 5 次" in change(client, TEST_PASSWORD, TEST_PASSWORD).text
    history = ["Second#Pass2", "Third#Pass3", "Fourth#Pass4", "Fifth#Pass5"]
    current = TEST_PASSWORD
    for new in history:
        assert change(client, current, new).status_code == 200
        current = new
    # the original password is now 5 changes back in a history of 5 (4 old + current): still refused
    assert "最近 5 次" in change(client, current, TEST_PASSWORD).text
    assert change(client, current, "Sixth#Pass6").status_code == 200
    assert change(client, "Sixth#Pass6", TEST_PASSWORD).status_code == 200


def test_password_change_rotates_the_session_and_ends_the_others(app, clock):
    add_user(app, "zhou")
    with app_client(app) as other, app_client(app) as client:
        login(other, "zhou")
        login(client, "zhou")
        before = client.cookies.get(COOKIE_NAME)
        assert change(client, TEST_PASSWORD, "Brand#New9pw").status_code == 200
        assert client.cookies.get(COOKIE_NAME) != before
        assert client.get("/", follow_redirects=False).status_code == 200
        assert other.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_role_change_ends_sessions(app):
    user = add_user(app, "wu")
    with app_client(app) as client:
        login(client, "wu")
        with write_transaction(app.db):
            grant_role(app.registry, user, "clerk")
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


# --------------------------------------------------------------------------------------------- TOTP


def test_enrolled_user_needs_a_code_and_a_code_works_once(app, clock):
    user = add_user(app, "zheng")
    secret = totp.new_secret()
    with write_transaction(app.db):
        assert totp.enable(user, secret, pyotp.TOTP(secret).at(clock()), clock(), app.config.secret)
    assert User.get_by_id(user.id).totp_secret not in ("", secret)  # stored encrypted
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock())
    with app_client(app) as client:
        asked = attempt(client, "zheng", TEST_PASSWORD)
        assert "6 位动态口令" in alert(asked) and 'name="code"' in asked.text
        assert "动态口令不正确" in alert(attempt(client, "zheng", TEST_PASSWORD, "000000"))
        assert attempt(client, "zheng", TEST_PASSWORD, code).status_code == 303
    with app_client(app) as client:
        assert "已使用过" in alert(attempt(client, "zheng", TEST_PASSWORD, code))


def test_admin_must_enrol_before_anything_else(app, clock):
    add_user(app, "sys", roles=["sysadmin"], totp=False)
    with app_client(app) as client:
        login(client, "sys")
        assert client.get("/plugins", follow_redirects=False).headers["location"] == "/mfa/setup"
        assert client.get("/api/v1/core/me").json()["error"]["code"] == "mfa_enrolment_required"
        page = client.get("/mfa/setup").text
        assert "<svg" in page
        secret = re.search(r'name="secret" value="([A-Z2-7]{32})"', page).group(1)
        csrf_secret = csrf_from(page)
        wrong = client.post(
            "/mfa/setup", data={"secret": secret, "code": "123456", "csrf_token": csrf_secret}
        )
        assert wrong.status_code == 400 and "动态口令不正确" in wrong.text
        right = client.post(
            "/mfa/setup",
            data={"secret": secret, "code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf_secret},
        )
        assert right.status_code == 200 and "已绑定" in right.text
        assert client.get("/plugins").status_code == 200


# ----------------------------------------------------------------------------------------- sessions


@pytest.mark.parametrize(("roles", "idle"), [((), 30), (("auditor",), 15)])
def test_idle_timeout_depends_on_the_role(app, clock, roles, idle):
    add_user(app, "user1", roles=list(roles))
    with app_client(app) as client:
        login(client, "user1")
        clock.advance(minutes=idle - 1)
        assert client.get("/", follow_redirects=False).status_code == 200
        clock.advance(minutes=idle, seconds=1)
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert Session.select().count() == 0


def test_absolute_timeout_ends_an_active_session(app, clock):
    add_user(app, "busy")
    with app_client(app) as client:
        login(client, "busy")
        started = clock()
        for _ in range(13 * 4):
            clock.advance(minutes=15)  # active all along: the idle limit never strikes
            if client.get("/", follow_redirects=False).status_code != 200:
                break
        assert clock() - started == timedelta(hours=12)
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


# ------------------------------------------------------------------------------------------- policy


def test_policy_is_validated_and_applies_to_expiry(app, clock):
    policy, errors = validate_policy({"min_length": "6"})
    assert policy is None and "7–64" in errors["min_length"] and "expiry_days" in errors
    values = {k: str(v) for k, v in SecurityPolicy().__dict__.items()} | {"expiry_days": "30"}
    policy, errors = validate_policy(values)
    assert errors == {}
    user = add_user(app, "he")
    with write_transaction(app.db):
        save_policy(policy)
    assert load_policy().expiry_days == 30
    assert User.get_by_id(user.id).password_expires_at == user.password_changed_at + timedelta(days=30)
    bad = dict(values, admin_idle_minutes="45", idle_minutes="30")
    assert "不能长于" in validate_policy(bad)[1]["admin_idle_minutes"]


def test_password_hashing_at_sign_in_holds_no_transaction(app, client, monkeypatch):
    """A burst of sign-ins must not queue every other write behind argon2 (SQLite has one writer)."""
    from officium.core.identity import login as login_module

    seen = []
    real = login_module.verify_password

    def watching(password_hash, password):
        seen.append(app.db.in_transaction())
        return real(password_hash, password)

    monkeypatch.setattr(login_module, "verify_password", watching)
    add_user(app, "fast")
    assert attempt(client, "fast", TEST_PASSWORD).status_code == 303
    assert attempt(client, "nobody", "x").status_code == 400
    assert seen and not any(seen)


def test_replacing_a_bound_authenticator_needs_the_password(app, clock):
    add_user(app, "auditor1", roles=["auditor"])  # enrolled by add_user
    with app_client(app) as client:
        login(client, "auditor1")
        page = client.get("/mfa/setup").text
        secret = re.search(r'name="secret" value="([A-Z2-7]{32})"', page).group(1)
        code = pyotp.TOTP(secret).at(clock())
        token = csrf_from(page)
        refused = client.post("/mfa/setup", data={"secret": secret, "code": code, "csrf_token": token})
        assert refused.status_code == 400 and "当前密码不正确" in refused.text
        done = client.post(
            "/mfa/setup",
            data={"secret": secret, "code": code, "password": TEST_PASSWORD, "csrf_token": token},
        )
        assert done.status_code == 200 and "已绑定" in done.text


def test_guessing_the_current_password_on_the_change_page_locks_the_account(app, client):
    add_user(app, "guess")
    login(client, "guess")
    for _ in range(5):
        assert "当前密码不正确" in change(client, "Wrong#Guess1", "New#Secret99").text
    locked = change(client, TEST_PASSWORD, "New#Secret99")
    assert locked.status_code == 400 and "已临时锁定" in locked.text
