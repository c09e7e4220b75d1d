"""The routing of a 局发文 (条例 第十九至二十五条):

拟稿 → 核稿 (the drafting unit's leader) → 会签 (the leaders of the units the drafter chose, all at once or
one after another; 加签 from the panel) → 办公室审核 → 签发 (the signing leader) → 复核 → 编号登记 → 用印 (the
seal custodian) → 核发/分发 → 归档.

The domain effects are callbacks: 签发 records the signature; 复核 and 核发 refuse to complete while the rule
checks fail; 编号登记, 用印 and 核发 complete only once their page action (number, seal, distribute) was done.
"""

from __future__ import annotations

from typing import Any

from officium.core.workflow.definition import Step, Workflow, computed, site_role, unit_leader

NAME = "issue"
KEY = f"docs_outgoing.{NAME}"
OFFICE_ROLE = "doc_office"

CHECK, COUNTERSIGN, COUNTERSIGN_SEQ, OFFICE, SIGN = (
    "check",
    "countersign",
    "countersign_seq",
    "office",
    "sign",
)
REVIEW, NUMBER, SEAL, ISSUE, ARCHIVE = "review", "number", "seal", "issue", "archive"
#: Steps in which the current handler may still revise the document (each save is a new version).
EDITABLE_STEPS = (CHECK, COUNTERSIGN, COUNTERSIGN_SEQ, OFFICE, SIGN, REVIEW, NUMBER)
#: Steps after 签发: a substantive change there sends the document back to the signer.
AFTER_SIGNING = (REVIEW, NUMBER)


def _service() -> Any:
    from officium.plugins.docs_outgoing import service

    return service


def _countersigners(app: Any, instance: Any) -> list[Any]:
    return _service().countersigners(app, instance)


def _signer(app: Any, instance: Any) -> list[Any]:
    return _service().signing_leaders(app, instance)


def _custodians(app: Any, instance: Any) -> list[Any]:
    return _service().seal_custodians(app, instance)


def _then_refresh(effect: str | None = None, *args: Any) -> Any:
    """A step callback: the domain effect (a ``service`` function name), then the search entry refreshed."""

    def callback(ctx: Any) -> None:
        service = _service()
        if effect is not None:
            getattr(service, effect)(ctx, *args)
        service.refresh(ctx)

    return callback


_refresh = _then_refresh()
_signed = _then_refresh("record_signature")
_reviewed = _then_refresh("require_rules", "review")
_numbered = _then_refresh("require_number")
_sealed = _then_refresh("require_seal")
_issued = _then_refresh("mark_issued")
_finished = _then_refresh("mark_archived")
_closed = _then_refresh("mark_closed")


OFFICE_HANDLERS = site_role(OFFICE_ROLE)
#: Seal custody is never delegated (the engine's ``delegable`` flag, where the core has it).
NOT_DELEGABLE = {"delegable": False} if "delegable" in Step.__dataclass_fields__ else {}
STEP_TITLES = {
    CHECK: "核稿",
    COUNTERSIGN: "会签（并行）",
    COUNTERSIGN_SEQ: "会签（顺序）",
    OFFICE: "办公室审核",
    SIGN: "签发",
    REVIEW: "复核",
    NUMBER: "编号登记",
    SEAL: "用印",
    ISSUE: "核发/分发",
    ARCHIVE: "归档",
}

WORKFLOW = Workflow(
    NAME,
    "局发文",
    steps=(
        Step(CHECK, "核稿", unit_leader(), days=2, on_complete=_refresh),
        Step(
            COUNTERSIGN,
            "会签（并行）",
            computed(_countersigners, "会签单位负责人"),
            mode="all",
            days=3,
            on_complete=_refresh,
            when=lambda f: f.get("countersign_mode") == "all",
        ),
        Step(
            COUNTERSIGN_SEQ,
            "会签（顺序）",
            computed(_countersigners, "会签单位负责人"),
            mode="sequence",
            days=3,
            on_complete=_refresh,
            when=lambda f: f.get("countersign_mode") == "sequence",
        ),
        Step(OFFICE, "办公室审核", OFFICE_HANDLERS, days=2, on_complete=_refresh),
        Step(SIGN, "签发", computed(_signer, "签发领导"), days=2, on_complete=_signed),
        Step(REVIEW, "复核", OFFICE_HANDLERS, days=1, on_complete=_reviewed),
        Step(NUMBER, "编号登记", OFFICE_HANDLERS, days=1, on_complete=_numbered),
        Step(
            SEAL,
            "用印",
            computed(_custodians, "印章保管人"),
            days=1,
            on_complete=_sealed,
            when=lambda f: f.get("sealing", True),
            **NOT_DELEGABLE,
        ),
        Step(ISSUE, "核发/分发", OFFICE_HANDLERS, days=1, on_complete=_issued),
        Step(ARCHIVE, "归档", OFFICE_HANDLERS, days=5),
    ),
    on_finish=_finished,
    on_close=_closed,
)
