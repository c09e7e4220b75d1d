"""套红: the PDF of an outgoing document laid out after GB/T 9704-2012 《党政机关公文格式》.

A pure module (no database, no site): give it a :class:`RedheadDocument` and, once the document is to be
sealed, the seal's PNG image; it returns the PDF bytes.  The layout follows the standard's figures:

- A4 paper; 版心 156 × 225 mm with a top margin (天头) of 37 mm and a left margin (订口) of 28 mm;
- a grid of 22 lines × 28 characters of 3号 (16 pt) text filling the 版心;
- 份号 and 紧急程度 in the top left; the red 发文机关标志 centred, its top 35 mm below the top of the 版心
  (80 mm for 上行文); the 发文字号 two lines below it (centred, or on the left with 签发人 on the right for
  上行文); a red line as wide as the 版心 4 mm below the 发文字号;
- the 标题 in 2号 (22 pt), two lines below the red line; 主送机关, 正文 (headings 一、 in 黑体, （一） 1. （1）
  and paragraphs with a two-character indent), 附件说明, 发文机关署名 above the 成文日期 (right-indented four
  characters) with the seal pressed over both, 附注;
- the 版记 (抄送机关, 印发机关 and 印发日期 between black lines) at the foot of the last page;
- page numbers ``— 1 —`` in 4号 (14 pt), 7 mm below the 版心, on the right of odd and the left of even pages.

Fonts: the 仿宋, 小标宋, 黑体 and 楷体 faces of the standard are not free.  The renderer uses Debian's
``fonts-noto-cjk`` (installed by ``make install``): Noto Serif CJK SC for the text and, in bold, for the
标志 and 标题; Noto Sans CJK SC for the 黑体 headings (一、, 紧急程度); and AR PL UKai CN from
``fonts-arphic-ukai`` for the 楷体 of the （一） headings and the 签发人's name (Noto Serif when it is not
installed).  Set ``OFFICIUM_CJK_FONT_DIR`` to a folder holding the same files when they live elsewhere.

The output is deterministic (same document, same bytes), so the SHA-256 of a rendered PDF that a 用印申请
names stays valid when the document is rendered again.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

# ----------------------------------------------------------------------------------------------- geometry

PAGE_W, PAGE_H = 210.0, 297.0
TOP, LEFT = 37.0, 28.0  # 天头 and 订口
BODY_W, BODY_H = 156.0, 225.0  # 版心
LINES, CHARS = 22, 28
LINE = BODY_H / LINES  # ≈ 10.23 mm per line
CHAR = BODY_W / CHARS  # ≈ 5.57 mm per character
PT = 25.4 / 72  # one point in mm
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
RECORD_PT = 14  # 4号 (版记 and page numbers)
MARK_TOP = 35.0  # 发文机关标志: top edge below the top of the 版心 (下行文, 平行文)
MARK_TOP_UPWARD = 80.0  # ... for 上行文
MARK_PT = 40  # 发文机关标志 size before it is narrowed to fit the 版心
RED_LINE_GAP = 4.0  # red separator line below the 发文字号
SEAL_MM = 42.0  # diameter of the seal image on the page
RED = (230, 0, 18)  # Y80% M80% 套红 ink on screen
BLACK = (0, 0, 0)

#: Characters that may not start a line (they hang at the end of the previous one instead).
NO_LINE_START = set("，。、；：？！）》」』”’〕】…%,.;:?!)")

URGENCIES = ("特急", "加急")
HEADING_FONTS = {0: "text", 1: "hei", 2: "kai", 3: "text", 4: "text"}


class FontMissing(Exception):
    """No CJK font is installed; ``message`` says how to install one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the 正文: ``level`` 0 is body text, 1–4 the headings 一、 （一） 1. （1）.

    The heading's number is part of ``text``; the renderer does not number.
    """

    text: str
    level: int = 0


@dataclass
class RedheadDocument:
    """The 公文要素 the 套红 layout shows; an empty value leaves the element out."""

    copy_no: str = ""  # 份号
    urgency: str = ""  # 紧急程度: 特急 or 加急
    issuer_mark: str = ""  # 发文机关标志, e.g. X市检验检疫局文件
    doc_number: str = ""  # 发文字号, e.g. X检发〔2026〕12号
    signer: str = ""  # 签发人 (shown for 上行文 only)
    upward: bool = False  # 上行文 layout
    title: str = ""
    main_recipients: str = ""  # 主送机关
    body: list[Paragraph] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # 附件说明
    issuer_name: str = ""  # 发文机关署名
    date_written: date | None = None  # 成文日期
    note: str = ""  # 附注
    cc: str = ""  # 抄送机关
    printer: str = ""  # 印发机关
    print_date: date | None = None  # 印发日期


_LEVEL_PATTERNS = (
    (1, re.compile(r"^[一二三四五六七八九十百]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    (3, re.compile(r"^\d+[.．]")),
    (4, re.compile(r"^[（(]\d+[）)]")),
)


def heading_level(text: str) -> int:
    """The heading level that ``text``'s leading number suggests (0 for a body paragraph)."""
    for level, pattern in _LEVEL_PATTERNS:
        if pattern.match(text):
            return level
    return 0


def paragraphs_from_text(text: str) -> list[Paragraph]:
    """One paragraph per non-empty line, levels guessed from their leading 一、（一） 1. （1）."""
    paragraphs = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            paragraphs.append(Paragraph(line, heading_level(line)))
    return paragraphs


def chinese_date(day: date) -> str:
    """``2026年3月2日`` (Arabic numerals, no zero padding, as GB/T 9704 asks)."""
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------------------------------- fonts

_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/truetype/arphic",
    "/usr/local/share/fonts",
)
_FONT_FILES = {
    "text": ("NotoSerifCJK-Regular.ttc",),
    "kai": ("ukai.ttc",),  # AR PL UKai (Debian fonts-arphic-ukai), the free 楷体
    "bold": ("NotoSerifCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc"),
    "hei": (
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJK-Bold.ttc",
        "NotoSerifCJK-Bold.ttc",
        "NotoSerifCJK-Regular.ttc",
    ),
}


def _font_dirs() -> list[Path]:
    extra = os.environ.get("OFFICIUM_CJK_FONT_DIR")
    return [Path(d) for d in ((extra,) if extra else ()) + _FONT_DIRS]


@functools.cache
def _sc_index(path: str) -> int:
    """The index of the Simplified Chinese face inside a collection (Noto's "… SC", AR PL's "… CN")."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1).endswith((" SC", " CN")):
                return index
    finally:
        collection.close()
    return 0


def find_fonts() -> dict[str, tuple[str, int]]:
    """``{"text": (path, index), "bold": ..., "hei": ...}`` — the installed CJK faces the layout uses."""
    found: dict[str, tuple[str, int]] = {}
    for role, names in _FONT_FILES.items():
        for name in names:
            path = next((d / name for d in _font_dirs() if (d / name).is_file()), None)
            if path is not None:
                found[role] = (str(path), _sc_index(str(path)))
                break
    if "text" not in found:
        raise FontMissing(
            "没有找到中文字体（Noto Serif CJK）。修复：运行 `make install`，或 `apt-get install fonts-noto-cjk`；"
            "字体在其他目录时设置环境变量 OFFICIUM_CJK_FONT_DIR。"
        )
    return found


# -------------------------------------------------------------------------------------------------- layout


@dataclass
class _Line:
    """One grid line of the body: text, face, size, indent (in characters) and alignment."""

    text: str
    font: str = "text"
    indent: float = 0.0  # characters from the left edge of the 版心
    align: str = "L"  # L, C or R (R: ``indent`` characters from the right edge)
    keep: int = 0  # this line must stay on one page with the next ``keep`` lines
    role: str = "body"  # body, sign (署名), date (成文日期), note


_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*|.", re.S)


def _width(pdf: FPDF, text: str) -> float:
    return pdf.get_string_width(text)


def _break(pdf: FPDF, text: str, first_width: float, width: float) -> list[str]:
    """Greedy line breaks in ``width`` mm (``first_width`` for the first line); closing punctuation hangs."""
    lines: list[str] = []
    current = ""
    limit = first_width
    for token in _TOKENS.findall(text):  # a number or a Latin word is never split
        if current and _width(pdf, current + token) > limit + 0.01 and token not in NO_LINE_START:
            lines.append(current)
            current = ""
            limit = width
        current += token
    if current or not lines:
        lines.append(current)
    return lines


def _balanced(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break a title into lines of about equal length (the fewest lines that fit ``width``).  A two-line
    title whose 事由 fits a line of its own breaks before “关于”, so that no word is cut (GB/T 9704 7.3.3:
    回行时词意完整).  Otherwise the lines are of about equal length."""
    greedy = _break(pdf, text, width, width)
    if len(greedy) < 2:
        return greedy
    at = text.find("关于")
    if len(greedy) == 2 and at > 0 and max(_width(pdf, text[:at]), _width(pdf, text[at:])) <= width + 0.01:
        return [text[:at], text[at:]]
    target = _width(pdf, text) / len(greedy) + _width(pdf, "国") * 0.5
    lines = _break(pdf, text, target, target)
    return lines if len(lines) == len(greedy) else greedy


class _Renderer:
    def __init__(self, doc: RedheadDocument, seal_png: bytes | None) -> None:
        self.doc = doc
        self.seal_png = seal_png
        # fpdf (with fontTools) costs ~20 MiB and ~0.25 s in every worker; only a 红头 PDF needs it.
        from fpdf import FPDF

        pdf = FPDF(unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(LEFT, TOP, PAGE_W - LEFT - BODY_W)
        # each face is loaded when first used (loading a CJK font takes a noticeable fraction of a second)
        self.files = find_fonts()
        self.fonts = {role: role if role in self.files else "text" for role in ("text", "bold", "hei", "kai")}
        self.loaded: set[str] = set()
        pdf.set_creation_date(datetime.combine(doc.date_written or date(2000, 1, 1), time(), tzinfo=UTC))
        pdf.set_producer("Officium")
        pdf.set_title(doc.title)
        pdf.set_lang("zh-CN")
        self.pdf = pdf
        self.seal_box: tuple[float, float, float, float] | None = None
        self.unnumbered: set[int] = set()

    # ------------------------------------------------------------------ fonts on the grid
    def use(self, font: str, size: float = BODY_PT, grid: bool = True) -> None:
        """Select a face; on the grid a full-width character advances exactly one grid cell."""
        face = self.fonts[font]
        if face not in self.loaded:
            path, index = self.files[face]
            self.pdf.add_font(face, fname=path, collection_font_number=index)
            self.loaded.add(face)
        self.pdf.set_font(face, size=size)
        self.pdf.set_stretching(100)
        if grid:  # narrow the glyphs a little (horizontal scaling keeps the text extractable as words)
            natural = self.pdf.get_string_width("国")
            self.pdf.set_stretching(100 * CHAR * size / BODY_PT / natural)

    def baseline(self, line: int) -> float:
        """The baseline of grid line ``line`` (0–21) of a page."""
        return TOP + line * LINE + LINE * 0.5 + BODY_PT * PT * 0.35

    # ------------------------------------------------------------------ page furniture
    def new_page(self) -> None:
        self.pdf.add_page()

    def page_numbers(self) -> None:
        pdf = self.pdf
        total = pdf.pages_count
        for number in range(1, total + 1):
            if number in self.unnumbered:
                continue
            pdf.page = number
            self.use("text", RECORD_PT, grid=False)
            label = f"— {number} —"
            y = TOP + BODY_H + 7 + RECORD_PT * PT * 0.8
            w = _width(pdf, label)
            x = LEFT + BODY_W - CHAR - w if number % 2 else LEFT + CHAR
            pdf.set_text_color(*BLACK)
            pdf.text(x, y, label)
        pdf.page = total

    # ------------------------------------------------------------------ 版头
    def header(self) -> float:
        """Draw the 版头 on page 1; return the y (mm) below which the title starts."""
        doc, pdf = self.doc, self.pdf
        pdf.set_text_color(*BLACK)
        line = 0
        if doc.copy_no:
            self.use("text")
            pdf.text(LEFT, self.baseline(line), doc.copy_no)
            line += 1
        if doc.urgency:
            self.use("hei")
            pdf.text(LEFT, self.baseline(line), doc.urgency)
            line += 1
        mark_top = TOP + (MARK_TOP_UPWARD if doc.upward else MARK_TOP)
        y = mark_top
        if doc.issuer_mark:
            size = MARK_PT
            self.use("bold", size, grid=False)
            natural = _width(pdf, doc.issuer_mark)
            stretch = min(100.0, 100.0 * BODY_W / natural) if natural else 100.0
            pdf.set_stretching(stretch)
            width = _width(pdf, doc.issuer_mark)
            pdf.set_text_color(*RED)
            height = size * PT
            pdf.text(LEFT + (BODY_W - width) / 2, mark_top + height * 0.88, doc.issuer_mark)
            pdf.set_stretching(100)
            pdf.set_text_color(*BLACK)
            y = mark_top + height
        # 发文字号: two blank lines below the 标志
        number_base = y + 2 * LINE + BODY_PT * PT * 0.85
        if doc.doc_number or (doc.upward and doc.signer):
            self.use("text")
            if doc.upward:
                pdf.text(LEFT + CHAR, number_base, doc.doc_number)
                if doc.signer:
                    label = "签发人："
                    self.use("text")
                    w_label = _width(pdf, label)
                    self.use("kai")
                    w_name = _width(pdf, doc.signer)
                    x = LEFT + BODY_W - CHAR - w_label - w_name
                    self.use("text")
                    pdf.text(x, number_base, label)
                    self.use("kai")
                    pdf.text(x + w_label, number_base, doc.signer)
            else:
                w = _width(pdf, doc.doc_number)
                pdf.text(LEFT + (BODY_W - w) / 2, number_base, doc.doc_number)
        red_y = number_base + RED_LINE_GAP
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.6)
        pdf.line(LEFT, red_y, LEFT + BODY_W, red_y)
        pdf.set_draw_color(*BLACK)
        self.red_line_y = red_y
        return red_y

    # ------------------------------------------------------------------ 主体 as grid lines
    def body_lines(self) -> list[_Line]:
        doc, pdf = self.doc, self.pdf
        lines: list[_Line] = []
        if doc.main_recipients:
            self.use("text")
            text = doc.main_recipients.rstrip("：:") + "："
            lines += [_Line(t) for t in _break(pdf, text, BODY_W, BODY_W)]
        for paragraph in doc.body:
            font = HEADING_FONTS.get(paragraph.level, "text")
            self.use(font)
            parts = _break(pdf, paragraph.text, BODY_W - 2 * CHAR, BODY_W)
            for i, text in enumerate(parts):
                lines.append(_Line(text, font, indent=2 if i == 0 else 0))
        if doc.attachments:
            lines.append(_Line(""))
            self.use("text")
            many = len(doc.attachments) > 1
            for n, name in enumerate(doc.attachments, start=1):
                head = ("附件：" if n == 1 else "　　　") + (f"{n}." if many else "")
                first = head + name
                hang = 2 + len(head) - (0.5 if many else 0)
                parts = _break(pdf, first, BODY_W - 2 * CHAR, BODY_W - hang * CHAR)
                for i, text in enumerate(parts):
                    lines.append(_Line(text, indent=2 if i == 0 else hang))
        if doc.issuer_name or doc.date_written:
            sealed = self.seal_png is not None
            block: list[_Line] = [_Line("", role="gap")]
            if sealed:
                block.append(_Line("", role="gap"))
            if doc.issuer_name:
                block.append(_Line(doc.issuer_name, role="sign"))
            if doc.date_written:
                block.append(_Line(chinese_date(doc.date_written), align="R", indent=4, role="date"))
            block[0].keep = len(block) - 1
            if lines:  # the last line of the text goes with the signature: never a page without text
                lines[-1].keep = len(block)
            lines += block
        if doc.note:
            self.use("text")
            for i, text in enumerate(
                _break(pdf, f"（{doc.note.strip('（）()')}）", BODY_W - 2 * CHAR, BODY_W)
            ):
                lines.append(_Line(text, indent=2 if i == 0 else 0, role="note"))
        return lines

    def paginate(self, lines: list[_Line], first_line: int) -> list[list[_Line]]:
        """Split the lines into pages; a group joined by ``keep`` moves to the next page whole."""
        groups: list[list[_Line]] = []
        i = 0
        while i < len(lines):
            end = j = i
            while j <= end:
                if lines[j].keep:
                    end = max(end, min(len(lines) - 1, j + lines[j].keep))
                j += 1
            groups.append(lines[i : end + 1])
            i = end + 1
        pages: list[list[_Line]] = [[]]
        capacity = LINES - first_line
        for group in groups:
            if len(pages[-1]) + len(group) > capacity and pages[-1] and len(group) <= LINES:
                pages.append([])
                capacity = LINES
            for line in group:
                if len(pages[-1]) >= capacity:
                    pages.append([])
                    capacity = LINES
                pages[-1].append(line)
        return pages

    def draw_lines(self, pages: list[list[_Line]], first_line: int) -> None:
        pdf = self.pdf
        for number, page in enumerate(pages):
            if number:
                self.new_page()
            start = first_line if number == 0 else 0
            sign = date_line = None
            for k, line in enumerate(page):
                row = start + k
                if line.role == "sign":
                    sign = (row, line)
                elif line.role == "date":
                    date_line = (row, line)
                if not line.text or line.role in ("sign", "date"):
                    continue
                self.use(line.font)
                pdf.set_text_color(*BLACK)
                x = LEFT + line.indent * CHAR
                if line.align == "R":
                    x = LEFT + BODY_W - line.indent * CHAR - _width(pdf, line.text)
                pdf.text(x, self.baseline(row), line.text)
            if sign or date_line:
                self.signature(sign, date_line)

    def signature(self, sign: tuple[int, _Line] | None, date_line: tuple[int, _Line] | None) -> None:
        """署名 centred over the 成文日期 (right-indented four characters), the seal pressed over both."""
        pdf = self.pdf
        self.use("text")
        center_x = LEFT + BODY_W / 2
        if date_line:
            w = _width(pdf, date_line[1].text)
            x = LEFT + BODY_W - 4 * CHAR - w
            center_x = x + w / 2
        if sign:
            w_sign = _width(pdf, sign[1].text)
            if center_x + w_sign / 2 > LEFT + BODY_W:
                center_x = LEFT + BODY_W - w_sign / 2
        rows = [item[0] for item in (sign, date_line) if item is not None]
        if self.seal_png is not None:
            top_row = min(rows)
            center_y = TOP + top_row * LINE + LINE * 0.55  # the text sits below the seal's centre
            x0, y0 = center_x - SEAL_MM / 2, center_y - SEAL_MM / 2
            self.seal_box = (x0, y0, SEAL_MM, SEAL_MM)
        pdf.set_text_color(*BLACK)
        for item in (sign, date_line):
            if item is None:
                continue
            row, line = item
            w = _width(pdf, line.text)
            pdf.text(center_x - w / 2, self.baseline(row), line.text)
        if self.seal_box is not None:
            import io

            x0, y0, w, h = self.seal_box
            pdf.image(io.BytesIO(self.seal_png), x=x0, y=y0, w=w, h=h)

    # ------------------------------------------------------------------ 版记
    def record(self, used_rows: int) -> None:
        """抄送 and 印发 between black lines at the foot of the last page (a new page when it is full)."""
        doc, pdf = self.doc, self.pdf
        if not (doc.cc or doc.printer or doc.print_date):
            return
        self.use("text", RECORD_PT)
        rows: list[str] = []
        if doc.cc:
            rows += _break(pdf, f"抄送：{doc.cc.rstrip('。.')}。", BODY_W - 2 * CHAR, BODY_W - 4 * CHAR)
        rows.append("\x00printer")
        pitch = LINE * 0.75
        height = len(rows) * pitch + 2
        if used_rows * LINE + height > BODY_H - LINE:
            self.new_page()  # a page of its own: GB/T 9704 leaves the 版记 page without a number
            self.unnumbered.add(self.pdf.pages_count)
        bottom = TOP + BODY_H
        top = bottom - height
        pdf.set_draw_color(*BLACK)
        pdf.set_line_width(0.35)
        pdf.line(LEFT, top, LEFT + BODY_W, top)
        pdf.line(LEFT, bottom, LEFT + BODY_W, bottom)
        y = top + 1
        pdf.set_text_color(*BLACK)
        for i, text in enumerate(rows):
            base = y + pitch * 0.5 + RECORD_PT * PT * 0.35
            if text == "\x00printer":
                if doc.cc:
                    pdf.set_line_width(0.25)
                    pdf.line(LEFT, y, LEFT + BODY_W, y)
                if doc.printer:
                    pdf.text(LEFT + CHAR * RECORD_PT / BODY_PT, base, doc.printer)
                if doc.print_date:
                    label = f"{chinese_date(doc.print_date)}印发"
                    pdf.text(LEFT + BODY_W - CHAR * RECORD_PT / BODY_PT - _width(pdf, label), base, label)
            else:
                indent = CHAR * RECORD_PT / BODY_PT * (1 if i == 0 else 4)
                pdf.text(LEFT + indent, base, text)
            y += pitch

    # ------------------------------------------------------------------ all together
    def layout(self) -> None:
        self.new_page()
        below = self.header()
        # the title two blank lines below the red line
        title_top = below + 2 * LINE * 0.6
        y = title_top
        if self.doc.title:
            self.use("bold", TITLE_PT)
            for text in _balanced(self.pdf, self.doc.title, BODY_W - 2 * CHAR):
                w = _width(self.pdf, text)
                self.pdf.text(LEFT + (BODY_W - w) / 2, y + TITLE_PT * PT, text)
                y += TITLE_PT * PT * 1.45
        # the next grid line, one blank line below the title
        first_line = min(LINES - 1, int((y - TOP) / LINE + 0.999) + 1)
        pages = self.paginate(self.body_lines(), first_line)
        self.draw_lines(pages, first_line)
        used = (first_line if len(pages) == 1 else 0) + len(pages[-1])
        self.record(used)
        self.page_numbers()

    def render(self) -> bytes:
        self.layout()
        return bytes(self.pdf.output())


def render_pdf(doc: RedheadDocument, seal_png: bytes | None = None) -> bytes:
    """The 套红 PDF of ``doc``; ``seal_png`` (a PNG, transparent outside the seal) is pressed over the
    署名 and 成文日期.  Raises :class:`FontMissing` when no CJK font is installed."""
    return _Renderer(doc, seal_png).render()


def layout_boxes(doc: RedheadDocument, seal_png: bytes | None = None) -> dict[str, object]:
    """Where the renderer put the red line and the seal (mm from the page's top left), for checks."""
    renderer = _Renderer(doc, seal_png)
    renderer.layout()
    return {"red_line_y": renderer.red_line_y, "seal_box": renderer.seal_box}


def print_context(doc: RedheadDocument) -> dict[str, object]:
    """The same content as plain values for an HTML print view (``docs_outgoing`` templates)."""
    return {
        "copy_no": doc.copy_no,
        "urgency": doc.urgency,
        "issuer_mark": doc.issuer_mark,
        "doc_number": doc.doc_number,
        "signer": doc.signer if doc.upward else "",
        "upward": doc.upward,
        "title": doc.title,
        "main_recipients": doc.main_recipients.rstrip("：:") + "：" if doc.main_recipients else "",
        "body": [{"text": p.text, "level": p.level} for p in doc.body],
        "attachments": list(doc.attachments),
        "issuer_name": doc.issuer_name,
        "date_written": chinese_date(doc.date_written) if doc.date_written else "",
        "note": doc.note,
        "cc": doc.cc,
        "printer": doc.printer,
        "print_date": f"{chinese_date(doc.print_date)}印发" if doc.print_date else "",
    }
