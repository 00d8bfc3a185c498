"""Q1 auto-checked companions: small functions that back up the written answers.

Student-fillable file. ``logistic`` is given; build the others from it (not from ``np.tanh``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def logistic(x: np.ndarray) -> np.ndarray:
    """Given: the sigmoid 1 / (1 + exp(-x)), computed without overflow."""
    return expit(x)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """Q1.4: d sigma / dx at x, written with ``logistic`` (sigma(x) * (1 - sigma(x)))."""
    ### BEGIN SOLUTION
    s = logistic(x)
    return s * (1.0 - s)
    ### END SOLUTION


def tanh_from_sigmoid(x: np.ndarray) -> np.ndarray:
    """Q1.6.4: tanh(x) built from ``logistic`` only."""
    ### BEGIN SOLUTION
    return 2.0 * logistic(2.0 * np.asarray(x, dtype=float)) - 1.0
    ### END SOLUTION


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """Q1.6.3: d tanh / dx at x, built from ``tanh_from_sigmoid`` (1 - tanh(x)^2)."""
    ### BEGIN SOLUTION
    t = tanh_from_sigmoid(x)
    return 1.0 - t * t
    ### END SOLUTION
