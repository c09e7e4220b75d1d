"""The 套红 PDF: rendered to pixels (pypdfium2) and read back as text (pypdf) to check GB/T 9704's layout."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from officium.plugins.docs_outgoing import redhead
from officium.plugins.docs_outgoing.redhead import (
    Paragraph,
    RedheadDocument,
    heading_level,
    layout_boxes,
    paragraphs_from_text,
    print_context,
    render_pdf,
)
from officium.plugins.seals.image import draw_seal

DPI = 72 * 2  # pixels per inch of the test renderings
MM = DPI / 25.4  # pixels per millimetre

BODY = """为做好2026年春节期间值班工作，确保节日期间各项工作正常运转，现将有关事项通知如下。
一、高度重视值班工作
各单位要充分认识节日期间值班工作的重要性，切实加强组织领导，明确责任分工。
（一）落实值班制度
严格执行24小时值班和领导带班制度，值班人员要坚守岗位，保持通信畅通。
1.值班表报送
各单位于2月10日前将值班表报办公室。
（1）报送方式
通过办公自动化系统报送。
二、做好应急处置
遇有突发事件，要按规定及时报告，不得迟报、漏报、瞒报。"""


def notice(**changes) -> RedheadDocument:
    values = dict(
        copy_no="000001",
        urgency="特急",
        issuer_mark="X市出入境检验检疫局文件",
        doc_number="X检发〔2026〕12号",
        title="X市出入境检验检疫局关于做好2026年春节期间值班工作的通知",
        main_recipients="各处室、各分支局",
        body=paragraphs_from_text(BODY),
        attachments=["春节期间值班表", "值班人员联系方式"],
        issuer_name="X市出入境检验检疫局",
        date_written=date(2026, 2, 3),
        note="联系人：周静，电话：12345678",
        cc="市政府办公室，海关总署办公厅",
        printer="X市出入境检验检疫局办公室",
        print_date=date(2026, 2, 3),
    )
    values.update(changes)
    return RedheadDocument(**values)


def pages_of(pdf: bytes):
    """Each page as an RGB Pillow image at :data:`DPI`."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=DPI / 72).to_pil().convert("RGB") for i in range(len(document))]
    finally:
        document.close()


def text_of(pdf: bytes) -> list[str]:
    """The text of each page as pypdf reads it.

    pypdf does not apply the CMap that fpdf2 embeds for CFF-flavoured (OpenType) CJK fonts and yields a
    NUL before each character; pdfium reads the same file correctly.  The NULs are dropped here.
    """
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace("\x00", "") for page in reader.pages]


def is_red(pixel) -> bool:
    r, g, b = pixel
    return r > 180 and g < 90 and b < 90


def is_dark(pixel) -> bool:
    return sum(pixel) < 200


def red_mask(image):
    """White where the page is red ink, black elsewhere."""
    r, g, b = image.split()
    high = r.point(lambda v: 255 if v > 180 else 0)
    low_g = g.point(lambda v: 255 if v < 90 else 0)
    low_b = b.point(lambda v: 255 if v < 90 else 0)
    return ImageChops.multiply(ImageChops.multiply(high, low_g), low_b)


def dark_mask(image):
    return image.convert("L").point(lambda v: 255 if v < 67 else 0)


def red_rows(image) -> dict[int, int]:
    """Row index → number of red pixels in that row."""
    mask = red_mask(image)
    column = mask.resize((1, image.height), Image.Resampling.BOX)
    counts = {}
    for y in range(image.height):
        n = round(column.getpixel((0, y)) * image.width / 255)
        if n:
            counts[y] = n
    return counts


def bbox_mm(image, test) -> tuple[float, float, float, float] | None:
    """The (left, top, right, bottom) in mm of the red (``is_red``) or dark (``is_dark``) pixels."""
    mask = red_mask(image) if test is is_red else dark_mask(image)
    box = mask.getbbox()
    return None if box is None else tuple(v / MM for v in box)


@pytest.fixture(scope="module")
def seal_png() -> bytes:
    return draw_seal("X市出入境检验检疫局")


@pytest.fixture(scope="module")
def sealed(seal_png):
    doc = notice()
    pdf = render_pdf(doc, seal_png)
    return doc, pdf, pages_of(pdf), layout_boxes(doc, seal_png)


@pytest.fixture(scope="module")
def unsealed():
    pdf = render_pdf(notice())
    return pdf, pages_of(pdf)


def test_a4_pages_and_deterministic_output(sealed, seal_png):
    doc, pdf, pages, _ = sealed
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    assert len(pages) == 2
    assert render_pdf(doc, seal_png) == pdf  # a 用印申请's hash stays valid when rendered again


def test_text_carries_the_elements(sealed):
    _, pdf, _, _ = sealed
    first, last = text_of(pdf)
    flat = "".join(first.split())
    assert "X市出入境检验检疫局文件" in flat
    assert "X检发〔2026〕12号" in flat
    assert "X市出入境检验检疫局关于做好2026年春节期间值班工作的通知" in flat
    assert "各处室、各分支局：" in flat
    assert "一、高度重视值班工作" in flat
    assert "（一）落实值班制度" in flat
    assert "000001" in flat and "特急" in flat
    assert "— 1 —" in first
    flat_last = "".join(last.split())
    for expected in (
        "1.值班表报送",
        "（1）报送方式",
        "二、做好应急处置",
        "附件：1.春节期间值班表",
        "2.值班人员联系方式",
        "2026年2月3日",
        "（联系人：周静，电话：12345678）",
        "抄送：市政府办公室，海关总署办公厅。",
        "2026年2月3日印发",
    ):
        assert expected in flat_last, expected
    assert "— 2 —" in last


def test_red_issuer_mark_in_the_header_band(sealed):
    _, _, pages, _boxes = sealed
    first = pages[0]
    counts = red_rows(first)
    band_top, band_bottom = (redhead.TOP + redhead.MARK_TOP) * MM, (redhead.TOP + redhead.MARK_TOP + 17) * MM
    in_band = sum(n for y, n in counts.items() if band_top <= y <= band_bottom)
    assert in_band > 2000  # a wide run of red glyphs
    # nothing red above the mark (份号 and 紧急程度 are black)
    assert not [y for y in counts if y < band_top - 1 * MM]


def test_red_line_4mm_below_the_number_across_the_type_area(sealed):
    _, _, pages, boxes = sealed
    first = pages[0]
    counts = red_rows(first)
    width_px = redhead.BODY_W * MM
    full = [y for y, n in counts.items() if n > 0.95 * width_px]
    assert full, "no red line as wide as the 版心"
    line_y = min(full) / MM
    # it spans exactly the 版心: red at 28 mm and at 184 mm, none at 26 or 186
    pixels = first.load()
    row = min(full)
    assert is_red(pixels[int(29 * MM), row]) and is_red(pixels[int(183 * MM), row])
    assert not is_red(pixels[int(26.5 * MM), row]) and not is_red(pixels[int(185.5 * MM), row])
    # the lowest black pixel of the 发文字号 sits about 4 mm above the line (glyph bottom vs baseline)
    above = bbox_mm(first.crop((0, int((line_y - 12) * MM), first.width, row)), is_dark)
    gap = 12 - above[3]
    assert 3.0 <= gap <= 5.5
    assert line_y == pytest.approx(boxes["red_line_y"], abs=0.8)


def test_text_starts_at_the_left_margin_and_stays_in_the_type_area(unsealed):
    _, pages = unsealed
    left, top, right, _bottom = bbox_mm(pages[0].crop((0, 0, pages[0].width, int(262 * MM))), is_dark)
    assert 27.5 <= left <= 29.5  # 订口 28 mm
    assert right <= 184.5 + 1  # 版心 156 mm (a closing mark may hang into the margin)
    assert 37 <= top <= 50  # 天头 37 mm: the 份号 on the first line


def test_seal_pressed_over_signature_and_date(sealed, unsealed):
    _, _, pages, boxes = sealed
    _, plain = unsealed
    box = bbox_mm(pages[-1], is_red)
    assert box is not None
    left, top, right, bottom = box
    assert right - left == pytest.approx(redhead.SEAL_MM, abs=2)
    assert bottom - top == pytest.approx(redhead.SEAL_MM, abs=2)
    expected = boxes["seal_box"]
    assert left == pytest.approx(expected[0], abs=1.5) and top == pytest.approx(expected[1], abs=1.5)
    assert left > 105  # on the right, over the 成文日期 (right-indented four characters)
    # the 署名 and the date lie inside the seal's area (it presses on both)
    dark = bbox_mm(
        plain[-1].crop((int(left * MM), int(top * MM), int(right * MM), int(bottom * MM))), is_dark
    )
    assert dark is not None and (dark[3] - dark[1]) > 12  # two lines of text under the seal
    assert bbox_mm(plain[-1], is_red) is None  # without a seal image nothing is red on the last page


def test_page_numbers_alternate_sides(unsealed):
    _, pages = unsealed
    band = (int(265 * MM), int(280 * MM))
    first = bbox_mm(pages[0].crop((0, band[0], pages[0].width, band[1])), is_dark)
    second = bbox_mm(pages[1].crop((0, band[0], pages[1].width, band[1])), is_dark)
    assert first[0] > 150  # odd page: right
    assert second[2] < 60  # even page: left


def test_grid_is_28_characters_by_22_lines():
    body = [Paragraph("国" * 26 + "家" * 28 * 3)] + [Paragraph(f"第{n}行") for n in range(60)]
    pdf = render_pdf(RedheadDocument(title="测试", body=body))
    texts = text_of(pdf)
    lines = [line for line in texts[0].splitlines() if "国" in line or "家" in line]
    assert [len(line.strip()) for line in lines[:4]] == [26, 28, 28, 28]  # two characters of indent
    middle = [line for line in texts[1].splitlines() if line.strip().startswith("第")]
    assert len(middle) == 22


def test_upward_document_shows_signer_and_left_number():
    doc = notice(upward=True, signer="王建国", urgency="", copy_no="")
    pdf = render_pdf(doc)
    assert "签发人：王建国" in "".join(text_of(pdf)[0].split())
    image = pages_of(pdf)[0]
    line_y = min(y for y, n in red_rows(image).items() if n > 0.95 * redhead.BODY_W * MM) / MM
    row = bbox_mm(image.crop((0, int((line_y - 9) * MM), image.width, int((line_y - 1) * MM))), is_dark)
    assert row[0] == pytest.approx(28 + redhead.CHAR, abs=1.5)  # 文号 one character in from the left
    assert row[2] == pytest.approx(184 - redhead.CHAR, abs=1.5)  # 签发人 one character in from the right
    mark = bbox_mm(image, is_red)
    assert mark[1] == pytest.approx(37 + 80, abs=2)  # the mark 80 mm below the top of the 版心


def test_heading_levels_and_print_context():
    assert [heading_level(t) for t in ("一、总则", "（二）范围", "3.要求", "（4）附则", "正文")] == [
        1,
        2,
        3,
        4,
        0,
    ]
    context = print_context(notice())
    assert context["main_recipients"] == "各处室、各分支局："
    assert context["date_written"] == "2026年2月3日" and context["print_date"] == "2026年2月3日印发"
    assert context["signer"] == ""  # only 上行文 show the 签发人
    assert context["body"][1] == {"text": "一、高度重视值班工作", "level": 1}


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(redhead, "_FONT_DIRS", ())
    monkeypatch.setenv("OFFICIUM_CJK_FONT_DIR", str(tmp_path))
    with pytest.raises(redhead.FontMissing) as raised:
        render_pdf(notice())
    assert "fonts-noto-cjk" in raised.value.message


def test_minimal_documents_render(seal_png):
    """Any element may be missing: a date without a 署名, a 署名 without a date, nothing but a title."""
    only_date = render_pdf(
        RedheadDocument(title="通知", body=[Paragraph("正文。")], date_written=date(2026, 3, 2)), seal_png
    )
    assert "2026年3月2日" in text_of(only_date)[0]
    # 12 lines fit under this title on page 1; 19 more paragraphs, the gap and the 署名 fill page 2 so far
    # that the 版记 needs a page of its own
    body = [Paragraph(f"第{n}段。") for n in range(1, 32)]
    full = render_pdf(
        RedheadDocument(title="通知", body=body, issuer_name="办公室", cc="各处室", printer="办公室")
    )
    texts = text_of(full)
    assert len(texts) == 3 and "第12段。" in texts[0] and "第13段。" in texts[1] and "办公室" in texts[1]
    assert "— 2 —" in texts[1]
    assert "抄送：各处室。" in texts[2] and "—" not in texts[2]  # the 版记 page alone carries no number


def test_a_two_line_title_breaks_before_guanyu_when_the_rest_fits():
    """江南出入境检验检疫局关于增加口岸查验人员编制的请示 broke as “……关于增 / 加口岸……”, cutting a word."""
    pdf = render_pdf(
        RedheadDocument(
            title="江南出入境检验检疫局关于增加口岸查验人员编制的请示", body=[Paragraph("正文。")]
        )
    )
    lines = text_of(pdf)[0].splitlines()
    assert "江南出入境检验检疫局" in lines and "关于增加口岸查验人员编制的请示" in lines
    # a 事由 too long for one line keeps the balanced break
    long = "江南出入境检验检疫局关于做好2027年元旦春节期间口岸卫生检疫和安全检查工作的通知"
    text = text_of(render_pdf(RedheadDocument(title=long, body=[Paragraph("正文。")])))[0]
    assert "江南出入境检验检疫局" not in text.splitlines()
