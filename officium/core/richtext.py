"""Rich text (公告正文, 邮件正文): an allow-list sanitiser and a plain-text rendering.

:func:`sanitize_html` runs nh3 (the ammonia sanitiser, which parses like a browser) with a fixed
allow-list: paragraphs, headings, lists, tables, images, links, emphasis.  Everything else goes —
scripts, event handlers, ``style``/``class`` (and with them Word's ``mso-*`` junk), ``javascript:`` and
``data:`` URLs, frames, forms, comments (Word's ``<!--[if gte mso 9]>`` blocks).  Store what it returns, and
sanitise again when rendering if the stored HTML may predate a change of the allow-list; the template then
marks it ``|safe``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    {
        "p", "br", "hr", "div", "blockquote", "pre", "code",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a", "img",
        "b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup", "small", "mark",
    }
)  # fmt: skip

ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # no generic attributes: no class, style, id, lang, on*
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}

#: Tags dropped together with their content (Word's <xml> and <style> blocks, scripts, embedded documents).
DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "xml",
        "title",
        "head",
        "template",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
    }
)

URL_SCHEMES = frozenset({"http", "https", "mailto"})

_DIMENSION = re.compile(r"\d{1,4}%?")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        stripped = value.strip()
        # A protocol-relative URL (//host/…) leaves the site; ammonia counts it as relative.
        if stripped.startswith(("//", "\\\\", "/\\", "\\/")):
            return None
        return stripped
    if attribute in ("width", "height", "colspan", "rowspan", "span", "start"):
        return value if _DIMENSION.fullmatch(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    attribute_filter=_filter,
    strip_comments=True,
    link_rel="noopener noreferrer",
    url_schemes=set(URL_SCHEMES),
)

_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|\u00a0)*</p>")


def sanitize_html(html: str) -> str:
    """Safe HTML for display: only the allow-listed tags, attributes and URL schemes; Word junk removed."""
    if not html:
        return ""
    cleaned = _CLEANER.clean(html)
    # Word pastes <p class=MsoNormal><o:p>&nbsp;</o:p></p> between paragraphs; keep the structure, not that.
    return _EMPTY_PARAGRAPH.sub("", cleaned).strip()


_BLOCK = frozenset(
    {
        "p", "div", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "tr", "hr", "thead", "tbody", "tfoot",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.pre += 1
        if tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append("\t")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # Line breaks in the source are spaces, as a browser shows them — except inside <pre>.
        self.parts.append(data if self.pre else re.sub(r"[\s]+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of rich text, for search and previews: blocks become lines, markup and scripts vanish."""
    if not html:
        return ""
    parser = _Text()
    parser.feed(_CLEANER.clean(html))
    parser.close()
    lines = []
    for line in "".join(parser.parts).replace("\u00a0", " ").split("\n"):
        line = re.sub(r"[ \t\u3000]+", " ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)
