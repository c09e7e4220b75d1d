"""常用意见: a person's own list of phrases that workflow forms offer when an opinion (意见) is written.

Other modules read the list with :func:`common_opinions`; everything else here is used by the plugin's
pages and API.  Every function takes the owner, so a record of another person is never found, changed or
deleted through them.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from peewee import IntegrityError, PostgresqlDatabase, fn

from officium.core.db import database, write_transaction
from officium.core.identity.models import User
from officium.plugins.profile.models import OPINION_MAX, OPINIONS_PER_USER, Opinion

EMPTY = "请填写意见内容。"
TOO_LONG = "常用意见不能超过 {max} 个字（现有 {n} 个）。"
CONTROL = "常用意见只能是一行文字，不能包含换行、制表符等控制字符。"
DUPLICATE = "常用意见中已有这一条。"
FULL = "常用意见最多 {max} 条，请先删除不用的。"


class OpinionError(ValueError):
    """A phrase that cannot be saved; ``str(error)`` is the Chinese message for the form or the API."""


def common_opinions(user: User) -> list[str]:
    """The user's 常用意见 in their chosen order — what a workflow form offers beside the opinion field."""
    return [o.text for o in own(user)]


def own(user: User) -> list[Opinion]:
    """The user's phrases as records, in display order."""
    return list(Opinion.select().where(Opinion.user == user).order_by(Opinion.position, Opinion.id))


def get_own(user: User, opinion_id: int) -> Opinion | None:
    """One of the user's own phrases by id; None for an unknown id or another person's phrase."""
    return Opinion.get_or_none((Opinion.id == opinion_id) & (Opinion.user == user))


def clean(raw: object) -> str:
    """The phrase as it will be stored (trimmed), or :class:`OpinionError` saying what is wrong."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise OpinionError(EMPTY)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise OpinionError(CONTROL)
    if len(text) > OPINION_MAX:
        raise OpinionError(TOO_LONG.format(max=OPINION_MAX, n=len(text)))
    return text


def _lock_list(user: User) -> None:
    # Serialise changes to one person's list, so that two simultaneous adds cannot pass the limit together.
    # SQLite needs nothing: every write transaction already holds the database's write lock.
    if isinstance(database.obj, PostgresqlDatabase):
        User.select(User.id).where(User.id == user.id).for_update().execute()


def _taken(user: User, text: str, other_than: int | None = None) -> bool:
    query = Opinion.select().where((Opinion.user == user) & (Opinion.text == text))
    if other_than is not None:
        query = query.where(Opinion.id != other_than)
    return query.exists()


def _save(opinion: Opinion, **kwargs: object) -> None:
    # The unique index is the last word on duplicates (a race the check above did not see).
    try:
        with write_transaction(database):
            opinion.save(**kwargs)
    except IntegrityError as exc:
        raise OpinionError(DUPLICATE) from exc


def add(user: User, raw: object, now: datetime) -> Opinion:
    """Append a phrase to the end of the user's list."""
    text = clean(raw)
    with write_transaction(database):
        _lock_list(user)
        if Opinion.select().where(Opinion.user == user).count() >= OPINIONS_PER_USER:
            raise OpinionError(FULL.format(max=OPINIONS_PER_USER))
        if _taken(user, text):
            raise OpinionError(DUPLICATE)
        last = Opinion.select(fn.MAX(Opinion.position)).where(Opinion.user == user).scalar() or 0
        opinion = Opinion(user=user, text=text, position=last + 1, created_at=now, updated_at=now)
        _save(opinion, force_insert=True)
    return opinion


def update(opinion: Opinion, raw: object, now: datetime) -> Opinion:
    """Change the text of one of the user's phrases (found with :func:`get_own`)."""
    text = clean(raw)
    with write_transaction(database):
        _lock_list(opinion.user)
        if _taken(opinion.user, text, other_than=opinion.id):
            raise OpinionError(DUPLICATE)
        opinion.text = text
        opinion.updated_at = now
        _save(opinion)
    return opinion


def move(opinion: Opinion, step: int) -> bool:
    """Move a phrase one place up (``step=-1``) or down (``+1``); False when it is already at that end."""
    with write_transaction(database):
        _lock_list(opinion.user)
        rows = own(opinion.user)
        index = next(i for i, row in enumerate(rows) if row.id == opinion.id)
        target = index + step
        if not 0 <= target < len(rows):
            return False
        rows[index], rows[target] = rows[target], rows[index]
        # Renumber the whole (short) list: positions stay 1..n even after deletions and races.
        for position, row in enumerate(rows, start=1):
            if row.position != position:
                Opinion.update(position=position).where(Opinion.id == row.id).execute()
    return True


def delete(opinion: Opinion) -> None:
    """Remove a phrase from the user's list."""
    opinion.delete_instance()
