"""The lists: what a reader finds on the board (with their unread markers), and a publisher's own
announcements on the management page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from peewee import JOIN, fn

from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.models import Instance
from officium.plugins.bulletin import access, scopes
from officium.plugins.bulletin.models import IMPORTANCES, Announcement, Column, Receipt
from officium.plugins.bulletin.workflow import OBJECT_TYPE

Mine = Receipt.alias("mine")


def _int(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def board(who: scopes.Viewer, now: datetime, params: Mapping[str, str]) -> Any:
    """Live announcements ``who`` reads, pinned first, newest first, each with ``.mine`` (their receipt).

    ``params``: ``column`` (id), ``q`` (words in the title or text), ``importance``, ``unit`` (publisher's
    unit id), ``unread=1`` (not read yet), ``must=1`` (必读 not confirmed yet).
    """
    query = (
        Announcement.select(Announcement, Mine)
        .join(Column, on=(Announcement.column == Column.id))
        .switch(Announcement)
        .join(
            Mine,
            JOIN.LEFT_OUTER,
            on=((Mine.announcement == Announcement.id) & (Mine.user == who.user.id)),
            attr="mine",
        )
        .where(access.live_condition(now) & Column.active & scopes.readable(who))
    )
    column = _int(params.get("column", ""))
    if column:
        query = query.where(Announcement.column == column)
    unit = _int(params.get("unit", ""))
    if unit:
        query = query.where(Announcement.unit == unit)
    words = params.get("q", "").strip()[:100]
    for word in words.split():
        query = query.where(Announcement.title.contains(word) | Announcement.body_text.contains(word))
    importance = params.get("importance", "")
    if importance in IMPORTANCES:
        query = query.where(Announcement.importance == importance)
    if params.get("unread") == "1":
        query = query.where(Mine.id.is_null())
    if params.get("must") == "1":
        query = query.where(Announcement.must_read & (Mine.id.is_null() | Mine.confirmed_at.is_null()))
    return query.order_by(Announcement.pinned.desc(), Announcement.publish_at.desc(), Announcement.id.desc())


def must_read_pending(who: scopes.Viewer, now: datetime) -> Any:
    """Live 必读 announcements ``who`` has not confirmed yet, oldest first."""
    return board(who, now, {"must": "1"}).order_by(Announcement.publish_at, Announcement.id)


STATE_FILTERS = ("draft", "returned", "reviewing", "scheduled", "published", "expired", "withdrawn")


def managed(who: scopes.Viewer, now: datetime, params: Mapping[str, str]) -> Any:
    """The announcements a publisher manages: their own; the office's ``all=1`` shows everybody's."""
    query = (
        Announcement.select(Announcement)
        .join(Column, on=(Announcement.column == Column.id))
        .switch(Announcement)
    )
    if not (access.is_manager(who) and params.get("all") == "1"):
        query = query.where(Announcement.author == who.user)
    column = _int(params.get("column", ""))
    if column:
        query = query.where(Announcement.column == column)
    words = params.get("q", "").strip()[:100]
    for word in words.split():
        query = query.where(Announcement.title.contains(word))
    wanted = params.get("state", "")
    if wanted in ("draft", "withdrawn"):
        query = query.where(Announcement.status == wanted)
    elif wanted in ("returned", "reviewing"):
        back = Instance.select(Instance.id).where(
            (Instance.plugin == access.PLUGIN)
            & (Instance.object_type == OBJECT_TYPE)
            & (
                Instance.object_id
                == Announcement.id.cast("VARCHAR").concat(".").concat(Announcement.round.cast("VARCHAR"))
            )
            & (Instance.state == "running")
            & (Instance.step == DRAFTER_STEP)
        )
        returned = fn.EXISTS(back)
        query = query.where(
            (Announcement.status == "submitted") & (returned if wanted == "returned" else ~returned)
        )
    elif wanted == "scheduled":
        query = query.where((Announcement.status == "published") & (Announcement.publish_at > now))
    elif wanted == "published":
        query = query.where(access.live_condition(now))
    elif wanted == "expired":
        query = query.where((Announcement.status == "published") & (Announcement.expires_at <= now))
    return query.order_by(Announcement.updated_at.desc(), Announcement.id.desc())
