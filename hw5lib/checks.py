"""Checks of the student-fillable functions, used by public check cells and hidden autograder tests.

Provided file. Each check builds its own inputs from a seed, calls the student's function and raises
AssertionError with a message that says what is wrong and what to look at. A check tests one function
alone: its inputs are built here (the cache ``backwards`` reads is made by trusted code), and
``@grades`` names the functions it tests. In a student's notebook the checks simply run the student's
code. The course's grader (``grading.trusted``, not part of the student release) runs these same checks
in a process of its own: it sets ``GRADER``, and while a check runs, the functions it names are called in
a sandbox that holds the submission, while every other function is the instructor's copy, so a mistake
in ``forward`` costs the points of Q2.2 and not those of Q2.4, Q3 or Q5 as well.
"""

from __future__ import annotations

import functools
import warnings
from contextlib import contextmanager
from unittest import mock

import numpy as np
from scipy import special

from hw5lib import gradcheck

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
def _forbidden(module, attr: str, message: str):
    """While the block runs, calling ``module.attr`` raises AssertionError(message) in the student's code."""
    if GRADER is not None:
        with GRADER.forbidding(f"{module.__name__}.{attr}", message):
            yield
    else:
        with mock.patch.object(module, attr, side_effect=AssertionError(message)):
            yield

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


@grades("nn.initialize_weights")
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
    limit = (6.0 / (in_size + out_size)) ** 0.5
    assert np.abs(W).max() <= limit + 1e-12, (
        f"W{name} has entries up to {np.abs(W).max():.4f}, beyond the Xavier bound sqrt(6/(in+out)) = {limit:.4f}")
    assert W.size < 50 or np.abs(W).max() > 0.8 * limit, (
        f"W{name} stays within {np.abs(W).max():.4f}; draw uniformly over the whole range +-{limit:.4f}")
    if W.size >= 1000:
        want = np.sqrt(2.0 / (in_size + out_size))
        assert abs(W.std() - want) < 0.1 * want, (
            f"std of W{name} is {W.std():.4f}; Xavier uniform gives sqrt(2/(in+out)) = {want:.4f}")
        assert len(np.unique(W)) > 0.9 * W.size, f"W{name} repeats values: draw every entry independently"


# ---------------------------------------------------------------- Q2.2.1


@grades("nn.sigmoid")
def check_sigmoid(seed: int = 0) -> None:
    """Values, shape and no overflow warning at +-1000."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 4, 20), [-1000.0, -50.0, 0.0, 50.0, 1000.0]]).reshape(5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # other warnings (deprecations, ...) cost nothing
        try:
            s = nn.sigmoid(x)
        except RuntimeWarning as exc:
            raise AssertionError(f"sigmoid warns for large |x| ({exc}); avoid exp of large positive numbers") from exc
    _expect_shape("sigmoid(x)", s, x.shape, "apply it elementwise")
    _close("sigmoid(x)", s, special.expit(x), "sigmoid(x) = 1 / (1 + exp(-x))", rtol=1e-6, atol=1e-12)


@grades("nn.forward")
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


@grades("nn.softmax")
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
        warnings.simplefilter("error", RuntimeWarning)
        try:
            p_big = nn.softmax(big)
        except RuntimeWarning as exc:
            raise AssertionError("softmax overflows for large inputs: subtract each row's maximum first") from exc
    _close("softmax(x + 800)", p_big, special.softmax(x, axis=1),
           "subtract each row's maximum before exp so large inputs do not overflow")


@grades("nn.compute_loss_and_acc")
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


@grades("nn.backwards")
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
    # every output is compared: the stored dJ/dW and dJ/db and the returned dJ/dX (named, not left to defaults)
    report = gradcheck.check_gradients(check_params, loss, analytic=analytic, keys=list(analytic), max_coords=None,
                                       seed=seed)
    report.assert_ok(1e-6, what=f"backwards through a {activation} layer")
    return report


# ---------------------------------------------------------------- Q2.4


@grades("nn.get_random_batches")
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


@grades("train.train_epoch")
def check_training(seed: int = 0, epochs: int = 500) -> tuple[float, float]:
    """Toy training with the handout's settings must reach total loss <= 35 and accuracy >= 0.75."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data()
    np.random.seed(seed)
    params = train.init_classifier(2, 25, 4)
    history = train.run_epochs(x, y, params, epochs, 5, 1e-3, progress=False)
    loss, acc = history["train_loss"][-1], history["train_acc"][-1]
    assert np.isfinite(loss), "the training loss became NaN or infinite: check the sign and size of the update"
    assert loss <= 35 and acc >= 0.75, (
        f"after {epochs} epochs: total loss {loss:.2f} (goal <= 35), accuracy {acc:.3f} (goal >= 0.75); "
        "check that each batch updates W and b with -learning_rate * gradient")
    return loss, acc


# ---------------------------------------------------------------- Q2.5


@grades("my_gradcheck.numerical_gradients", "my_gradcheck.relative_error")
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


@grades("theory.sigmoid_derivative")
def check_sigmoid_derivative(seed: int = 0) -> None:
    """``theory.sigmoid_derivative`` against a central difference of the logistic function."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 4, (4, 6))
    h = 1e-5
    want = (special.expit(x + h) - special.expit(x - h)) / (2 * h)
    got = theory.sigmoid_derivative(x)
    _expect_shape("sigmoid_derivative(x)", got, x.shape, "elementwise")
    _close("sigmoid_derivative(x)", got, want, "d sigma/dx = sigma(x) (1 - sigma(x))", rtol=1e-6, atol=1e-9)


@grades("theory.tanh_from_sigmoid")
def check_tanh_from_sigmoid(seed: int = 0) -> None:
    """``theory.tanh_from_sigmoid`` equals tanh and is built without np.tanh."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 3, (3, 7))
    with _forbidden(np, "tanh", "tanh_from_sigmoid calls np.tanh: build it from logistic (the sigmoid) instead"):
        got = theory.tanh_from_sigmoid(x)
    _close("tanh_from_sigmoid(x)", got, np.tanh(x), "tanh(x) = 2 sigma(2x) - 1", atol=1e-10)


@grades("theory.tanh_derivative")
def check_tanh_derivative(seed: int = 0) -> None:
    """``theory.tanh_derivative`` against 1 - tanh(x)^2."""
    from hw5lib import theory

    x = np.random.default_rng(seed).normal(0, 3, (5, 3))
    _close("tanh_derivative(x)", theory.tanh_derivative(x), 1 - np.tanh(x) ** 2, "d tanh/dx = 1 - tanh(x)^2",
           atol=1e-10)


# ---------------------------------------------------------------- Q3


@grades("train.train_classifier")
def check_train_classifier(epochs: int = 3, seed: int = 0) -> None:
    """History keys, lengths and averages of ``train_classifier`` on the toy data."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data(seed=seed)
    np.random.seed(seed)
    params = train.init_classifier(2, 10, 4)
    history = train.train_classifier(x, y, params, epochs, 5, 1e-2, valid=(x[::2], y[::2]), progress=False)
    want = {"train_loss", "train_acc", "valid_loss", "valid_acc"}
    assert isinstance(history, dict) and want <= set(history), (
        f"the history has keys {sorted(history) if isinstance(history, dict) else type(history)}; it needs {sorted(want)}")
    for key in want:
        assert len(history[key]) == epochs, f"history[{key!r}] has {len(history[key])} entries for {epochs} epochs"
    v_loss, v_acc = train.evaluate(x[::2], y[::2], params)
    if np.isclose(history["valid_loss"][-1], v_loss):
        raise AssertionError("valid_loss is the total loss; record the average per example (divide by the count)")
    _close("the last valid_loss", history["valid_loss"][-1], v_loss / len(x[::2]),
           "measure it with evaluate() after the epoch and divide by the number of validation examples")
    _close("the last valid_acc", history["valid_acc"][-1], v_acc, "measure it with evaluate() after the epoch")
    assert 0 < history["train_loss"][0] < 5, (
        f"train_loss {history['train_loss'][0]:.3g} is not an average per example (about log 4 = 1.39 at first)")


def _train_q3_network(settings: dict) -> tuple[dict, dict]:
    """(params, history) of the Q3.1 run with these settings, seeded as notebook 03 seeds it."""
    from hw5lib import data, train

    nist = data.load_nist36(progress=False, quiet=True)
    np.random.seed(0)
    params = train.init_classifier(1024, settings["hidden"], 36)
    history = train.train_classifier(nist.train_data, nist.train_labels, params, settings["epochs"],
                                     settings["batch_size"], settings["learning_rate"],
                                     valid=(nist.valid_data, nist.valid_labels), progress=False)
    return params, history


def train_reference_network(kind: str, settings: dict) -> dict:
    """The Q3 classifier ('classifier') or the Q4 autoencoder ('autoencoder') trained as notebooks 03/04 train them.

    Run with the reference code (the instructor's project, or the grader's process).
    """
    from hw5lib import autoencoder, data, train

    if kind == "classifier":
        return _train_q3_network(settings)[0]
    nist = data.load_nist36(progress=False, quiet=True)
    np.random.seed(0)
    params = autoencoder.init_autoencoder()
    train.train_autoencoder(nist.train_data, params, epochs=settings["epochs"], batch_size=settings["batch_size"],
                            learning_rate=settings["learning_rate"], decay=settings["decay"],
                            decay_every=settings["decay_every"], momentum=settings["momentum"], progress=False)
    return params


def reference_network(kind: str, settings: dict) -> dict:
    """When grading: the network the course build trained with the reference code (from the grader)."""
    return GRADER.reference_network(kind, settings)


@grades("train.train_classifier")
def check_trained_network(history: dict, settings: dict) -> None:
    """Q3.1's run trains for settings['epochs'] epochs and reaches settings['target_accuracy'].

    Students: checks the notebook's history. Grading: the run is repeated with the notebook's settings,
    the student's ``train_classifier`` and reference copies of everything it calls.
    """
    if grading():
        history = _train_q3_network(settings)[1]
    assert history is not None, "no history yet: run the Q3.1 training cell first"
    assert len(history["valid_acc"]) == settings["epochs"], (
        f"{len(history['valid_acc'])} epochs recorded; train for settings['epochs'] = {settings['epochs']}")
    assert history["valid_acc"][-1] >= settings["target_accuracy"], (
        f"validation accuracy {history['valid_acc'][-1]:.3f} is below {settings['target_accuracy']}: check "
        "train_epoch and train_classifier, or tune the learning rate and batch size")

@grades("metrics.confusion_matrix")
def check_confusion_matrix(n: int = 200, classes: int = 36, seed: int = 0) -> None:
    """Counts [true, predicted] against counts made here, for one-hot rows and for indices."""
    from hw5lib import metrics

    rng = np.random.default_rng(seed)
    true = rng.integers(0, classes, n)
    pred = np.where(rng.uniform(size=n) < 0.6, true, rng.integers(0, classes, n))
    want = np.zeros((classes, classes), dtype=int)
    for t, p in zip(true, pred):
        want[t, p] += 1
    probs = rng.uniform(0, 0.5, (n, classes))
    probs[np.arange(n), pred] = 1.0
    got = metrics.confusion_matrix(np.eye(classes)[true], probs, classes)
    _expect_shape("the confusion matrix", got, (classes, classes), "one row and one column per class")
    if np.array_equal(got, want.T) and not np.array_equal(want, want.T):
        raise AssertionError("the confusion matrix is transposed: rows are the true classes, columns the predictions")
    _close("the confusion matrix", got, want, "entry [t, p] counts examples of class t predicted as p")
    assert int(np.sum(got)) == n, f"the counts add up to {np.sum(got)}, not to the {n} examples"


# ---------------------------------------------------------------- Q4


def _trusted_autoencoder_forward(x: np.ndarray, params: dict) -> np.ndarray:
    from hw5lib.autoencoder import AUTOENCODER_LAYERS

    h = x
    for name in AUTOENCODER_LAYERS:
        pre = np.einsum("ni,io->no", h, params["W" + name]) + params["b" + name]
        h = special.expit(pre) if name == AUTOENCODER_LAYERS[-1] else np.maximum(pre, 0.0)
    return h


def _random_autoencoder(rng: np.random.Generator, batch: int, weight_scale: float, bias_scale: float
                        ) -> tuple[dict, np.ndarray]:
    """Random weights for the autoencoder's layers (non-zero biases) and a batch of inputs in [0, 1]."""
    from hw5lib.autoencoder import AUTOENCODER_LAYERS, AUTOENCODER_SIZES

    params = {}
    for name, n_in, n_out in zip(AUTOENCODER_LAYERS, AUTOENCODER_SIZES[:-1], AUTOENCODER_SIZES[1:]):
        params["W" + name] = rng.normal(0, weight_scale / np.sqrt(n_in), (n_in, n_out))
        params["b" + name] = rng.normal(0, bias_scale, n_out)
    return params, rng.uniform(0, 1, (batch, AUTOENCODER_SIZES[0]))


@grades("autoencoder.init_autoencoder")
def check_autoencoder_init(seed: int = 0) -> None:
    """Four layers 1024-32-32-32-1024 from ``initialize_weights``: shapes, zero biases, Xavier bounds."""
    from hw5lib import autoencoder

    np.random.seed(seed)
    params = autoencoder.init_autoencoder()
    sizes = autoencoder.AUTOENCODER_SIZES
    for name, n_in, n_out in zip(autoencoder.AUTOENCODER_LAYERS, sizes[:-1], sizes[1:]):
        assert "W" + name in params and "b" + name in params, f"init_autoencoder must create W{name} and b{name}"
        _expect_shape(f"W{name}", params["W" + name], (n_in, n_out), "layer sizes are 1024-32-32-32-1024")
        _expect_shape(f"b{name}", params["b" + name], (n_out,), "one bias per output")
        bound = np.sqrt(6.0 / (n_in + n_out))
        assert np.abs(params["W" + name]).max() <= bound + 1e-12 and np.all(params["b" + name] == 0), (
            f"layer {name} is not initialised with initialize_weights (Xavier bound {bound:.3f}, zero biases)")


@grades("autoencoder.reconstruct")
def check_autoencoder_forward(batch: int = 5, seed: int = 0) -> None:
    """``reconstruct`` computes ReLU, ReLU, ReLU, sigmoid through the four layers."""
    from hw5lib import autoencoder

    params, x = _random_autoencoder(np.random.default_rng(seed), batch, weight_scale=1.0, bias_scale=0.1)
    got = autoencoder.reconstruct(x, params)
    _expect_shape("reconstruct(x)", got, x.shape, "the output layer gives back 1024 values per image")
    _close("reconstruct(x)", got, _trusted_autoencoder_forward(x, params),
           "ReLU after layer1, layer2 and layer3, a sigmoid after the output layer", rtol=1e-6, atol=1e-9)


@grades("autoencoder.backward_squared_error")
def check_autoencoder_backward(batch: int = 3, seed: int = 0, max_coords: int = 60) -> gradcheck.GradCheckReport:
    """``backward_squared_error`` against finite differences of sum((x_hat - x)^2)."""
    from hw5lib import autoencoder

    params, x = _random_autoencoder(np.random.default_rng(seed), batch, weight_scale=1.5, bias_scale=0.2)
    x_hat = autoencoder.reconstruct(x, params)
    loss = autoencoder.backward_squared_error(x, x_hat, params)
    want = float(np.sum((_trusted_autoencoder_forward(x, params) - x) ** 2))
    _close("the returned loss", loss, want, "return the total squared error sum((x_hat - x)^2)", rtol=1e-6)
    keys = [p + n for n in autoencoder.AUTOENCODER_LAYERS for p in ("W", "b")]
    report = gradcheck.check_gradients(
        params, lambda p: float(np.sum((_trusted_autoencoder_forward(x, p) - x) ** 2)), keys=keys,
        max_coords=max_coords, seed=seed)
    report.assert_ok(1e-6, what="the autoencoder's backward pass")
    return report


@grades("train.momentum_update")
def check_momentum(seed: int = 0) -> None:
    """Two steps of ``momentum_update`` against values computed here; one accumulator per parameter."""
    from hw5lib import train

    rng = np.random.default_rng(seed)
    names = ("a", "b2")
    params = {}
    for name in names:
        params["W" + name], params["b" + name] = rng.normal(size=(3, 2)), rng.normal(size=2)
    start = {k: v.copy() for k, v in params.items()}
    grads = [{k: rng.normal(size=v.shape) for k, v in start.items()} for _ in range(2)]
    lr, mu = 0.1, 0.9
    want = {k: v.copy() for k, v in start.items()}
    velocity = {k: np.zeros_like(v) for k, v in start.items()}
    for step in grads:
        for key in want:
            velocity[key] = mu * velocity[key] - lr * step[key]
            want[key] = want[key] + velocity[key]
        for key, g in step.items():
            params["grad_" + key] = g
        train.momentum_update(params, lr, names, mu)
    for key in want:
        assert "M_" + key in params, f"keep the accumulator of {key} in params['M_{key}']"
        if np.allclose(params[key], start[key] - (want[key] - start[key])):
            raise AssertionError(f"{key} moved the wrong way: the step is P = P + M with M = 0.9 M - lr * grad")
        _close(key + " after two steps", params[key], want[key],
               "M = 0.9 M - learning_rate * grad, then P = P + M, with M starting at zero")


@grades("metrics.psnr")
def check_psnr(seed: int = 0) -> None:
    """Per-image PSNR in dB for images in [0, 1]."""
    from hw5lib import metrics

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (4, 64))
    x_hat = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    want = 10 * np.log10(1.0 / np.mean((x - x_hat) ** 2, axis=1))
    got = np.asarray(metrics.psnr(x, x_hat))
    _expect_shape("psnr(x, x_hat)", got, (4,), "one value per image (row)")
    if np.allclose(got, want + 20 * np.log10(255)):
        raise AssertionError("PSNR uses a peak of 255; these images are in [0, 1], so the peak is 1")
    _close("psnr(x, x_hat)", got, want, "10 log10(1 / mean squared error of the row)", rtol=1e-6)


@grades("train.train_autoencoder")
def check_autoencoder_training(epochs: int = 3, seed: int = 0) -> None:
    """A few epochs of ``train_autoencoder`` on random images: history right, loss falling, rate decaying."""
    from hw5lib import autoencoder, train

    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=(72, 1024)) < np.linspace(0.2, 0.8, 1024)).astype(float)
    np.random.seed(seed)
    params = autoencoder.init_autoencoder()
    history = train.train_autoencoder(x, params, epochs=epochs, batch_size=36, learning_rate=3e-4, decay=0.5,
                                      decay_every=2, progress=False)
    assert len(history.get("train_loss", [])) == epochs, "history['train_loss'] needs one total per epoch"
    losses = history["train_loss"]
    assert losses[-1] < losses[0], f"the loss did not fall over {epochs} epochs: {np.round(losses, 1)}"
    assert losses[0] > 72 * 1024 * 0.05, "train_loss must be the total squared error over the epoch, not a mean"
    rates = history.get("learning_rate", [])
    assert np.allclose(rates, [3e-4 * 0.5 ** (e // 2) for e in range(epochs)]), (
        f"learning rates {rates}: multiply by decay after every decay_every epochs")



def check_autoencoder_history(history: dict, settings: dict) -> None:
    """The notebook's autoencoder run: one total per epoch, and the loss well below its first value.

    Students only: when grading, the run depends on the student's layers and momentum (other questions),
    so ``check_autoencoder_training`` in the same cell grades the loop instead.
    """
    if grading():
        return
    assert history is not None, "no history yet: run the Q4.2.2 training cell first"
    losses = history.get("train_loss", [])
    assert len(losses) == settings["epochs"], f"{len(losses)} totals for {settings['epochs']} epochs: record one per epoch"
    assert losses[-1] < 0.6 * losses[0], (
        f"the loss went from {losses[0]:,.0f} to {losses[-1]:,.0f}; it should fall well below its first value")


@grades("metrics.psnr")
def check_psnr_value(validation_psnr: float, settings: dict) -> None:
    """The mean validation PSNR reaches settings['target_psnr'].

    Students: checks the notebook's value. Grading: the validation PSNR of the reference autoencoder
    (``reference_network``), measured with the student's ``psnr``.
    """
    if grading():
        from hw5lib import autoencoder, data, metrics

        nist = data.load_nist36(progress=False, quiet=True)
        params = reference_network("autoencoder", settings)
        validation_psnr = float(np.mean(metrics.psnr(nist.valid_data, autoencoder.reconstruct(nist.valid_data, params))))
    assert validation_psnr is not None, "no validation PSNR yet: run the Q4.3.2 measurement cell first"
    assert np.isfinite(validation_psnr) and validation_psnr >= settings["target_psnr"], (
        f"mean validation PSNR {validation_psnr:.2f} dB is below {settings['target_psnr']} dB: check the training loop")

# ---------------------------------------------------------------- Q5


def _page_truth(page) -> list:
    return [b for row in page.boxes for b in row]


@grades("ocr.findLetters")
def check_find_letters(seed: int = 0, min_recall: float = 0.95) -> None:
    """``findLetters`` on a synthetic page: boxes over every character (in any order) and a binary ink image."""
    from hw5lib import ocr, ocr_eval, pages

    rng = np.random.default_rng(seed)
    words = ["PAGE", "INK", "LINE", "READ", "2024", "HAND", "WRITE", "NOTE", "7 DAYS"]
    page = pages.synthesize_page([" ".join(rng.choice(words, 2)) for _ in range(3)], seed=seed)
    result = ocr.findLetters(page.image)
    assert isinstance(result, tuple) and len(result) == 2, "findLetters returns (boxes, binary)"
    boxes, binary = result
    assert all(len(b) == 4 for b in boxes), "each box is (y1, x1, y2, x2)"
    _expect_shape("the binary image", binary, page.image.shape[:2], "one value per pixel of the page")
    assert set(np.unique(np.asarray(binary, dtype=float))) <= {0.0, 1.0}, "the binary image holds 0.0 and 1.0 only"
    ink = np.asarray(binary) > 0.5
    assert (ink & page.ink).sum() > 0.7 * page.ink.sum(), "ink must be 1.0 and paper 0.0 in the binary image"
    truth = _page_truth(page)
    recall = ocr_eval.box_recall([tuple(b) for b in boxes], truth)
    if recall < min_recall and boxes:
        swapped = ocr_eval.box_recall([(b[1], b[0], b[3], b[2]) for b in boxes], truth)
        if swapped >= min_recall:
            raise AssertionError("boxes are (x1, y1, x2, y2); the handout's order is (y1, x1, y2, x2)")
    assert recall >= min_recall, (
        f"{len(boxes)} boxes found for {len(truth)} characters, {recall:.0%} of them matched (IoU >= 0.5); "
        "check the threshold, the morphology and which components you drop")


@grades("ocr.findLetters")
def check_find_letters_inputs() -> None:
    """A blank page gives no boxes; uint8, grey and RGBA pages are read like float RGB."""
    from hw5lib import ocr, pages

    for blank in (np.ones((300, 400, 3)), np.full((200, 300), 0.7)):
        boxes, binary = ocr.findLetters(blank)
        assert len(boxes) == 0, f"a blank page gave {len(boxes)} boxes; an empty page has no characters"
        _expect_shape("the binary image of a blank page", binary, blank.shape[:2], "one value per pixel")
    page = pages.synthesize_page(["AB 12"], seed=5)
    count = len(ocr.findLetters(page.image)[0])
    for label, image in (("uint8", (page.image * 255).astype(np.uint8)), ("grey", page.image.mean(axis=2)),
                         ("RGBA", np.dstack([page.image, np.ones(page.image.shape[:2])]))):
        assert len(ocr.findLetters(image)[0]) == count, f"a {label} page gives other boxes than the same float RGB page"


@grades("ocr.group_lines")
def check_group_lines(seed: int = 0) -> None:
    """Shuffled boxes of three sloping lines with mixed heights come back as the lines, left to right."""
    from hw5lib import ocr

    rng = np.random.default_rng(seed)
    pitch, slope = rng.uniform(150, 220), rng.choice([-1, 1]) * rng.uniform(0.08, 0.15)
    truth = []
    for line in range(3):
        row = []
        for i in range(int(rng.integers(5, 12))):
            height, cx = rng.uniform(30, 70), 100 + 62 * i
            cy = 200 + pitch * line + slope * cx
            row.append((int(cy - height / 2), int(cx - 20), int(cy + height / 2), int(cx + 20)))
        truth.append(row)
    shuffled = [b for row in truth for b in row]
    rng.shuffle(shuffled)
    got = ocr.group_lines([tuple(b) for b in shuffled])
    assert [len(line) for line in got] == [len(line) for line in truth], (
        f"lines of {[len(line) for line in got]} boxes; expected {[len(line) for line in truth]}: group by the "
        "vertical position along each line, relative to the characters' height")
    assert [list(map(tuple, line)) for line in got] == truth, "lines run top to bottom and boxes left to right"


@grades("ocr.crop_to_input")
def check_crop_to_input() -> None:
    """An upright bar becomes a 1024-long row in the NIST36 layout: upright, dark ink on white, centred."""
    from hw5lib import ocr

    binary = np.zeros((200, 240))
    binary[40:160, 100:112] = 1.0
    binary[40:52, 100:170] = 1.0  # a bar with a top arm to the right: like a capital gamma
    row = np.asarray(ocr.crop_to_input(binary, (40, 100, 160, 170)))
    _expect_shape("crop_to_input's result", row, (1024,), "a flattened 32x32 image")
    image = row.reshape(32, 32).T
    ink = image < 0.5
    assert ink.any() and image.max() > 0.9, "ink must be dark (about 0) on white paper (about 1)"
    rows, cols = np.nonzero(ink)
    assert rows.min() >= 1 and rows.max() <= 30 and cols.min() >= 1, "leave a margin: pad to a square first"
    top_width = ink[rows.min():rows.min() + 3].sum(axis=1).max()
    side_height = ink[:, cols.min():cols.min() + 3].sum(axis=0).max()
    assert top_width > 8 and side_height > 15, (
        "the character is not upright: transpose the 32x32 image before flattening, as the NIST36 rows are")


@grades("ocr.read_text")
def check_read_text(params: dict, min_accuracy: float = 0.70) -> dict:
    """``read_text`` on the four sample pages: at least ``min_accuracy`` of the characters right on each.

    Students: reads with the given network. Grading: with the reference Q3 network (``reference_network``).
    """
    from hw5lib import config, ocr, ocr_eval, pages

    if grading():
        params = reference_network("classifier", config.q3_settings())
    assert params is not None, "no Q3 network to read with: run notebook 03 (it saves q3_weights.npz) and the setup cell"

    scores = {}
    for page in pages.sample_pages(include_photos=False):
        text = ocr.read_text(page.image, params)
        assert isinstance(text, list) and all(isinstance(t, str) for t in text), "read_text returns a list of strings"
        scores[page.name] = ocr_eval.character_accuracy(text, page.lines)
        assert scores[page.name] >= min_accuracy, (
            f"{page.name}: {scores[page.name]:.0%} of the characters right, below {min_accuracy:.0%}; read {text}")
    return scores
