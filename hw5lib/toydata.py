"""The toy 4-class data set of Q2: 40 points in the plane, ten around each of four centres."""

from __future__ import annotations

import numpy as np

TOY_CENTRES = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
TOY_SPREAD = 0.35


def make_toy_data(seed: int = 0, per_class: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Return (x [4*per_class, 2] float64, y [4*per_class, 4] one-hot float64), rows sorted by class."""
    rng = np.random.default_rng(seed)
    classes = len(TOY_CENTRES)
    x = np.concatenate([c + TOY_SPREAD * rng.standard_normal((per_class, 2)) for c in TOY_CENTRES])
    y = np.repeat(np.eye(classes), per_class, axis=0)
    return x, y
