"""Fixtures of the unit tests: a small handwriting-like font built with fontTools."""

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen


def rectangle(pen, x0, y0, x1, y1, clockwise=True):
    """A rectangle contour; TrueType draws outer contours clockwise and holes the other way."""
    corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    if not clockwise:
        corners = corners[::-1]
    pen.moveTo(corners[0])
    for corner in corners[1:]:
        pen.lineTo(corner)
    pen.closePath()


GLYPHS = {
    # a T of two overlapping bars drawn the same way round: their overlap is ink (non-zero winding)
    "T": lambda pen: (rectangle(pen, 0, 620, 600, 700), rectangle(pen, 260, 0, 340, 700)),
    # a square ring: the inner contour, drawn the other way round, is a hole
    "O": lambda pen: (rectangle(pen, 0, 0, 600, 700), rectangle(pen, 80, 80, 520, 620, clockwise=False)),
    # an L: one stroke round a corner
    "L": lambda pen: (rectangle(pen, 0, 0, 80, 700), rectangle(pen, 0, 0, 500, 80)),
    # a plus: two strokes crossing, each straight through the crossing
    "+": lambda pen: (rectangle(pen, 0, 310, 700, 390), rectangle(pen, 310, 0, 390, 700)),
}


@pytest.fixture(scope="session")
def font(tmp_path_factory):
    """A WOFF font with the glyphs of GLYPHS, built with fontTools."""
    names = [".notdef"] + [f"glyph{ord(c)}" for c in GLYPHS]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"glyph{ord(c)}" for c in GLYPHS})
    outlines = {".notdef": TTGlyphPen(None).glyph()}
    for char, draw in GLYPHS.items():
        pen = TTGlyphPen(None)
        draw(pen)
        outlines[f"glyph{ord(char)}"] = pen.glyph()
    builder.setupGlyf(outlines)
    builder.setupHorizontalMetrics({name: (700, 0) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Test Hand", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.font.flavor = "woff"
    path = tmp_path_factory.mktemp("font") / "test-hand.woff"
    builder.save(str(path))
    return str(path)
