"""What the pages, the API, the menu and the dashboard widget share: checking input, finding a user's
shortcuts (their own, or else their roles' defaults), adding and reordering."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from peewee import fn

from officium.core.identity.models import User
from officium.core.prepared import prepared
from officium.plugins.shortcuts.models import KINDS, TITLE_MAX, URL_MAX, DefaultShortcut, Shortcut

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: A user may pin at most this many shortcuts; a longer list stops being quick.
MAX_PER_USER = 30
LOCAL_ONLY = "只能填写本站内的地址：以 / 开头，例如 /leave/ 或 /docs_incoming/12。"


def url_error(url: str) -> str | None:
    """Why ``url`` cannot be a shortcut, or None.  Only local paths: no scheme, no other host.

    ``//evil.example`` and ``/\\evil.example`` are refused because browsers read them as another host;
    ``javascript:`` and every other scheme are refused because they do not start with ``/``.
    """
    if not url:
        return "请填写链接地址。"
    if len(url) > URL_MAX:
        return f"链接地址不能超过 {URL_MAX} 个字符（现有 {len(url)} 个）。"
    if (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url)
    ):
        return LOCAL_ONLY
    return None


def errors_of(title: str, url: str, kind: str) -> dict[str, str]:
    """``{field: message}`` for a shortcut that cannot be saved; empty when it can."""
    errors = {}
    if not title:
        errors["title"] = "请填写名称。"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"名称不能超过 {TITLE_MAX} 个字（现有 {len(title)} 个）。"
    if message := url_error(url):
        errors["url"] = message
    if kind not in KINDS:
        errors["kind"] = "请选择类型。"
    return errors


def own(user: User) -> Any:
    """The user's own shortcuts in their order."""
    return Shortcut.select().where(Shortcut.user == user).order_by(Shortcut.position, Shortcut.id)


def defaults_for(roles: Collection[str]) -> list[DefaultShortcut]:
    """The defaults of ``roles``, in their order; a link set for two roles is shown once."""
    if not roles:
        return []
    rows = (
        DefaultShortcut.select()
        .where(DefaultShortcut.role.in_(sorted(roles)))
        .order_by(DefaultShortcut.position, DefaultShortcut.id)
    )
    return _unique_urls(rows)


def _unique_urls(rows: Iterable[Any]) -> list[Any]:
    # A link set for two of the user's roles is shown once, where it comes first.
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row.url not in seen:
            seen.add(row.url)
            unique.append(row)
    return unique


def effective(user: User, roles: Collection[str]) -> tuple[list[Any], bool]:
    """What the user sees: their own shortcuts, or when they have none the defaults of their roles.

    The second value tells whether the list is the defaults.
    """
    mine = list(own(user))
    if mine:
        return mine, False
    return defaults_for(roles), True


@dataclass(frozen=True)
class Link:
    """A shortcut as the menu and the 首页 panel show it."""

    title: str
    url: str
    kind: str


def _own_links(user: Any) -> Any:
    return (
        Shortcut.select(Shortcut.title, Shortcut.url, Shortcut.kind)
        .where(Shortcut.user == user)
        .order_by(Shortcut.position, Shortcut.id)
    )


def _default_links(*roles: Any) -> Any:
    return (
        DefaultShortcut.select(DefaultShortcut.title, DefaultShortcut.url, DefaultShortcut.kind)
        .where(DefaultShortcut.role.in_(list(roles)))
        .order_by(DefaultShortcut.position, DefaultShortcut.id)
    )


def effective_links(app: OfficiumApp, user: User, roles: Collection[str]) -> tuple[list[Link], bool]:
    """:func:`effective` for the menu and the 首页 panel, which every page shows: the same links, read with
    statements prepared once per process (one per number of roles for the defaults)."""
    mine = [Link(*row) for row in prepared(app, "shortcuts.own", _own_links).cursor(user.id)]
    if mine:
        return mine, False
    if not roles:
        return [], True
    wanted = sorted(roles)
    statement = prepared(app, f"shortcuts.defaults.{len(wanted)}", _default_links, arity=len(wanted))
    return _unique_urls(Link(*row) for row in statement.cursor(*wanted)), True


def next_position(query: Any, column: Any) -> int:
    """One more than the highest ``position`` in ``query`` (0 for an empty list)."""
    highest = query.select(fn.MAX(column)).scalar()
    return 0 if highest is None else highest + 1


def add(user: User, title: str, url: str, kind: str, now: datetime) -> Shortcut:
    """Pin a shortcut at the end of the user's list."""
    position = next_position(Shortcut.select().where(Shortcut.user == user), Shortcut.position)
    return Shortcut.create(user=user, title=title, url=url, kind=kind, position=position, created_at=now)


def move(rows: list[Any], target: Any, direction: str) -> bool:
    """Move ``target`` one place up or down within ``rows`` (its list, in order); False at either end.

    Positions are rewritten 0…n-1, which also repairs gaps and ties left by deletions.
    """
    index = next((i for i, row in enumerate(rows) if row.id == target.id), None)
    if index is None or direction not in ("up", "down"):
        return False
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            type(row).update(position=position).where(type(row).id == row.id).execute()
    return True


def adopt_defaults(user: User, roles: Collection[str], now: datetime) -> int:
    """Copy the defaults of ``roles`` into the user's own list (only when it is empty); return how many."""
    if own(user).exists():
        return 0
    rows = defaults_for(roles)[:MAX_PER_USER]
    for position, row in enumerate(rows):
        Shortcut.create(
            user=user, title=row.title, url=row.url, kind=row.kind, position=position, created_at=now
        )
    return len(rows)
