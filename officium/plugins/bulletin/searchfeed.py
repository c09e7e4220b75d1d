"""The search index feed: a live announcement is findable by its readers; others are not in the index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from officium.core.files import attachments_of, extract_text
from officium.core.registry import SearchSource
from officium.core.search import Readers, SearchEntry, index_entry, remove_entry
from officium.plugins.bulletin import access, scopes
from officium.plugins.bulletin.models import Announcement

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

SOURCE = "bulletin.announcement"


def readers(announcement: Announcement) -> Readers:
    """Its readers (the column's or its own scope), its author and the office."""
    rows = scopes.reader_entries(announcement)
    if any(r.kind == "all" for r in rows):
        return Readers(everyone=True)
    roles = [r.role for r in rows if r.kind == "role"]
    holders = []
    if roles:
        from officium.core.identity.models import RoleGrant

        holders = sorted(
            {g.user_id for g in RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(roles))}
        )
    return Readers(
        users=[announcement.author_id, *holders],
        units=[r.unit_id for r in rows if r.kind == "unit" and r.unit_id is not None],
        permissions=[access.MANAGE],
    )


def entry(app: OfficiumApp, announcement: Announcement) -> SearchEntry:
    files = attachments_of(access.PLUGIN, "announcement", announcement.id)
    return SearchEntry(
        source=SOURCE,
        record_id=announcement.id,
        title=announcement.title,
        url=f"{access.URL}{announcement.id}",
        body=announcement.body_text,
        fields={
            "issuer_unit": announcement.unit.name,
            "unit_id": announcement.unit_id,
            "date": announcement.publish_at.date().isoformat() if announcement.publish_at else "",
        },
        attachments_text="\n".join(t for t in (extract_text(app, f) for f in files) if t),
        readers=readers(announcement),
        created_at=announcement.publish_at,
    )


def update(app: OfficiumApp, announcement: Announcement) -> None:
    """Index the announcement while it is live; take it out otherwise."""
    if access.live(announcement, app.clock()):
        index_entry(app, entry(app, announcement))
    else:
        remove_entry(app, SOURCE, announcement.id)


def _reindex(app: OfficiumApp) -> Iterator[SearchEntry]:
    now = app.clock()
    for announcement in Announcement.select().where(access.live_condition(now)).order_by(Announcement.id):
        yield entry(app, announcement)


SOURCES = [SearchSource(SOURCE, "公告板", _reindex)]


def follow_roles(app: OfficiumApp) -> int:
    """Someone's roles changed: re-index the live announcements whose readers are given by role (the index
    lists the role's holders by name).  Returns how many were re-indexed."""
    from officium.plugins.bulletin.models import Scope

    role_columns = Scope.select(Scope.owner_id).where((Scope.owner == scopes.READ) & (Scope.kind == "role"))
    role_own = Scope.select(Scope.owner_id).where((Scope.owner == scopes.OWN) & (Scope.kind == "role"))
    query = Announcement.select().where(
        access.live_condition(app.clock())
        & (
            ((Announcement.own_scope == False) & Announcement.column.in_(role_columns))  # noqa: E712
            | ((Announcement.own_scope == True) & Announcement.id.in_(role_own))  # noqa: E712
        )
    )
    count = 0
    for announcement in query:
        update(app, announcement)
        count += 1
    return count
