"""How well a page was read: character accuracy by edit distance per line, and box recall."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein


def character_accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """1 - (edit distance, line by line) / (characters in the truth); spaces count, runs of spaces count once.

    Lines are paired in order; a missing line costs all its characters, an extra line all of its own.
    """
    def norm(line: str) -> str:
        return " ".join(line.split())

    pred = [norm(p) for p in predicted]
    true = [norm(t) for t in truth]
    total = sum(len(t) for t in true)
    if total == 0:
        raise ValueError("the ground truth has no characters")
    pairs = max(len(pred), len(true))
    pred += [""] * (pairs - len(pred))
    true += [""] * (pairs - len(true))
    errors = sum(Levenshtein.distance(p, t) for p, t in zip(pred, true))
    return max(0.0, 1.0 - errors / total)


def box_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Intersection over union of two boxes (y1, x1, y2, x2), y2 and x2 exclusive."""
    h = min(a[2], b[2]) - max(a[0], b[0])
    w = min(a[3], b[3]) - max(a[1], b[1])
    if h <= 0 or w <= 0:
        return 0.0
    inter = h * w
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def box_recall(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], min_iou: float = 0.5) -> float:
    """Share of true boxes matched one-to-one by a found box with IoU >= ``min_iou`` (greedy by IoU)."""
    if not truth:
        return 1.0
    scores = np.array([[box_iou(f, t) for t in truth] for f in found]) if found else np.zeros((0, len(truth)))
    used_found, used_true = set(), set()
    for f, t in sorted(np.argwhere(scores >= min_iou).tolist(), key=lambda ft: -scores[ft[0], ft[1]]):
        if f not in used_found and t not in used_true:
            used_found.add(f)
            used_true.add(t)
    return len(used_true) / len(truth)
