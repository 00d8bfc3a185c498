"""hw5lib.standin.centre_lines: outline glyphs filled, thinned and traced to strokes, on a font built by the tests
(tests/unit/conftest.py)."""

import numpy as np
import pytest

from hw5lib.standin import centre_lines


def test_fill_follows_non_zero_winding(font):
    ring = centre_lines.fill(centre_lines.outline_polygons(font, "O"))
    rows, cols = ring.shape
    assert ring[rows // 2, 8] and not ring[rows // 2, cols // 2]  # the side is ink, the middle a hole
    tee = centre_lines.fill(centre_lines.outline_polygons(font, "T"))
    assert tee[5:-5, tee.shape[1] // 2].all()  # down the stem, through the overlap with the bar
    assert tee[8, 5:-5].all() and not tee[60, 10]  # along the bar; paper under it, beside the stem


def test_a_missing_glyph_is_named(font):
    with pytest.raises(ValueError, match=r"has no glyph for 'Q'"):
        centre_lines.outline_polygons(font, "Q")


def test_a_tee_is_a_bar_and_a_stem(font):
    strokes = centre_lines.glyph_strokes(font, "T")
    assert len(strokes) == 2
    bar, stem = sorted(strokes, key=lambda s: np.ptp(s[:, 1]))  # the bar spans few rows
    assert np.ptp(bar[:, 0]) > 120 and np.ptp(bar[:, 1]) < 5  # across nearly the whole width (~137 px)
    assert np.ptp(stem[:, 1]) > 130 and np.ptp(stem[:, 0]) < 5  # down from the bar (~150 px)
    assert abs(stem[:, 0].mean() - bar[:, 0].mean()) < 5  # in the middle of the bar


def test_crossing_strokes_stay_whole(font):
    strokes = centre_lines.glyph_strokes(font, "+")
    assert len(strokes) == 2
    for stroke in strokes:
        assert max(np.ptp(stroke, axis=0)) > 130  # each goes right through the crossing (~150 px)


def test_a_corner_is_one_stroke_and_a_ring_one_closed_stroke(font):
    (ell,) = centre_lines.glyph_strokes(font, "L")
    assert np.ptp(ell[:, 1]) > 130 and np.ptp(ell[:, 0]) > 80
    assert 3 <= len(ell) <= 6  # simplified to its ends and corner
    (ring,) = centre_lines.glyph_strokes(font, "O")
    assert np.allclose(ring[0], ring[-1], atol=2) and len(ring) >= 5


def test_short_spurs_are_pruned():
    skeleton = np.zeros((40, 40), dtype=bool)
    skeleton[5:35, 10] = True  # a long stroke
    skeleton[20, 11:14] = True  # a 3-pixel spur off its side
    pruned = centre_lines.prune_spurs(skeleton, longest=6)
    assert pruned[5:35, 10].all() and not pruned[20, 12:14].any()
    kept = centre_lines.prune_spurs(skeleton, longest=2)
    assert kept[20, 11:14].all()
