"""The search feed: every incoming document as one entry of the core index (文档查询).

An entry carries the title, 来文单位, 来文字号 and 收文编号, the 拟办意见 and leaders' instructions (the body),
and the text of the attached text/PDF/DOCX files.  Readers are the people who registered or handled it or
hold a work item on it, the receiving unit's 综合人员, and holders of ``docs_incoming.manage`` (the office).
It is refreshed in the transaction of every change (registration, 初审, each workflow step, 办结, 答复, 归档).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from peewee import fn

from officium.core import files
from officium.core.identity.models import RoleGrant
from officium.core.search import Readers, SearchEntry, index_entry
from officium.core.workflow import engine
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.docs_incoming.constants import OBJECT_TYPE, PLUGIN_NAME
from officium.plugins.docs_incoming.models import IncomingDocument

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

SOURCE = f"{PLUGIN_NAME}.document"
#: Attached text kept in the index per document (the rest is not searchable).
TEXT_LIMIT = 200_000


def counts_as_handling() -> Any:
    """The work items that make their holder one who handled the document (经办): every item except a
    待阅 recalled before it was read (收回传阅), which gives no access."""
    recalled = (
        (WorkItem.kind == "read")
        & (WorkItem.state == "cancelled")
        & (fn.COALESCE(WorkItem.action, "") == "recall")
    )
    return ~recalled


def readers(document: IncomingDocument, instance: Instance | None = None) -> Readers:
    """Who may find the document: see the module docstring.  ``instance``: its workflow instance, when the
    caller has it (else it is looked up)."""
    from officium.plugins.docs_incoming.service import MANAGE

    people = {document.registered_by_id}
    people.update(
        g.user_id
        for g in RoleGrant.select(RoleGrant.user).where(
            (RoleGrant.role == "clerk") & (RoleGrant.unit == document.unit_id)
        )
    )
    if instance is None:
        instance = engine.instance_for(PLUGIN_NAME, OBJECT_TYPE, document.id)
    if instance is not None:
        for item in WorkItem.select(WorkItem.assignee, WorkItem.principal).where(
            (WorkItem.instance == instance) & counts_as_handling()
        ):
            people.add(item.assignee_id)
            if item.principal_id:
                people.add(item.principal_id)
    return Readers(users=sorted(people), permissions=(MANAGE,))


def entry(app: OfficiumApp, document: IncomingDocument, instance: Instance | None = None) -> SearchEntry:
    """The document's search entry as it stands now (``instance``: its workflow instance, when known)."""
    from officium.plugins.docs_incoming import service

    if instance is None:
        instance = engine.instance_for(PLUGIN_NAME, OBJECT_TYPE, document.id)  # read once, used twice
    opinions = service.instance_opinions(instance)
    body = "\n".join(
        [f"收文编号：{document.number}", f"来文字号：{document.doc_number}"]
        + [f"{o['step_title']} {o['name']}：{o['opinion']}" for o in opinions if o["opinion"]]
        + ([f"办理结果：{document.result}"] if document.result else [])
        + ([f"答复：{document.reply}"] if document.reply else [])
    )
    texts = []
    for attachment in files.attachments_of(PLUGIN_NAME, OBJECT_TYPE, document.id):
        texts.append(files.extract_text(app, attachment))
    return SearchEntry(
        source=SOURCE,
        record_id=document.id,
        title=document.title,
        url=document.url,
        body=body,
        fields={
            "doc_number": " ".join(x for x in (document.doc_number, document.number) if x),
            "from_unit": document.from_unit,
            "year": document.year,
            "unit_id": document.unit_id,
            "doc_type": document.doc_type,
            "urgency": document.urgency_title,
            "date": document.received_on.isoformat(),
        },
        attachments_text="\n".join(t for t in texts if t)[:TEXT_LIMIT],
        readers=readers(document, instance),
        created_at=document.registered_at,
    )


def update(app: OfficiumApp, document: IncomingDocument, instance: Instance | None = None) -> None:
    """Insert or replace the document's entry (in the caller's transaction); a workflow callback passes the
    document's instance, which it already has."""
    index_entry(app, entry(app, document, instance))


def reindex(app: OfficiumApp) -> Iterator[SearchEntry]:
    """Every document's entry, for ``officium search reindex``."""
    for document in IncomingDocument.select().order_by(IncomingDocument.id).iterator():
        yield entry(app, document)
