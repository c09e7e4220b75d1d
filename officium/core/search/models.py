"""The search index tables: one row per indexed record and the rows saying who may read it.

The full-text part lives beside them in ``core_search_fts`` (an FTS5 table on SQLite, a tsvector column
with a GIN index on PostgreSQL), created by migration 0009 and written only by
:mod:`officium.core.search.index`.  It is not a Peewee model because its shape differs per database.
"""

from __future__ import annotations

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel

#: Kinds of reader row: one user, the members of a unit (and of its sub-units), holders of a permission, or
#: every signed-in member of staff.
READER_KINDS = ("user", "unit", "permission", "everyone")


class SearchDoc(BaseModel):
    """One indexed record, keyed by ``(source, record_id)``: what results show and filter on.

    The long text lives in :class:`SearchText`, so that counting and grouping many matches reads short rows.
    """

    source = CharField(max_length=64)
    record_id = CharField(max_length=64)
    module = CharField(max_length=32, index=True)
    title = CharField(max_length=500)
    url = CharField(max_length=500)
    doc_number = CharField(max_length=100, default="")
    from_unit = CharField(max_length=200, default="")
    issuer_unit = CharField(max_length=200, default="")
    year = IntegerField(null=True, index=True)
    unit_id = IntegerField(null=True, index=True)
    doc_type = CharField(max_length=32, default="")
    urgency = CharField(max_length=16, default="")
    date = DateField(null=True, index=True)
    created_at = DateTimeField(null=True)
    indexed_at = DateTimeField()

    class Meta:
        table_name = "core_search_doc"
        indexes = ((("source", "record_id"), True),)


class SearchText(BaseModel):
    """The raw body and attachment text of a :class:`SearchDoc`, read only for the snippets of one page."""

    doc = ForeignKeyField(SearchDoc, primary_key=True, on_delete="CASCADE")
    body = TextField(default="")
    attachments_text = TextField(default="")

    class Meta:
        table_name = "core_search_text"


class SearchReader(BaseModel):
    """Who may find a :class:`SearchDoc`: ``kind`` is one of :data:`READER_KINDS`, ``value`` its id or name."""

    doc = ForeignKeyField(SearchDoc, on_delete="CASCADE", index=False)
    kind = CharField(max_length=16)
    value = CharField(max_length=100, default="")

    class Meta:
        table_name = "core_search_reader"
        indexes = ((("doc", "kind", "value"), False), (("kind", "value"), False))


MODELS = [SearchDoc, SearchText, SearchReader]
