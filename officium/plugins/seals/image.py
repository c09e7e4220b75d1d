"""The generated seal image: a red round seal with the unit's name along the upper arc and a star.

Drawn with Pillow (already required by fpdf2, well kept, and able to draw text along an arc by rotating
each character), in the Noto Sans CJK face that the 套红 renderer uses too.  The picture is a PNG with a
transparent background, so that on the page the text under the seal still shows between its strokes.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from officium.plugins.docs_outgoing.redhead import find_fonts

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

SIZE = 600  # pixels; printed at 42 mm this is about 360 dpi
RED = (230, 0, 18, 235)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    fonts = find_fonts()
    path, index = fonts.get("hei", fonts["text"])
    bold = Path(path).with_name("NotoSansCJK-Bold.ttc")
    if bold.is_file():  # seal strokes are heavy
        path = str(bold)
    return ImageFont.truetype(path, size=size, index=index)


@functools.lru_cache(maxsize=32)
def draw_seal(unit_name: str, caption: str = "") -> bytes:
    """A PNG of a round red seal: ``unit_name`` along the arc, a star, ``caption`` (e.g. 合同专用章) below."""
    # Pillow is imported here, not at module level: only drawing a seal needs it, and every worker would
    # otherwise carry it from start-up.
    from PIL import Image, ImageDraw

    scale = 3  # draw large, then shrink: smooth edges
    big = SIZE * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = big / 2
    ring = big * 0.035
    draw.ellipse((ring / 2, ring / 2, big - ring / 2, big - ring / 2), outline=RED, width=int(ring))
    _star(draw, c, c, big * 0.15)
    name = unit_name.strip() or "印章"
    glyph = int(big * (0.13 if len(name) <= 10 else 0.11 if len(name) <= 14 else 0.09))
    font = _font(glyph)
    radius = c - ring - glyph * 0.72
    span = min(240.0, 18.0 * len(name) + 40) if len(name) > 1 else 0.0
    for i, char in enumerate(name):
        angle = -90 - span / 2 + (span * i / (len(name) - 1) if len(name) > 1 else 0)
        rad = math.radians(angle)
        tile = Image.new("RGBA", (glyph * 2, glyph * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((glyph, glyph), char, font=font, fill=RED, anchor="mm")
        tile = tile.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(rad) - glyph
        y = c + radius * math.sin(rad) - glyph
        image.alpha_composite(tile, (int(x), int(y)))
    if caption:
        small = _font(int(big * 0.075))
        draw.text((c, c + big * 0.27), caption, font=small, fill=RED, anchor="mm")
    image = image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
