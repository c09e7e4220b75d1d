"""Password storage: argon2id at OWASP's minimum cost, rehashed when the parameters rise."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from officium.core.identity import passwords
from officium.core.identity.passwords import character_classes, policy_errors


def test_production_parameters_are_owasp_argon2id():
    params = extract_parameters(passwords.PRODUCTION_HASHER.hash("Some#Pass1"))
    assert (params.type.name, params.memory_cost, params.time_cost) == ("ID", 19456, 2)


def test_the_unknown_user_hash_costs_what_a_real_one_does():
    """Sign-in verifies an unknown user's password against a constant hash: it must carry the production
    parameters (else its time would tell that the username does not exist) and be a valid hash."""
    from officium.core.identity import login

    params, hasher = extract_parameters(login._DUMMY_HASH), passwords.PRODUCTION_HASHER
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism, params.hash_len) == (
        hasher.type,
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
    )
    assert passwords.PRODUCTION_HASHER.verify(login._DUMMY_HASH, "officium-timing-equaliser")


def test_weaker_hashes_are_flagged_for_rehash(monkeypatch):
    weak = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("Some#Pass1")
    monkeypatch.setattr(passwords, "_HASHER", passwords.PRODUCTION_HASHER)
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("Some#Pass1"))


def test_policy_messages():
    assert policy_errors("Ab1!abcd") == []
    assert "至少 8 个字符" in "".join(policy_errors("Ab1!abc"))
    assert "至少三类" in "".join(policy_errors("abcdefgh1"))
    assert "不能包含用户名" in "".join(policy_errors("Zhang#2026x", "zhang"))
    assert "常见密码" in "".join(policy_errors("Admin@123"))
    assert character_classes("中文密码Ab1") == 4  # non-ASCII counts as "other"
