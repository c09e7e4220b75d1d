"""Keys, signatures and hashes of the electronic seals, with the algorithm named in every record.

GB/T 38540 asks for SM2 signatures with SM3 hashes.  pyca/cryptography (a dependency already) has SM3
but not SM2, and its maintainers do not plan it; the SM2 packages on PyPI are either unmaintained
(``gmssl``, last release 2023), bindings needing a system GmSSL library (``gmssl-python``, ``pygmssl``),
or new single-release builds of unknown provenance (``gmssl-fast``).  None is fit for a seal key.  So the
records are signed with **Ed25519** and hashed with **SHA-256** from pyca/cryptography, and each record
says so: ``signAlgID`` 1.3.101.112, ``hashAlgID`` 2.16.840.1.101.3.4.2.1 and ``nonGM: true``.  The SM3
digest of the document is recorded next to it (``extDatas.sm3``) so that an SM2 re-seal or
counter-signature can be added later.  Verification dispatches on the OIDs and refuses any other.

Private keys never leave the database in clear: they are encrypted with AES-256-GCM under a key derived
(HKDF-SHA256) from the site's ``secret`` in officium.toml.  Changing that secret makes the seal keys
unusable (sealed files still verify, with the public keys they carry).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

# pyca/cryptography (~6 MiB in every worker) is imported inside the functions below: only sealing and
# verifying need it, and most requests of a site do neither.

ED25519 = "Ed25519"
ED25519_OID = "1.3.101.112"
SHA256_OID = "2.16.840.1.101.3.4.2.1"
SM2_SM3_OID = "1.2.156.10197.1.501"  # recognised, not implemented: see the module docstring
ALGORITHMS = {ED25519_OID: ED25519}


class SealKeyError(Exception):
    """A private key could not be decrypted (the site secret changed)."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def canonical(value: Any) -> bytes:
    """The bytes that get signed: JSON with sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sm3_hex(data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def key_id(public_key: bytes) -> str:
    """A public key's id: the hex SHA-256 of its raw bytes (GB/T 38540 certListType 2: certificate hashes)."""
    return sha256_hex(public_key)


def _wrapping_key(secret: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"officium-seals", info=b"seal private keys"
    ).derive(secret.encode("utf-8"))


def new_key_pair(secret: str) -> tuple[str, str, str, str]:
    """A fresh Ed25519 pair: (algorithm, key id, base64 public key, encrypted private key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    kid = key_id(public)
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(secret)).encrypt(nonce, raw, kid.encode("ascii"))
    return ED25519, kid, b64(public), "v1:" + b64(nonce + sealed)


def sign(secret: str, algorithm: str, kid: str, encrypted_private: str, message: bytes) -> bytes:
    """Sign ``message`` with a stored private key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if algorithm != ED25519 or not encrypted_private.startswith("v1:"):
        raise SealKeyError(f"不支持的签名算法：{algorithm}")
    blob = unb64(encrypted_private[3:])
    try:
        raw = AESGCM(_wrapping_key(secret)).decrypt(blob[:12], blob[12:], kid.encode("ascii"))
    except Exception as exc:  # InvalidTag: another secret, or a damaged key
        raise SealKeyError("印章私钥无法解密（站点密钥可能已更换）。") from exc
    return Ed25519PrivateKey.from_private_bytes(raw).sign(message)


def verify(alg_oid: str, public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies; unknown algorithms never do."""
    if alg_oid != ED25519_OID:
        return False
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
