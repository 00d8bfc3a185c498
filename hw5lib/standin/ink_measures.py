"""Measures of where the ink of character images lies, to compare the stand-in with real NIST letters.

Images are course rows (1024 values, column-major 32 x 32, paper about 1.0, ink about 0.0).
"""

from __future__ import annotations

import numpy as np


def ink_spans(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last row, then first and last column, holding ink (values below 0.5): two [N, 2] arrays."""
    ink = images.reshape(-1, 32, 32).transpose(0, 2, 1) < 0.5

    def span(mask: np.ndarray) -> np.ndarray:
        return np.column_stack([mask.argmax(axis=1), 31 - mask[:, ::-1].argmax(axis=1)])

    return span(ink.any(axis=2)), span(ink.any(axis=1))


def ink_profiles(images: np.ndarray, bins: int = 10) -> np.ndarray:
    """How each image's ink is spread over the rows, then the columns, of its ink box: [N, 2 * bins], each
    half sampled at ``bins`` evenly spaced places from top to bottom (left to right) and summing to 1."""
    rows, cols = ink_spans(images)
    darkness = np.clip(1.0 - images.reshape(-1, 32, 32).transpose(0, 2, 1), 0.0, 1.0)
    places = (np.arange(bins) + 0.5) / bins
    out = np.empty((len(darkness), 2 * bins))
    for i, (image, (top, bottom), (left, right)) in enumerate(zip(darkness, rows, cols)):
        box = image[top:bottom + 1, left:right + 1]
        for k, profile in enumerate((box.sum(axis=1), box.sum(axis=0))):
            at = (np.arange(len(profile)) + 0.5) / len(profile)
            sampled = np.interp(places, at, profile)
            out[i, k * bins:(k + 1) * bins] = sampled / max(sampled.sum(), 1e-12)
    return out
