"""The handwriting-like character generator (hw5lib.standin.synth)."""

import numpy as np
import pytest

from hw5lib.data import CLASS_NAMES
from hw5lib.standin import synth


def test_a_sample_is_one_course_row_and_is_reproducible():
    row = synth.render_sample(0, "train", 7, "v")
    assert row.shape == (1024,) and row.dtype == np.float64
    assert np.array_equal(row, synth.render_sample(0, "train", 7, "v"))
    assert not np.array_equal(row, synth.render_sample(0, "train", 8, "v"))
    assert not np.array_equal(row, synth.render_sample(0, "valid", 7, "v"))
    assert not np.array_equal(row, synth.render_sample(0, "train", 7, "w"))


def test_rows_are_column_major_like_the_course_files():
    # Read the course's way, row.reshape(32, 32).T, L's stand upright: over 20 of them, most ink lies in the
    # bottom rows (the foot) and in the left columns (the stem). Some hands lift the foot, so one L may not show it.
    rows = [synth.render_sample(CLASS_NAMES.index("L"), "orientation", i, "v") for i in range(20)]
    ink = np.mean([row.reshape(32, 32).T < 0.5 for row in rows], axis=0)
    assert ink[-12:].sum() > 2 * ink[:12].sum()  # 74 against 24 now
    assert ink[:, :12].sum() > 2 * ink[:, -12:].sum()  # 50 against 21


@pytest.mark.parametrize("label", range(36))
def test_every_glyph_option_exists_and_draws_ink(label):
    for font, char, weight in synth._glyph_choices(label):
        assert weight > 0
        glyph = synth.load_glyph(font, char)
        assert len(glyph.first) > 100
    image = synth.render_sample(label, "check", 0, "v").reshape(32, 32).T
    ink = image < 0.5
    assert 0.04 < ink.mean() < 0.45
    assert not ink[0].any() or not ink[-1].any()  # the character is not cut at both borders


def test_lower_case_forms_appear_only_where_declared():
    for label, char in enumerate(CLASS_NAMES):
        lower = [c for _, c, _ in synth._glyph_choices(label) if c != char and c.islower()]
        assert bool(lower) == (char in synth.LOWER_CASE_SHARE)


def test_render_split_is_independent_of_workers():
    labels = np.repeat(np.arange(36), 2)
    one = synth.render_split(labels, "w", "v", workers=1, progress=False)
    two = synth.render_split(labels, "w", "v", workers=2, progress=False)
    assert one.shape == (72, 1024) and np.array_equal(one, two)


def test_corners_are_jittered_and_curves_follow_them_smoothly():
    o, z = synth.load_glyph("futural", "O"), synth.load_glyph("form0", "Z")
    assert o.is_key.sum() == 2 and len(o.vertices) > 15  # a round O: only its two ends are keys
    assert z.is_key.all()  # every vertex of a Z is an end or a sharp corner
    moved = o.key_jitter(0.05, np.random.default_rng(0))
    # the start and end of the O (the same point) move independently, everything between is interpolated
    t = o.arc / o.arc[-1]
    expected = (1 - t)[:, None] * moved[0] + t[:, None] * moved[-1]
    np.testing.assert_allclose(moved, expected, atol=1e-12)
    steps = np.linalg.norm(np.diff(moved, axis=0), axis=1)
    assert steps.max() < 0.01  # neighbours on the curve move alike: it stays round, not lumpy
    corners = z.key_jitter(0.05, np.random.default_rng(1))
    assert 0.02 < corners.std() < 0.08  # corners move by about the spread, each on its own


def test_glyphs_with_many_corners_jitter_each_corner_less():
    e, x = synth.load_glyph("futural", "E"), synth.load_glyph("futural", "X")
    assert e.is_key.sum() == 8 and x.is_key.sum() == 4
    rng = np.random.default_rng(2)
    spread_e = np.std([e.key_jitter(0.05, rng)[e.is_key] for _ in range(400)])
    spread_x = np.std([x.key_jitter(0.05, rng)[x.is_key] for _ in range(400)])
    assert spread_x == pytest.approx(0.05, rel=0.05)
    assert spread_e == pytest.approx(0.05 * np.sqrt(6 / 8), rel=0.05)


@pytest.mark.parametrize("font, char", [("futural", "X"), ("futural", "E"), ("rowmans", "A"), ("futural", "O"),
                                        ("form0", "A"), ("form2", "R")])
def test_dense_points_run_along_each_stroke_from_its_start_to_its_end(font, char):
    glyph = synth.load_glyph(font, char)
    points = glyph.points(glyph.vertices)
    spans = glyph.stroke_spans()
    assert len(spans) == glyph.stroke_of_vertex[-1] + 1  # one run of points per stroke
    for k, (start, stop) in enumerate(spans):
        stroke = glyph.vertices[glyph.stroke_of_vertex == k]
        np.testing.assert_allclose(points[start], stroke[0], atol=1e-12)
        np.testing.assert_allclose(points[stop - 1], stroke[-1], atol=1e-12)
        # no jump back to an earlier vertex: rounding would drag the stroke's end towards it
        assert np.linalg.norm(np.diff(points[start:stop], axis=0), axis=1).max() <= synth.GLYPH_STEP + 1e-12


def test_bending_the_midlines_moves_the_middle_and_keeps_the_box():
    corners_and_middle = np.array([[-1.0, -2.0], [1.0, 2.0], [0.0, 0.0], [0.5, 1.0]])
    bent = synth.bend_midlines(corners_and_middle, (0.1, 0.2))
    np.testing.assert_allclose(bent[:2], corners_and_middle[:2])  # the box stays
    np.testing.assert_allclose(bent[2], [0.1 * 1.0, 0.2 * 2.0])  # the middle moves by bend x half-size
    np.testing.assert_allclose(bent[3], [0.5 + 0.1 * 0.75, 1.0 + 0.2 * 0.75 * 2.0])  # u + bend (1 - u^2)
    h = synth.load_glyph("futural", "H")
    points = h.points(h.vertices)
    lowered = synth.bend_midlines(points, (0.0, 0.3))
    order = np.argsort(points[:, 1])
    assert np.all(np.diff(lowered[order, 1]) > -1e-12)  # nothing crosses over: rows keep their order
    assert lowered[:, 1].mean() > points[:, 1].mean()  # the bar goes down
    np.testing.assert_array_equal(synth.bend_midlines(points, (0.0, 0.0)), points)


def test_letters_get_their_fitted_midline_and_digits_none():
    for label, name in enumerate(CLASS_NAMES):
        style = synth.draw_style(label, np.random.default_rng(label))
        x, y = synth.LETTER_MIDLINE.get(name, (0.0, 0.0))
        assert style.bend == (synth.FIT_STRENGTH * x, synth.FIT_STRENGTH * y)
    assert set(synth.LETTER_MIDLINE) == set(CLASS_NAMES[:26])
    assert all(abs(x) < 0.5 and abs(y) < 0.5 for x, y in synth.LETTER_MIDLINE.values())  # bends keep the order


def test_letters_are_drawn_halfway_to_their_fitted_box():
    height, aspect = synth.LETTER_BOX["M"]
    assert synth.letter_box("M") == pytest.approx((1 + synth.FIT_STRENGTH * (height - 1),
                                                    1 + synth.FIT_STRENGTH * (aspect - 1)))
    assert synth.FIT_STRENGTH == 0.5 and synth.letter_box("M")[0] == pytest.approx(0.84)  # M's fitted 0.68
    assert synth.letter_box("7") == (1.0, 1.0) and synth.letter_midline("7") == (0.0, 0.0)
