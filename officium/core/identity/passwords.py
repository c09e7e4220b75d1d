"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

import secrets
import string
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from officium.core.identity.policy import SecurityPolicy

# OWASP's argon2id minimum (19 MiB, t=2, p=1): a fraction of argon2-cffi's defaults, so that a morning
# login storm on a 2-core server stays fast while an offline attack stays costly.
PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_HASHER = PRODUCTION_HASHER

#: Long passphrases are welcome; the cap only keeps hashing time bounded.  Nothing is ever truncated.
MAX_LENGTH = 128


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


_BLOCKLIST_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    lines = _BLOCKLIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    return sum(
        any(ch in group for ch in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ) + any(not (ch.isascii() and ch.isalnum()) for ch in password)


def policy_errors(password: str, username: str = "", policy: SecurityPolicy | None = None) -> list[str]:
    """Return what is wrong with a new password under ``policy``, in Chinese; empty when acceptable."""
    policy = policy or SecurityPolicy()
    errors = []
    if len(password) < policy.min_length:
        errors.append(f"密码至少 {policy.min_length} 个字符。")
    if len(password) > MAX_LENGTH:
        errors.append(f"密码最多 {MAX_LENGTH} 个字符。")
    if character_classes(password) < policy.min_classes:
        errors.append(
            f"密码须包含大写字母、小写字母、数字、符号中的至少{'一二三四'[policy.min_classes - 1]}类。"
        )
    if username and username.lower() in password.lower():
        errors.append("密码不能包含用户名。")
    if password.casefold() in _blocklist():
        errors.append("这是常见密码，容易被猜中，请换一个。")
    return errors


def one_time_password() -> str:
    """A random password meeting the rules, to be changed at first sign-in."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"{body[:4]}-{body[4:8]}-{body[8:]}"
        if not policy_errors(candidate):
            return candidate
