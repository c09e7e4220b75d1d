"""The search index (文档查询): plugins feed it, the ``search`` plugin queries it.

A plugin declares its sources with the ``register_search_sources`` hook and, in the transaction that changes a
record, calls :func:`index_entry` (create or edit) or :func:`remove_entry` (delete)::

    from officium.core.search import Readers, SearchEntry, index_entry, remove_entry

    index_entry(app, SearchEntry(
        source="docs_incoming.document", record_id=doc.id, title=doc.title, url=f"/docs_incoming/{doc.id}",
        body=doc.text, fields={"doc_number": doc.number, "from_unit": doc.sender, "date": doc.date},
        attachments_text=text_of_attachments, readers=Readers(users=[doc.clerk_id], units=[doc.unit_id]),
    ))

Queries go through :func:`officium.core.search.query.search`, which filters by what the user may read inside
the SQL, so counts, facets and pages only ever include entries the user may open.
"""

from officium.core.search.index import FIELD_LABELS, Readers, SearchEntry, index_entry, remove_entry
from officium.core.search.query import SearchQuery, SearchResult, search
from officium.core.search.sources import reindex

__all__ = [
    "FIELD_LABELS",
    "Readers",
    "SearchEntry",
    "SearchQuery",
    "SearchResult",
    "index_entry",
    "reindex",
    "remove_entry",
    "search",
]
