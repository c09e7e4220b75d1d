"""Finding people: the pinyin index behind the person picker, and the search it serves.

Clerks look colleagues up by typing 王建国, ``wangjianguo``, the initials ``wjg`` or the unit 办公室.  The
pinyin of a name cannot be computed inside an SQL filter, so each account has one row in
``core_person_index`` with the name's initials and full pinyin, written by :func:`refresh_person_index`
whenever an account is created (``create_user`` calls it).  Code that renames an account must call it too.

Surnames are often read differently from the same character elsewhere (曾 is *zeng* as a surname, *ceng*
otherwise), so every reading of the first character is indexed: ``曾明`` is found by ``zm`` and by ``cm``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from peewee import JOIN, CharField, ForeignKeyField, ModelSelect

from officium.core.db import BaseModel
from officium.core.identity.models import RoleGrant, Unit, User

#: Separators accepted between usernames in the picker's plain-text form (without JavaScript).
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
#: At most this many surname readings are indexed (a few characters have four or more).
_MAX_READINGS = 4


class PersonIndex(BaseModel):
    """Pinyin of one account's name: ``initials`` and ``full_pinyin``, each one or more space-separated readings."""

    user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    initials = CharField(max_length=255, default="")
    full_pinyin = CharField(max_length=255, default="")

    class Meta:
        table_name = "core_person_index"


def _clean(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def name_readings(name: str) -> tuple[str, str]:
    """``(initials, full_pinyin)`` of a name, each a space-separated list of its readings.

    >>> name_readings("周静")
    ('zj', 'zhoujing')
    >>> name_readings("曾明")  # 曾 is read zeng as a surname, ceng elsewhere
    ('cm zm', 'cengming zengming')
    """
    if not name:
        return "", ""
    # pypinyin's dictionaries cost ~55 MiB and ~180 ms: load them only when a name is indexed.
    from pypinyin import Style, lazy_pinyin, pinyin

    first = pinyin(name[0], style=Style.NORMAL, heteronym=True, errors="default")
    surname_readings = [r for r in first[0] if r][:_MAX_READINGS] if first else []
    rest = lazy_pinyin(name[1:], style=Style.NORMAL, errors="default")
    fulls: list[str] = []
    inits: list[str] = []
    for reading in surname_readings or [name[0]]:
        syllables = [reading, *rest]
        full = _clean("".join(syllables))
        initial = _clean("".join(s[:1] if s.isascii() and s.isalpha() else s for s in syllables))
        if full and full not in fulls:
            fulls.append(full)
        if initial and initial not in inits:
            inits.append(initial)
    return " ".join(inits)[:255], " ".join(fulls)[:255]


def refresh_person_index(user: User) -> PersonIndex:
    """Write (or rewrite) the pinyin index row of ``user``; call it after creating or renaming an account."""
    initials, full = name_readings(user.name)
    PersonIndex.insert(user=user, initials=initials, full_pinyin=full).on_conflict(
        conflict_target=[PersonIndex.user],
        update={PersonIndex.initials: initials, PersonIndex.full_pinyin: full},
    ).execute()
    return PersonIndex.get(PersonIndex.user == user)


def search_people(q: str, admin_roles: Collection[str] = ()) -> ModelSelect:
    """Active accounts matching ``q`` by name, username, pinyin initials, full pinyin or unit name.

    Accounts holding one of ``admin_roles`` (the 三员) are left out: they are not colleagues one sends a
    document to.  Ordered by unit, then name.  An empty ``q`` matches everybody.
    """
    query = (
        User.select(User, Unit)
        .join(Unit, JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
        .switch(User)
        .join(PersonIndex, JOIN.LEFT_OUTER, on=(PersonIndex.user == User.id))
        .where(User.status == "active")
    )
    if admin_roles:
        admins = RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(list(admin_roles)))
        query = query.where(User.id.not_in(admins))
    q = q.strip()
    if q:
        condition = User.name.contains(q) | User.username.contains(q.lower()) | Unit.name.contains(q)
        if key := _clean(q):
            condition |= PersonIndex.initials.contains(key) | PersonIndex.full_pinyin.contains(key)
        query = query.where(condition)
    return query.order_by(Unit.order.asc(nulls="LAST"), Unit.id, User.name, User.id)


def parse_usernames(text: str) -> list[str]:
    """The usernames of a picker's plain-text value (``"zhang, li、wang"``), in order, without repeats."""
    seen: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if part and part not in seen:
            seen.append(part)
    return seen


def people_by_username(text: str) -> tuple[list[User], list[str]]:
    """Resolve a picker's value to active accounts, in the order given; also return the unknown usernames."""
    names = parse_usernames(text)
    found = {u.username: u for u in User.select().where(User.username.in_(names), User.status == "active")}
    return [found[n] for n in names if n in found], [n for n in names if n not in found]
