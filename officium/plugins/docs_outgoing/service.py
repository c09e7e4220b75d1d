"""What a 局发文 does: who may see and change it, saving versions, the 涉密 guard, submitting, the workflow's
callbacks (signature, rule checks, number, seal, issue), and the JSON form of a document.

Everything runs inside the caller's transaction.  Functions that refuse raise :class:`OutgoingError`
(``fields`` say where) or :class:`SecrecyRefused` before changing anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from officium.core import audit, notifications
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.registry import NotificationType, Permission, Role, Setting
from officium.core.workflow import engine
from officium.core.workflow.definition import DRAFTER_STEP, supervising_leader
from officium.core.workflow.engine import WorkflowError
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from officium.plugins.docs_outgoing import body as body_text
from officium.plugins.docs_outgoing import rules
from officium.plugins.docs_outgoing.constants import (
    COUNTERSIGN_MODES,
    DIRECTIONS,
    DOC_TYPES,
    KEY_FIELDS,
    LABELS,
    URGENCIES,
    URGENT,
)
from officium.plugins.docs_outgoing.models import Distribution, Document, Signature, Version
from officium.plugins.docs_outgoing.workflow import (
    AFTER_SIGNING,
    EDITABLE_STEPS,
    KEY,
    OFFICE_ROLE,
    SIGN,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

PLUGIN = "docs_outgoing"
OBJECT_TYPE = "document"
BODY_FILE = "body"  # owner_type of an uploaded DOCX/PDF body
ATTACHMENT = "attachment"  # owner_type of the 附件
SEALED = "sealed"  # owner_type of the final sealed PDF
URL = "/docs_outgoing/"

VIEW = "docs_outgoing.view"
DRAFT = "docs_outgoing.draft"
MANAGE = "docs_outgoing.manage"
PERMISSIONS = [
    Permission(VIEW, "查看局发文", default_roles=("staff",)),
    Permission(DRAFT, "拟制局发文", default_roles=("staff",)),
    Permission(
        MANAGE, "办公室发文管理（审核、复核、编号、核发、登记簿、机关代字）", default_roles=(OFFICE_ROLE,)
    ),
]
ROLES = [
    Role(
        OFFICE_ROLE,
        "办公室公文管理员",
        description="办公室负责发文审核、复核、编号登记、核发分发和归档的文书人员",
    )
]
SETTINGS = [
    Setting("issuer_mark", "默认发文机关标志", str, "", description="为空时取局（根单位）名称加“文件”。"),
    Setting("issuer_name", "默认发文机关署名", str, "", description="为空时取局（根单位）名称。"),
]
ISSUED = "docs_outgoing.issued"
RESIGN = "docs_outgoing.resign"
NOTIFICATION_TYPES = [
    NotificationType(ISSUED, "发文已核发", ("inbox",), "您拟稿的发文已编号、用印并核发。"),
    NotificationType(RESIGN, "发文需重新签发", ("inbox",), "已签发的发文作了实质性修改，需要重新签发。"),
]

BODY_EXTENSIONS = ("docx", "pdf")
#: Who may be named as the signing leader (签发领导).
SIGNING_ROLES = ("leader", "deputy_leader", "supervising_leader")
TEXT_LIMITS = {
    "title": 300,
    "main_to": 2000,
    "attachment_note": 2000,
    "issuer_mark": 100,
    "issuer_name": 100,
    "remark": 2000,
    "cc": 2000,
    "printer": 100,
    "signer_name": 64,
    "copy_no": 6,
}


class OutgoingError(ValueError):
    """A request that cannot be done as it stands; ``fields`` map form fields to Chinese messages."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class SecrecyRefused(OutgoingError):
    """The 涉密 guard found classification marks: nothing is stored."""

    def __init__(self, findings: list[Any], field: str = "secrecy") -> None:
        from officium.core import secrecy

        message = secrecy.refusal_message(findings)
        super().__init__(message, {field: message})
        self.findings = findings


# ------------------------------------------------------------------------------------ who may do what


def root_unit() -> Unit | None:
    """The bureau (the unit without a parent)."""
    return Unit.select().where(Unit.parent.is_null()).order_by(Unit.order, Unit.id).first()


def default_issuer(app: OfficiumApp) -> tuple[str, str]:
    """The default 发文机关标志 and 署名."""
    settings = app.settings(PLUGIN)
    root = root_unit()
    name = root.name if root is not None else ""
    return settings.get("issuer_mark") or (f"{name}文件" if name else ""), settings.get("issuer_name") or name


def organ_names(app: OfficiumApp) -> list[str]:
    """Names a 标题 may start with: every active unit, and the configured 署名."""
    names = [u.name for u in Unit.select(Unit.name).where(Unit.active == True)]  # noqa: E712
    return names + [n for n in default_issuer(app) if n]


def instance_of(doc: Document) -> Instance | None:
    return engine.instance_for(PLUGIN, OBJECT_TYPE, doc.id)


def is_office(permissions: Iterable[str]) -> bool:
    return MANAGE in permissions


def can_see(user: User, permissions: Iterable[str], doc: Document) -> bool:
    """The drafter, the office, anyone who has or had an item on it, and the 流程监控 administrators."""
    if doc.drafter_id == user.id or is_office(permissions) or "core.workflow.monitor" in permissions:
        return True
    instance = instance_of(doc)
    if instance is None:
        return False
    return (
        WorkItem.select(WorkItem.id)
        .where(
            (WorkItem.instance == instance.id)
            & ((WorkItem.assignee == user.id) | (WorkItem.principal == user.id))
        )
        .exists()
    )


def listing(user: User, permissions: Iterable[str]) -> Any:
    """The documents the user may see, newest first (filters are added by the caller)."""
    query = Document.select()
    if is_office(permissions) or "core.workflow.monitor" in permissions:
        return query
    mine = (
        Instance.select(Instance.object_id)
        .join(WorkItem, on=(WorkItem.instance == Instance.id))
        .where(
            (Instance.plugin == PLUGIN)
            & (Instance.object_type == OBJECT_TYPE)
            & ((WorkItem.assignee == user.id) | (WorkItem.principal == user.id))
        )
    )
    ids = [int(r.object_id) for r in mine]
    return query.where((Document.drafter == user.id) | (Document.id.in_(ids or [0])))


def open_item(doc: Document, user: User) -> WorkItem | None:
    instance = instance_of(doc)
    return engine.my_open_item(instance, user) if instance is not None else None


def edit_item(doc: Document, user: User) -> tuple[bool, WorkItem | None]:
    """Whether ``user`` may revise ``doc`` now, and the work item that allows it (None for a draft)."""
    if doc.state == "draft":
        return doc.drafter_id == user.id, None
    if doc.state != "running":
        return False, None
    item = open_item(doc, user)
    if item is None:
        return False, None
    return item.step == DRAFTER_STEP or item.step in EDITABLE_STEPS, item


# ---------------------------------------------------------------------------------------- the form


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD。"
        return None


def parse_form(
    app: OfficiumApp, data: Mapping[str, Any], user: User
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a submitted draft (form or JSON): the cleaned values and the field errors."""

    def text(key: str) -> str:
        value = data.get(key, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value if value is not None else "").strip()

    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, limit in TEXT_LIMITS.items():
        values[key] = text(key)
        if len(values[key]) > limit:
            errors[key] = f"{LABELS.get(key, key)}不超过 {limit} 字。"
    if not values["title"]:
        errors["title"] = "请填写标题。"
    values["doc_type"] = text("doc_type")
    if values["doc_type"] not in DOC_TYPES:
        errors["doc_type"] = "请选择文种（条例规定的 15 种之一）。"
    values["direction"] = text("direction") or "down"
    if values["direction"] not in DIRECTIONS:
        errors["direction"] = "请选择行文方向。"
    values["urgency"] = text("urgency") or "normal"
    if values["urgency"] not in URGENCIES:
        errors["urgency"] = "紧急程度只能是平件、加急或特急。"
    values["time_limit"] = _date(text("time_limit"), "time_limit", errors)
    values["written_date"] = _date(text("written_date"), "written_date", errors)
    values["print_date"] = _date(text("print_date"), "print_date", errors)
    raw_body = data.get("body", "")
    raw_body = str(raw_body if raw_body is not None else "")
    if len(raw_body) > body_text.MAX_CHARS:
        errors["body"] = f"正文不超过 {body_text.MAX_CHARS} 字。"
    values["body"] = body_text.normalise(raw_body)
    mode = text("countersign_mode") or "none"
    if mode not in COUNTERSIGN_MODES:
        errors["countersign_mode"] = "请选择会签方式。"
    raw_units = data.get("countersign_units", [])
    if isinstance(raw_units, str):
        raw_units = [u for u in raw_units.replace("，", ",").split(",") if u.strip()]
    unit_ids: list[int] = []
    for raw in raw_units or []:
        try:
            unit_ids.append(int(raw))
        except (TypeError, ValueError):
            errors["countersign_units"] = "会签单位不正确。"
    units = {u.id: u for u in Unit.select().where(Unit.id.in_(unit_ids or [0]) & (Unit.active == True))}  # noqa: E712
    if len(units) != len(set(unit_ids)):
        errors["countersign_units"] = "会签单位不存在或已停用。"
    unit_ids = list(dict.fromkeys(unit_ids))
    if mode != "none" and not unit_ids and "countersign_units" not in errors:
        errors["countersign_units"] = "请选择会签单位，或把会签方式改为“不需会签”。"
    if user.unit_id in unit_ids:
        errors["countersign_units"] = "会签单位不包括本单位（本单位由负责人核稿）。"
    values["countersign_mode"] = mode if unit_ids else "none"
    values["countersign_units"] = ",".join(str(u) for u in unit_ids)
    signer = text("signer")
    values["signer"] = None
    if signer:
        found = User.get_or_none((User.username == signer) & (User.status == "active"))
        if found is None:
            errors["signer"] = "找不到该签发领导。"
        elif (
            not RoleGrant.select()
            .where((RoleGrant.user == found) & RoleGrant.role.in_(SIGNING_ROLES))
            .exists()
        ):
            errors["signer"] = f"{found.name}不是单位负责人或分管领导，不能签发。"
        values["signer"] = found
    return values, errors


def snapshot(doc: Document) -> dict[str, Any]:
    """The fields a version keeps besides the body (and compares for substantive changes)."""
    keys = (
        "doc_type",
        "direction",
        "copy_no",
        "urgency",
        "time_limit",
        "issuer_mark",
        "signer_name",
        "title",
        "main_to",
        "attachment_note",
        "issuer_name",
        "written_date",
        "remark",
        "cc",
        "printer",
        "print_date",
        "countersign_mode",
        "countersign_units",
    )
    return {k: (str(getattr(doc, k)) if getattr(doc, k) is not None else "") for k in keys}


def guard(values: Mapping[str, Any], uploads: Iterable[tuple[str, bytes]] = ()) -> None:
    """The 涉密 guard over the form's text, the body and the uploaded files."""
    fields = {LABELS.get(k, k): str(values.get(k) or "") for k in TEXT_LIMITS}
    fields[LABELS["body"]] = body_text.to_plain(str(values.get("body") or ""))
    findings = rules.secrecy_findings(fields, uploads)
    if findings:
        where = "body" if any(f.where == LABELS["body"] for f in findings) else "secrecy"
        raise SecrecyRefused(findings, field=where)


def _store_uploads(app: OfficiumApp, doc: Document, user: User, uploads: Mapping[str, list[Any]]) -> None:
    from officium.core import files

    for owner_type, items in uploads.items():
        allowed = BODY_EXTENSIONS if owner_type == BODY_FILE else None
        for upload in items:
            try:
                files.save_upload(
                    app, upload, owner=(PLUGIN, owner_type, doc.id), user=user, allowed_extensions=allowed
                )
            except files.FileRejected as exc:
                field = "body_file" if owner_type == BODY_FILE else "attachments"
                raise OutgoingError(exc.message, {field: exc.message}) from exc


def _new_version(app: OfficiumApp, doc: Document, user: User, reason: str) -> Version:
    doc.version += 1
    doc.save()
    return Version.create(
        document=doc,
        number=doc.version,
        body=doc.body,
        fields=json.dumps(snapshot(doc), ensure_ascii=False),
        author=user,
        at=app.clock(),
        reason=reason or ("起草" if doc.version == 1 else ""),
    )


def create(
    app: OfficiumApp,
    user: User,
    values: Mapping[str, Any],
    uploads: Mapping[str, list[Any]] | None = None,
    request: Request | None = None,
) -> Document:
    """A new draft (version 1) in the user's unit."""
    if user.unit_id is None:
        raise OutgoingError("您没有所属单位，不能拟稿。")
    now = app.clock()
    mark, name = default_issuer(app)
    fields = dict(values)
    fields["issuer_mark"] = fields.get("issuer_mark") or mark
    fields["issuer_name"] = fields.get("issuer_name") or name
    doc = Document.create(unit=user.unit_id, drafter=user, created_at=now, updated_at=now, **fields)
    _store_uploads(app, doc, user, uploads or {})
    _new_version(app, doc, user, "起草")
    _feed(app, doc)
    audit.record(
        app,
        "docs_outgoing.create",
        actor=user,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=doc.id,
        summary=f"拟稿《{doc.title}》",
    )
    return doc


def flow_fields(app: OfficiumApp, doc: Document) -> dict[str, Any]:
    """What the workflow's step conditions see."""
    from officium.plugins.docs_outgoing import sealing

    return {
        "countersign_mode": doc.countersign_mode,
        "doc_type": doc.doc_type,
        "direction": doc.direction,
        "sealing": sealing.seals_enabled(app),
    }


def update(
    app: OfficiumApp,
    user: User,
    doc: Document,
    values: Mapping[str, Any],
    reason: str,
    uploads: Mapping[str, list[Any]] | None = None,
    request: Request | None = None,
) -> tuple[Document, bool]:
    """Save a revision: a new version when anything changed.  Returns the document and whether the change
    was substantive after 签发 (then the signature no longer covers it and the document goes back to the
    signer when it is past 签发)."""
    allowed, item = edit_item(doc, user)
    if not allowed:
        raise OutgoingError("您现在不能修改该文件。")
    reason = reason.strip()
    if doc.state != "draft" and not reason:
        raise OutgoingError("请填写修改理由。", {"reason": "提交后的每次修改都要写明理由（正文留痕）。"})
    if len(reason) > 500:
        raise OutgoingError("修改理由不超过 500 字。", {"reason": "修改理由不超过 500 字。"})
    findings = rules.secrecy_findings({"修改理由": reason}) if reason else []
    if findings:
        raise SecrecyRefused(findings, field="reason")
    before = snapshot(doc) | {"body": doc.body}
    for key, value in values.items():
        setattr(doc, key, value)
    after = snapshot(doc) | {"body": doc.body}
    changed = [k for k in after if after[k] != before[k]]
    _store_uploads(app, doc, user, uploads or {})
    if uploads and any(uploads.values()):
        changed.append("files")
    if not changed:
        return doc, False
    doc.updated_at = app.clock()
    _new_version(app, doc, user, reason)
    if doc.use_request_id is not None:  # the PDF asked to be sealed is no longer this document
        from officium.plugins.docs_outgoing import sealing

        sealing.withdraw_request(app, doc, user)
    substantive = doc.signed_version is not None and any(k in KEY_FIELDS for k in changed)
    instance = instance_of(doc)
    if instance is not None:
        engine.set_fields(app, instance, flow_fields(app, doc), title=doc.title)
    _feed(app, doc)
    audit.record(
        app,
        "docs_outgoing.revise",
        actor=user,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=doc.id,
        summary=f"修改《{doc.title}》为第 {doc.version} 稿：{reason or '草稿修改'}",
        detail={"changed": changed},
    )
    if substantive:
        doc.signed_version = None
        doc.save()
        if item is not None and item.step in AFTER_SIGNING:
            engine.return_(
                app,
                item.id,
                user,
                SIGN,
                f"签发后作了实质性修改，退回签发人重新签发。修改理由：{reason}",
                request,
            )
            signer = Signature.select().where(Signature.document == doc).order_by(Signature.id.desc()).first()
            if signer is not None:
                notifications.notify(
                    app,
                    signer.on_behalf_of or signer.signer,
                    RESIGN,
                    f"《{doc.title}》需重新签发",
                    url=f"{URL}{doc.id}",
                )
    return doc, substantive


def submit(app: OfficiumApp, user: User, doc: Document, request: Request | None = None) -> Instance:
    """送核稿: put a draft on the workflow."""
    if doc.drafter_id != user.id or doc.state != "draft":
        raise OutgoingError("只有拟稿人才能提交自己的草稿。")
    guard(snapshot(doc) | {"body": doc.body}, file_contents(app, doc))
    if not body_text.parse(doc.body) and not body_files(doc):
        raise OutgoingError("正文为空：请填写正文或上传正文文件。", {"body": "请填写正文或上传正文文件。"})
    doc.state = "running"
    doc.save()
    instance = engine.start(
        app,
        KEY,
        object_type=OBJECT_TYPE,
        object_id=doc.id,
        title=doc.title,
        url=f"{URL}{doc.id}",
        drafter=user,
        unit=doc.unit,
        urgency=doc.urgency,
        fields=flow_fields(app, doc),
        request=request,
    )
    _feed(app, doc)
    return instance


def may_delete(doc: Document, user: User) -> bool:
    """删除草稿: only the drafter, and only while the document has never been submitted."""
    return doc.drafter_id == user.id and doc.state == "draft" and instance_of(doc) is None


def delete_draft(app: OfficiumApp, user: User, doc: Document, request: Request | None = None) -> None:
    """Delete a draft that was never submitted: its versions, its files (soft-deleted in the core's
    store) and its search entry go with it.  A submitted document stays on the record."""
    from officium.core import files
    from officium.core.search import remove_entry
    from officium.plugins.docs_outgoing import feed

    if doc.drafter_id != user.id:
        raise OutgoingError("只有拟稿人才能删除自己的草稿。")
    if not may_delete(doc, user):
        raise OutgoingError("该文件已送核稿进入流程，不能删除；确需停止办理的，请由流程管理员终止办理。")
    for owner_type in (BODY_FILE, ATTACHMENT):
        for attachment in files.attachments_of(PLUGIN, owner_type, doc.id):
            files.delete(attachment, user, app=app)
    remove_entry(app, feed.SOURCE, doc.id)
    Version.delete().where(Version.document == doc.id).execute()
    Signature.delete().where(Signature.document == doc.id).execute()
    Distribution.delete().where(Distribution.document == doc.id).execute()
    Document.delete().where(Document.id == doc.id).execute()
    audit.record(
        app,
        "docs_outgoing.delete_draft",
        actor=user,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=doc.id,
        summary=f"删除草稿《{doc.title}》",
    )


def _feed(app: OfficiumApp, doc: Document) -> None:
    from officium.plugins.docs_outgoing import feed

    feed.update(app, doc)


# -------------------------------------------------------------------------------------- attachments


def _live(owner_type: str, doc: Document) -> list[Any]:
    from officium.core import files

    return files.attachments_of(PLUGIN, owner_type, doc.id)


def body_files(doc: Document) -> list[Any]:
    return _live(BODY_FILE, doc)


def attachment_files(doc: Document) -> list[Any]:
    return _live(ATTACHMENT, doc)


def sealed_files(doc: Document) -> list[Any]:
    return _live(SEALED, doc)


def file_contents(app: OfficiumApp, doc: Document) -> list[tuple[str, bytes]]:
    from officium.core import files

    return [(a.filename, files.read_bytes(app, a)) for a in body_files(doc) + attachment_files(doc)]


# ----------------------------------------------------------------------------------- step handlers


def _leaders_of(unit: Unit) -> list[User]:
    return list(
        User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.role == "leader") & (RoleGrant.unit == unit) & (User.status == "active"))
        .order_by(User.id)
    )


def _document(instance: Instance) -> Document:
    return Document.get_by_id(int(instance.object_id))


def countersigners(app: OfficiumApp, instance: Instance) -> list[User]:
    """The leaders of the units the drafter chose for 会签, in the chosen order."""
    doc = _document(instance)
    people: list[User] = []
    for unit_id in doc.countersign_unit_ids():
        unit = Unit.get_or_none(Unit.id == unit_id)
        if unit is None:
            continue
        leaders = _leaders_of(unit)
        if not leaders:
            raise WorkflowError(f"会签单位“{unit.name}”没有配置负责人，请联系系统管理员。")
        people.extend(leaders[:1])
    return people


def signing_leaders(app: OfficiumApp, instance: Instance) -> list[User]:
    """The leader the drafter named, else the 分管领导 of the drafting unit (up the tree), else the bureau's
    leader."""
    doc = _document(instance)
    if doc.signer_id is not None and doc.signer.is_active:
        return [doc.signer]
    found = engine.resolve(app, instance, supervising_leader())
    if found:
        return found
    root = root_unit()
    return _leaders_of(root) if root is not None else []


def seal_custodians(app: OfficiumApp, instance: Instance) -> list[User]:
    """Who applies the seal: the custodians of the drafting unit's seals (the seals plugin); the office
    when the seals module is not enabled."""
    from officium.plugins.docs_outgoing import sealing

    return sealing.custodians(app, _document(instance))


# ---------------------------------------------------------------------------------- step callbacks


def refresh(ctx: Any) -> None:
    """Keep the document's search entry current (every step callback ends with this)."""
    from officium.plugins.docs_outgoing import feed

    feed.update(ctx.app, _document(ctx.instance))


def record_signature(ctx: Any) -> None:
    """签发: keep the signer's opinion, name and full date, once; empty opinion or 圈阅 = agreement."""
    doc = _document(ctx.instance)
    log = (
        ActionLog.select()
        .where(
            (ActionLog.instance == ctx.instance) & (ActionLog.step == SIGN) & (ActionLog.action == "approve")
        )
        .order_by(ActionLog.id.desc())
        .first()
    )
    opinion = log.opinion.strip() if log is not None else ""
    principal = log.on_behalf_of if log is not None else None
    signer = ctx.actor
    now = ctx.app.clock()
    name = f"{signer.name}（代{principal.name}）" if principal is not None else signer.name
    Signature.create(
        document=doc,
        signer=signer,
        on_behalf_of=principal,
        signer_name=name,
        opinion=opinion or "圈阅",
        circled=opinion in ("", "圈阅", "已圈阅"),
        signed_at=now,
        version=doc.version,
    )
    doc.signed_version = doc.version
    doc.written_date = now.date()
    if not doc.signer_name:
        doc.signer_name = (principal or signer).name
    doc.save()


def require_rules(ctx: Any, stage: str) -> None:
    doc = _document(ctx.instance)
    problems = rules.check(doc, stage, organ_names=organ_names(ctx.app), files=file_contents(ctx.app, doc))
    if problems:
        raise WorkflowError(f"{rules.STAGES[stage]}前的检查未通过：" + "；".join(m for _, m in problems))


def require_number(ctx: Any) -> None:
    from officium.plugins.docs_outgoing import sealing

    doc = _document(ctx.instance)
    if not doc.doc_number:
        raise WorkflowError("请先在发文页面进行编号登记（选择机关代字取号），再完成本步骤。")
    if sealing.seals_enabled(ctx.app) and doc.use_request_id is None:
        raise WorkflowError("请先在发文页面选择印章并申请用印，再完成编号登记。")


def require_seal(ctx: Any) -> None:
    if _document(ctx.instance).sealed_at is None:
        raise WorkflowError("请先在发文页面加盖电子印章，再完成用印。")


def mark_issued(ctx: Any) -> None:
    require_rules(ctx, "issue")
    doc = _document(ctx.instance)
    if not Distribution.select().where(Distribution.document == doc).exists():
        raise WorkflowError("请先在发文页面分发（内部单位或对外导出），再完成核发。")
    doc.state = "issued"
    doc.issued_at = ctx.app.clock()
    doc.save()
    notifications.notify(
        ctx.app, doc.drafter, ISSUED, f"《{doc.title}》已核发（{doc.doc_number}）", url=f"{URL}{doc.id}"
    )


def mark_archived(ctx: Any) -> None:
    doc = _document(ctx.instance)
    doc.state = "archived"
    doc.archived_at = ctx.app.clock()
    doc.save()


def mark_closed(ctx: Any) -> None:
    """A withdrawn or terminated document: its number (if it had one) is voided, never silently lost."""
    from officium.plugins.docs_outgoing import numbering
    from officium.plugins.docs_outgoing.models import Number

    doc = _document(ctx.instance)
    if doc.doc_number:
        number = Number.get_or_none(Number.number == doc.doc_number)
        if number is not None and not number.voided:
            numbering.void(ctx.app, number, "文件已终止办理", ctx.actor or doc.drafter, closing=True)
    Document.update(state="closed").where(Document.id == doc.id).execute()


# -------------------------------------------------------------------------------------- JSON form


def _d(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def serialize(doc: Document, *, full: bool = False) -> dict[str, Any]:
    instance = instance_of(doc)
    data: dict[str, Any] = {
        "id": doc.id,
        "title": doc.title,
        "doc_type": doc.doc_type,
        "direction": doc.direction,
        "direction_label": DIRECTIONS.get(doc.direction, ""),
        "urgency": doc.urgency,
        "doc_number": doc.doc_number,
        "state": doc.state,
        "step": instance.step if instance is not None and instance.state == "running" else "",
        "workflow_id": instance.id if instance is not None else None,
        "unit": doc.unit.name,
        "drafter": doc.drafter.username,
        "created_at": _d(doc.created_at),
        "version": doc.version,
        "signed_version": doc.signed_version,
        "issued_at": _d(doc.issued_at),
        "url": f"{URL}{doc.id}",
    }
    if full:
        data.update(
            {
                "copy_no": doc.copy_no,
                "time_limit": _d(doc.time_limit),
                "issuer_mark": doc.issuer_mark,
                "signer_name": doc.signer_name,
                "main_to": doc.main_to,
                "body": doc.body,
                "paragraphs": [p.as_dict() for p in body_text.parse(doc.body)],
                "attachment_note": doc.attachment_note,
                "issuer_name": doc.issuer_name,
                "written_date": _d(doc.written_date),
                "remark": doc.remark,
                "cc": doc.cc,
                "printer": doc.printer,
                "print_date": _d(doc.print_date),
                "countersign_mode": doc.countersign_mode,
                "countersign_units": doc.countersign_unit_ids(),
                "signatures": [signature_dict(s) for s in doc.signatures.order_by(Signature.id)],
                "sealed_at": _d(doc.sealed_at),
                "urgent": doc.urgency in URGENT,
            }
        )
    return data


def signature_dict(s: Signature) -> dict[str, Any]:
    return {
        "signer": s.signer.username,
        "on_behalf_of": s.on_behalf_of.username if s.on_behalf_of_id else None,
        "name": s.signer_name,
        "opinion": s.opinion,
        "circled": s.circled,
        "signed_at": s.signed_at.isoformat(),
        "date": f"{s.signed_at.year}年{s.signed_at.month}月{s.signed_at.day}日",
        "version": s.version,
    }
