"""Signing in and changing one's password."""

from __future__ import annotations

from datetime import datetime

from officium.core.identity.models import LoginRecord, User
from officium.core.identity.passwords import hash_password, needs_rehash, policy_errors, verify_password

#: One message for an unknown user, a wrong password and a disabled account, so that the login form does
#: not tell an attacker which usernames exist.
LOGIN_FAILED = "用户名或密码不正确。"

# Verifying against a real hash when the user does not exist keeps the answer time the same.
_DUMMY_HASH = hash_password("officium-timing-equaliser")


def authenticate(username: str, password: str, now: datetime, ip: str = "") -> User | None:
    """Return the user if the credentials are right and the account is active; record the attempt."""
    user = User.get_or_none(User.username == username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        ok, reason = False, "unknown_user"
    elif not verify_password(user.password_hash, password):
        ok, reason = False, "bad_password"
    elif not user.is_active:
        ok, reason = False, f"status_{user.status}"
    else:
        ok, reason = True, ""
        if needs_rehash(user.password_hash):
            User.update(password_hash=hash_password(password)).where(User.id == user.id).execute()
    LoginRecord.create(username=username[:64], user=user, at=now, ip=ip, success=ok, reason=reason)
    return user if ok else None


def change_password(user: User, current: str, new: str, confirm: str, now: datetime) -> dict[str, str]:
    """Change the user's password; return ``{field: message}`` of what is wrong (empty on success)."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current"] = "当前密码不正确。"
    if problems := policy_errors(new, user.username):
        errors["new"] = "".join(problems)
    elif verify_password(user.password_hash, new):
        errors["new"] = "新密码不能与当前密码相同。"
    if new != confirm:
        errors["confirm"] = "两次输入的新密码不一致。"
    if errors:
        return errors
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.must_change_password = False
    user.save()
    return {}
