"""Turning whatever image a user passes into a grey float page, with clear errors for what cannot be read."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class ImageError(ValueError):
    """The input is not an image the OCR pipeline can read; the message says why and what to pass."""


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file (JPEG, PNG, ...) as an array, or raise ImageError naming the file."""
    from skimage import io

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist")
    try:
        return io.imread(path)
    except Exception as exc:  # imageio raises many types for files it cannot decode
        raise ImageError(f"{path} is not an image that can be read ({type(exc).__name__}: {exc}); "
                         "pass a JPEG or PNG photo of the page") from exc


def as_grey(image) -> np.ndarray:
    """A 2-D float64 page in [0, 1] (white paper near 1) from grey, RGB or RGBA, integer or float input.

    Transparent pixels of RGBA count as white paper. Raises ImageError for anything else.
    """
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)
    try:
        array = np.asarray(image)
    except Exception as exc:
        raise ImageError(f"expected an image array, got {type(image).__name__}") from exc
    if array.dtype == object or array.size == 0 or not (np.issubdtype(array.dtype, np.number)
                                                        or array.dtype == bool):
        raise ImageError(f"expected a numeric image array, got dtype {array.dtype} and shape {array.shape}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"expected a grey (H x W), RGB (H x W x 3) or RGBA (H x W x 4) image, got shape {array.shape}")
    if min(array.shape[:2]) < 8:
        raise ImageError(f"the image is only {array.shape[0]}x{array.shape[1]} pixels; pass a photo of a page")
    if np.issubdtype(array.dtype, np.integer):
        values = array.astype(np.float64) / np.iinfo(array.dtype).max
    else:
        values = array.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageError("the image holds NaN or infinite values")
        if values.max() > 1.0 + 1e-6:  # float images on a 0-255 scale
            values = values / 255.0
    if values.ndim == 3:
        rgb = values[..., :3]
        if values.shape[2] == 4:
            alpha = values[..., 3:4]
            rgb = rgb * alpha + (1.0 - alpha)
        values = rgb @ np.array([0.2125, 0.7154, 0.0721])
    return np.clip(values, 0.0, 1.0)
