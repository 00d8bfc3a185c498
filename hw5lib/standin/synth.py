"""Handwriting-like characters drawn from vector stroke fonts: the offline stand-in for NIST36.

Every character is a glyph of a Hershey stroke font, the centre line of a glyph of a handwriting font
(hw5lib.standin.hand_fonts), or a hand-print form (upper or lower case for letters), whose strokes are distorted
the way hands differ: stroke ends and corners moved (curves between them follow smoothly), the letter's
middle bent to where real hands put it, slant, rotation, aspect, a smooth elastic warp, wobble along each
stroke and small offsets between strokes. The strokes are then drawn with a round pen of random width at
three times the final resolution and box-averaged down, like a scanned and resized character. Each sample
has its own random generator seeded by (version, split, index), so the data are the same on every machine
and for any number of worker processes.
"""

from __future__ import annotations

import os
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage

from hw5lib.nist36_format import CLASS_NAMES
from hw5lib.standin import hand_fonts

# Hershey fonts and how often each is drawn. Script capitals are too ornate to pass for print, so the
# script font only lends its lower-case letters (see _glyph_choices).
FONT_WEIGHTS = {"futural": 3.0, "rowmans": 2.0, "futuram": 1.0, "timesi": 0.3, "scripts": 0.8}
# How often the handwriting fonts (hw5lib.standin.hand_fonts) are drawn, all of them together, on the scale of
# FONT_WEIGHTS. Chosen with benchmarks/bench_standin.py: 5 read the real letters no better than 4 and made the
# stand-in's own validation harder; 2.5 or 3 read them a little worse.
HAND_FONTS_WEIGHT = 4.0
# Share of a letter's samples written in lower case. People asked for capitals still write a few
# letters in lower case; these shares were set by eye from half of a real NIST letter file
# (see benchmarks/bench_standin.py, which reports accuracy on the other half too).
LOWER_CASE_SHARE = {"F": 0.35, "M": 0.65, "U": 0.55, "Y": 0.4, "E": 0.1, "N": 0.1, "B": 0.05, "Q": 0.05, "R": 0.05}
# The characters traced from the handwriting fonts: the classes, and the letters also written in lower case.
TRACED_CHARS = "".join(CLASS_NAMES) + "".join(sorted(c.lower() for c in LOWER_CASE_SHARE))
SUPERSAMPLE = 3
# Shift of the ink box's centre from the drawing's centre, in pixels of a 32 x 32 image, so that the
# mean ink-box centre matches the first halves of a real NIST file (fitted by benchmarks/fit_letter_box.py).
INK_CENTRE_SHIFT = -0.3
# How tall each letter is written and how wide for its height, relative to the generator's general
# draw: factors fitted so the median ink box of each letter matches the first 25 samples of each letter
# of a real NIST file (benchmarks/bench_standin.py reports accuracy on the other 25 too). I keeps the
# width of its glyphs: its bare strokes and its barred form are too unlike for one factor. The generator
# applies the factors at FIT_STRENGTH (below).
LETTER_BOX = {"A": (0.85, 1.06), "B": (1.13, 0.82), "C": (0.9, 0.98), "D": (1.02, 0.96), "E": (0.81, 1.1),
              "F": (1.14, 0.82), "G": (1.0, 0.98), "H": (0.94, 0.71), "I": (0.93, 1.0), "J": (1.08, 1.14),
              "K": (1.08, 0.8), "L": (1.02, 1.1), "M": (0.68, 1.18), "N": (0.93, 0.98), "O": (0.8, 0.91),
              "P": (1.05, 0.67), "Q": (1.01, 0.92), "R": (0.87, 0.98), "S": (0.82, 0.83), "T": (0.94, 1.38),
              "U": (0.87, 0.83), "V": (1.06, 0.79), "W": (0.96, 1.04), "X": (1.03, 0.77), "Y": (1.22, 0.66),
              "Z": (0.94, 0.98)}

# Where the middle of each letter lies: a bend of the glyph's vertical and horizontal midlines (x, y) as a
# share of its half-width and half-height, positive to the right and down, that leaves its ink box as it
# is. Fitted so each letter's mean spread of ink over the rows and the columns of its box matches the
# first 25 samples of each letter of a real NIST file (benchmarks/fit_letter_midline.py): it raises A's
# bar and lowers H's, for instance, which real hands write nearer each other than the fonts do.
# Applied at FIT_STRENGTH.
LETTER_MIDLINE = {"A": (-0.15, -0.15), "B": (-0.2, -0.05), "C": (0.05, 0.0), "D": (0.05, 0.0), "E": (0.2, 0.05),
                  "F": (0.3, 0.1), "G": (-0.3, -0.2), "H": (-0.25, 0.1), "I": (-0.15, -0.05), "J": (-0.1, 0.05),
                  "K": (0.1, 0.0), "L": (-0.15, -0.25), "M": (0.05, 0.2), "N": (0.0, 0.2), "O": (-0.05, 0.1),
                  "P": (-0.25, 0.05), "Q": (0.0, -0.15), "R": (-0.1, 0.15), "S": (0.3, 0.05), "T": (-0.05, 0.3),
                  "U": (-0.15, -0.25), "V": (0.05, 0.25), "W": (-0.1, 0.15), "X": (-0.1, 0.1), "Y": (-0.05, 0.05),
                  "Z": (-0.2, -0.1)}

# How far each letter is drawn from a neutral letter (box (1, 1), no bend) towards its fitted LETTER_BOX
# and LETTER_MIDLINE: 25 real samples measure a letter's box and middle with noise, so the fitted values
# are taken halfway. Real-letter accuracy over 8 draws of the generator x 8 seeds (bench_standin's
# network) with strength 0 / 0.3 / 0.5 / 0.7 / 1: 0.703 / 0.723 / 0.733 / 0.729 / 0.720, held-out halves
# 0.683 / 0.699 / 0.707 / 0.702 / 0.695; on 8 other draws 0.733 at 0.5 against 0.717 at 1 (held-out 0.717
# against 0.691).
FIT_STRENGTH = 0.5


def letter_box(char: str) -> tuple[float, float]:
    """(height, aspect) factors a character is drawn with: FIT_STRENGTH of the way from (1, 1) to its
    LETTER_BOX entry; (1, 1) for digits."""
    height, aspect = LETTER_BOX.get(char, (1.0, 1.0))
    return 1.0 + FIT_STRENGTH * (height - 1.0), 1.0 + FIT_STRENGTH * (aspect - 1.0)


def letter_midline(char: str) -> tuple[float, float]:
    """The midline bend a character is drawn with: FIT_STRENGTH of its LETTER_MIDLINE entry; none for digits."""
    x, y = LETTER_MIDLINE.get(char, (0.0, 0.0))
    return FIT_STRENGTH * x, FIT_STRENGTH * y


# Hand-print forms the fonts lack, drawn here as polylines (x, y) with y down, each with the share of
# its class's samples that use it: a barred I, a J with a top bar, crossed Z and 7, a flagged 1, a W
# with rounded bottoms, a narrow P, R written in one stroke or with a small bowl and a leg that sweeps
# out along the baseline, A with a bar past its leg, a steep right leg or a round top, a round Q with a
# long tail, an M whose middle stops halfway, a leaning N, a V with a round bottom, a leaning O whose
# ends overlap.
def _ellipse(start_deg: float, stop_deg: float, rx: float = 0.38, ry: float = 0.5, lean: float = 0.0,
             steps: int = 20) -> list:
    """Points of an ellipse drawn from one angle to another, leaning right by ``lean`` (x shift per unit of height)."""
    angles = np.deg2rad(np.linspace(start_deg, stop_deg, steps))
    return [(rx * np.cos(a) + lean * ry * np.sin(a), -ry * np.sin(a)) for a in angles]


HAND_GLYPHS = {
    "I": [([[(-0.35, -0.5), (0.35, -0.5)], [(0.0, -0.5), (0.0, 0.5)], [(-0.35, 0.5), (0.35, 0.5)]], 0.6)],
    "J": [([[(-0.2, -0.5), (0.45, -0.5)], [(0.15, -0.5), (0.15, 0.25), (0.05, 0.42), (-0.12, 0.5), (-0.28, 0.42),
                                         (-0.35, 0.25)]], 0.45)],
    "Z": [([[(-0.4, -0.5), (0.4, -0.5), (-0.4, 0.5), (0.42, 0.5)], [(-0.2, 0.0), (0.2, 0.0)]], 0.2)],
    "7": [([[(-0.35, -0.5), (0.38, -0.5), (-0.05, 0.5)], [(-0.15, 0.0), (0.25, 0.0)]], 0.2)],
    "1": [([[(-0.25, -0.3), (0.05, -0.5), (0.05, 0.5)], [(-0.22, 0.5), (0.3, 0.5)]], 0.3)],
    "W": [([[(-0.5, -0.5), (-0.42, 0.2), (-0.32, 0.45), (-0.22, 0.5), (-0.1, 0.4), (0.0, 0.0), (0.1, 0.4),
             (0.22, 0.5), (0.32, 0.45), (0.42, 0.2), (0.5, -0.5)]], 0.35)],
    "P": [([[(-0.2, 0.5), (-0.2, -0.5), (0.1, -0.5), (0.25, -0.42), (0.3, -0.27), (0.25, -0.12), (0.1, -0.05),
             (-0.2, -0.05)]], 0.35)],
    "R": [([[(-0.28, 0.5), (-0.28, -0.5), (0.08, -0.5), (0.26, -0.4), (0.3, -0.24), (0.22, -0.08), (0.02, 0.0),
             (-0.28, 0.0), (0.0, 0.0), (0.18, 0.2), (0.36, 0.5)]], 0.25),
          ([[(-0.28, 0.5), (-0.28, -0.5), (0.1, -0.5), (0.28, -0.38), (0.25, -0.2), (0.05, -0.1), (-0.28, -0.1),
             (0.05, 0.12), (0.4, 0.5)]], 0.25),
          ([[(-0.3, 0.5), (-0.3, -0.5), (0.05, -0.5), (0.22, -0.38), (0.22, -0.18), (0.05, -0.05), (-0.3, -0.05)],
            [(-0.1, -0.05), (0.15, 0.3), (0.3, 0.45), (0.5, 0.5)]], 0.3)],
    "A": [([[(-0.4, 0.5), (-0.02, -0.5), (0.02, -0.5), (0.4, 0.5)], [(0.3, 0.18), (-0.48, 0.14)]], 0.25),
          ([[(-0.45, 0.5), (0.15, -0.5), (0.3, 0.5)], [(-0.25, 0.12), (0.3, 0.08)]], 0.2),
          ([[(-0.42, 0.5), (-0.18, -0.3), (-0.05, -0.48), (0.08, -0.5), (0.2, -0.35), (0.32, 0.5)],
            [(-0.36, 0.05), (0.36, 0.02)]], 0.2)],
    "Q": [([_ellipse(90, 450, rx=0.4, ry=0.45), [(0.02, 0.18), (0.45, 0.55)]], 0.3)],
    "M": [([[(-0.45, 0.5), (-0.4, -0.5), (0.0, 0.1), (0.4, -0.5), (0.45, 0.5)]], 0.12)],
    "N": [([[(-0.45, 0.5), (-0.2, -0.5), (0.2, 0.5), (0.45, -0.5)]], 0.3)],
    "V": [([[(-0.4, -0.5), (-0.2, 0.2), (-0.08, 0.45), (0.0, 0.5), (0.08, 0.45), (0.2, 0.2), (0.4, -0.5)]], 0.3)],
    "O": [([_ellipse(110, 480, lean=0.35)], 0.25), ([_ellipse(100, 460, rx=0.32, lean=0.5)], 0.2)],
}


@dataclass(frozen=True)
class Style:
    """How one character is drawn; every field is drawn at random per sample by ``draw_style``."""

    font: str
    char: str
    rotation: float  # radians
    shear: float
    aspect: float  # horizontal / vertical stretch
    box_tendency: float  # 0..1: how far a narrow or wide glyph is pulled towards a square, as in a form's box
    bend: tuple  # (x, y) shift of the glyph's midlines, as a share of its half-width and half-height
    warp: tuple  # ((fx, fy, phase, amplitude_x, amplitude_y), ...) smooth elastic displacement
    wobble: float  # size of the low-frequency jitter along strokes, in glyph units
    rounding: float  # how much a moving pen rounds the glyph's corners, in glyph units
    stroke_offset: float  # spread of the offset of each stroke, in glyph units
    vertex_jitter: float  # spread of the displacement of each stroke end and corner, in glyph units
    size: float  # the glyph's height, in pixels of the final image (less if it would be too wide)
    max_width: float  # the widest a glyph may be drawn, in pixels
    centre: tuple  # (row, col) of the glyph's centre, in pixels
    pen: float  # pen width in pixels
    ink: float  # darkness of the ink, 1 = black; above 1 the core of a stroke stays black
    blur: float  # Gaussian sigma in pixels
    overshoot: float  # strength of the resampling overshoot around strokes
    noise: float  # standard deviation of pixel noise


@lru_cache(maxsize=None)
def _font(name: str):
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


GLYPH_STEP = 0.004  # glyph units between dense points: under half a fine pixel at the largest size
# A vertex where a stroke turns by more than this is a corner and is jittered on its own; the
# vertices of a curve between corners move with them, so curves stay smooth.
CORNER_TURN_DEG = 50.0
# Glyphs with more ends and corners than this jitter each a little less (by the square root of the
# ratio), so that letters with many corners (E, M, W) are not deformed more in all than X or N.
FULL_JITTER_KEYS = 6


@dataclass(frozen=True)
class Glyph:
    """A glyph as polyline vertices plus dense points along them, each point a blend of two vertices."""

    vertices: np.ndarray  # (v, 2) of (x, y), y down, centred, longer side 1
    stroke_of_vertex: np.ndarray  # (v,) stroke number of each vertex
    arc: np.ndarray  # (v,) distance along its stroke from the stroke's start to each vertex
    is_key: np.ndarray  # (v,) True at stroke ends and corners
    first: np.ndarray  # (n,) index of the vertex each dense point starts from
    weight: np.ndarray  # (n,) share of the next vertex in the point

    def stroke_spans(self) -> list[tuple[int, int]]:
        """(start, stop) of each stroke's dense points."""
        stroke = self.stroke_of_vertex[self.first]
        cuts = np.flatnonzero(np.diff(stroke)) + 1
        return list(zip(np.r_[0, cuts], np.r_[cuts, len(stroke)]))

    def key_jitter(self, spread: float, rng: np.random.Generator) -> np.ndarray:
        """Random displacement of every end and corner; the vertices between them follow along the arc."""
        spread = spread * np.sqrt(FULL_JITTER_KEYS / max(FULL_JITTER_KEYS, self.is_key.sum()))
        out = np.empty_like(self.vertices)
        for k in range(self.stroke_of_vertex[-1] + 1):
            idx = np.flatnonzero(self.stroke_of_vertex == k)
            key = self.is_key[idx]
            noise = rng.normal(0, spread, (key.sum(), 2))
            arc = self.arc[idx]
            out[idx] = np.column_stack([np.interp(arc, arc[key], noise[:, 0]), np.interp(arc, arc[key], noise[:, 1])])
        return out

    def points(self, vertices: np.ndarray) -> np.ndarray:
        """Dense points for (possibly moved) vertices."""
        w = self.weight[:, None]
        return (1 - w) * vertices[self.first] + w * vertices[self.first + 1]


def _ends_and_corners(stroke: np.ndarray) -> np.ndarray:
    """True at a stroke's two ends and where it turns by more than CORNER_TURN_DEG."""
    key = np.zeros(len(stroke), dtype=bool)
    key[[0, -1]] = True
    if len(stroke) > 2:
        seg = np.diff(stroke, axis=0)
        heading = np.arctan2(seg[:, 1], seg[:, 0])
        turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
        key[1:-1] = turn > np.deg2rad(CORNER_TURN_DEG)
    return key


@lru_cache(maxsize=None)
def load_glyph(font: str, char: str) -> Glyph:
    """The glyph of ``char`` in ``font`` (a Hershey font, a handwriting font of hand_fonts, or 'form<i>' for
    form i of HAND_GLYPHS), densified every GLYPH_STEP."""
    if font.startswith("form") and font[4:].isdigit():
        strokes = [np.asarray(s, dtype=float) for s in HAND_GLYPHS[char][int(font[4:])][0]]
    elif font in hand_fonts.HAND_FONTS:
        strokes = [s for s in hand_fonts.glyph_strokes(font, char, TRACED_CHARS) if len(s) >= 2]
    else:
        strokes = [np.asarray(s, dtype=float) for s in _font(font).strokes_for_text(char) if len(s) >= 2]
    if not strokes:
        raise ValueError(f"font {font!r} has no glyph for {char!r}")
    every = np.concatenate(strokes)
    lo, hi = every.min(axis=0), every.max(axis=0)
    strokes = [(st - (lo + hi) / 2) / max(hi - lo) for st in strokes]
    firsts, weights, offset = [], [], 0
    for st in strokes:
        for k, (a, b) in enumerate(zip(st[:-1], st[1:])):
            n = max(1, int(np.ceil(np.linalg.norm(b - a) / GLYPH_STEP)))
            last = k == len(st) - 2
            t = np.arange(n + 1 if last else n) / n
            firsts.append(np.full(len(t), offset + k))
            weights.append(t)
        offset += len(st)
    first = np.concatenate(firsts)
    weight = np.concatenate(weights)
    arcs = [np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(st, axis=0), axis=1))] for st in strokes]
    return Glyph(np.concatenate(strokes), np.concatenate([np.full(len(st), i) for i, st in enumerate(strokes)]),
                 np.concatenate(arcs), np.concatenate([_ends_and_corners(st) for st in strokes]), first, weight)


def _font_weights(char: str) -> dict[str, float]:
    """How often each font that has ``char`` is drawn: the Hershey fonts, and the handwriting fonts sharing
    HAND_FONTS_WEIGHT (one that lacks the glyph is left out)."""
    share = HAND_FONTS_WEIGHT / len(hand_fonts.HAND_FONTS)
    traced = hand_fonts.traced_glyphs(TRACED_CHARS)
    hands = {name: share for name in hand_fonts.HAND_FONTS if traced.get(f"{name}/{char}")}
    return {**FONT_WEIGHTS, **hands}


@lru_cache(maxsize=None)
def _glyph_choices(label: int) -> list[tuple[str, str, float]]:
    """(font, char, weight) options for a class: capitals in every print font, lower case in all fonts."""
    char = CLASS_NAMES[label]
    options = [(f, char, w) for f, w in _font_weights(char).items() if not (f == "scripts" and char.isalpha())]
    lower_share = LOWER_CASE_SHARE.get(char, 0.0)
    if lower_share:
        capitals = sum(w for _, _, w in options)
        lower = [(f, char.lower(), w) for f, w in _font_weights(char.lower()).items()]
        share = lower_share / (1 - lower_share) * capitals / sum(w for _, _, w in lower)
        options += [(f, c, w * share) for f, c, w in lower]
    forms = HAND_GLYPHS.get(char, [])
    if forms:
        total_share = sum(share for _, share in forms)
        rest = sum(w for _, _, w in options)
        options += [(f"form{i}", char, share / (1 - total_share) * rest) for i, (_, share) in enumerate(forms)]
    return options


def draw_style(label: int, rng: np.random.Generator, image_size: int = 32) -> Style:
    """Draw every random choice for one character of class ``label``."""
    options = _glyph_choices(label)
    weights = np.array([w for _, _, w in options])
    font, char, _ = options[rng.choice(len(options), p=weights / weights.sum())]
    warp = tuple(
        (*rng.uniform(-4.0, 4.0, 2), rng.uniform(0, 2 * np.pi), *rng.normal(0, 0.025, 2)) for _ in range(3)
    )
    scale = image_size / 32
    height, aspect = letter_box(CLASS_NAMES[label])
    return Style(
        font=font,
        char=char,
        rotation=np.deg2rad(rng.normal(0, 3)),
        shear=rng.normal(0.2, 0.25),
        aspect=aspect * float(np.exp(rng.normal(0.1, 0.15))),
        box_tendency=rng.uniform(0.0, 0.6),
        bend=letter_midline(CLASS_NAMES[label]),
        warp=warp,
        wobble=rng.uniform(0.002, 0.01),
        rounding=rng.uniform(0.0, 0.06),
        stroke_offset=rng.uniform(0.0, 0.04),
        vertex_jitter=rng.uniform(0.02, 0.06),
        size=rng.uniform(15, 29) * scale * height,
        max_width=30.0 * scale,
        centre=tuple(image_size / 2 + INK_CENTRE_SHIFT * scale + rng.normal(0, 0.8 * scale, 2)),
        pen=rng.uniform(2.0, 3.2) * scale,
        ink=rng.uniform(1.0, 1.25),
        blur=rng.uniform(0.35, 0.55) * scale,
        overshoot=rng.uniform(0.05, 0.35),
        noise=rng.uniform(0.0, 0.004),
    )


def bend_midlines(points: np.ndarray, bend: tuple[float, float]) -> np.ndarray:
    """Points moved so the middle of their box shifts by ``bend`` (a share of the half-size, per axis) while
    the box stays: a coordinate u in [-1, 1] across the box goes to u + bend * (1 - u**2), in order while
    |bend| < 0.5."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    half = np.maximum((hi - lo) / 2, 1e-12)
    across = (points - (lo + hi) / 2) / half
    return points + np.asarray(bend) * (1 - across ** 2) * half


def distort_strokes(style: Style, rng: np.random.Generator) -> np.ndarray:
    """The glyph's points after every distortion, placed in final-image pixels as (col, row)."""
    glyph = load_glyph(style.font, style.char)
    vertices = glyph.vertices + glyph.key_jitter(style.vertex_jitter, rng)
    vertices = vertices + rng.normal(0, style.stroke_offset, (glyph.stroke_of_vertex[-1] + 1, 2))[glyph.stroke_of_vertex]
    c, s = np.cos(style.rotation), np.sin(style.rotation)
    linear = np.array([[c, -s], [s, c]]) @ np.array([[style.aspect, -style.shear], [0.0, 1.0]])
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    width, height = hi - lo
    if width > 0.2 * height:  # a bare stroke (I, l) has no width to stretch
        vertices = vertices * np.array([(height / width) ** style.box_tendency, 1.0])
    pts = glyph.points(vertices)
    if style.rounding > 0:  # smooth each stroke along its length: a moving pen rounds corners
        sigma = style.rounding / GLYPH_STEP
        for start, stop in glyph.stroke_spans():
            pts[start:stop] = ndimage.gaussian_filter1d(pts[start:stop], sigma, axis=0, mode="nearest")
    pts = bend_midlines(pts, style.bend) @ linear.T
    for fx, fy, phase, ax, ay in style.warp:
        wave = np.sin(fx * pts[:, 0] + fy * pts[:, 1] + phase)
        pts = pts + np.column_stack([ax * wave, ay * wave])
    wobble = ndimage.gaussian_filter1d(rng.normal(0, 1, pts.shape), sigma=40, axis=0, mode="nearest")
    pts = pts + wobble * (style.wobble / max(np.abs(wobble).max(), 1e-12))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = np.array([style.centre[1], style.centre[0]])  # (col, row)
    height, width = hi[1] - lo[1], hi[0] - lo[0]
    scale = min(style.size / max(height, 1e-6), style.max_width / max(width, 1e-6))
    return (pts - (lo + hi) / 2) * scale + centre


def rasterise(points: np.ndarray, shape: tuple[int, int], pen: float) -> np.ndarray:
    """Ink coverage in [0, 1] of a round pen of width ``pen`` pixels drawn through dense (col, row) points."""
    k = SUPERSAMPLE
    canvas = np.zeros((shape[0] * k, shape[1] * k), dtype=bool)
    cols, rows = np.rint(points * k + (k - 1) / 2).astype(int).T
    keep = (rows >= 0) & (rows < canvas.shape[0]) & (cols >= 0) & (cols < canvas.shape[1])
    canvas[rows[keep], cols[keep]] = True
    if not canvas.any():
        return np.zeros(shape)
    distance = ndimage.distance_transform_edt(~canvas)
    fine = np.clip(pen * k / 2 + 0.5 - distance, 0.0, 1.0)
    return fine.reshape(shape[0], k, shape[1], k).mean(axis=(1, 3))


def render(style: Style, rng: np.random.Generator, shape: tuple[int, int] = (32, 32)) -> np.ndarray:
    """One upright grey image, paper about 1.0 and ink about 0.0, as the course files hold them."""
    coverage = rasterise(distort_strokes(style, rng), shape, style.pen)
    image = 1.0 - np.minimum(style.ink * coverage, 1.0)
    image = ndimage.gaussian_filter(image, style.blur, mode="nearest")
    image = image + style.overshoot * (image - ndimage.gaussian_filter(image, 1.0, mode="nearest"))
    return image + rng.normal(0, style.noise, image.shape)


def generator_source() -> bytes:
    """The source code that decides what is drawn: this module and the handwriting fonts' two modules."""
    from hw5lib.standin import centre_lines

    modules = (sys.modules[__name__], hand_fonts, centre_lines)
    return b"".join(Path(module.__file__).read_bytes() for module in modules)


def sample_rng(split: str, index: int, version: str) -> np.random.Generator:
    """The generator of one sample, fixed by (version, split, index)."""
    return np.random.default_rng([zlib.crc32(version.encode()), zlib.crc32(split.encode()), index])


def render_sample(label: int, split: str, index: int, version: str) -> np.ndarray:
    """Sample ``index`` of ``split`` as a 1024-long row in the course's column-major layout."""
    rng = sample_rng(split, index, version)
    image = render(draw_style(label, rng), rng)
    return image.ravel(order="F")


def _render_chunk(args: tuple) -> np.ndarray:
    labels, split, start, version = args
    return np.stack([render_sample(int(lab), split, start + i, version) for i, lab in enumerate(labels)])


def render_split(labels: np.ndarray, split: str, version: str, workers: int | None = None,
                 progress: bool = True) -> np.ndarray:
    """All samples of a split, [N, 1024] float64, rendered in parallel chunks (same result for any ``workers``)."""
    from tqdm.auto import tqdm

    workers = workers or os.cpu_count() or 1
    hand_fonts.trace_fonts(TRACED_CHARS, workers=workers, progress=progress)  # once, before the workers read it
    chunk = 300
    jobs = [(labels[i:i + chunk], split, i, version) for i in range(0, len(labels), chunk)]
    bar = tqdm(total=len(labels), desc=f"drawing {split}", unit="img", disable=not progress, leave=False)
    parts = []
    if workers == 1:
        for job in jobs:
            parts.append(_render_chunk(job))
            bar.update(len(job[0]))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, part in zip(jobs, pool.map(_render_chunk, jobs)):
                parts.append(part)
                bar.update(len(job[0]))
    bar.close()
    return np.concatenate(parts) if parts else np.zeros((0, 1024))
