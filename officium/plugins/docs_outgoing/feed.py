"""The search feed (文档查询): every 局发文 as one entry of the core index.

An entry carries the title, 文号, 文种, 紧急程度, the body text and the text of the attached files.  Readers
are the same people who may open the document: its drafter, everyone who has or had a work item on it,
and the office (``docs_outgoing.manage``).  The units it was distributed to find their own 收文 copies
(docs_incoming's entries), not the 发文 with its internal deliberations.
It is refreshed in the transaction of every change: saving, submitting, each completed step, numbering,
sealing, distribution.  A handler whose step has just started finds the document in the 待办中心; the
search finds it for them once a later step completes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from officium.core import files
from officium.core.search import Readers, SearchEntry, index_entry
from officium.core.workflow.models import WorkItem
from officium.plugins.docs_outgoing import body as body_text
from officium.plugins.docs_outgoing.constants import URGENCIES
from officium.plugins.docs_outgoing.models import Document

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

SOURCE = "docs_outgoing.document"
TEXT_LIMIT = 200_000


def readers(doc: Document) -> Readers:
    from officium.plugins.docs_outgoing import service

    people = {doc.drafter_id}
    instance = service.instance_of(doc)
    if instance is not None:
        for item in WorkItem.select(WorkItem.assignee, WorkItem.principal).where(
            WorkItem.instance == instance
        ):
            people.add(item.assignee_id)
            if item.principal_id:
                people.add(item.principal_id)
    return Readers(users=sorted(people), permissions=(service.MANAGE,))


def entry(app: OfficiumApp, doc: Document) -> SearchEntry:
    from officium.plugins.docs_outgoing import service

    texts = [files.extract_text(app, a) for a in service.body_files(doc) + service.attachment_files(doc)]
    day = doc.written_date or doc.created_at.date()
    return SearchEntry(
        source=SOURCE,
        record_id=doc.id,
        title=doc.title,
        url=f"{service.URL}{doc.id}",
        body="\n".join(
            x for x in (doc.main_to, body_text.to_plain(doc.body), doc.attachment_note, doc.cc) if x
        ),
        fields={
            "doc_number": doc.doc_number,
            "issuer_unit": doc.issuer_name or doc.unit.name,
            "year": doc.number_year or day.year,
            "unit_id": doc.unit_id,
            "doc_type": doc.doc_type,
            "urgency": URGENCIES.get(doc.urgency, ""),
            "date": day,
        },
        attachments_text="\n".join(t for t in texts if t)[:TEXT_LIMIT],
        readers=readers(doc),
        created_at=doc.created_at,
    )


def update(app: OfficiumApp, doc: Document) -> None:
    """Insert or replace the document's entry (in the caller's transaction)."""
    index_entry(app, entry(app, Document.get_by_id(doc.id)))


def reindex(app: OfficiumApp) -> Iterator[SearchEntry]:
    """Every document's entry, for ``officium search reindex``."""
    for doc in Document.select().order_by(Document.id).iterator():
        yield entry(app, doc)
