"""Public checks of notebook 01 (Q1): the small functions beside the written answers."""

from __future__ import annotations

import numpy as np

from hw5lib.checks._common import close, expect_shape, expected, forbidden, grades


def theory_input(shape: tuple[int, int], scale: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, scale, shape)


@grades("theory.sigmoid_derivative")
def check_sigmoid_derivative(seed: int = 0) -> None:
    """``theory.sigmoid_derivative`` against stored values, largest at 0 and never above 1/4."""
    from hw5lib import theory

    want = expected(check_sigmoid_derivative, seed=seed)["derivative"]
    x = theory_input((4, 6), 4.0, seed)
    got = theory.sigmoid_derivative(x)
    expect_shape("sigmoid_derivative(x)", got, x.shape, "elementwise")
    assert np.all(np.asarray(got) <= 0.25 + 1e-12), "sigmoid_derivative(x) is at most 1/4 (reached at x = 0)"
    close("sigmoid_derivative(x)", got, want, "d sigma/dx = sigma(x) (1 - sigma(x))", rtol=1e-6, atol=1e-9)


@grades("theory.tanh_from_sigmoid")
def check_tanh_from_sigmoid(seed: int = 0) -> None:
    """``theory.tanh_from_sigmoid`` equals the stored tanh values and is built without np.tanh."""
    from hw5lib import theory

    want = expected(check_tanh_from_sigmoid, seed=seed)["tanh"]
    x = theory_input((3, 7), 3.0, seed)
    with forbidden(np, "tanh", "tanh_from_sigmoid calls np.tanh: build it from logistic (the sigmoid) instead"):
        got = theory.tanh_from_sigmoid(x)
    close("tanh_from_sigmoid(x)", got, want, "tanh(x) = 2 sigma(2x) - 1", atol=1e-10)


@grades("theory.tanh_derivative")
def check_tanh_derivative(seed: int = 0) -> None:
    """``theory.tanh_derivative`` against stored values."""
    from hw5lib import theory

    want = expected(check_tanh_derivative, seed=seed)["derivative"]
    close("tanh_derivative(x)", theory.tanh_derivative(theory_input((5, 3), 3.0, seed)), want,
          "d tanh/dx = 1 - tanh(x)^2", atol=1e-10)


__all__ = ["check_sigmoid_derivative", "check_tanh_from_sigmoid", "check_tanh_derivative"]
