"""The grader's finite-difference gradient checking: instructor-only, never in the student release (Q2.5 asks the
students to write their own, ``hw5lib.my_gradcheck``).

Two relative-error forms are reported for each parameter array, over the checked coordinates:
    summed   = sum|a - n| / max(sum|a|, sum|n|)      (the handout's form, added over parameters)
    max-norm = max|a - n| / max(max|a|, max|n|)
where ``a`` is the analytic gradient and ``n`` the central-difference estimate. Large arrays are
checked on a sample of coordinates drawn from a fixed generator, so a 1024x64 layer checks quickly
and the same coordinates are checked every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable, Sequence

import numpy as np

_DENOMINATOR_FLOOR = 1e-12

LossFn = Callable[[dict], float]


@dataclass(frozen=True)
class ParamCheck:
    """Result for one parameter array."""

    key: str
    shape: tuple[int, ...]
    checked: int
    summed: float
    max_norm: float


@dataclass
class GradCheckReport:
    """Per-parameter results of one check, with the totals the notebooks print."""

    checks: list[ParamCheck] = field(default_factory=list)

    @property
    def summed(self) -> float:
        """Summed relative errors added over all parameters (the handout's figure)."""
        return float(sum(c.summed for c in self.checks))

    @property
    def max_norm(self) -> float:
        """Worst max-norm relative error over all parameters."""
        return float(max((c.max_norm for c in self.checks), default=0.0))

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every parameter's max-norm relative error is below ``tol``."""
        return self.max_norm < tol

    def assert_ok(self, tol: float = 1e-6, what: str = "backward pass") -> None:
        """Raise AssertionError naming the worst parameters when the check fails."""
        bad = [c for c in self.checks if not c.max_norm < tol]
        if bad:
            worst = ", ".join(f"{c.key} (relative error {c.max_norm:.2e})" for c in bad)
            raise AssertionError(
                f"{what}: analytic gradients disagree with finite differences for {worst}; "
                f"tolerance {tol:.0e}. Re-derive the gradient of these parameters.\n{self}"
            )

    def __str__(self) -> str:
        lines = [f"{'parameter':<16}{'shape':<14}{'checked':>8}{'summed':>12}{'max-norm':>12}"]
        for c in self.checks:
            lines.append(
                f"{c.key:<16}{str(c.shape):<14}{c.checked:>8}{c.summed:>12.2e}{c.max_norm:>12.2e}"
            )
        lines.append(f"{'total':<38}{self.summed:>12.2e}{self.max_norm:>12.2e}")
        return "\n".join(lines)


def relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> tuple[float, float]:
    """Return (summed, max-norm) relative error between two gradient arrays of one shape."""
    a = np.abs(np.ravel(analytic))
    n = np.abs(np.ravel(numeric))
    diff = np.abs(np.ravel(analytic) - np.ravel(numeric))
    if diff.size == 0:
        return 0.0, 0.0
    summed = diff.sum() / max(a.sum(), n.sum(), _DENOMINATOR_FLOOR)
    max_norm = diff.max() / max(a.max(), n.max(), _DENOMINATOR_FLOOR)
    return float(summed), float(max_norm)


def parameter_keys(params: dict) -> list[str]:
    """Keys of the trainable arrays in a params dict: 'W<name>' and 'b<name>'."""
    return [k for k, v in params.items() if k[:1] in ("W", "b") and isinstance(v, np.ndarray)]


def sample_coordinates(size: int, max_coords: int | None, rng: np.random.Generator) -> np.ndarray:
    """All flat indices of an array of ``size`` elements, or a sorted sample of ``max_coords``."""
    if max_coords is None or size <= max_coords:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_coords, replace=False))


def numerical_gradient(
    loss_fn: LossFn, params: dict, key: str, coords: np.ndarray | None = None, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference estimate of dLoss/dparams[key] at the flat indices ``coords`` (all by default).

    The array is perturbed in place and restored exactly after each coordinate.
    """
    array = params[key]
    if array.dtype != np.float64:
        raise TypeError(
            f"params[{key!r}] is {array.dtype}; gradient checks need float64, "
            f"cast it with params[{key!r}] = params[{key!r}].astype(np.float64)"
        )
    flat = array.reshape(-1)  # a view: writes go to params[key]
    if coords is None:
        coords = np.arange(flat.size)
    estimate = np.empty(len(coords))
    for i, c in enumerate(coords):
        saved = flat[c]
        flat[c] = saved + eps
        plus = float(loss_fn(params))
        flat[c] = saved - eps
        minus = float(loss_fn(params))
        flat[c] = saved
        estimate[i] = (plus - minus) / (2.0 * eps)
    return estimate


def check_gradients(
    params: dict,
    loss_fn: LossFn,
    analytic: dict[str, np.ndarray] | None = None,
    keys: Sequence[str] | None = None,
    eps: float = 1e-6,
    max_coords: int | None = 200,
    seed: int = 0,
) -> GradCheckReport:
    """Compare analytic gradients with central differences for every parameter in ``keys``.

    ``loss_fn(params)`` must compute the scalar loss from the params dict. ``analytic`` maps each
    key to its gradient; by default ``params['grad_'+key]`` written by a backward pass is used.
    """
    rng = np.random.default_rng(seed)
    keys = list(keys) if keys is not None else parameter_keys(params)
    analytic = {k: params.get("grad_" + k) for k in keys} if analytic is None else analytic
    report = GradCheckReport()
    for key in keys:
        grad = analytic.get(key)
        if grad is None:
            raise KeyError(f"no analytic gradient for {key!r}: run the backward pass so params has 'grad_{key}'")
        grad = np.asarray(grad)
        if grad.shape != params[key].shape:
            raise AssertionError(
                f"grad_{key} has shape {grad.shape}; it must have the shape of {key}, {params[key].shape}"
            )
        coords = sample_coordinates(grad.size, max_coords, rng)
        numeric = numerical_gradient(loss_fn, params, key, coords, eps)
        summed, max_norm = relative_errors(grad.reshape(-1)[coords], numeric)
        report.checks.append(ParamCheck(key, grad.shape, len(coords), summed, max_norm))
    return report


# ---------------------------------------------------------------- ready-made checks of hw5lib.nn


def _activation_pairs(nn: ModuleType) -> dict[str, tuple[Callable, Callable]]:
    return {
        "sigmoid": (nn.sigmoid, nn.sigmoid_deriv),
        "relu": (nn.relu, nn.relu_deriv),
        "linear": (nn.linear, nn.linear_deriv),
    }


def layer_names(n_layers: int) -> list[str]:
    """Names used for an n-layer net: 'layer1', 'layer2', ..., then 'output'."""
    return [f"layer{i}" for i in range(1, n_layers)] + ["output"]


def check_mlp(
    sizes: Sequence[int],
    hidden: str | Sequence[str] = "sigmoid",
    output: str = "softmax",
    batch: int = 6,
    seed: int = 0,
    nn: ModuleType | None = None,
    max_coords: int | None = 200,
) -> GradCheckReport:
    """Build a random net of ``sizes`` with ``nn``'s functions and check its whole backward pass.

    ``output='softmax'`` uses cross-entropy on one-hot targets (delta = probs - y);
    any other output activation ('sigmoid', 'linear', 'relu') uses the squared error sum((out - x)^2).
    """
    if nn is None:
        from hw5lib import nn
    pairs = _activation_pairs(nn)
    n_layers = len(sizes) - 1
    hidden_acts = [hidden] * (n_layers - 1) if isinstance(hidden, str) else list(hidden)
    if len(hidden_acts) != n_layers - 1:
        raise ValueError(f"{n_layers - 1} hidden layers need as many activations, got {hidden_acts}")
    names = layer_names(n_layers)
    rng = np.random.default_rng(seed)
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        params: dict = {}
        for name, n_in, n_out in zip(names, sizes[:-1], sizes[1:]):
            nn.initialize_weights(n_in, n_out, params, name)
            # Non-zero biases so mistakes in grad_b cannot hide behind zeros.
            params["b" + name] = params["b" + name] + rng.normal(0.0, 0.1, n_out)
    finally:
        np.random.set_state(state)
    X = rng.normal(0.0, 1.0, (batch, sizes[0]))
    if output == "softmax":
        target = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    else:
        target = rng.uniform(0.0, 1.0, (batch, sizes[-1]))

    def run_forward(p: dict) -> np.ndarray:
        h = X
        for name, act in zip(names[:-1], hidden_acts):
            h = nn.forward(h, p, name, pairs[act][0])
        out_fn = nn.softmax if output == "softmax" else pairs[output][0]
        return nn.forward(h, p, names[-1], out_fn)

    def loss_fn(p: dict) -> float:
        out = run_forward(p)
        if output == "softmax":  # cross-entropy, computed here so the loss itself is trusted
            return float(-np.sum(target * np.log(out)))
        return float(np.sum((out - target) ** 2))

    out = run_forward(params)
    if output == "softmax":
        delta = nn.backwards(out - target, params, names[-1], nn.linear_deriv)
    else:
        delta = nn.backwards(2.0 * (out - target), params, names[-1], pairs[output][1])
    for name, act in zip(reversed(names[:-1]), reversed(hidden_acts)):
        delta = nn.backwards(delta, params, name, pairs[act][1])
    return check_gradients(params, loss_fn, keys=[p + n for n in names for p in ("W", "b")],
                           max_coords=max_coords, seed=seed)


DEMO_NETWORKS = [
    ("2-25-4 sigmoid, softmax + cross-entropy", dict(sizes=[2, 25, 4])),
    ("5-7-6-4 relu, softmax + cross-entropy", dict(sizes=[5, 7, 6, 4], hidden="relu")),
    ("5-8-4 linear, softmax + cross-entropy", dict(sizes=[5, 8, 4], hidden="linear")),
    ("1024-64-36 sigmoid, softmax + cross-entropy", dict(sizes=[1024, 64, 36])),
    ("6-5-4-6 relu, sigmoid + squared error", dict(sizes=[6, 5, 4, 6], hidden="relu", output="sigmoid")),
]


def print_demo_checks() -> int:
    """Check the backward pass of five networks built from ``hw5lib.nn``; print each; the number that failed."""
    print("Backward passes against central differences (max-norm relative error, goal < 1e-6):")
    failures = 0
    for label, kwargs in DEMO_NETWORKS:
        report = check_mlp(**kwargs)
        failures += not report.passed(1e-6)
        print(f"  {label:<46} {report.max_norm:.2e}  {'ok' if report.passed(1e-6) else 'FAILED'}")
    return failures
