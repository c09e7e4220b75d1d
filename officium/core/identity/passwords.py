"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (19 MiB, t=2, p=1): a fraction of argon2-cffi's defaults, so that a morning
# login storm on a 2-core server stays fast while an offline attack stays costly.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; an empty or malformed hash never matches."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return _HASHER.check_needs_rehash(password_hash)


def policy_errors(password: str, username: str = "") -> list[str]:
    """Return what is wrong with a new password, in Chinese; empty when it is acceptable."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"密码至少 {MIN_LENGTH} 个字符。")
    classes = sum(
        any(ch in group for ch in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ) + any(not ch.isalnum() for ch in password)
    if classes < 3:
        errors.append("密码须包含大写字母、小写字母、数字、符号中的至少三类。")
    if username and username.lower() in password.lower():
        errors.append("密码不能包含用户名。")
    return errors


def one_time_password() -> str:
    """A random password meeting the rules, to be changed at first sign-in."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"{body[:4]}-{body[4:8]}-{body[8:]}"
        if not policy_errors(candidate):
            return candidate
