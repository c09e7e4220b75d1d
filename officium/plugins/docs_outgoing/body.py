"""正文 as structured text: one line per paragraph, headings recognised by their numbering.

The line syntax (shown beside the editor):

- ``一、标题`` — first-level heading (黑体), any Chinese numeral followed by 、
- ``（一）标题`` — second level (楷体); ASCII brackets ``(一)`` are accepted and written full-width
- ``1.标题`` or ``1．标题`` — third level
- ``（1）标题`` — fourth level; ``(1)`` is accepted
- any other non-empty line — an ordinary paragraph (indented two characters when printed)
- empty lines are ignored; a line starting with ``\\`` is a paragraph even when it looks like a heading

Versions are compared line by line with :mod:`difflib`, escaped, as a unified list of ``<ins>``/``<del>``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

_CN_NUM = "一二三四五六七八九十百零〇"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("h1", re.compile(rf"^[{_CN_NUM}]+、")),
    ("h2", re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    ("h3", re.compile(r"^[0-9]+[.．]")),
    ("h4", re.compile(r"^[（(][0-9]+[）)]")),
)
LEVEL_TITLES = {"h1": "一级标题", "h2": "二级标题", "h3": "三级标题", "h4": "四级标题", "p": "段落"}
MAX_CHARS = 100_000


@dataclass(frozen=True)
class Paragraph:
    """One structured paragraph: ``kind`` is h1..h4 or p."""

    kind: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


def _normalise(line: str, kind: str) -> str:
    if kind in ("h2", "h4"):
        line = re.sub(r"^\(([^()）（]+)\)", r"（\1）", line)
        line = re.sub(r"^（([^()）（]+)\)", r"（\1）", line)
        line = re.sub(r"^\(([^()）（]+)）", r"（\1）", line)
    return line


def parse(text: str) -> list[Paragraph]:
    """The paragraphs of a body written in the line syntax."""
    result = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip().replace("\u3000", " ").strip()
        if not line:
            continue
        if line.startswith("\\"):
            result.append(Paragraph("p", line[1:].strip()))
            continue
        kind = next((k for k, pattern in _PATTERNS if pattern.match(line)), "p")
        result.append(Paragraph(kind, _normalise(line, kind)))
    return result


def normalise(text: str) -> str:
    """The body as it is stored: one paragraph a line, trimmed, no blank lines."""
    lines = []
    for p in parse(text):
        looks_like_heading = any(pattern.match(p.text) for _, pattern in _PATTERNS)
        lines.append(("\\" + p.text) if p.kind == "p" and looks_like_heading else p.text)
    return "\n".join(lines)


def to_html(text: str) -> Markup:
    """The body as escaped HTML for the document page and the print view."""
    parts = []
    for p in parse(text):
        tag = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6"}.get(p.kind, "p")
        parts.append(f'<{tag} class="doc-{p.kind}">{escape(p.text)}</{tag}>')
    return Markup("\n".join(parts))


_ATTACHMENT_NUMBER = re.compile(r"^(?:\d{1,2}\s*[.．、]|[（(]\d{1,2}[）)])\s*")


def attachment_names(note: str) -> list[str]:
    """The 附件说明 as one name a line, without the sequence numbers a drafter typed ("1.", "2、", "（3）"):
    the 套红 layout numbers them itself (and a single attachment carries no number)."""
    return [
        _ATTACHMENT_NUMBER.sub("", line.strip()) or line.strip() for line in note.splitlines() if line.strip()
    ]


def to_plain(text: str) -> str:
    """The body as plain text (search index, 涉密 scan)."""
    return "\n".join(p.text for p in parse(text))


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: ``op`` is ``same``, ``ins`` or ``del``."""

    op: str
    text: str
    old_no: int | None
    new_no: int | None


def diff(old: str, new: str) -> list[DiffLine]:
    """Line-by-line differences between two bodies (or any two texts)."""
    a = old.split("\n") if old else []
    b = new.split("\n") if new else []
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", a[i1 + k], i1 + k + 1, j1 + k + 1) for k in range(i2 - i1)]
            continue
        lines += [DiffLine("del", a[i], i + 1, None) for i in range(i1, i2)]
        lines += [DiffLine("ins", b[j], None, j + 1) for j in range(j1, j2)]
    return lines


def diff_html(old: str, new: str) -> Markup:
    """The diff as escaped HTML: deleted lines in ``<del>``, added lines in ``<ins>``."""
    rows = []
    for line in diff(old, new):
        text = escape(line.text)
        if line.op == "ins":
            rows.append(f'<li class="diff-ins"><ins>{text}</ins></li>')
        elif line.op == "del":
            rows.append(f'<li class="diff-del"><del>{text}</del></li>')
        else:
            rows.append(f'<li class="diff-same">{text}</li>')
    return Markup('<ol class="doc-diff">' + "".join(rows) + "</ol>")
