"""Signing in (lockout, one-time and expired passwords, the second factor) and changing one's password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from officium.core.db import database, write_transaction
from officium.core.identity import totp
from officium.core.identity.models import LoginRecord, PasswordHistory, User
from officium.core.identity.passwords import hash_password, needs_rehash, policy_errors, verify_password
from officium.core.identity.policy import SecurityPolicy, expiry_after, load_policy

#: One message for an unknown user, a wrong password and a disabled account, so that the login form does
#: not tell an attacker which usernames exist.
LOGIN_FAILED = "用户名或密码不正确。"
LOCKED = "登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试。"
ONE_TIME_EXPIRED = "一次性密码已过期，请联系信息化处（系统管理员）重新重置。"
CODE_NEEDED = "请输入身份验证器上的 6 位动态口令。"
CODE_WRONG = "动态口令不正确或已使用过，请等待下一个口令。"

#: Login records that are not failures of a guess and so never count towards a lock.
_NOT_COUNTED = frozenset({"locked", "code_requested"})

# Verifying against a real hash when the user does not exist keeps the answer time the same.  It is a
# constant made once with PRODUCTION_HASHER (whose parameters it carries; a test checks they still match)
# rather than hashed at import, which cost ~90 ms of CPU in every process that imports this module.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$+0ixvt/64lsyytI/WWaOgA$Axt9SlTXSlpEmGpXfnIbSGv671qbnQFOs/HMk4tLZ9Q"
)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt: the user on success, else the message to show."""

    user: User | None
    message: str = ""
    needs_code: bool = False


def locked_until(username: str, now: datetime, policy: SecurityPolicy) -> datetime | None:
    """When the lock on ``username`` ends, or None if it is not locked.

    Counted per username from the login records, whether or not the account exists, so that locking
    does not reveal which usernames are real.  Attempts made while locked do not extend the lock.
    """
    horizon = now - timedelta(minutes=policy.lockout_window_minutes + policy.lockout_minutes)
    records = list(
        LoginRecord.select(LoginRecord.at, LoginRecord.success, LoginRecord.reason)
        .where((LoginRecord.username == username) & (LoginRecord.at >= horizon))
        .order_by(LoginRecord.at)
    )
    failures: list[datetime] = []
    lock_end: datetime | None = None
    for record in records:
        if record.success:
            failures = []
            lock_end = None
        elif record.reason not in _NOT_COUNTED:
            if lock_end is not None and record.at < lock_end:
                continue
            failures = [
                t for t in failures if record.at - t < timedelta(minutes=policy.lockout_window_minutes)
            ]
            failures.append(record.at)
            if len(failures) >= policy.lockout_threshold:
                lock_end = record.at + timedelta(minutes=policy.lockout_minutes)
                failures = []
    return lock_end if lock_end is not None and now < lock_end else None


def authenticate(
    username: str, password: str, code: str, now: datetime, site_secret: str, ip: str = ""
) -> LoginResult:
    """Check the credentials (and the TOTP code when the user enrolled one); record the attempt.

    Password hashing runs outside any transaction (the sign-in page is not atomic), so a burst of
    sign-ins never holds the database's write lock while argon2 works; each write is its own short
    transaction.
    """
    policy = load_policy()
    user = User.get_or_none(User.username == username)

    def outcome(ok: bool, reason: str, message: str = LOGIN_FAILED, needs_code: bool = False) -> LoginResult:
        with write_transaction(database):
            LoginRecord.create(username=username[:64], user=user, at=now, ip=ip, success=ok, reason=reason)
        return LoginResult(user if ok else None, "" if ok else message, needs_code)

    if locked_until(username, now, policy) is not None:
        verify_password(_DUMMY_HASH, password)
        return outcome(False, "locked", LOCKED.format(minutes=policy.lockout_minutes))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return outcome(False, "unknown_user")
    if not verify_password(user.password_hash, password):
        return outcome(False, "bad_password")
    if not user.is_active:
        return outcome(False, f"status_{user.status}")
    if user.must_change_password and user.one_time_expires_at and now >= user.one_time_expires_at:
        return outcome(False, "one_time_expired", ONE_TIME_EXPIRED)
    if user.totp_secret:
        if not code.strip():
            # Not counted as a failure: the password was right and the form now asks for the code.
            with write_transaction(database):
                LoginRecord.create(
                    username=username[:64], user=user, at=now, ip=ip, success=False, reason="code_requested"
                )
            return LoginResult(None, CODE_NEEDED, needs_code=True)
        with write_transaction(database):
            accepted = totp.verify(user, code, now, site_secret)
        if not accepted:
            return outcome(False, "bad_code", CODE_WRONG, needs_code=True)
    if needs_rehash(user.password_hash):
        upgraded = hash_password(password)
        with write_transaction(database):
            User.update(password_hash=upgraded).where(User.id == user.id).execute()
    return outcome(True, "")


def password_change_due(user: User, now: datetime) -> bool:
    """Whether the user must set a new password before doing anything else."""
    return user.must_change_password or (
        user.password_expires_at is not None and now >= user.password_expires_at
    )


def set_password(
    user: User, new: str, now: datetime, policy: SecurityPolicy, *, one_time: bool = False
) -> None:
    """Store a new password (remembering the old hash for the history rule)."""
    if user.password_hash:
        PasswordHistory.create(user=user, password_hash=user.password_hash, changed_at=now)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.must_change_password = one_time
    user.one_time_expires_at = now + timedelta(hours=policy.one_time_hours) if one_time else None
    user.password_expires_at = None if one_time else expiry_after(now, policy)
    user.save()


def reused(user: User, new: str, policy: SecurityPolicy) -> bool:
    """Whether ``new`` is the current password or one of the last ``policy.history`` ones."""
    if verify_password(user.password_hash, new):
        return True
    if policy.history <= 1:
        return False
    earlier = (
        PasswordHistory.select(PasswordHistory.password_hash)
        .where(PasswordHistory.user == user)
        .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc())
        .limit(policy.history - 1)
    )
    return any(verify_password(row.password_hash, new) for row in earlier)


def change_password(user: User, current: str, new: str, confirm: str, now: datetime) -> dict[str, str]:
    """Change the user's own password; return ``{field: message}`` of what is wrong (empty on success)."""
    policy = load_policy()
    errors: dict[str, str] = {}
    # A wrong current password counts towards the lock like a failed sign-in, so a borrowed session
    # cannot be used to guess the password without limit.
    if locked_until(user.username, now, policy) is not None:
        return {"current": LOCKED.format(minutes=policy.lockout_minutes)}
    if not verify_password(user.password_hash, current):
        LoginRecord.create(
            username=user.username, user=user, at=now, success=False, reason="bad_current_password"
        )
        errors["current"] = "当前密码不正确。"
    if problems := policy_errors(new, user.username, policy):
        errors["new"] = "".join(problems)
    elif not errors and reused(user, new, policy):
        errors["new"] = f"新密码不能与最近 {max(policy.history, 1)} 次使用过的密码相同。"
    if new != confirm:
        errors["confirm"] = "两次输入的新密码不一致。"
    if errors:
        return errors
    set_password(user, new, now, policy)
    return {}
