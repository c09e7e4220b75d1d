"""The 涉密 guard: classified material must never be processed, stored or sent in this system.

The bureau's regulation forbids it, and 《中华人民共和国保守国家秘密法》 requires classified information to
be handled only on classified systems.  A route that accepts text or files scans them first; when a
classification mark (密级标志) is found it stores nothing, records the refusal in the audit log and shows
:func:`refusal_message` beside the offending field::

    findings = secrecy.scan({"标题": title, "正文": body}, [(upload.filename, data)])
    if findings:
        secrecy.record_refusal(request, "bulletin", findings)
        return render(..., status_code=422, errors={"title": secrecy.refusal_message(findings)})

What counts as a mark (GB/T 9704 and the 国家秘密标志 rules): a level — 绝密, 机密, 秘密 — joined to the
star ★ (秘密★, 机密★10年, 绝密★长期, 绝密★启用前, ★绝密), or written after 密级 (密级：机密).  A typed
asterisk stands in for the star (秘密*1年) only where the level begins a word, so that Markdown emphasis
(**商业秘密**) is no mark.  A level with a term alone on its line (秘密 1年) counts too: a star drawn from a
symbol font is often lost when text is extracted.  Traditional forms (機密, 絕密, 密級) are marks as well.
Ordinary words are no marks: 保密工作, 商业秘密, 秘密通道, 信息的机密性, 涉密人员 —
they carry no star and no 密级 label.  The guard is a safety net against the common slip of pasting a
marked document, not a classifier: content without a mark is the sender's responsibility.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from officium.core import audit
from officium.core.files import text_of

if TYPE_CHECKING:
    from starlette.requests import Request

_SPACE = r"[\s\u3000]*"
_LEVEL = r"(?:绝密|机密|秘密|絕密|機密|祕密)"  # with the traditional forms of pasted 港澳台 material
_STAR = r"[★☆✩✪✫✬✭✮✯⭐]"
_ASTERISK = r"(?<![*＊])[*＊](?![*＊])"
_TERM = rf"(?:{_SPACE}(?:[0-9０-９]+|[一二三四五六七八九十两]+){_SPACE}(?:年|个月|月|日|天)|{_SPACE}长期|{_SPACE}启用前)?"

_PATTERNS = [
    # 秘密★ / 机密★10年 / 绝密 ★ 长期 / 绝密★启用前
    re.compile(rf"{_LEVEL}{_SPACE}{_STAR}{_TERM}"),
    # 秘密*1年 — a typed asterisk counts only when the level starts a word (not 商业秘密* in Markdown)
    re.compile(rf"(?<![\u4e00-\u9fff]){_LEVEL}{_SPACE}{_ASTERISK}{_TERM}"),
    # ★绝密
    re.compile(rf"{_STAR}{_SPACE}{_LEVEL}"),
    # 密级：机密 / 密 级: 秘密 / 密级 绝密
    re.compile(rf"密{_SPACE}[级級]{_SPACE}(?:[:：]|[\s\u3000]){_SPACE}{_LEVEL}"),
    # 秘密 1年 on a line of its own: the star was a symbol-font glyph that text extraction lost
    re.compile(
        rf"^[ \t\u3000]*{_LEVEL}[ \t\u3000]*(?:[0-9０-９]+|[一二三四五六七八九十两]+)[ \t\u3000]*(?:年|个月)[ \t\u3000]*$",
        re.M,
    ),
]

#: The rule cited in every refusal.
RULE = "根据《检验检疫局办公自动化系统使用及管理办法》和保密规定，涉密信息严禁在本系统中处理、存储或传输"


def find_marks(text: str) -> list[str]:
    """The classification marks in ``text``, in order of appearance, each once (as written, trimmed)."""
    if not text:
        return []
    spans = sorted(m.span() for pattern in _PATTERNS for m in pattern.finditer(text))
    merged: list[list[int]] = []
    for start, end in spans:  # 密级：秘密★1年 is one mark, though two patterns see it
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    marks: list[str] = []
    for start, end in merged:
        mark = text[start:end].strip()
        if mark not in marks:
            marks.append(mark)
    return marks


@dataclass(frozen=True)
class Finding:
    """One mark and where it was found: a field's label, or ``附件“name”的文件名`` / ``附件“name”``."""

    where: str
    mark: str


def scan(fields: Mapping[str, str], files: Iterable[tuple[str, bytes]] = ()) -> list[Finding]:
    """Marks in field values (keys: the fields' Chinese labels), in file names, and in the text of .txt,
    .csv, .pdf and .docx files."""
    findings = [
        Finding(label, mark) for label, value in fields.items() for mark in find_marks(str(value or ""))
    ]
    for name, data in files:
        findings.extend(Finding(f"附件“{name}”的文件名", mark) for mark in find_marks(name))
        findings.extend(Finding(f"附件“{name}”", mark) for mark in find_marks(text_of(name, data)))
    return findings


def refusal_message(findings: Sequence[Finding]) -> str:
    """One Chinese message: the rule, where the marks are, what to do."""
    places = "；".join(f"{f.where}中的“{f.mark}”" for f in findings[:5])
    more = f"等 {len(findings)} 处" if len(findings) > 5 else ""
    return (
        f"{RULE}。检测到密级标志：{places}{more}。本次提交未保存任何内容。"
        "涉密文件请通过涉密渠道处理；如确非涉密，请删除或更正该标志后重新提交。"
    )


def record_refusal(request: Request, plugin: str, findings: Sequence[Finding]) -> None:
    """Audit the refusal (action ``<plugin>.secrecy_refused``, result ``refused``).

    The entry survives although the refused request changes nothing: it is written after the request's
    transaction has ended, even when the view goes on to raise (see ``audit.record_regardless``).
    """
    audit.record_regardless(
        request,
        f"{plugin}.secrecy_refused",
        summary=f"拒绝提交疑似涉密内容：{request.method} {request.url.path}",
        detail={"findings": [{"where": f.where, "mark": f.mark} for f in findings]},
        result="refused",
    )
