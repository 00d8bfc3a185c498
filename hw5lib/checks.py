"""Checks of the student-fillable functions, used by public check cells and hidden autograder tests.

Provided file (replaced by the instructor's copy when grading). Each check builds its own inputs
from a seed, calls the student's function and raises AssertionError with a message that says what
is wrong and what to look at. Where it can, a check tests one function alone: the inputs of
``backwards`` are built here, so a mistake in ``forward`` does not cost the points of Q2.3.
"""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np
from scipy import special

from hw5lib import gradcheck

_ACTIVATIONS = {
    "sigmoid": (special.expit, "sigmoid", "sigmoid_deriv"),
    "relu": (lambda z: np.maximum(z, 0.0), "relu", "relu_deriv"),
    "linear": (lambda z: z, "linear", "linear_deriv"),
}


def _nn():
    from hw5lib import nn  # the student's copy: the assignment folder comes first on sys.path

    return nn


def _expect_shape(what: str, array, shape: tuple, hint: str) -> None:
    got = np.shape(array)
    assert got == shape, f"{what} has shape {got}; it should be {shape}: {hint}"


def _close(what: str, got, want, hint: str, rtol: float = 1e-7, atol: float = 1e-10) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got - want)), want.shape) if want.ndim else ()
        raise AssertionError(
            f"{what} is wrong: at index {tuple(int(i) for i in worst)} got {got[worst]!r}, expected "
            f"{want[worst]!r}: {hint}"
        )


# ---------------------------------------------------------------- Q2.1.2


def check_initialize_weights(in_size: int = 2, out_size: int = 25, name: str = "layer1", seed: int = 0) -> None:
    """Shapes, zero 1-D biases, Xavier bounds and spread of ``initialize_weights``."""
    nn = _nn()
    params: dict = {}
    np.random.seed(seed)
    nn.initialize_weights(in_size, out_size, params, name)
    for key in ("W" + name, "b" + name):
        assert key in params, f"initialize_weights must store params[{key!r}] (name={name!r})"
    W, b = params["W" + name], params["b" + name]
    _expect_shape(f"W{name}", W, (in_size, out_size), "W is [in_size, out_size]")
    _expect_shape(f"b{name}", b, (out_size,), "b is 1-D with one entry per output")
    assert np.all(b == 0), f"b{name} should start at zero, got values up to {np.abs(b).max():.3g}"
    bound = np.sqrt(6.0 / (in_size + out_size))
    assert np.abs(W).max() <= bound + 1e-12, (
        f"W{name} has entries up to {np.abs(W).max():.4f}, beyond the Xavier bound sqrt(6/(in+out)) = {bound:.4f}")
    assert W.size < 50 or np.abs(W).max() > 0.8 * bound, (
        f"W{name} stays within {np.abs(W).max():.4f}; draw uniformly over the whole range +-{bound:.4f}")
    if W.size >= 1000:
        want = np.sqrt(2.0 / (in_size + out_size))
        assert abs(W.std() - want) < 0.1 * want, (
            f"std of W{name} is {W.std():.4f}; Xavier uniform gives sqrt(2/(in+out)) = {want:.4f}")
        assert len(np.unique(W)) > 0.9 * W.size, f"W{name} repeats values: draw every entry independently"


# ---------------------------------------------------------------- Q2.2.1


def check_sigmoid(seed: int = 0) -> None:
    """Values, shape and no overflow warning at +-1000."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 4, 20), [-1000.0, -50.0, 0.0, 50.0, 1000.0]]).reshape(5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            s = nn.sigmoid(x)
        except RuntimeWarning as exc:
            raise AssertionError(f"sigmoid warns for large |x| ({exc}); avoid exp of large positive numbers") from exc
    _expect_shape("sigmoid(x)", s, x.shape, "apply it elementwise")
    _close("sigmoid(x)", s, special.expit(x), "sigmoid(x) = 1 / (1 + exp(-x))", rtol=1e-6, atol=1e-12)


def check_forward(in_size: int = 3, out_size: int = 4, batch: int = 5, activation: str = "sigmoid",
                  seed: int = 0) -> None:
    """Output and cache of ``forward`` for a layer with random weights and biases."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(in_size, out_size)), rng.normal(size=out_size)
    X = rng.normal(size=(batch, in_size))
    trusted_act, act_name, _ = _ACTIVATIONS[activation]
    params = {"Wlayer": W.copy(), "blayer": b.copy()}
    out = nn.forward(X, params, "layer", getattr(nn, act_name))
    pre = np.einsum("ni,io->no", X, W) + b
    _expect_shape("forward's output", out, (batch, out_size), "X @ W gives [examples, out]")
    _close("forward's output", out, trusted_act(pre), f"it should be {activation}(X @ W + b)")
    assert "cache_layer" in params, "forward must store params['cache_' + name] = (X, pre_act, post_act)"
    cache = params["cache_layer"]
    assert isinstance(cache, tuple) and len(cache) == 3, "cache_<name> must be the tuple (X, pre_act, post_act)"
    _close("cache X", cache[0], X, "the cache's first item is the layer's input X")
    _close("cache pre_act", cache[1], pre, "the cache's second item is X @ W + b, before the activation")
    _close("cache post_act", cache[2], trusted_act(pre), "the cache's third item is the activation's output")


# ---------------------------------------------------------------- Q2.2.2 and Q2.2.3


def check_softmax(rows: int = 4, cols: int = 6, seed: int = 0, scale: float = 3.0) -> None:
    """Row-wise softmax, its shift invariance, and no overflow for large inputs."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    x = rng.normal(0, scale, (rows, cols))
    p = nn.softmax(x)
    _expect_shape("softmax(x)", p, x.shape, "one distribution per row")
    _close("softmax(x)", p, special.softmax(x, axis=1), "normalise exp(x) over each row (axis=1), not the whole array")
    big = x + 800.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            p_big = nn.softmax(big)
        except RuntimeWarning as exc:
            raise AssertionError("softmax overflows for large inputs: subtract each row's maximum first") from exc
    _close("softmax(x + 800)", p_big, special.softmax(x, axis=1),
           "subtract each row's maximum before exp so large inputs do not overflow")


def check_loss_and_acc(rows: int = 8, classes: int = 5, seed: int = 0) -> None:
    """Summed cross-entropy and accuracy against values computed here."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    y = np.eye(classes)[labels]
    probs = special.softmax(rng.normal(0, 2, (rows, classes)), axis=1)
    result = nn.compute_loss_and_acc(y, probs)
    assert isinstance(result, tuple) and len(result) == 2, "compute_loss_and_acc returns (loss, acc)"
    loss, acc = result
    want_loss = -np.log(probs[np.arange(rows), labels]).sum()
    want_acc = np.mean(np.argmax(probs, axis=1) == labels)
    if np.isclose(loss, want_loss / rows):
        raise AssertionError("loss is the mean cross-entropy; the handout asks for the total, summed over examples")
    _close("loss", loss, want_loss, "the loss is -sum(y * log(probs)) over all examples and classes")
    _close("accuracy", acc, want_acc, "accuracy is the fraction of rows whose largest probability is the true class")


# ---------------------------------------------------------------- Q2.3


def check_backwards(in_size: int = 4, out_size: int = 3, batch: int = 6, activation: str = "sigmoid",
                    seed: int = 0) -> gradcheck.GradCheckReport:
    """``backwards`` alone: its cache is built here, its gradients are compared with finite differences."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    trusted_act, _, deriv_name = _ACTIVATIONS[activation]
    params = {"Wlayer": rng.normal(size=(in_size, out_size)), "blayer": rng.normal(0, 0.5, out_size)}
    X = rng.normal(size=(batch, in_size))
    upstream = rng.normal(size=(batch, out_size))  # J = sum(upstream * post_act), so delta = upstream
    if activation == "relu":  # keep pre-activations away from the kink, where differences are unreliable
        params["blayer"] += np.sign(params["blayer"]) * 0.5

    def loss(p: dict) -> float:
        return float(np.sum(upstream * trusted_act(np.einsum("ni,io->no", p["X"], p["Wlayer"]) + p["blayer"])))

    pre = np.einsum("ni,io->no", X, params["Wlayer"]) + params["blayer"]
    params["cache_layer"] = (X, pre, trusted_act(pre))
    grad_X = nn.backwards(upstream.copy(), params, "layer", getattr(nn, deriv_name))
    for key, shape, hint in (
        ("grad_Wlayer", (in_size, out_size), "grad_W = X^T @ delta has the shape of W"),
        ("grad_blayer", (out_size,), "it should sum over the batch"),
    ):
        assert key in params, f"backwards must store params[{key!r}]"
        _expect_shape(key.replace("layer", ""), params[key], shape, hint)
    _expect_shape("the returned gradient", grad_X, (batch, in_size), "backwards returns dJ/dX, the shape of X")
    check_params = {"Wlayer": params["Wlayer"], "blayer": params["blayer"], "X": X.copy()}
    analytic = {"Wlayer": params["grad_Wlayer"], "blayer": params["grad_blayer"], "X": grad_X}
    report = gradcheck.check_gradients(check_params, loss, analytic=analytic, max_coords=None, seed=seed)
    report.assert_ok(1e-6, what=f"backwards through a {activation} layer")
    return report


# ---------------------------------------------------------------- Q2.4


def check_batches(n: int = 23, batch_size: int = 5, seed: int = 0) -> None:
    """Every example once, pairs kept together, batch sizes right, order shuffled."""
    nn = _nn()
    np.random.seed(seed)
    x = np.arange(n, dtype=float).reshape(n, 1) * np.ones((1, 3))
    y = np.eye(n)
    batches = nn.get_random_batches(x, y, batch_size)
    sizes = [len(bx) for bx, _ in batches]
    want_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    assert sorted(sizes, reverse=True) == want_sizes, (
        f"batch sizes {sizes}; {n} examples in batches of {batch_size} should give {want_sizes}")
    ids = np.concatenate([bx[:, 0] for bx, _ in batches]).astype(int)
    missing, repeated = sorted(set(range(n)) - set(ids)), sorted({i for i in ids if list(ids).count(i) > 1})
    assert not missing and not repeated, (
        f"examples missing {missing} and repeated {repeated}: every example must appear exactly once")
    for bx, by in batches:
        assert np.array_equal(np.argmax(by, axis=1), bx[:, 0].astype(int)), (
            "a batch's y rows do not belong to its x rows: shuffle x and y with the same permutation")
    assert not np.array_equal(ids, np.arange(n)), "the batches follow the original order: shuffle first"


def check_training(seed: int = 0, epochs: int = 500) -> tuple[float, float]:
    """Toy training with the handout's settings must reach total loss <= 35 and accuracy >= 0.75."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data()
    np.random.seed(seed)
    params = train.init_classifier(2, 25, 4)
    history = train.train_classifier(x, y, params, epochs, 5, 1e-3, progress=False)
    loss, acc = history["train_loss"][-1], history["train_acc"][-1]
    assert np.isfinite(loss), "the training loss became NaN or infinite: check the sign and size of the update"
    assert loss <= 35 and acc >= 0.75, (
        f"after {epochs} epochs: total loss {loss:.2f} (goal <= 35), accuracy {acc:.3f} (goal >= 0.75); "
        "check that each batch updates W and b with -learning_rate * gradient")
    return loss, acc


# ---------------------------------------------------------------- Q2.5


def check_numerical_gradients(seed: int = 0) -> None:
    """The student's own checker: central differences, every W and b entry, params left unchanged."""
    from hw5lib import my_gradcheck

    rng = np.random.default_rng(seed)
    params = {"Wa": rng.normal(size=(3, 2)), "ba": rng.normal(size=2), "cache_a": None}
    A = rng.normal(size=(3, 2))

    def cubic(p: dict) -> float:  # third derivative != 0: forward differences are visibly off
        return float(np.sum(A * p["Wa"] ** 3) + np.sum(p["ba"] ** 3))

    exact = {"Wa": 3 * A * params["Wa"] ** 2, "ba": 3 * params["ba"] ** 2}
    before = {k: params[k].copy() for k in ("Wa", "ba")}
    numeric = my_gradcheck.numerical_gradients(params, cubic, eps=1e-3)
    assert set(numeric) == {"Wa", "ba"}, f"got gradients for {sorted(numeric)}; expected every W and b key only"
    for key in ("Wa", "ba"):
        assert np.array_equal(params[key], before[key]), f"params[{key!r}] changed: restore each entry after perturbing"
        _expect_shape(f"numerical gradient of {key}", numeric[key], params[key].shape, "same shape as the parameter")
        _close(f"numerical gradient of {key}", numeric[key], exact[key],
               "use central differences (J(p + eps) - J(p - eps)) / (2 eps)", rtol=1e-5, atol=1e-5)
    a, n = rng.normal(size=5), rng.normal(size=5)
    want = np.abs(a - n).sum() / max(np.abs(a).sum(), np.abs(n).sum())
    _close("relative_error", my_gradcheck.relative_error(a, n), want,
           "sum|a - n| / max(sum|a|, sum|n|, 1e-12)")
    assert my_gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0, "relative_error of two zero arrays is 0"


# ---------------------------------------------------------------- Q1 companions


def check_sigmoid_derivative(seed: int = 0) -> None:
    """``theory.sigmoid_derivative`` against a central difference of the logistic function."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 4, (4, 6))
    h = 1e-5
    want = (special.expit(x + h) - special.expit(x - h)) / (2 * h)
    got = theory.sigmoid_derivative(x)
    _expect_shape("sigmoid_derivative(x)", got, x.shape, "elementwise")
    _close("sigmoid_derivative(x)", got, want, "d sigma/dx = sigma(x) (1 - sigma(x))", rtol=1e-6, atol=1e-9)


def check_tanh_from_sigmoid(seed: int = 0) -> None:
    """``theory.tanh_from_sigmoid`` equals tanh and is built without np.tanh."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 3, (3, 7))
    with mock.patch.object(np, "tanh", side_effect=AssertionError(
            "tanh_from_sigmoid calls np.tanh: build it from logistic (the sigmoid) instead")):
        got = theory.tanh_from_sigmoid(x)
    _close("tanh_from_sigmoid(x)", got, np.tanh(x), "tanh(x) = 2 sigma(2x) - 1", atol=1e-10)


def check_tanh_derivative(seed: int = 0) -> None:
    """``theory.tanh_derivative`` against 1 - tanh(x)^2."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 3, (5, 3))
    _close("tanh_derivative(x)", theory.tanh_derivative(x), 1 - np.tanh(x) ** 2, "d tanh/dx = 1 - tanh(x)^2",
           atol=1e-10)
