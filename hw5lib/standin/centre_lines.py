"""Centre lines of outline-font glyphs, so that handwriting fonts can be drawn with the stand-in's pen.

A glyph's outline is filled at a fixed height, thinned to a one-pixel skeleton (scikit-image), and the
skeleton is traced into strokes: the branches between stroke ends and junctions, without the short spurs
that thinning leaves at corners and stroke ends, and with branches that go straight on through a junction
joined again, so that a stroke crossed by another (the legs of A under its bar) stays one stroke.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from fontTools.pens.basePen import BasePen
from scipy import ndimage

FILL_HEIGHT = 160  # pixels of the glyph's longer side when it is filled and thinned
CURVE_STEPS = 8  # straight pieces per Bezier curve of an outline
SPUR_WIDTHS = 2.0  # a branch with a free end shorter than this many stroke half-widths is a spur
JOIN_REACH = 2.5  # pixels between two branch ends that meet at a junction
JOIN_MIN_COS = 0.75  # how straight two branches must go on through a junction to be one stroke
SIMPLIFY = 1.0  # pixels a simplified stroke may stray from the traced one
_STEPS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


class PolygonPen(BasePen):
    """A fontTools pen that collects a glyph's closed contours as polygons, curves cut into short lines."""

    def __init__(self, glyph_set):
        super().__init__(glyph_set)
        self.polygons, self.points = [], []

    def _moveTo(self, p):
        self.points = [p]

    def _lineTo(self, p):
        self.points.append(p)

    def _curveToOne(self, a, b, p):
        start, a, b, p = (np.asarray(q, dtype=float) for q in (self.points[-1], a, b, p))
        t = np.linspace(0, 1, CURVE_STEPS + 1)[1:, None]
        self.points.extend(map(tuple, (1 - t) ** 3 * start + 3 * (1 - t) ** 2 * t * a + 3 * (1 - t) * t ** 2 * b
                               + t ** 3 * p))

    def _qCurveToOne(self, a, p):
        start, a, p = (np.asarray(q, dtype=float) for q in (self.points[-1], a, p))
        t = np.linspace(0, 1, CURVE_STEPS + 1)[1:, None]
        self.points.extend(map(tuple, (1 - t) ** 2 * start + 2 * (1 - t) * t * a + t ** 2 * p))

    def _closePath(self):
        if len(self.points) > 2:
            self.polygons.append(np.asarray(self.points, dtype=float))
        self.points = []

    _endPath = _closePath


@lru_cache(maxsize=None)
def open_font(path: str):
    """A font file's glyphs and its map from code points to glyph names (fontTools; TTF, OTF or WOFF)."""
    import logging

    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # some fonts' odd header dates are no concern here
    font = TTFont(path)
    return font.getGlyphSet(), font.getBestCmap()


def outline_polygons(font_path: str, char: str) -> list[np.ndarray]:
    """The closed contours of ``char`` in the font file, as (x, y) polygons with y up (font units)."""
    glyph_set, cmap = open_font(str(font_path))
    if ord(char) not in cmap:
        raise ValueError(f"font {font_path} has no glyph for {char!r}")
    pen = PolygonPen(glyph_set)
    glyph_set[cmap[ord(char)]].draw(pen)
    if not pen.polygons:
        raise ValueError(f"the glyph of {char!r} in {font_path} has no outline")
    return pen.polygons


def fill(polygons: list[np.ndarray], height: int = FILL_HEIGHT, pad: int = 4) -> np.ndarray:
    """The glyph's ink as a bool image (row 0 at the top), its longer side ``height`` pixels.

    Ink is where the contours wind around a pixel a non-zero number of times, as in TrueType, so
    overlapping contours (strokes drawn over each other) stay ink and counters (the hole of O) stay paper.
    """
    from PIL import Image, ImageDraw

    every = np.concatenate(polygons)
    lo, hi = every.min(axis=0), every.max(axis=0)
    scale = height / max(hi - lo)
    rows, cols = np.ceil((hi[::-1] - lo[::-1]) * scale).astype(int) + 2 * pad + 1
    winding = np.zeros((rows, cols), dtype=int)
    for polygon in polygons:
        x = (polygon[:, 0] - lo[0]) * scale + pad
        y = (hi[1] - polygon[:, 1]) * scale + pad
        turn = np.sign(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))  # the contour's direction
        canvas = Image.new("1", (cols, rows), 0)
        ImageDraw.Draw(canvas).polygon(list(zip(x, y)), fill=1)
        winding += turn.astype(int) * np.asarray(canvas, dtype=int)
    return winding != 0


def _neighbour_counts(mask: np.ndarray) -> np.ndarray:
    """How many of its 8 neighbours are set, for every pixel of a bool image."""
    return ndimage.convolve(mask.astype(int), np.ones((3, 3), dtype=int), mode="constant") - mask


def _neighbours(skeleton: np.ndarray, pixel: tuple[int, int]) -> list[tuple[int, int]]:
    r, c = pixel
    return [(r + dr, c + dc) for dr, dc in _STEPS if skeleton[r + dr, c + dc]]


def trace(skeleton: np.ndarray) -> list[np.ndarray]:
    """The branches of a one-pixel skeleton as (row, col) paths from an end or junction to the next.

    A closed loop with no end or junction (the skeleton of O) is one path that returns to its start.
    """
    padded = np.pad(skeleton.astype(bool), 1)
    degree = _neighbour_counts(padded)
    pixels = list(zip(*np.nonzero(padded)))
    nodes = {p for p in pixels if degree[p] != 2}
    walked: set[tuple] = set()

    def follow(path: list) -> np.ndarray:
        while True:
            walked.update({(path[-2], path[-1]), (path[-1], path[-2])})
            if path[-1] in nodes or path[-1] == path[0]:
                return np.asarray(path, dtype=float) - 1
            ahead = [q for q in _neighbours(padded, path[-1]) if q != path[-2] and (path[-1], q) not in walked]
            if not ahead:
                return np.asarray(path, dtype=float) - 1
            path.append(ahead[0])

    branches = []
    for node in sorted(nodes):
        for q in _neighbours(padded, node):
            if (node, q) not in walked:
                branches.append(follow([node, q]))
    for p in pixels:  # loops that touch no node
        if not any((p, q) in walked for q in _neighbours(padded, p)):
            nodes.add(p)
            branches.append(follow([p, _neighbours(padded, p)[0]]))
            nodes.discard(p)
    return branches


def prune_spurs(skeleton: np.ndarray, longest: float, rounds: int = 3) -> np.ndarray:
    """The skeleton without branches that have a free end and are shorter than ``longest`` pixels."""
    from skimage.morphology import skeletonize

    skeleton = skeleton.astype(bool).copy()
    for _ in range(rounds):
        branches = trace(skeleton)
        if len(branches) < 2:
            break
        degree = _neighbour_counts(skeleton)
        cut = False
        for branch in branches:
            ends = branch[[0, -1]].astype(int)
            free = [degree[tuple(e)] == 1 for e in ends]
            if sum(free) == 1 and len(branch) < longest:
                keep_end = 1 if free[0] else 0  # keep the pixel at the junction
                gone = np.delete(branch, [0, -1][keep_end], axis=0).astype(int)
                skeleton[gone[:, 0], gone[:, 1]] = False
                cut = True
        if not cut:
            break
        skeleton = skeletonize(skeleton)
    return skeleton


def join_through(branches: list[np.ndarray], reach: float = JOIN_REACH,
                 min_cos: float = JOIN_MIN_COS) -> list[np.ndarray]:
    """Branches joined, straightest pair first, where one goes straight on from the end of another."""
    branches = [b for b in branches if len(b) >= 2]
    while True:
        best = None
        for i, a in enumerate(branches):
            for j in range(i + 1, len(branches)):
                b = branches[j]
                for a_end in (0, -1):
                    for b_end in (0, -1):
                        if np.linalg.norm(a[a_end] - b[b_end]) > reach:
                            continue
                        k = min(6, len(a) - 1, len(b) - 1)
                        out_of_a = a[a_end] - a[a_end + k if a_end == 0 else a_end - k]
                        into_b = b[b_end + k if b_end == 0 else b_end - k] - b[b_end]
                        cos = out_of_a @ into_b / (np.linalg.norm(out_of_a) * np.linalg.norm(into_b) + 1e-12)
                        if cos > min_cos and (best is None or cos > best[0]):
                            best = (cos, i, j, a_end, b_end)
        if best is None:
            return branches
        _, i, j, a_end, b_end = best
        a = branches[i] if a_end == -1 else branches[i][::-1]
        b = branches[j] if b_end == 0 else branches[j][::-1]
        branches = [x for k, x in enumerate(branches) if k not in (i, j)] + [np.concatenate([a, b[1:]])]


def glyph_strokes(font_path: str, char: str) -> list[np.ndarray]:
    """The strokes along the centre of ``char``'s ink as (x, y) polylines, y down, in pixels of the fill."""
    from skimage.measure import approximate_polygon
    from skimage.morphology import skeletonize

    ink = fill(outline_polygons(font_path, char))
    skeleton = skeletonize(ink)
    half_width = float(np.median(ndimage.distance_transform_edt(ink)[skeleton]))
    skeleton = prune_spurs(skeleton, SPUR_WIDTHS * half_width)
    strokes = join_through(trace(skeleton))
    # the few pixels between the nodes of one junction are no stroke of their own
    length = [np.linalg.norm(np.diff(s, axis=0), axis=1).sum() for s in strokes]
    return [approximate_polygon(s, SIMPLIFY)[:, ::-1].copy() for s, n in zip(strokes, length) if n > half_width]
