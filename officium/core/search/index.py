"""Writing the index: :func:`index_entry` and :func:`remove_entry`, in the caller's transaction.

A plugin calls them inside the transaction that creates, edits or deletes the record (a page's unsafe
request already runs in one), so the index can never disagree with the data: if the change rolls back, so
does its index row.  Outside a request, wrap the change and the call in ``write_transaction(app.db)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from officium.core.search.models import SearchDoc, SearchReader, SearchText
from officium.core.search.segment import field_tokens

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: The keys a :class:`SearchEntry` may carry in ``fields`` (公文要素), with their Chinese labels.
FIELD_LABELS = {
    "doc_number": "文号",
    "from_unit": "来文单位",
    "issuer_unit": "发文单位",
    "year": "年度",
    "unit_id": "所属单位",
    "doc_type": "文种",
    "urgency": "紧急程度",
    "date": "成文日期",
}

#: PostgreSQL keeps word positions up to this value; later words share it (phrases there match loosely).
_PG_MAX_POS = 16383


@dataclass(frozen=True)
class Readers:
    """Who may find an entry: anyone signed in, some users, the members of some units (and of their
    sub-units), or the holders of some permissions.  Give at least one; an entry nobody may read is
    indexed but never found."""

    everyone: bool = False
    users: Iterable[Any] = ()
    units: Iterable[Any] = ()
    permissions: Iterable[str] = ()

    def rows(self) -> list[tuple[str, str]]:
        """``(kind, value)`` pairs for ``core_search_reader``; users and units may be ids or model objects."""
        rows: list[tuple[str, str]] = [("everyone", "")] if self.everyone else []
        rows += [("user", _id(u)) for u in self.users]
        rows += [("unit", _id(u)) for u in self.units]
        rows += [("permission", str(p)) for p in self.permissions]
        return list(dict.fromkeys(rows))


def _id(value: Any) -> str:
    return str(getattr(value, "id", value))


@dataclass(frozen=True)
class SearchEntry:
    """One record as the index sees it.  ``url`` opens the record; its page still checks access itself."""

    source: str
    record_id: Any
    title: str
    url: str
    body: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    attachments_text: str = ""
    readers: Readers = field(default_factory=Readers)
    created_at: datetime | None = None


def _year(entry: SearchEntry, day: date | None) -> int | None:
    value = entry.fields.get("year")
    if value not in (None, ""):
        return int(value)
    if day is not None:
        return day.year
    return entry.created_at.year if entry.created_at else None


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _check(app: OfficiumApp, entry: SearchEntry) -> None:
    if entry.source not in app.registry.search_sources:
        raise ValueError(
            f"检索来源 {entry.source} 没有注册。修复：在插件的 register_search_sources 钩子中返回 SearchSource。"
        )
    unknown = sorted(set(entry.fields) - set(FIELD_LABELS))
    if unknown:
        raise ValueError(
            f"检索条目的 fields 中有未知的键 {', '.join(unknown)}，可用的键：{', '.join(FIELD_LABELS)}。"
        )
    if not str(entry.url).startswith("/") or str(entry.url).startswith("//"):
        raise ValueError(f"检索条目的 url 应为本站路径（以 / 开头），实际是 {entry.url!r}。")
    if not isinstance(entry.readers, Readers):
        raise ValueError("检索条目的 readers 应为 Readers(...)。")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def index_entry(app: OfficiumApp, entry: SearchEntry) -> SearchDoc:
    """Insert or replace the entry ``(source, record_id)`` with its readers and full text.

    Runs in the caller's transaction (a savepoint when nested), so call it where the record changes.
    """
    _check(app, entry)
    day = _date(entry.fields.get("date"))
    unit = entry.fields.get("unit_id")
    values = {
        "module": entry.source.split(".", 1)[0],
        "title": _text(entry.title)[:500],
        "url": _text(entry.url)[:500],
        "doc_number": _text(entry.fields.get("doc_number"))[:100],
        "from_unit": _text(entry.fields.get("from_unit"))[:200],
        "issuer_unit": _text(entry.fields.get("issuer_unit"))[:200],
        "year": _year(entry, day),
        "unit_id": int(getattr(unit, "id", unit)) if unit not in (None, "") else None,
        "doc_type": _text(entry.fields.get("doc_type"))[:32],
        "urgency": _text(entry.fields.get("urgency"))[:16],
        "date": day,
        "created_at": entry.created_at,
        "indexed_at": app.clock(),
    }
    record_id = str(entry.record_id)
    with app.db.atomic():
        doc = SearchDoc.get_or_none((SearchDoc.source == entry.source) & (SearchDoc.record_id == record_id))
        body, attachments = _text(entry.body), _text(entry.attachments_text)
        rows = entry.readers.rows()
        if doc is None:
            doc = SearchDoc.create(source=entry.source, record_id=record_id, **values)
            SearchText.insert(doc=doc.id, body=body, attachments_text=attachments).execute()
            _insert_readers(doc.id, rows)
        else:
            SearchDoc.update(**values).where(SearchDoc.id == doc.id).execute()
            for key, value in values.items():
                setattr(doc, key, value)
            # only what changed: the text in place, the readers only when they are not the same ones
            text = {"body": body, "attachments_text": attachments}
            if not SearchText.update(**text).where(SearchText.doc == doc.id).execute():
                SearchText.insert(doc=doc.id, **text).execute()
            stored = sorted(
                (r.kind, r.value)
                for r in SearchReader.select(SearchReader.kind, SearchReader.value).where(
                    SearchReader.doc == doc.id
                )
            )
            if stored != sorted(rows):
                SearchReader.delete().where(SearchReader.doc == doc.id).execute()
                _insert_readers(doc.id, rows)
        _write_fts(app, fts_columns(doc, body, attachments, rows), doc.id)
    return doc


def _insert_readers(doc_id: int, rows: Sequence[tuple[str, Any]]) -> None:
    if rows:
        SearchReader.insert_many(
            [(doc_id, kind, value) for kind, value in rows],
            fields=[SearchReader.doc, SearchReader.kind, SearchReader.value],
        ).execute()


def remove_entry(app: OfficiumApp, source: str, record_id: Any) -> bool:
    """Remove the entry ``(source, record_id)`` from the index; False when it was not there."""
    with app.db.atomic():
        doc = SearchDoc.get_or_none((SearchDoc.source == source) & (SearchDoc.record_id == str(record_id)))
        if doc is None:
            return False
        _delete_fts(app, [doc.id])
        SearchReader.delete().where(SearchReader.doc == doc.id).execute()
        SearchText.delete().where(SearchText.doc == doc.id).execute()
        doc.delete_instance()
    return True


def remove_module(app: OfficiumApp, sources: Iterable[str]) -> int:
    """Remove every entry of the given sources (before a rebuild); returns how many went."""
    names = list(sources)
    ids = [d.id for d in SearchDoc.select(SearchDoc.id).where(SearchDoc.source.in_(names))]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        _delete_fts(app, chunk)
        SearchReader.delete().where(SearchReader.doc.in_(chunk)).execute()
        SearchText.delete().where(SearchText.doc.in_(chunk)).execute()
        SearchDoc.delete().where(SearchDoc.id.in_(chunk)).execute()
    return len(ids)


# ------------------------------------------------------------------------------------- full-text rows


def is_postgres(app: OfficiumApp) -> bool:
    return isinstance(app.db, PostgresqlDatabase)


def reader_token(kind: str, value: str) -> str:
    """The index token of one reader row.

    Tokens start with ``_``, which the query tokenizer never produces (it splits on it), so no query text can
    match them; the permission name is hex-encoded to stay one token.
    """
    if kind == "everyone":
        return "_e"
    if kind == "permission":
        return "_p" + value.encode().hex()
    return {"user": "_u", "unit": "_n"}[kind] + value


def fts_columns(
    doc: Any, body: str, attachments: str, readers: Iterable[tuple[str, str]] = ()
) -> dict[str, list[str]]:
    """The token lists of the full-text fields of a document, in ranking order, then its reader tokens.

    ``acl`` repeats the reader rows inside the full-text index, so that a text query finds only what the
    user may read in one index lookup instead of checking the reader rows of every match.
    """
    return {
        "title": field_tokens(doc.title),
        "doc_number": field_tokens(doc.doc_number),
        "extra": field_tokens(" ".join([doc.from_unit, doc.issuer_unit, doc.doc_type, doc.urgency])),
        "body": field_tokens(body),
        "attachments": field_tokens(attachments),
        "acl": [reader_token(kind, value) for kind, value in readers],
    }


#: PostgreSQL weight of each field: 标题 A, 文号 B, 单位/文种 C, 正文、附件和读者 D.
PG_WEIGHTS = {"title": "A", "doc_number": "B", "extra": "C", "body": "D", "attachments": "D", "acl": "D"}


def tsvector_literal(columns: Mapping[str, list[str]]) -> str:
    """A tsvector in its input syntax, so PostgreSQL stores exactly our tokens (no parser in between)."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name, tokens in columns.items():
        weight = PG_WEIGHTS[name]
        for token in tokens:
            positions.setdefault(token, []).append(f"{min(pos, _PG_MAX_POS)}{weight}")
            pos += 1
        pos += 10  # a gap, so that no phrase runs from one field into the next
    return " ".join(f"'{token}':{','.join(p[:256])}" for token, p in positions.items())


def pg_vectors(columns: Mapping[str, list[str]]) -> tuple[str, str]:
    """The full tsvector and the short one of the title and 文号 (PostgreSQL), as input literals."""
    short = {k: v for k, v in columns.items() if k in ("title", "doc_number")}
    return tsvector_literal(columns), tsvector_literal(short)


def _write_fts(app: OfficiumApp, columns: dict[str, list[str]], doc_id: int) -> None:
    if is_postgres(app):
        app.db.execute_sql(
            "INSERT INTO core_search_fts (doc_id, fts, title_fts) VALUES (%s, %s::tsvector, %s::tsvector) "
            "ON CONFLICT (doc_id) DO UPDATE SET fts = EXCLUDED.fts, title_fts = EXCLUDED.title_fts",
            (doc_id, *pg_vectors(columns)),
        )
    else:
        app.db.execute_sql("DELETE FROM core_search_fts WHERE rowid = ?", (doc_id,))
        app.db.execute_sql(
            "INSERT INTO core_search_fts (rowid, title, doc_number, extra, body, attachments, acl) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, *(" ".join(tokens) for tokens in columns.values())),
        )


def _delete_fts(app: OfficiumApp, ids: list[int]) -> None:
    if not ids:
        return
    marks = ", ".join([app.db.param] * len(ids))
    column = "doc_id" if is_postgres(app) else "rowid"
    app.db.execute_sql(f"DELETE FROM core_search_fts WHERE {column} IN ({marks})", ids)
