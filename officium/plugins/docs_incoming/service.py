"""What 收文管理 does: registration (with the 涉密 guard and the 收文编号), 初审, the handling actions that
need the module's own data (分办, 办结, 答复, 归档, 收回传阅), who may see a document, and the intake of
documents distributed inside the bureau (:func:`receive_internal`, called by 局发文).

Everything runs inside the caller's transaction (a view's, or a test's ``write_transaction``).  Functions
raise :class:`IncomingError` (or the engine's ``WorkflowError``) before or while changing; callers run them
in a savepoint so that a refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from officium.core import audit, files, notifications
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.registry import NotificationType, Permission, Role, Setting
from officium.core.secrecy import Finding, refusal_message
from officium.core.workcalendar import END_OF_DAY, add_working_days
from officium.core.workflow import engine
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from officium.core.workflow.todo import Lights
from officium.plugins.docs_incoming import feed, guard, numbering
from officium.plugins.docs_incoming.constants import (
    DOC_TYPES,
    HANDLING,
    NOT_CLASSIFIED,
    OBJECT_TYPE,
    OPEN_STATUSES,
    PLUGIN_NAME,
    URGENCY_TITLES,
    URGENT,
)
from officium.plugins.docs_incoming.models import Assignment, IncomingDocument
from officium.plugins.docs_incoming.workflow import (
    ARCHIVE_STEP,
    ASSIGN_STEP,
    CIRCULATE_KEY,
    HANDLE_KEY,
    HANDLE_STEP,
    HANDLE_WORKFLOW,
    TRACK_STEP,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

URL = "/docs_incoming/"
VIEW = "docs_incoming.view"
REGISTER = "docs_incoming.register"
MANAGE = "docs_incoming.manage"
MANAGER_ROLE = "incoming_manager"

PERMISSIONS = [
    Permission(VIEW, "查看收文（本人经办的）", default_roles=("staff",)),
    Permission(REGISTER, "收文签收登记和初审（本单位）", default_roles=("clerk",)),
    Permission(MANAGE, "收文管理：查看和管理全部收文（办公室）", default_roles=(MANAGER_ROLE,)),
]
ROLES = [
    Role(
        MANAGER_ROLE,
        "收文管理员",
        description="办公室负责收文管理的人员：查看全部收文和登记簿，收回传阅。",
    )
]
SETTINGS = [
    Setting(
        "number_rule",
        "收文编号规则",
        str,
        "收〔{year}〕{seq}号",
        description="{year} 年度，{seq} 当年流水号（{seq:03d} 补足三位），{unit} 收文单位代码。每个单位每年从 1 编起。",
    ),
    Setting(
        "urgent_days",
        "内部分发紧急公文的默认办理时限（工作日）",
        int,
        3,
        description="局发文分发到本单位的加急、特急公文未写明办理时限时，按收到后这么多个工作日计。",
    ),
]
ARRIVED = "docs_incoming.arrived"
RETURNED = "docs_incoming.returned"
INSTRUCTED = "docs_incoming.instructed"
NOTIFICATION_TYPES = [
    NotificationType(ARRIVED, "新来文待签收", ("inbox",), "局内分发的公文到达本单位收文待初审。"),
    NotificationType(RETURNED, "收文已退回", ("inbox",), "局内分发到其他单位的公文被初审退回。"),
    NotificationType(INSTRUCTED, "领导已批示", ("inbox",), "您登记的收文已有领导批示。"),
]

TITLE_MAX = 300
FROM_MAX = 200
NUMBER_MAX = 100
TEXT_MAX = 2000
COPIES_MAX = 9999


class IncomingError(ValueError):
    """An action that cannot be done as asked; ``fields`` (form field → Chinese message) say where."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class SecrecyRefused(IncomingError):
    """The registration is 涉密: the findings, and the message citing the rule."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        message = refusal_message(findings)
        super().__init__(message, {guard.field_of(findings[0]): message})
        self.findings = list(findings)


class DuplicateFound(IncomingError):
    """Another document with the same 来文单位 and 来文字号 is registered; the clerk may confirm past it."""

    def __init__(self, existing: Sequence[IncomingDocument]) -> None:
        first = existing[0]
        message = (
            f"来文单位“{first.from_unit}”的来文字号“{first.doc_number}”已登记过"
            f"（{'、'.join(d.number for d in existing[:3])}）。如确需再次登记，请勾选“确认重复登记”后提交。"
        )
        super().__init__(message, {"doc_number": message})
        self.existing = list(existing)


class IntakeError(IncomingError):
    """:func:`receive_internal` refused the document (bad values or a 涉密 mark); nothing of it is kept
    once the caller's transaction rolls back."""


# ------------------------------------------------------------------------------------------- reading


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def clean(app: OfficiumApp, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The registration values from a form or a JSON body (all text), and the errors beside the fields."""
    errors: dict[str, str] = {}
    text = {k: str(data.get(k) if data.get(k) is not None else "").strip() for k in data}
    values: dict[str, Any] = {}
    for name, label, limit, required in (
        ("title", "标题", TITLE_MAX, True),
        ("from_unit", "来文单位", FROM_MAX, True),
        ("doc_number", "来文字号", NUMBER_MAX, False),
        ("note", "备注", TEXT_MAX, False),
    ):
        value = text.get(name, "")
        if required and not value:
            errors[name] = f"请填写{label}。"
        elif len(value) > limit:
            errors[name] = f"{label}不能超过 {limit} 个字。"
        values[name] = value
    doc_type = text.get("doc_type", "")
    if doc_type not in DOC_TYPES:
        errors["doc_type"] = "请选择文种（《党政机关公文处理工作条例》规定的 15 种之一）。"
    values["doc_type"] = doc_type
    urgency = text.get("urgency", "") or "normal"
    by_title = {title: key for key, title in URGENCY_TITLES.items()}
    urgency = by_title.get(urgency, urgency)
    if urgency not in URGENCY_TITLES:
        errors["urgency"] = "请选择紧急程度：平件、加急或特急。"
    values["urgency"] = urgency
    if text.get("classification", "") != NOT_CLASSIFIED:
        errors["classification"] = "请确认本文件为非涉密文件。涉密文件不得在本系统登记。"
    values["classification"] = NOT_CLASSIFIED
    raw_copies = text.get("copies", "") or "1"
    try:
        copies = int(raw_copies)
    except ValueError:
        copies = 0
    if not 1 <= copies <= COPIES_MAX:
        errors["copies"] = f"份数应为 1 到 {COPIES_MAX} 之间的整数。"
    values["copies"] = copies
    today = app.clock().date()
    received = _date(text.get("received_on", "")) if text.get("received_on") else today
    if received is None:
        errors["received_on"] = "收文日期的格式应为 年-月-日。"
    elif received > today:
        errors["received_on"] = "收文日期不能晚于今天。"
    values["received_on"] = received or today
    due = None
    if text.get("due_date"):
        due = _date(text["due_date"])
        if due is None:
            errors["due_date"] = "办理时限的格式应为 年-月-日。"
    elif text.get("limit_days"):
        try:
            days = int(text["limit_days"])
        except ValueError:
            days = 0
        if not 1 <= days <= 365:
            errors["limit_days"] = "办理时限应为 1 到 365 个工作日。"
        else:
            start = datetime.combine(values["received_on"], datetime.min.time())
            due = add_working_days(start, days).date()
    if due is not None and due < values["received_on"]:
        errors["due_date"] = "办理时限不能早于收文日期。"
    if due is None and urgency in URGENT and "due_date" not in errors and "limit_days" not in errors:
        errors["due_date"] = f"{URGENCY_TITLES[urgency]}公文必须明确办理时限（条例第二十四条）。"
    values["due_date"] = due
    return values, errors


def duplicates(unit: Unit, from_unit: str, doc_number: str) -> list[IncomingDocument]:
    """Documents ``unit`` already registered from the same 来文单位 under the same 来文字号 (none when it is
    empty).  Another unit receiving the same 来文 is no duplicate (each unit keeps its own 收文登记簿), and
    its register is not this unit's to see."""
    if not from_unit or not doc_number:
        return []
    return list(
        IncomingDocument.select()
        .where(
            (IncomingDocument.unit == unit)
            & (IncomingDocument.from_unit == from_unit)
            & (IncomingDocument.doc_number == doc_number)
        )
        .order_by(IncomingDocument.id)
    )


# -------------------------------------------------------------------------------------- registration


def register(
    app: OfficiumApp,
    *,
    unit: Unit,
    actor: User,
    data: Mapping[str, Any],
    uploads: Sequence[tuple[str, bytes]] = (),
    confirm_duplicate: bool = False,
    request: Request | None = None,
    source: tuple[str, str, Any] | None = None,
    attachments: Sequence[files.Attachment] = (),
) -> IncomingDocument:
    """签收登记: check, number and store one incoming document with its files.

    Raises :class:`SecrecyRefused` first when anything is 涉密 (the caller audits it with
    ``secrecy.record_refusal`` and stores nothing), :class:`IncomingError` for bad values (a file refused
    by the attachment checks included; the caller's savepoint undoes the row), :class:`DuplicateFound`
    unless ``confirm_duplicate``.
    """
    blobs = list(uploads) + [(a.filename, files.read_bytes(app, a)) for a in attachments]
    found = guard.findings(data, blobs)
    if found:
        raise SecrecyRefused(found)
    values, errors = clean(app, data)
    if errors:
        raise IncomingError("登记的内容有误，请按提示修改。", errors)
    if not confirm_duplicate:
        same = duplicates(unit, values["from_unit"], values["doc_number"])
        if same:
            raise DuplicateFound(same)
    now = app.clock()
    seq, number = numbering.next_number(app, unit, now.year)
    plugin, kind, object_id = source if source is not None else ("", "", "")
    document = IncomingDocument.create(
        unit=unit,
        year=now.year,
        seq=seq,
        number=number,
        registered_by=actor,
        registered_at=now,
        status="registered",
        source_plugin=plugin,
        source_type=kind,
        source_id=str(object_id),
        **values,
    )
    owner = (PLUGIN_NAME, OBJECT_TYPE, document.id)
    for name, data_bytes in uploads:
        try:
            files.save_upload(app, (name, data_bytes), owner=owner, user=actor)
        except files.FileRejected as exc:
            raise IncomingError(exc.message, {"attachments": exc.message}) from exc
    for attachment in attachments:
        files.copy_to(attachment, owner, actor, app=app)
    audit.record(
        app,
        "docs_incoming.register",
        actor=actor,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=document.id,
        summary=f"收文登记 {number}《{document.title}》（来文单位：{document.from_unit}）",
    )
    feed.update(app, document)
    return document


def receive_internal(
    app: OfficiumApp,
    *,
    unit: Unit,
    title: str,
    from_unit: str,
    doc_number: str,
    doc_type: str,
    urgency: str,
    attachments: Sequence[files.Attachment] = (),
    source: tuple[str, str, Any],
    actor: User,
    copies: int = 1,
    due_date: date | None = None,
    request: Request | None = None,
) -> IncomingDocument:
    """A document distributed inside the bureau (局发文 分发) arrives in ``unit``'s 收文 register.

    It is registered as 待初审 with the unit's next 收文编号, linked to the original ``source`` =
    (plugin, object_type, object_id), with the attachments shared (``files.copy_to``); the unit's 综合人员
    are notified.  Runs in the caller's transaction; raises :class:`IntakeError` (nothing must be kept: let
    it propagate, or run the call in a savepoint) on a bad value or a 涉密 mark.  A repeated distribution of
    the same original to the same unit is registered again (no duplicate warning: the sender decided).
    """
    if urgency in URGENT and due_date is None:
        start = app.clock()
        due_date = add_working_days(start, app.settings(PLUGIN_NAME)["urgent_days"]).date()
    data = {
        "title": title,
        "from_unit": from_unit,
        "doc_number": doc_number,
        "doc_type": doc_type,
        "urgency": urgency,
        "copies": str(copies),
        "classification": NOT_CLASSIFIED,
        "due_date": due_date.isoformat() if due_date else "",
        "note": "局内分发",
    }
    try:
        document = register(
            app,
            unit=unit,
            actor=actor,
            data=data,
            confirm_duplicate=True,
            request=request,
            source=source,
            attachments=attachments,
        )
    except IncomingError as exc:
        detail = "；".join(exc.fields.values()) or exc.message
        raise IntakeError(detail, exc.fields) from exc
    notifications.notify_many(
        app,
        clerks_of(unit),
        ARRIVED,
        f"新来文待签收：《{document.title}》",
        url=document.url,
        body=f"{document.from_unit} {document.doc_number}，收文编号 {document.number}，请初审。",
    )
    return document


def incoming_for_source(plugin: str, object_type: str, object_id: Any) -> list[IncomingDocument]:
    """The incoming copies made by :func:`receive_internal` from one original, oldest first."""
    return list(
        IncomingDocument.select()
        .where(
            (IncomingDocument.source_plugin == plugin)
            & (IncomingDocument.source_type == object_type)
            & (IncomingDocument.source_id == str(object_id))
        )
        .order_by(IncomingDocument.id)
    )


# --------------------------------------------------------------------------------------------- who


def clerks_of(unit: Unit) -> list[User]:
    """The active 综合人员 of exactly this unit."""
    return list(
        User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.role == "clerk") & (RoleGrant.unit == unit) & (User.status == "active"))
        .order_by(User.id)
        .distinct()
    )


def register_units(user: User) -> list[Unit]:
    """The units a clerk registers for: those they hold ``clerk`` in, their own unit first."""
    units = list(
        Unit.select()
        .join(RoleGrant, on=(RoleGrant.unit == Unit.id))
        .where((RoleGrant.user == user) & (RoleGrant.role == "clerk"))
        .distinct()
    )
    units.sort(key=lambda u: (u.id != user.unit_id, u.id))
    return units


def is_unit_clerk(user: User, perms: frozenset[str], document: IncomingDocument) -> bool:
    """Whether the user registers for the document's unit (its 综合人员)."""
    return REGISTER in perms and any(u.id == document.unit_id for u in register_units(user))


def instance_of(document: IncomingDocument) -> Instance | None:
    return engine.instance_for(PLUGIN_NAME, OBJECT_TYPE, document.id)


def visible(user: User, perms: frozenset[str], document: IncomingDocument) -> bool:
    """The office (``docs_incoming.manage``), the receiving unit's clerks, whoever registered it, and
    anyone who has or had a work item (待办 or 待阅) on it — except a 待阅 recalled unread (收回传阅)."""
    if MANAGE in perms or document.registered_by_id == user.id or is_unit_clerk(user, perms, document):
        return True
    instance = instance_of(document)
    return instance is not None and (
        WorkItem.select(WorkItem.id)
        .where(
            (WorkItem.instance == instance)
            & ((WorkItem.assignee == user) | (WorkItem.principal == user))
            & feed.counts_as_handling()
        )
        .exists()
    )


def visible_query(user: User, perms: frozenset[str]) -> Any:
    """The documents the user may see (for the 登记簿)."""
    query = IncomingDocument.select(IncomingDocument, Unit).join(Unit).switch(IncomingDocument)
    if MANAGE in perms:
        return query
    handled = (
        Instance.select(Instance.object_id)
        .join(WorkItem, on=(WorkItem.instance == Instance.id))
        .where(
            (Instance.plugin == PLUGIN_NAME)
            & (Instance.object_type == OBJECT_TYPE)
            & ((WorkItem.assignee == user) | (WorkItem.principal == user))
            & feed.counts_as_handling()
        )
    )
    condition = (IncomingDocument.registered_by == user) | (IncomingDocument.id.cast("TEXT").in_(handled))
    units = [u.id for u in register_units(user)] if REGISTER in perms else []
    if units:
        condition |= IncomingDocument.unit.in_(units)
    return query.where(condition)


def my_item(document: IncomingDocument, user: User, step: str) -> WorkItem | None:
    """The user's open 待办 on the document in ``step``."""
    instance = instance_of(document)
    if instance is None or instance.state != "running":
        return None
    return (
        WorkItem.select()
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.assignee == user)
            & (WorkItem.kind == "todo")
            & (WorkItem.state == "open")
            & (WorkItem.step == step)
        )
        .first()
    )


def _lead(document: IncomingDocument) -> Unit | None:
    row = Assignment.get_or_none((Assignment.document == document) & (Assignment.role == "lead"))
    return row.unit if row is not None else None


def assignments(document: IncomingDocument) -> dict[str, list[Unit]]:
    """分办: ``{"lead": [unit], "assist": [units]}``."""
    result: dict[str, list[Unit]] = {"lead": [], "assist": []}
    for row in Assignment.select(Assignment, Unit).join(Unit).where(Assignment.document == document):
        result[row.role].append(row.unit)
    return result


def _within(unit: Unit | None, top: Unit) -> bool:
    seen = set()
    while unit is not None and unit.id not in seen:
        if unit.id == top.id:
            return True
        seen.add(unit.id)
        unit = unit.parent
    return False


def is_lead_handler(document: IncomingDocument, item: WorkItem | None) -> bool:
    """Whether a 承办 item belongs to someone of the 主办 unit (or a unit below it)."""
    lead = _lead(document)
    if item is None or lead is None:
        return False
    owner = item.principal if item.principal_id else item.assignee
    return _within(owner.unit, lead)


def handling_unit(document: IncomingDocument, item: WorkItem | None) -> Unit | None:
    """The 主办 or 协办 unit a 承办 item works for (the assigned unit its holder belongs to)."""
    if item is None:
        return None
    owner = item.principal if item.principal_id else item.assignee
    for row in Assignment.select(Assignment, Unit).join(Unit).where(Assignment.document == document):
        if _within(owner.unit, row.unit):
            return row.unit
    return None


def colleagues(unit: Unit, exclude: User) -> list[User]:
    """Active people of ``unit`` and the units below it: whom a 承办 item may be forwarded to."""
    children: dict[int, list[int]] = {}
    for row in Unit.select(Unit.id, Unit.parent).tuples():
        children.setdefault(row[1], []).append(row[0])
    ids, todo = [], [unit.id]
    while todo:
        current = todo.pop()
        ids.append(current)
        todo.extend(children.get(current, []))
    return list(
        User.select()
        .where(User.unit.in_(ids) & (User.status == "active") & (User.id != exclude.id))
        .order_by(User.unit, User.id)
    )


def forward(
    app: OfficiumApp,
    document: IncomingDocument,
    actor: User,
    *,
    to: Sequence[User],
    mode: str,
    opinion: str = "",
    request: Request | None = None,
) -> IncomingDocument:
    """承办 inside the unit: 转办 (hand one's item to a colleague) or 加签 (ask colleagues to handle it too)."""
    item = my_item(document, actor, HANDLE_STEP)
    unit = handling_unit(document, item)
    if item is None or unit is None:
        raise IncomingError("您没有该收文的承办待办。")
    if mode not in ("transfer", "add"):
        raise IncomingError("请选择转办或加签。", {"mode": "请选择转办或加签。"})
    if not to:
        raise IncomingError("请选择本单位的承办人员。", {"to": "请选择本单位的承办人员。"})
    outside = [u.name for u in to if not _within(u.unit, unit)]
    if outside:
        message = f"{'、'.join(outside)} 不是{unit.name}的人员：承办只能在本单位内转办或加签。"
        raise IncomingError(message, {"to": message})
    if mode == "transfer":
        if len(to) != 1:
            raise IncomingError("转办只能选择一人。", {"to": "转办只能选择一人。"})
        engine.transfer(app, item.id, actor, to[0], opinion=opinion, request=request)
    else:
        engine.add_signers(app, item.id, actor, list(to), opinion=opinion, request=request)
    instance = instance_of(document)
    _apply_due(document, instance)
    feed.update(app, document)
    return document


def allowed(document: IncomingDocument, user: User, perms: frozenset[str]) -> dict[str, Any]:
    """What the user may do on the document now (beyond the generic workflow panel)."""
    clerk = is_unit_clerk(user, perms, document)
    instance = instance_of(document)
    handle_item = my_item(document, user, HANDLE_STEP)
    return {
        "review": clerk and document.status == "registered",
        "assign": my_item(document, user, ASSIGN_STEP) is not None,
        "conclude": handle_item is not None and is_lead_handler(document, handle_item),
        "forward": handling_unit(document, handle_item) if handle_item is not None else None,
        "reply": my_item(document, user, ARCHIVE_STEP) is not None,
        "archive": my_item(document, user, ARCHIVE_STEP) is not None
        or my_item(document, user, TRACK_STEP) is not None,
        "recall": document.status == "circulating"
        and instance is not None
        and (instance.drafter_id == user.id or MANAGE in perms)
        and _open_reads(instance).exists(),
    }


# ------------------------------------------------------------------------------------------- actions


def _audit(
    app: OfficiumApp, action: str, actor: User, document: IncomingDocument, summary: str, request: Any
) -> None:
    audit.record(
        app,
        f"docs_incoming.{action}",
        actor=actor,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=document.id,
        summary=f"{summary}：{document.number}《{document.title}》",
    )


def _reload(document: IncomingDocument) -> IncomingDocument:
    return IncomingDocument.get_by_id(document.id)


def _title(document: IncomingDocument) -> str:
    return f"{document.number}《{document.title}》"


def accept(
    app: OfficiumApp,
    document: IncomingDocument,
    actor: User,
    *,
    handling: str,
    readers: Sequence[User] = (),
    opinion: str = "",
    request: Request | None = None,
) -> IncomingDocument:
    """初审 accepted: a 批办件 goes to 拟办, a 阅知件 out for 传阅 to ``readers``."""
    if document.status != "registered":
        raise IncomingError("该收文已初审过。")
    if handling not in HANDLING:
        raise IncomingError("请选择办理方式：批办件或阅知件。", {"handling": "请选择办理方式。"})
    if handling == "read" and not readers:
        raise IncomingError("请选择传阅范围。", {"readers": "请选择传阅的人员或单位。"})
    document.status = "handling" if handling == "handle" else "circulating"
    document.handling = handling
    document.reviewed_by = actor
    document.reviewed_at = app.clock()
    document.save()
    instance = engine.start(
        app,
        HANDLE_KEY if handling == "handle" else CIRCULATE_KEY,
        object_type=OBJECT_TYPE,
        object_id=document.id,
        title=_title(document),
        url=document.url,
        drafter=actor,
        unit=document.unit,
        urgency=document.urgency,
        fields={"doc_type": document.doc_type},
        opinion=opinion or "初审通过。",
        request=request,
    )
    if handling == "read":
        engine.circulate(app, instance.id, actor, list(readers), note=opinion, request=request)
    _apply_due(document, instance)
    _audit(app, "accept", actor, document, f"初审通过（{HANDLING[handling]}）", request)
    feed.update(app, document)
    return document


def return_to_sender(
    app: OfficiumApp, document: IncomingDocument, actor: User, reason: str, request: Request | None = None
) -> IncomingDocument:
    """初审 退回来文单位, with the reason (recorded on the document and in the audit log)."""
    if document.status != "registered":
        raise IncomingError("该收文已初审过，不能再退回来文单位。")
    reason = reason.strip()
    if not reason:
        raise IncomingError("请填写退回理由。", {"reason": "请填写退回理由。"})
    if len(reason) > TEXT_MAX:
        raise IncomingError("退回理由太长。", {"reason": f"退回理由不能超过 {TEXT_MAX} 个字。"})
    found = guard.text_findings("reason", reason)
    if found:
        raise SecrecyRefused(found)
    document.status = "returned"
    document.return_reason = reason
    document.reviewed_by = actor
    document.reviewed_at = app.clock()
    document.save()
    _audit(app, "return_to_sender", actor, document, f"退回来文单位（{reason}）", request)
    if document.source_plugin:
        notifications.notify(
            app,
            document.registered_by,
            RETURNED,
            f"收文已退回：《{document.title}》",
            url=document.url,
            body=f"{document.unit.name}退回了这份局内分发的公文：{reason}",
        )
    feed.update(app, document)
    return document


def _unit_clerks(units: Iterable[Unit]) -> list[User]:
    people: list[User] = []
    missing = []
    for unit in units:
        found = clerks_of(unit)
        if not found:
            missing.append(unit.name)
        people.extend(found[:1])
    if missing:
        message = f"{'、'.join(missing)} 没有综合人员，无法分办，请联系系统管理员授予角色。"
        raise IncomingError(message, {"lead_unit": message})
    return people


def _apply_due(document: IncomingDocument, instance: Instance) -> None:
    """The document's 办理时限 bounds the open items' deadlines (the core job reminds and escalates them)."""
    if document.due_date is None:
        return
    due = datetime.combine(document.due_date, END_OF_DAY)
    WorkItem.update(due_at=due).where(
        (WorkItem.instance == instance)
        & (WorkItem.kind == "todo")
        & WorkItem.state.in_(("open", "waiting"))
        & (WorkItem.due_at.is_null() | (WorkItem.due_at > due))
    ).execute()


def assign(
    app: OfficiumApp,
    document: IncomingDocument,
    actor: User,
    *,
    lead: Unit | None,
    assists: Sequence[Unit] = (),
    opinion: str = "",
    request: Request | None = None,
) -> IncomingDocument:
    """分办: one 主办 unit and any 协办 units; their 综合人员 get the 承办 items."""
    item = my_item(document, actor, ASSIGN_STEP)
    if item is None:
        raise IncomingError("您没有该收文的分办待办。")
    if lead is None:
        raise IncomingError("请选择主办单位。", {"lead_unit": "请选择主办单位。"})
    assists = [u for u in dict.fromkeys(assists) if u.id != lead.id]
    handlers = _unit_clerks([lead, *assists])
    Assignment.delete().where(Assignment.document == document).execute()
    Assignment.create(document=document, unit=lead, role="lead")
    for unit in assists:
        Assignment.create(document=document, unit=unit, role="assist")
    names = f"主办：{lead.name}" + (f"；协办：{'、'.join(u.name for u in assists)}" if assists else "")
    instance = engine.approve(
        app,
        item.id,
        actor,
        opinion=opinion or f"请{names.replace('主办：', '').split('；')[0]}主办。",
        chosen=handlers,
        request=request,
    )
    _apply_due(document, instance)
    _audit(app, "assign", actor, document, f"分办（{names}）", request)
    document = _reload(document)
    feed.update(app, document)
    return document


def conclude(
    app: OfficiumApp, document: IncomingDocument, actor: User, result: str, request: Request | None = None
) -> IncomingDocument:
    """办结 by the 主办 unit: record the handling result and complete its 承办 item."""
    item = my_item(document, actor, HANDLE_STEP)
    if item is None or not is_lead_handler(document, item):
        raise IncomingError("只有主办单位的承办人才能办结。")
    result = result.strip()
    if not result:
        raise IncomingError("请填写办理结果。", {"result": "请填写办理结果。"})
    if len(result) > TEXT_MAX:
        raise IncomingError("办理结果太长。", {"result": f"办理结果不能超过 {TEXT_MAX} 个字。"})
    found = guard.text_findings("result", result)
    if found:
        raise SecrecyRefused(found)
    IncomingDocument.update(result=result).where(IncomingDocument.id == document.id).execute()
    engine.approve(app, item.id, actor, opinion=result, request=request)
    document = _reload(document)
    _audit(app, "conclude", actor, document, "主办单位办结", request)
    feed.update(app, document)
    return document


def tell_instructed(app: OfficiumApp, document: IncomingDocument, instance: Instance) -> None:
    """领导批示提示: the clerk who accepted the document learns that the leaders have instructed."""
    names = "、".join(o["name"] for o in instance_opinions(instance) if o["step"] == "instruct")
    notifications.notify(
        app,
        instance.drafter,
        INSTRUCTED,
        f"领导已批示：《{document.title}》",
        url=document.url,
        body=f"{names}已批示，请分办。",
    )


def mark_concluded(app: OfficiumApp, document: IncomingDocument, instance: Instance) -> None:
    """承办 complete (workflow callback): the document is 办结; without a recorded result (the 主办 used the
    generic 同意) the 主办 unit's opinions stand as the result."""
    if not document.result:
        lead = _lead(document)
        done = WorkItem.select().where(
            (WorkItem.instance == instance) & (WorkItem.step == HANDLE_STEP) & (WorkItem.state == "done")
        )
        texts = [
            i.opinion
            for i in done
            if i.opinion and lead is not None and _within((i.principal or i.actor or i.assignee).unit, lead)
        ]
        document.result = "\n".join(texts) or "已办理。"
    document.status = "concluded"
    document.concluded_at = app.clock()
    document.save()
    feed.update(app, document, instance)


def reply(
    app: OfficiumApp, document: IncomingDocument, actor: User, text: str, request: Request | None = None
) -> IncomingDocument:
    """答复: what was reported back to the sending unit (optional, before 归档)."""
    if my_item(document, actor, ARCHIVE_STEP) is None:
        raise IncomingError("只有办结后负责归档的综合人员才能登记答复。")
    text = text.strip()
    if not text:
        raise IncomingError("请填写答复内容。", {"reply": "请填写答复内容。"})
    if len(text) > TEXT_MAX:
        raise IncomingError("答复内容太长。", {"reply": f"答复内容不能超过 {TEXT_MAX} 个字。"})
    found = guard.text_findings("reply", text)
    if found:
        raise SecrecyRefused(found)
    document.reply = text
    document.replied_at = app.clock()
    document.save()
    _audit(app, "reply", actor, document, "答复来文单位", request)
    feed.update(app, document)
    return document


def archive(
    app: OfficiumApp,
    document: IncomingDocument,
    actor: User,
    opinion: str = "",
    request: Request | None = None,
) -> IncomingDocument:
    """归档: the clerk completes the last step (批办件) or ends the 传阅 (阅知件)."""
    item = my_item(document, actor, ARCHIVE_STEP) or my_item(document, actor, TRACK_STEP)
    if item is None:
        raise IncomingError("该收文现在不能由您归档。")
    engine.approve(app, item.id, actor, opinion=opinion or "归档。", request=request)
    document = _reload(document)
    _audit(app, "archive", actor, document, "归档", request)
    return document


def mark_archived(app: OfficiumApp, document: IncomingDocument, instance: Instance | None = None) -> None:
    """The workflow finished (callback, with the document's ``instance``): the document is 归档; open 传阅
    items stay readable."""
    document.status = "archived"
    document.archived_at = app.clock()
    document.save()
    feed.update(app, document, instance)


def mark_closed(app: OfficiumApp, document: IncomingDocument) -> None:
    """The workflow was ended without finishing (终止 by the workflow administrator): 已终止."""
    document.status = "closed"
    document.save()
    feed.update(app, document)


def _open_reads(instance: Instance) -> Any:
    return WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.kind == "read") & (WorkItem.state == "open")
    )


def recall(
    app: OfficiumApp,
    document: IncomingDocument,
    actor: User,
    perms: frozenset[str],
    request: Request | None = None,
) -> int:
    """收回传阅: the readers who have not read it yet lose their 待阅 item; returns how many."""
    instance = instance_of(document)
    if instance is None or not (instance.drafter_id == actor.id or MANAGE in perms):
        raise IncomingError("只有发起传阅的综合人员或收文管理员才能收回传阅。")
    pending = list(_open_reads(instance))
    if not pending:
        raise IncomingError("没有尚未阅读的传阅，无需收回。")
    WorkItem.update(state="cancelled", done_at=app.clock(), action="recall", actor=actor).where(
        WorkItem.id.in_([i.id for i in pending])
    ).execute()
    from officium.core.web.context import client_ip

    names = "、".join(i.assignee.name for i in pending)
    ActionLog.create(
        instance=instance,
        step="circulate",
        action="recall",
        actor=actor,
        opinion=f"收回传阅（未阅：{names}）",
        ip=client_ip(request) if request is not None else "",
        at=app.clock(),
    )
    _audit(app, "recall", actor, document, f"收回传阅（{len(pending)} 人未阅）", request)
    feed.update(app, document)  # the recalled readers no longer find it
    return len(pending)


# ------------------------------------------------------------------------------------------ showing


def step_titles() -> dict[str, str]:
    return {s.name: s.title for s in HANDLE_WORKFLOW.steps} | {TRACK_STEP: "传阅与归档", "drafter": "登记人"}


def opinions(document: IncomingDocument) -> list[dict[str, Any]]:
    """The opinions given on the document's workflow steps (拟办, 批示, 分办, 承办, 归档), in order."""
    return instance_opinions(instance_of(document))


def instance_opinions(instance: Instance | None) -> list[dict[str, Any]]:
    """:func:`opinions` of the document whose workflow instance is ``instance`` (None: not submitted)."""
    if instance is None:
        return []
    titles = step_titles()
    items = list(
        WorkItem.select()
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.kind == "todo")
            & (WorkItem.state == "done")
            & (WorkItem.action == "approve")
        )
        .order_by(WorkItem.done_at, WorkItem.id)
    )
    # the people and their units in one query each, not two per opinion
    ids = {i.principal_id for i in items if i.principal_id} | {i.actor_id for i in items if i.actor_id}
    people = {u.id: u for u in User.select().where(User.id.in_(list(ids)))} if ids else {}
    unit_ids = {u.unit_id for u in people.values() if u.unit_id}
    units = {u.id: u for u in Unit.select().where(Unit.id.in_(list(unit_ids)))} if unit_ids else {}
    rows = []
    for item in items:
        owner = people.get(item.principal_id if item.principal_id else item.actor_id)
        name = owner.name if owner is not None else ""
        if item.principal_id and item.actor_id and item.actor_id != item.principal_id:
            name = f"{people[item.actor_id].name} 代 {people[item.principal_id].name}"
        unit = units.get(owner.unit_id) if owner is not None and owner.unit_id else None
        rows.append(
            {
                "step": item.step,
                "step_title": titles.get(item.step, item.step),
                "name": name,
                "unit": unit.name if unit is not None else "",
                "opinion": item.opinion,
                "at": item.done_at,
            }
        )
    return rows


def read_status(document: IncomingDocument) -> list[dict[str, Any]]:
    """传阅: every reader with 待阅/已阅/已收回 and when."""
    instance = instance_of(document)
    if instance is None:
        return []
    labels = {"open": "未阅", "done": "已阅", "cancelled": "已收回"}
    return [
        {
            "name": i.assignee.name,
            "username": i.assignee.username,
            "unit": i.assignee.unit.name if i.assignee.unit_id else "",
            "state": i.state,
            "state_label": labels.get(i.state, i.state),
            "sent_at": i.created_at,
            "read_at": i.done_at if i.state == "done" else None,
        }
        for i in WorkItem.select()
        .where((WorkItem.instance == instance) & (WorkItem.kind == "read"))
        .order_by(WorkItem.id)
    ]


def due_at(document: IncomingDocument) -> datetime | None:
    return datetime.combine(document.due_date, END_OF_DAY) if document.due_date else None


def light(lights: Lights, document: IncomingDocument) -> tuple[str | None, str]:
    """The overdue light of a document whose time limit still runs (``(None, "")`` otherwise)."""
    if document.status not in OPEN_STATUSES or document.due_date is None:
        return None, ""
    due = due_at(document)
    return lights.of(due), lights.label(due) or "正常"


def readers_from(usernames: Sequence[User], unit_ids: Sequence[int]) -> list[User]:
    """传阅范围: chosen people plus every active member of the chosen units."""
    people = list(usernames)
    if unit_ids:
        people += list(
            User.select()
            .where(User.unit.in_(list(unit_ids)) & (User.status == "active"))
            .order_by(User.unit, User.id)
        )
    return list(dict.fromkeys(people))


def unit_choices() -> list[Unit]:
    return list(Unit.select().order_by(Unit.id))


def overdue_condition(today: date) -> Any:
    return (
        IncomingDocument.status.in_(OPEN_STATUSES)
        & IncomingDocument.due_date.is_null(False)
        & (IncomingDocument.due_date < today)
    )


def todo_counts(request: Any, user: User | None) -> list[Any]:
    """待初审: documents registered in the clerk's units and not reviewed yet."""
    from officium.core.registry import TodoCount

    if user is None or REGISTER not in request.state.ctx.permissions:
        return []
    units = [u.id for u in register_units(user)]
    if not units:
        return []
    count = (
        IncomingDocument.select()
        .where((IncomingDocument.status == "registered") & IncomingDocument.unit.in_(units))
        .count()
    )
    return [TodoCount("收文待初审", count, f"{URL}?status=registered")] if count else []
