"""电子印章: seal records, the 用印申请 → 审批 → 用印 path, the signature record and its verification.

This is the public API other modules call (局发文 uses it for the 用印 step); the pages and the JSON API
in routes.py call the same functions.  Every function runs in the caller's transaction, writes its own
audit entry and raises :class:`SealError` — changing nothing — when it refuses.

The records follow the shape of GB/T 38540-2020 (``SES_Seal`` and ``SES_Signature``, version 4), encoded
as canonical JSON rather than DER; see crypto.py for the algorithms (Ed25519/SHA-256, marked non-GM) and
pdfsig.py for how a record travels inside a PDF.

Custody is personal: only the seal's custodian approves and applies it.  A 外出授权 delegate is refused
(the delegation plugin never hands seal work to a delegate, and a workflow step that applies a seal is
declared ``delegable=False``), and so is everybody else, whatever permissions they hold.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from peewee import PostgresqlDatabase

from officium.core import audit, notifications
from officium.core.db import write_transaction
from officium.core.identity.access import is_admin, roles_of
from officium.core.identity.models import Unit, User
from officium.core.registry import NotificationType, Permission, Role, Setting
from officium.plugins.seals import crypto, pdfsig
from officium.plugins.seals.image import draw_seal
from officium.plugins.seals.models import KINDS, STATES, MakerKey, Seal, UseRequest

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

URL = "/seals/"
MANAGE = "seals.manage"
USE = "seals.use"
SEAL_ADMIN_ROLE = "seal_admin"
ROLES = [Role(SEAL_ADMIN_ROLE, "印章管理员", description="办公室登记、变更和注销电子印章的人员")]
PERMISSIONS = [
    Permission(MANAGE, "管理电子印章（登记、变更保管人、注销）", default_roles=(SEAL_ADMIN_ROLE,)),
    Permission(USE, "提出用印申请、查看本人的用印记录", default_roles=("clerk",)),
]
NEW_REQUEST = "seals.request"
DECIDED = "seals.decided"
CUSTODY = "seals.custody"
NOTIFICATION_TYPES = [
    NotificationType(NEW_REQUEST, "新的用印申请", ("inbox",), "有人申请使用您保管的电子印章。"),
    NotificationType(DECIDED, "用印申请有结果", ("inbox",), "您的用印申请已批准、驳回或已用印。"),
    NotificationType(CUSTODY, "印章需要更换保管人", ("inbox",), "印章保管人调离或离岗，需要指定新的保管人。"),
]

SETTINGS = [
    Setting(
        "trusted_makers",
        "可信的其他站点制章密钥标识",
        list,
        [],
        description="其他 Officium 站点的制章密钥标识（`officium seal maker-key` 显示），其印章的文件在本站验章通过。",
    )
]

RECORD_FORMAT = "officium-ses/1"
SEAL_MM = 42  # the seal's printed diameter
NAME_MAX, REASON_MAX, TITLE_MAX, NOTE_MAX = 100, 500, 300, 500
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SealError(Exception):
    """A refused seal action: ``message`` in Chinese, ``code`` and HTTP ``status`` for the API."""

    STATUS: ClassVar[dict[str, int]] = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}

    def __init__(self, message: str, code: str = "invalid", fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = self.STATUS[code]
        self.fields = dict(fields or {})


# ------------------------------------------------------------------------------------------ helpers


def _secret(app: OfficiumApp) -> str:
    return app.config.secret


def _today(app: OfficiumApp) -> date:
    return app.clock().date()


def _time_info(moment: datetime) -> str:
    """GeneralizedTime as GB/T 38540 writes ``timeInfo`` (the site's clock, no zone)."""
    return moment.strftime("%Y%m%d%H%M%S")


def _audit(
    app: OfficiumApp,
    verb: str,
    actor: User | None,
    obj: Seal | UseRequest,
    summary: str,
    request: Request | None = None,
    detail: dict[str, Any] | None = None,
    result: str = "ok",
) -> None:
    audit.record(
        app,
        f"seals.{verb}",
        actor=actor,
        request=request,
        object_type="seal" if isinstance(obj, Seal) else "use",
        object_id=obj.id,
        summary=summary,
        detail=detail,
        result=result,
    )


def is_administrator(app: OfficiumApp, user: User) -> bool:
    return is_admin(app.registry, roles_of(user))


def state_of(app: OfficiumApp, seal: Seal, on: date | None = None) -> str:
    """``revoked``, ``expired``, ``pending`` (not valid yet) or ``valid``."""
    on = on or _today(app)
    if seal.revoked_at is not None:
        return "revoked"
    if on > seal.valid_until:
        return "expired"
    if on < seal.valid_from:
        return "pending"
    return "valid"


SEAL_STATES = {"valid": "有效", "pending": "未生效", "expired": "已过期", "revoked": "已注销"}


# ------------------------------------------------------------------------------------- the maker key


def maker_key(app: OfficiumApp) -> MakerKey:
    """The site's 制章者 key (made on first use)."""
    key = MakerKey.select().order_by(MakerKey.id.desc()).first()
    if key is None:
        with write_transaction(app.db):
            algorithm, kid, public, private = crypto.new_key_pair(_secret(app))
            key = MakerKey.create(
                algorithm=algorithm,
                key_id=kid,
                public_key=public,
                private_key=private,
                created_at=app.clock(),
            )
            audit.record(
                app,
                "seals.maker_key",
                object_type="maker_key",
                object_id=key.id,
                summary=f"生成本站制章密钥（{algorithm}，标识 {kid[:16]}…）",
                detail={"key_id": kid, "algorithm": algorithm},
            )
    return key


def _seal_info(seal: Seal, app: OfficiumApp) -> dict[str, Any]:
    picture = seal_image_png(seal)
    return {
        "header": {"ID": "ES", "version": 4, "Vid": "officium"},
        "esID": seal.es_id,
        "property": {
            "type": seal.kind,
            "name": seal.name,
            "unit": seal.unit.name,
            "certListType": 2,
            "certList": [seal.key_id],
            "createDate": _time_info(seal.created_at),
            "validStart": seal.valid_from.isoformat(),
            "validEnd": seal.valid_until.isoformat(),
        },
        "picture": {"type": "png", "data": crypto.b64(picture), "width": SEAL_MM, "height": SEAL_MM},
        "extDatas": {"nonGM": True},
    }


def _issue(app: OfficiumApp, seal: Seal) -> None:
    """(Re)issue the seal's signed SES_Seal record after its data changed."""
    maker = maker_key(app)
    info = _seal_info(seal, app)
    signed = crypto.sign(
        _secret(app), maker.algorithm, maker.key_id, maker.private_key, crypto.canonical(info)
    )
    seal.record = json.dumps(
        {
            "sealInfo": info,
            "cert": {"keyId": maker.key_id, "publicKey": maker.public_key},
            "signAlgID": crypto.ED25519_OID,
            "signedValue": crypto.b64(signed),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    seal.save()


# --------------------------------------------------------------------------------- seal records


@dataclass
class SealInput:
    """What a form or the API submits for a seal."""

    unit: Unit | None = None
    name: str = ""
    kind: str = ""
    custodian: User | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    image: bytes | None = None  # an uploaded PNG, or None to keep (or generate) the image
    errors: dict[str, str] = field(default_factory=dict)


def check_png(data: bytes) -> str:
    """An error message for an uploaded seal image, or ""."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "印章图片必须是 PNG 文件。"
    if len(data) > 2 * 1024 * 1024:
        return "印章图片不能超过 2 MB。"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.verify()
            width, height = picture.size
    except Exception:
        return "印章图片已损坏，无法读取。"
    if not (100 <= width <= 3000 and 100 <= height <= 3000):
        return "印章图片的宽和高应在 100 至 3000 像素之间。"
    return ""


def validate(app: OfficiumApp, data: SealInput, *, existing: Seal | None = None) -> dict[str, str]:
    """Field errors of a seal's data (Chinese, keyed by field name)."""
    errors = dict(data.errors)
    if data.unit is None and "unit" not in errors:
        errors["unit"] = "请选择印章所属单位。"
    if not data.name and "name" not in errors:
        errors["name"] = "请填写印章名称。"
    elif len(data.name) > NAME_MAX:
        errors["name"] = f"印章名称不能超过 {NAME_MAX} 个字。"
    if data.kind not in KINDS:
        errors["kind"] = "请选择印章类型。"
    if data.custodian is None:
        errors.setdefault("custodian", "请指定保管人。")
    elif not data.custodian.is_active:
        errors["custodian"] = "保管人的账号已停用。"
    elif is_administrator(app, data.custodian):
        errors["custodian"] = "系统管理员、安全保密管理员和安全审计员不能保管印章。"
    if data.valid_from is None:
        errors.setdefault("valid_from", "请填写启用日期（YYYY-MM-DD）。")
    if data.valid_until is None:
        errors.setdefault("valid_until", "请填写有效期至（YYYY-MM-DD）。")
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        errors["valid_until"] = "有效期至不能早于启用日期。"
    if data.image is not None:
        problem = check_png(data.image)
        if problem:
            errors["image"] = problem
    if data.unit is not None and data.name and "name" not in errors:
        same = Seal.select().where(
            (Seal.unit == data.unit) & (Seal.name == data.name) & Seal.revoked_at.is_null()
        )
        if existing is not None:
            same = same.where(Seal.id != existing.id)
        if same.exists():
            errors["name"] = "本单位已有同名的有效印章。"
    return errors


def create_seal(app: OfficiumApp, data: SealInput, actor: User, request: Request | None = None) -> Seal:
    """登记 a seal with a new key pair; raises SealError with field errors when the data are not valid."""
    errors = validate(app, data)
    if errors:
        raise SealError("印章信息不完整或不正确。", "invalid", errors)
    algorithm, kid, public, private = crypto.new_key_pair(_secret(app))
    seal = Seal.create(
        unit=data.unit,
        name=data.name,
        kind=data.kind,
        custodian=data.custodian,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        image=data.image,
        es_id=f"ES-{secrets.token_hex(8)}",
        algorithm=algorithm,
        key_id=kid,
        public_key=public,
        private_key=private,
        created_by=actor,
        created_at=app.clock(),
    )
    _issue(app, seal)
    _audit(
        app,
        "create",
        actor,
        seal,
        f"登记印章“{seal.name}”（{seal.unit.name}，保管人 {seal.custodian.name}）",
        request,
        detail={"kind": seal.kind, "key_id": kid, "algorithm": algorithm, "valid": _validity(seal)},
    )
    return seal


def _validity(seal: Seal) -> str:
    return f"{seal.valid_from.isoformat()} 至 {seal.valid_until.isoformat()}"


def update_seal(
    app: OfficiumApp, seal: Seal, data: SealInput, actor: User, request: Request | None = None
) -> list[str]:
    """Change a seal's name, kind, custodian, validity or image; returns what changed (for the audit)."""
    if seal.revoked_at is not None:
        raise SealError("印章已注销，不能再变更。", "conflict")
    data.unit = seal.unit  # a seal never moves to another unit
    errors = validate(app, data, existing=seal)
    if errors:
        raise SealError("印章信息不完整或不正确。", "invalid", errors)
    changes: dict[str, list[str]] = {}
    if data.name != seal.name:
        changes["名称"] = [seal.name, data.name]
        seal.name = data.name
    if data.kind != seal.kind:
        changes["类型"] = [seal.kind, data.kind]
        seal.kind = data.kind
    if data.custodian.id != seal.custodian_id:
        changes["保管人"] = [seal.custodian.name, data.custodian.name]
        old_custodian = seal.custodian
        seal.custodian = data.custodian
        _hand_over(app, seal, old_custodian, actor)
    if (data.valid_from, data.valid_until) != (seal.valid_from, seal.valid_until):
        before = _validity(seal)
        seal.valid_from, seal.valid_until = data.valid_from, data.valid_until
        changes["有效期"] = [before, _validity(seal)]
    if data.image is not None and data.image != seal.image:
        changes["印模"] = ["", f"上传的图片（{len(data.image)} 字节）"]
        seal.image = data.image
    if not changes:
        return []
    seal.save()
    _issue(app, seal)
    _audit(
        app,
        "update",
        actor,
        seal,
        f"变更印章“{seal.name}”：{'、'.join(changes)}",
        request,
        detail={k: {"from": v[0], "to": v[1]} for k, v in changes.items()},
    )
    return list(changes)


def _hand_over(app: OfficiumApp, seal: Seal, old: User, actor: User) -> None:
    """A new custodian takes over: approved requests wait for them; pending ones are theirs to decide."""
    waiting = UseRequest.select().where(
        (UseRequest.seal == seal) & UseRequest.state.in_(("pending", "approved"))
    )
    for use in waiting:
        notifications.notify(
            app,
            seal.custodian,
            NEW_REQUEST,
            f"您已接管印章“{seal.name}”，有待处理的用印申请：{use.title or use.file_name}",
            url=(owner_module(app, use) and owner_url(use)) or f"{URL}requests/{use.id}",
        )


def revoke_seal(
    app: OfficiumApp, seal: Seal, actor: User, reason: str, request: Request | None = None
) -> Seal:
    """注销 a seal: it can no longer be requested or applied; files sealed before stay verifiable."""
    reason = reason.strip()
    if not reason:
        raise SealError("请填写注销原因。", "invalid", {"reason": "请填写注销原因。"})
    if seal.revoked_at is not None:
        raise SealError("印章已注销。", "conflict")
    seal.revoked_at = app.clock()
    seal.revoked_by = actor
    seal.revoke_reason = reason[:REASON_MAX]
    seal.save()
    cancelled = (
        UseRequest.update(state="cancelled", decision_note="印章已注销")
        .where((UseRequest.seal == seal) & UseRequest.state.in_(("pending", "approved")))
        .execute()
    )
    _audit(
        app,
        "revoke",
        actor,
        seal,
        f"注销印章“{seal.name}”：{reason}",
        request,
        detail={"cancelled": cancelled},
    )
    return seal


def seals_for_unit(unit: Unit, *, on: date | None = None) -> list[Seal]:
    """The usable seals of ``unit``: not revoked and valid on ``on`` (default today, by the local date)."""
    on = on or date.today()
    return list(
        Seal.select()
        .where(
            (Seal.unit == unit)
            & Seal.revoked_at.is_null()
            & (Seal.valid_from <= on)
            & (Seal.valid_until >= on)
        )
        .order_by(Seal.id)
    )


def custodian_of(seal: Seal) -> User:
    """The one person who keeps ``seal``."""
    return seal.custodian


def seal_image_png(seal: Seal) -> bytes:
    """The seal's picture: the uploaded PNG, or the generated red round seal with the unit's name."""
    if seal.image:
        return bytes(seal.image)
    caption = "" if seal.kind == "公章" else seal.kind
    return draw_seal(seal.unit.name, caption)


def seals_kept_by(user: User) -> list[Seal]:
    return list(Seal.select().where((Seal.custodian == user) & Seal.revoked_at.is_null()).order_by(Seal.id))


# ------------------------------------------------------------------------------------ 用印申请


def _require_usable(app: OfficiumApp, seal: Seal) -> None:
    state = state_of(app, seal)
    if state != "valid":
        raise SealError(f"印章“{seal.name}”{SEAL_STATES[state]}，不能用印。", "conflict")


#: Where another module's documents are shown, for the link on a request's page (others get no link).
OWNER_URLS = {("docs_outgoing", "document"): "/docs_outgoing/{id}"}


def owner_module(app: OfficiumApp, use: UseRequest) -> Any:
    """The installed module whose workflow handles ``use`` (the request was filed on its behalf, e.g. by
    局发文 at 编号登记), or None for the seals module's own requests and those of unknown systems."""
    if use.plugin == "seals":
        return None
    try:
        return app.plugin(use.plugin)
    except KeyError:
        return None


def owner_url(use: UseRequest) -> str:
    """The page of the document the request is for, when its module is known to have one."""
    pattern = OWNER_URLS.get((use.plugin, use.owner_type))
    return pattern.format(id=use.owner_id) if pattern else ""


def owner_title(app: OfficiumApp, use: UseRequest) -> str:
    """The owner module's title from the registry (电子印章 for uploaded files), or its code name."""
    try:
        return app.plugin(use.plugin).info.title
    except KeyError:
        return use.plugin


def require_standalone(app: OfficiumApp, use: UseRequest) -> None:
    """Refuse (409) to act on the seals pages/API on a request that another module's workflow handles:
    its custodian approves, rejects and applies it only at that module's 用印 step."""
    module = owner_module(app, use)
    if module is None:
        return
    where = f"（{owner_url(use)}）" if owner_url(use) else ""
    raise SealError(
        f"该用印申请由“{module.info.title}”的流程办理，请到文件页面{where}的用印步骤处理，"
        "不能在电子印章中审批、驳回、撤销或用印。",
        "conflict",
    )


def _require_custodian(seal: Seal, actor: User, what: str) -> None:
    if actor.id != seal.custodian_id:
        raise SealError(
            f"只有印章保管人 {seal.custodian.name} 本人可以{what}（印章保管不能委托）。", "forbidden"
        )


def request_use(
    app: OfficiumApp,
    seal: Seal,
    *,
    owner: tuple[str, str, str | int],
    version: str | int,
    sha256: str,
    requester: User,
    reason: str,
    title: str = "",
    file_name: str = "",
    copies: int = 1,
    document: bytes | None = None,
    request: Request | None = None,
) -> UseRequest:
    """申请用印 for one version of one document; ``sha256`` is that of the exact PDF bytes to seal."""
    plugin, owner_type, owner_id = owner
    sha256 = sha256.strip().lower()
    errors = {}
    if not _SHA256.match(sha256):
        errors["sha256"] = "文件的 SHA-256 值不正确。"
    if not reason.strip():
        errors["reason"] = "请填写用印事由。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"用印事由不能超过 {REASON_MAX} 个字。"
    if len(title) > TITLE_MAX:
        errors["title"] = f"文件标题不能超过 {TITLE_MAX} 个字。"
    if not (1 <= copies <= 1000):
        errors["copies"] = "份数应在 1 至 1000 之间。"
    if not plugin or not owner_type or str(owner_id) == "":
        errors["owner"] = "请指明要用印的文件。"
    if errors:
        raise SealError("用印申请不完整或不正确。", "invalid", errors)
    _require_usable(app, seal)
    use = UseRequest.create(
        seal=seal,
        plugin=plugin,
        owner_type=owner_type,
        owner_id=str(owner_id),
        version=str(version),
        sha256=sha256,
        title=title.strip(),
        file_name=file_name,
        requester=requester,
        reason=reason.strip(),
        copies=copies,
        state="pending",
        created_at=app.clock(),
        document=document,
    )
    _audit(
        app,
        "request",
        requester,
        use,
        f"申请使用印章“{seal.name}”：{use.title or use.file_name or use.owner_id}",
        request,
        detail={"owner": [plugin, owner_type, str(owner_id)], "version": str(version), "sha256": sha256},
    )
    if owner_module(app, use) is None:  # the owner module's workflow item tells the custodian otherwise
        notifications.notify(
            app,
            seal.custodian,
            NEW_REQUEST,
            f"{requester.name}申请使用印章“{seal.name}”：{use.title or use.file_name}",
            url=f"{URL}requests/{use.id}",
        )
    return use


def _lock(app: OfficiumApp, use: UseRequest) -> UseRequest:
    """Re-read the request (locked on PostgreSQL) so that two custodian clicks cannot both act."""
    query = UseRequest.select().where(UseRequest.id == use.id)
    if isinstance(app.db, PostgresqlDatabase):
        query = query.for_update()
    fresh = query.first()
    if fresh is None:
        raise SealError("找不到该用印申请。", "not_found")
    return fresh


def approve_use(
    app: OfficiumApp, use_request: UseRequest, actor: User, note: str = "", request: Request | None = None
) -> UseRequest:
    """The custodian approves a pending request (the seal is applied afterwards, once)."""
    use = _lock(app, use_request)
    _require_custodian(use.seal, actor, "审批用印申请")
    if use.state != "pending":
        raise SealError(f"该申请{use.state_title}，不能再审批。", "conflict")
    _require_usable(app, use.seal)
    use.state, use.decided_by, use.decided_at, use.decision_note = (
        "approved",
        actor,
        app.clock(),
        note[:NOTE_MAX],
    )
    use.save()
    _audit(app, "approve", actor, use, f"批准用印申请：{use.title or use.file_name}", request)
    if owner_module(app, use) is None:
        notifications.notify(
            app,
            use.requester,
            DECIDED,
            f"用印申请已批准：{use.title or use.file_name}",
            url=f"{URL}requests/{use.id}",
        )
    return use


def reject_use(
    app: OfficiumApp, use_request: UseRequest, actor: User, note: str, request: Request | None = None
) -> UseRequest:
    """The custodian rejects a pending or approved (not yet used) request, with a reason."""
    use = _lock(app, use_request)
    _require_custodian(use.seal, actor, "驳回用印申请")
    if not note.strip():
        raise SealError("请填写驳回理由。", "invalid", {"note": "请填写驳回理由。"})
    if use.state not in ("pending", "approved"):
        raise SealError(f"该申请{use.state_title}，不能驳回。", "conflict")
    use.state, use.decided_by, use.decided_at = "rejected", actor, app.clock()
    use.decision_note = note.strip()[:NOTE_MAX]
    use.save()
    _audit(
        app,
        "reject",
        actor,
        use,
        f"驳回用印申请：{use.title or use.file_name}（{use.decision_note}）",
        request,
    )
    if owner_module(app, use) is None:
        notifications.notify(
            app,
            use.requester,
            DECIDED,
            f"用印申请被驳回：{use.title or use.file_name}",
            url=f"{URL}requests/{use.id}",
        )
    return use


def cancel_use(
    app: OfficiumApp, use_request: UseRequest, actor: User, request: Request | None = None
) -> UseRequest:
    """The requester withdraws a request that was not used yet."""
    use = _lock(app, use_request)
    if actor.id != use.requester_id:
        raise SealError("只有申请人可以撤销用印申请。", "forbidden")
    if use.state not in ("pending", "approved"):
        raise SealError(f"该申请{use.state_title}，不能撤销。", "conflict")
    use.state = "cancelled"
    use.save()
    _audit(app, "cancel", actor, use, f"撤销用印申请：{use.title or use.file_name}", request)
    return use


def apply_seal(
    app: OfficiumApp, use_request: UseRequest, pdf_bytes: bytes, actor: User, request: Request | None = None
) -> bytes:
    """用印: the custodian seals exactly the approved PDF; returns the sealed PDF (single use)."""
    use = _lock(app, use_request)
    seal = use.seal
    _require_custodian(seal, actor, "用印")
    if use.state == "used":
        raise SealError("该用印申请已经用过印，每份申请只能用印一次。", "conflict")
    if use.state != "approved":
        raise SealError(f"该申请{use.state_title}，批准后才能用印。", "conflict")
    _require_usable(app, seal)
    if crypto.sha256_hex(pdf_bytes) != use.sha256:
        _audit(
            app,
            "apply_refused",
            actor,
            use,
            "用印被拒绝：文件与申请时的版本不一致",
            request,
            detail={"expected": use.sha256, "got": crypto.sha256_hex(pdf_bytes)},
            result="refused",
        )
        raise SealError("要用印的文件与申请时的版本不一致（SHA-256 不同），请重新申请。", "forbidden")
    if not pdf_bytes.startswith(b"%PDF-"):
        raise SealError("只能对 PDF 文件用印。", "invalid")
    now = app.clock()
    to_sign = {
        "version": 4,
        "eseal": json.loads(seal.record),
        "timeInfo": _time_info(now),
        "dataHash": crypto.sha256_hex(pdf_bytes),
        "hashAlgID": crypto.SHA256_OID,
        "propertyInfo": {
            "range": [0, len(pdf_bytes)],
            "plugin": use.plugin,
            "type": use.owner_type,
            "id": use.owner_id,
            "version": use.version,
            "title": use.title,
            "useRequest": use.id,
        },
        "extDatas": {
            "nonGM": True,
            "sm3": crypto.sm3_hex(pdf_bytes),
            "signer": {"username": actor.username, "name": actor.name},
            "approvedBy": use.decided_by.username if use.decided_by else "",
        },
    }
    try:
        signature = crypto.sign(
            _secret(app), seal.algorithm, seal.key_id, seal.private_key, crypto.canonical(to_sign)
        )
    except crypto.SealKeyError as exc:
        raise SealError(str(exc), "conflict") from exc
    record = {
        "format": RECORD_FORMAT,
        "toSign": to_sign,
        "cert": {"keyId": seal.key_id, "publicKey": seal.public_key},
        "signatureAlgID": crypto.ED25519_OID,
        "signature": crypto.b64(signature),
    }
    record_bytes = crypto.canonical(record)
    try:
        sealed = pdfsig.append_record(pdf_bytes, record_bytes)
    except pdfsig.Damaged as exc:
        raise SealError(f"PDF 文件无法读取：{exc}", "invalid") from exc
    use.state, use.used_by, use.used_at = "used", actor, now
    use.sealed_sha256 = crypto.sha256_hex(sealed)
    use.signature = record_bytes.decode("utf-8")
    if use.document is not None:
        use.sealed_document = sealed
    use.save()
    _audit(
        app,
        "apply",
        actor,
        use,
        f"用印：印章“{seal.name}”盖于 {use.title or use.file_name}",
        request,
        detail={"sha256": use.sha256, "sealed_sha256": use.sealed_sha256, "key_id": seal.key_id},
    )
    if owner_module(app, use) is None:
        notifications.notify(
            app,
            use.requester,
            DECIDED,
            f"已用印：{use.title or use.file_name}",
            url=f"{URL}requests/{use.id}",
        )
    return sealed


def pending_for(user: User, app: OfficiumApp | None = None) -> Any:
    """Requests waiting for ``user`` as custodian: to approve (pending) or to apply (approved).  Given
    ``app``, without those another installed module's workflow handles (its own 待办 item counts them)."""
    query = (
        UseRequest.select()
        .join(Seal)
        .where((Seal.custodian == user) & UseRequest.state.in_(("pending", "approved")))
        .order_by(UseRequest.created_at)
    )
    if app is not None:
        elsewhere = [p.name for p in app.plugins if p.name != "seals"]
        query = query.where(UseRequest.plugin.not_in(elsewhere))
    return query


# ------------------------------------------------------------------------------------ verification

RESULTS = {
    "ok": "印章有效：文件真实、完整，盖章后未被改动。",
    "not_sealed": "文件中没有电子印章签名记录。",
    "format": "签名记录的格式不正确或已损坏。",
    "unknown_alg": "签名记录使用了不支持的算法。",
    "signature": "签名值验证失败：签名记录被改动或不是由该印章签署。",
    "cert_mismatch": "签名密钥不在印章允许的密钥列表中。",
    "seal_signature": "印章本身的制章签名无效，或不是本系统制发的印章。",
    "untrusted_maker": "文件完整、签名有效，但印章由其他系统制发，其制章密钥不在本系统的可信名单中。",
    "seal_expired": "盖章时印章不在有效期内。",
    "seal_revoked": "盖章时印章已经注销。",
    "hash_mismatch": "文件内容在盖章后被改动（摘要值不一致）。",
    "modified": "文件在盖章后被改动（签名记录之后的内容不一致）。",
}


@dataclass
class VerifyResult:
    """What :func:`verify_pdf` found; ``ok`` only when every check passed."""

    ok: bool
    code: str
    message: str
    record: dict[str, Any] | None = None
    seal_name: str = ""
    unit_name: str = ""
    seal_kind: str = ""
    signer_name: str = ""
    signed_at: str = ""
    algorithm: str = ""
    non_gm: bool = False
    use_request_id: int | None = None
    title: str = ""
    maker_key_id: str = ""
    maker_trusted: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "code": self.code,
            "message": self.message,
            "seal_name": self.seal_name,
            "unit_name": self.unit_name,
            "seal_kind": self.seal_kind,
            "signer_name": self.signer_name,
            "signed_at": self.signed_at,
            "algorithm": self.algorithm,
            "non_gm": self.non_gm,
            "use_request_id": self.use_request_id,
            "title": self.title,
            "maker_key_id": self.maker_key_id,
            "maker_trusted": self.maker_trusted,
            "notes": list(self.notes),
        }


def _fail(code: str, result: VerifyResult | None = None) -> VerifyResult:
    result = result or VerifyResult(False, code, RESULTS[code])
    result.ok, result.code, result.message = False, code, RESULTS[code]
    return result


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S")
    except (TypeError, ValueError):
        return None


def verify_pdf(app: OfficiumApp, data: bytes) -> VerifyResult:
    """Check a sealed PDF in GB/T 38540's order: format → signature → signer key in the seal's list →
    the seal (maker's signature by this site's key, validity, revocation) → document hash → the rest."""
    try:
        record_bytes = pdfsig.extract_record(data)
    except pdfsig.NotSealed:
        return _fail("not_sealed")
    except pdfsig.Damaged:
        return _fail("format")
    # 1. format
    try:
        record = json.loads(record_bytes.decode("utf-8"))
        to_sign = record["toSign"]
        eseal = to_sign["eseal"]
        info = eseal["sealInfo"]
        prop = info["property"]
        start, end = to_sign["propertyInfo"]["range"]
        signer_key = crypto.unb64(record["cert"]["publicKey"])
        signature = crypto.unb64(record["signature"])
        maker_public = crypto.unb64(eseal["cert"]["publicKey"])
        maker_signature = crypto.unb64(eseal["signedValue"])
        signed_at = _parse_time(to_sign["timeInfo"])
        valid_start, valid_end = date.fromisoformat(prop["validStart"]), date.fromisoformat(prop["validEnd"])
        ok_shape = (
            record.get("format") == RECORD_FORMAT
            and isinstance(start, int)
            and isinstance(end, int)
            and start == 0
            and 0 < end <= len(data)
            and signed_at is not None
            and crypto.canonical(record) == record_bytes
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return _fail("format")
    if not ok_shape:
        return _fail("format")
    result = VerifyResult(
        False,
        "",
        "",
        record=record,
        seal_name=str(prop.get("name", "")),
        unit_name=str(prop.get("unit", "")),
        seal_kind=str(prop.get("type", "")),
        signer_name=str(to_sign.get("extDatas", {}).get("signer", {}).get("name", "")),
        signed_at=signed_at.strftime("%Y-%m-%d %H:%M:%S"),
        algorithm=crypto.ALGORITHMS.get(record.get("signatureAlgID"), str(record.get("signatureAlgID"))),
        non_gm=bool(to_sign.get("extDatas", {}).get("nonGM")),
        use_request_id=to_sign["propertyInfo"].get("useRequest"),
        title=str(to_sign["propertyInfo"].get("title", "")),
    )
    # 2. the signature value
    if (
        record.get("signatureAlgID") not in crypto.ALGORITHMS
        or eseal.get("signAlgID") not in crypto.ALGORITHMS
    ):
        return _fail("unknown_alg", result)
    if to_sign.get("hashAlgID") != crypto.SHA256_OID:
        return _fail("unknown_alg", result)
    if not crypto.verify(record["signatureAlgID"], signer_key, signature, crypto.canonical(to_sign)):
        return _fail("signature", result)
    # 3. the signer's key is one the seal allows
    if prop.get("certListType") != 2 or crypto.key_id(signer_key) not in prop.get("certList", []):
        return _fail("cert_mismatch", result)
    if record["cert"].get("keyId") != crypto.key_id(signer_key):
        return _fail("cert_mismatch", result)
    # 4. the seal: signed by a trusted 制章者 key (this site's, or another site's the administrator listed),
    #    valid at signing time, not revoked then
    maker_id = crypto.key_id(maker_public)
    result.maker_key_id = maker_id
    ours = MakerKey.get_or_none(MakerKey.key_id == maker_id)
    listed = maker_id in app.settings("seals").get("trusted_makers", [])
    result.maker_trusted = (ours is not None and ours.public_key == crypto.b64(maker_public)) or listed
    if not crypto.verify(eseal["signAlgID"], maker_public, maker_signature, crypto.canonical(info)):
        return _fail("seal_signature", result)
    if not (valid_start <= signed_at.date() <= valid_end):
        return _fail("seal_expired", result)
    seal = Seal.get_or_none(Seal.es_id == info.get("esID")) if ours is not None else None
    if ours is not None and seal is None:
        return _fail("seal_signature", result)
    if seal is not None and seal.revoked_at is not None:
        if seal.revoked_at <= signed_at:
            return _fail("seal_revoked", result)
        result.notes.append(f"该印章已于 {seal.revoked_at:%Y-%m-%d} 注销（注销前盖章的文件仍然有效）。")
    # 5. the document's hash over the protected range
    if crypto.sha256_hex(data[start:end]) != to_sign.get("dataHash"):
        return _fail("hash_mismatch", result)
    # 6. nothing else in the file changed: the update after the range is exactly what sealing wrote
    try:
        expected = pdfsig.append_record(data[:end], record_bytes)
    except pdfsig.Damaged:
        return _fail("modified", result)
    if expected != data:
        return _fail("modified", result)
    if not result.maker_trusted:
        # intact and consistently signed, but by a seal maker this site does not know
        result = _fail("untrusted_maker", result)
        result.message = (
            "文件完整、签名有效，但印章由其他系统制发，其制章密钥不在本系统的可信名单中"
            f"（制章密钥标识 {maker_id[:16]}…）。"
        )
        return result
    if seal is None:
        result.notes.append("印章由其他系统制发（已列入可信名单），本系统无法查询其是否注销。")
    if result.non_gm:
        result.notes.append("签名算法为 Ed25519/SHA-256（非国密算法）。")
    result.ok, result.code, result.message = True, "ok", RESULTS["ok"]
    return result


# ------------------------------------------------------------------------------------ the register

REGISTER_HEADER = [
    "申请编号",
    "申请时间",
    "印章",
    "所属单位",
    "文件标题",
    "来源模块",
    "文件编号",
    "版本",
    "份数",
    "申请人",
    "用印事由",
    "状态",
    "审批人",
    "审批时间",
    "用印人",
    "用印时间",
    "文件摘要（SHA-256）",
    "盖章后摘要（SHA-256）",
]


@dataclass
class RegisterFilters:
    seal: int | None = None
    unit: int | None = None
    state: str = ""
    q: str = ""
    start: date | None = None
    end: date | None = None


def register_query(filters: RegisterFilters, visible_to: User | None = None) -> Any:
    """用印登记簿 rows, newest first; ``visible_to`` limits them to the user's own and kept seals."""
    query = UseRequest.select(UseRequest, Seal).join(Seal).switch(UseRequest)
    if visible_to is not None:
        query = query.where((UseRequest.requester == visible_to) | (Seal.custodian == visible_to))
    if filters.seal:
        query = query.where(UseRequest.seal == filters.seal)
    if filters.unit:
        query = query.where(Seal.unit == filters.unit)
    if filters.state in STATES:
        query = query.where(UseRequest.state == filters.state)
    if filters.q:
        query = query.where(
            UseRequest.title.contains(filters.q)
            | UseRequest.reason.contains(filters.q)
            | UseRequest.file_name.contains(filters.q)
            | (UseRequest.owner_id == filters.q)
            | UseRequest.sha256.startswith(filters.q.lower())
        )
    if filters.start:
        query = query.where(UseRequest.created_at >= datetime.combine(filters.start, datetime.min.time()))
    if filters.end:
        query = query.where(UseRequest.created_at < datetime.combine(filters.end, datetime.max.time()))
    return query.order_by(UseRequest.created_at.desc(), UseRequest.id.desc())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def register_rows(app: OfficiumApp, uses: Iterable[UseRequest]) -> Iterator[list[object]]:
    """The 用印登记簿's rows in :data:`REGISTER_HEADER` order (the source module by its Chinese title)."""
    for use in uses:
        yield [
            use.id,
            _when(use.created_at),
            use.seal.name,
            use.seal.unit.name,
            use.title or use.file_name,
            owner_title(app, use),
            use.owner_id,
            use.version,
            use.copies,
            use.requester.name,
            use.reason,
            use.state_title,
            use.decided_by.name if use.decided_by else "",
            _when(use.decided_at),
            use.used_by.name if use.used_by else "",
            _when(use.used_at),
            use.sha256,
            use.sealed_sha256,
        ]


def register_xlsx(app: OfficiumApp, uses: Iterable[UseRequest]) -> bytes:
    """The 用印登记簿 as an XLSX workbook (text cells neutralised against formula injection)."""
    from openpyxl import Workbook

    from officium.core.admin.queries import neutralise

    book = Workbook()
    sheet = book.active
    sheet.title = "用印登记簿"
    sheet.append(REGISTER_HEADER)
    for row in register_rows(app, uses):
        sheet.append([v if isinstance(v, int) else neutralise(v) for v in row])
    for column, width in zip(
        "ABCDEFGHIJKLMNOPQR",
        (8, 17, 18, 18, 36, 14, 10, 6, 6, 10, 30, 12, 10, 17, 10, 17, 20, 20),
        strict=True,
    ):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ people change


def on_user_changed(app: OfficiumApp, user: User, change: Any) -> int:
    """A custodian moved to another unit or left: tell the seal administrators to name a new custodian.

    The seals stay with the departed custodian until then (custody never passes to anybody by itself), so
    nobody can apply them meanwhile.  Returns how many seals need a new custodian.
    """
    if change.kind not in ("transfer", "left"):
        return 0
    kept = seals_kept_by(user)
    if not kept:
        return 0
    from officium.core.identity.models import RoleGrant

    admins = (
        User.select().join(RoleGrant, on=(RoleGrant.user == User.id)).where(RoleGrant.role == SEAL_ADMIN_ROLE)
    )
    why = "调离本单位" if change.kind == "transfer" else "离岗"
    for seal in kept:
        audit.record(
            app,
            "seals.custodian_changed",
            object_type="seal",
            object_id=seal.id,
            summary=f"印章“{seal.name}”的保管人 {user.name} {why}，需要指定新的保管人",
        )
        notifications.notify_many(
            app,
            list(admins),
            CUSTODY,
            f"印章“{seal.name}”的保管人 {user.name} {why}，请指定新的保管人",
            url=f"{URL}{seal.id}/edit",
        )
    return len(kept)
