"""Time-based one-time passwords (RFC 6238) as the second factor; required for the three administrators.

Secrets are stored encrypted with a key derived from the site secret, so a copy of the database alone does
not yield them.  A code is accepted once: the last accepted time step is remembered.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

import pyotp

from officium.core.identity.models import User

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# cryptography (~6 MiB) and segno are imported where they are used: only administrators with a second
# factor sign in through them, and every worker would otherwise carry them from start-up.

#: Codes from the previous and the next 30-second step are accepted too (clock drift of phones).
WINDOW = 1


def _fernet(site_secret: str) -> Fernet:
    from cryptography.fernet import Fernet

    key = hashlib.sha256(b"officium-totp:" + site_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """A fresh base32 secret for enrolment (not stored until a code proves the user's app has it)."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (drawn locally: the site has no internet access)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for offset in range(-WINDOW, WINDOW + 1):
        step = _step(now) + offset
        if totp.at(step * 30) == code:
            return step
    return None


def enable(user: User, secret: str, code: str, now: datetime, site_secret: str) -> bool:
    """Store ``secret`` for ``user`` if ``code`` proves their app produces it."""
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret = _fernet(site_secret).encrypt(secret.encode()).decode()
    user.totp_last_step = step
    User.update(totp_secret=user.totp_secret, totp_last_step=step).where(User.id == user.id).execute()
    return True


def disable(user: User) -> None:
    """Forget the user's second factor."""
    user.totp_secret = ""
    user.totp_last_step = 0
    User.update(totp_secret="", totp_last_step=0).where(User.id == user.id).execute()


def verify(user: User, code: str, now: datetime, site_secret: str) -> bool:
    """Whether ``code`` is a valid, not yet used code of the user's enrolled secret."""
    if not user.totp_secret:
        return False
    from cryptography.fernet import InvalidToken

    try:
        secret = _fernet(site_secret).decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return False
    step = _matching_step(secret, code, now)
    if step is None or step <= user.totp_last_step:
        return False
    # The conditional update makes two simultaneous uses of one code accept only the first.
    accepted = (
        User.update(totp_last_step=step).where((User.id == user.id) & (User.totp_last_step < step)).execute()
    )
    if accepted:
        user.totp_last_step = step
    return bool(accepted)
