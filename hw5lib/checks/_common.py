"""What every public check shares: the grader's hooks, messages that say what is wrong, and the stored values.

The public checks compute no answer. They check properties (shapes, ranges, rows that sum to one, an
argument left as it was) and compare with **stored expected values**: the reference solution's outputs on the
notebooks' own inputs, written into ``expected_values.npz`` beside this file when the course is built
(``python -m grading.course.expected_values``). Only those inputs have stored values; the grader's own checks, with
other inputs, are not part of the release.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np

EXPECTED_VALUES = Path(__file__).with_name("expected_values.npz")
SAMPLED = 256  # entries of a large array whose expected values are stored (the same ones every time)

#: Set by the course's grader while it grades, never in a student's notebook: an object with
#: ``testing(under_test)`` and ``forbidding(name, message)`` (context managers) and
#: ``reference_network(kind, settings)``.
GRADER = None


def grades(*under_test: str):
    """Decorator for a check of the functions ``under_test`` ('nn.forward', ...), kept on ``check.under_test``."""
    def decorate(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            if GRADER is None:
                return check(*args, **kwargs)
            with GRADER.testing(under_test):
                return check(*args, **kwargs)

        run.under_test = under_test
        return run

    return decorate


def grading() -> bool:
    """True while the course's grader runs the checks (then results are recomputed, not read from the notebook)."""
    return GRADER is not None


@contextmanager
def forbidden(module, attr: str, message: str):
    """While the block runs, calling ``module.attr`` raises AssertionError(message) in the student's code."""
    if GRADER is not None:
        with GRADER.forbidding(f"{module.__name__}.{attr}", message):
            yield
    else:
        with mock.patch.object(module, attr, side_effect=AssertionError(message)):
            yield


def without_runtime_warning(function, argument, message: str):
    """``function(argument)``, where a RuntimeWarning (an overflow) fails the check with ``message`` (which may name
    the warning as ``{exc}``); other warnings (deprecations, ...) cost nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return function(argument)
        except RuntimeWarning as exc:
            raise AssertionError(message.format(exc=exc)) from exc


def expect_shape(what: str, array, shape: tuple, hint: str) -> None:
    got = np.shape(array)
    assert got == shape, f"{what} has shape {got}; it should be {shape}: {hint}"


def close(what: str, got, want, hint: str, rtol: float = 1e-7, atol: float = 1e-10) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got - want)), want.shape) if want.ndim else ()
        raise AssertionError(
            f"{what} is wrong: at index {tuple(int(i) for i in worst)} got {got[worst]!r}, expected "
            f"{want[worst]!r}: {hint}"
        )


def unchanged(function: str, argument: str, now, given, hint: str) -> None:
    """The caller's array ``argument`` still holds ``given`` after ``function`` ran."""
    if np.shape(now) != np.shape(given) or not np.array_equal(now, given, equal_nan=True):
        raise AssertionError(f"{function} changed its argument {argument} in place; leave the caller's array as it "
                             f"was: {hint}")


def same(got, want, rtol: float = 1e-6) -> bool:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = float(np.abs(want).max(initial=0))
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=rtol * scale))


def sample_of(array) -> np.ndarray:
    """The stored entries of a large array: ``SAMPLED`` fixed flat positions (all entries of a small one)."""
    flat = np.asarray(array, dtype=float).reshape(-1)
    if flat.size <= 4 * SAMPLED:
        return flat
    return flat[np.random.default_rng(flat.size).choice(flat.size, SAMPLED, replace=False)]


def case_name(check, **arguments) -> str:
    """The stored values' name of a call: the check's name and every argument, defaults filled in."""
    bound = inspect.signature(inspect.unwrap(check)).bind(**arguments)
    bound.apply_defaults()
    return f"{check.__name__}(" + ", ".join(f"{k}={v!r}" for k, v in sorted(bound.arguments.items())) + ")"


@functools.cache
def _stored() -> dict[str, np.ndarray]:
    if not EXPECTED_VALUES.is_file():
        raise AssertionError(f"{EXPECTED_VALUES.name} is missing beside the checks: the public checks compare with "
                             "values stored there; unpack the release again (instructors: python -m "
                             "grading.course.expected_values)")
    with np.load(EXPECTED_VALUES, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def expected(check, **arguments) -> dict[str, np.ndarray]:
    """The stored expected values of this call of ``check`` ({name: array}).

    Raises AssertionError when the call is not one of the notebooks' own: only those have stored values.
    """
    prefix = case_name(check, **arguments) + "/"
    found = {key[len(prefix):]: value for key, value in _stored().items() if key.startswith(prefix)}
    if not found:
        raise AssertionError(f"no stored expected values for {prefix[:-1]}: the public checks know the notebook's own "
                             "inputs; call the check as the notebook does")
    return found
