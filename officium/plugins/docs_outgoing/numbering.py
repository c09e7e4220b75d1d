"""发文字号: 机关代字 + 〔四位年份〕 + 顺序号 + 号 (e.g. X检发〔2026〕12号).

One sequence per 代字 per year.  A number is taken by one UPDATE of the sequence row inside the caller's
transaction: on PostgreSQL the row lock makes a second clerk wait until the first commits; on SQLite the
write transaction (BEGIN IMMEDIATE) serialises them.  Every number given gets a row in the register, so
the numbers 1..last of a sequence are all accounted for: used by a document, or voided with a reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.plugins.docs_outgoing.models import Distribution, Document, Number, Prefix, Sequence

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp
    from officium.core.identity.models import User

#: A 代字: Chinese characters and ASCII letters (X检发), no brackets, digits or 号.
PREFIX_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,30}$")
NUMBER_RE = re.compile(r"^(?P<prefix>[\u4e00-\u9fffA-Za-z]+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


class NumberError(ValueError):
    """A number that cannot be given or voided as asked; the message says why, in Chinese."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class VoidReasonRefused(NumberError):
    """The 涉密 guard found classification marks in a void reason: nothing is changed."""

    def __init__(self, findings: list[Any]) -> None:
        from officium.core import secrecy

        super().__init__(secrecy.refusal_message(findings), field="reason")
        self.findings = findings


def format_number(prefix: str, year: int, seq: int) -> str:
    """X检发〔2026〕12号."""
    return f"{prefix}〔{year}〕{seq}号"


def check_prefix(code: str) -> str:
    """The reason a 代字 is not acceptable, or ""."""
    if not code:
        return "请填写机关代字。"
    if "〔" in code or "〕" in code or "[" in code or "【" in code or "(" in code or "（" in code:
        return "机关代字不含括号，年份由系统按〔〕自动加上。"
    if any(ch.isdigit() for ch in code) or code.endswith("号"):
        return "机关代字不含年份、序号和“号”字，例如“X检发”。"
    if not PREFIX_RE.match(code):
        return "机关代字只能由汉字和字母组成，不超过 30 个字。"
    return ""


def check_number(number: str) -> str:
    """The reason a 发文字号 is malformed, or "" (GB/T 9704: 〔〕, four-digit year, no padding, no 第)."""
    if not number:
        return "发文字号为空：请先进行编号登记。"
    if "第" in number:
        return "发文字号中不加“第”字，例如“X检发〔2026〕12号”。"
    if re.search(r"[\[\]【】()（）]", number):
        return "发文字号的年份须用六角括号〔〕括入，不能用【】、[]或()。"
    year = re.search(r"〔(\d*)〕", number)
    if year is None:
        return "发文字号须写明年份，格式为“机关代字〔四位年份〕顺序号号”。"
    if len(year.group(1)) != 4:
        return "发文字号的年份须写全四位，例如〔2026〕。"
    match = NUMBER_RE.match(number)
    if match is None:
        tail = number.split("〕", 1)[1] if "〕" in number else ""
        if re.match(r"^0\d*号$", tail):
            return "发文字号的顺序号不编虚位，例如写“1号”而不是“001号”。"
        return "发文字号格式应为“机关代字〔四位年份〕顺序号号”，例如“X检发〔2026〕12号”。"
    return ""


def assign(
    app: OfficiumApp, document: Document, prefix_code: str, user: User, request: Request | None = None
) -> Number:
    """Give ``document`` the next number of ``prefix_code`` for this year, in the caller's transaction."""
    prefix = Prefix.get_or_none((Prefix.code == prefix_code) & (Prefix.active == True))  # noqa: E712
    if prefix is None:
        raise NumberError("请选择办公室配置的有效机关代字。", field="prefix")
    if document.doc_number:
        raise NumberError(f"该文件已有文号 {document.doc_number}。")
    if prefix.direction and prefix.direction != document.direction:
        from officium.plugins.docs_outgoing.constants import DIRECTIONS

        raise NumberError(
            f"机关代字“{prefix.code}”用于{DIRECTIONS.get(prefix.direction, '')}，本文件是"
            f"{DIRECTIONS.get(document.direction, '')}，请选择相应的代字。",
            field="prefix",
        )
    now = app.clock()
    year = now.year
    Sequence.insert(prefix=prefix.code, year=year, last=0).on_conflict_ignore().execute()
    # one statement: the increment and the row lock (PostgreSQL) happen together
    Sequence.update(last=Sequence.last + 1).where(
        (Sequence.prefix == prefix.code) & (Sequence.year == year)
    ).execute()
    seq = Sequence.get((Sequence.prefix == prefix.code) & (Sequence.year == year)).last
    text = format_number(prefix.code, year, seq)
    number = Number.create(
        prefix=prefix.code,
        year=year,
        seq=seq,
        number=text,
        document=document,
        assigned_by=user,
        assigned_at=now,
    )
    Document.update(prefix=prefix.code, doc_number=text, number_year=year, number_seq=seq).where(
        Document.id == document.id
    ).execute()
    document.prefix, document.doc_number, document.number_year, document.number_seq = (
        prefix.code,
        text,
        year,
        seq,
    )
    from officium.plugins.docs_outgoing import feed

    feed.update(app, document)
    audit.record(
        app,
        "docs_outgoing.number",
        actor=user,
        request=request,
        object_type="document",
        object_id=document.id,
        summary=f"编号登记《{document.title}》：{text}",
    )
    return number


def void(
    app: OfficiumApp,
    number: Number,
    reason: str,
    user: User,
    request: Request | None = None,
    *,
    closing: bool = False,
) -> Number:
    """Void a given number (it is never given again) and take it off its document, which may be numbered
    anew.  The reason is required and kept in the register of voided numbers.  A number already sent out
    (the document was distributed: the units' 收文 and the packages carry it) is voided only with the
    document itself (``closing``, when its flow is terminated)."""
    reason = reason.strip()
    if not reason:
        raise NumberError("请填写作废原因。", field="reason")
    if len(reason) > 500:
        raise NumberError("作废原因不超过 500 字。", field="reason")
    if not closing:
        from officium.core import secrecy

        findings = secrecy.scan({"作废原因": reason})
        if findings:
            raise VoidReasonRefused(findings)
    if number.voided:
        raise NumberError("该文号已作废。")
    if number.document_id is not None:
        document = Document.get_by_id(number.document_id)
        if document.state in ("issued", "archived"):
            raise NumberError("文件已核发，其文号不能作废。")
        if not closing and Distribution.select().where(Distribution.document == document.id).exists():
            raise NumberError(
                "文件已分发，收文单位登记的就是这个文号，不能作废；文件确需收回时由流程管理员终止办理，文号随之作废。"
            )
        Document.update(doc_number="", number_year=None, number_seq=None).where(
            (Document.id == document.id) & (Document.doc_number == number.number)
        ).execute()
    Number.update(voided=True, void_reason=reason, voided_by=user, voided_at=app.clock()).where(
        Number.id == number.id
    ).execute()
    audit.record(
        app,
        "docs_outgoing.void_number",
        actor=user,
        request=request,
        object_type="number",
        object_id=number.id,
        summary=f"作废文号 {number.number}：{reason}",
    )
    return Number.get_by_id(number.id)


def gaps(prefix: str, year: int) -> list[int]:
    """Numbers 1..last of a sequence with no register row (always empty unless data was tampered with)."""
    sequence = Sequence.get_or_none((Sequence.prefix == prefix) & (Sequence.year == year))
    if sequence is None:
        return []
    seen = {n.seq for n in Number.select(Number.seq).where((Number.prefix == prefix) & (Number.year == year))}
    return [n for n in range(1, sequence.last + 1) if n not in seen]
