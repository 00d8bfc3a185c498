"""Q2.5: your own finite-difference gradient check.

Student-fillable file. The grader checks gradients with a checker of its own (not part of the release), so
grading never runs your checker on your own gradients; write the central differences yourself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def trainable_keys(params: dict) -> list[str]:
    """Given: the keys of the weight and bias arrays in params ('W<name>', 'b<name>')."""
    return [k for k, v in params.items() if k[:1] in ("W", "b") and isinstance(v, np.ndarray)]


def numerical_gradients(params: dict, loss_fn: Callable[[dict], float], eps: float = 1e-6) -> dict:
    """Central-difference gradient of ``loss_fn(params)`` for every array in ``trainable_keys(params)``.

    For each entry p of each array: (loss(p + eps) - loss(p - eps)) / (2 eps). Put every entry back
    exactly as it was. Returns {key: array of the same shape as params[key]}.
    """
    ### BEGIN SOLUTION
    grads = {}
    for key in trainable_keys(params):
        array = params[key]
        grad = np.zeros_like(array, dtype=float)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            plus = loss_fn(params)
            array[index] = original - eps
            minus = loss_fn(params)
            array[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads[key] = grad
    return grads
    ### END SOLUTION


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """sum|analytic - numeric| / max(sum|analytic|, sum|numeric|, 1e-12): 0 when they agree exactly."""
    ### BEGIN SOLUTION
    diff = np.sum(np.abs(analytic - numeric))
    return float(diff / max(np.sum(np.abs(analytic)), np.sum(np.abs(numeric)), 1e-12))
    ### END SOLUTION
