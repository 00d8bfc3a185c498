"""The checks the course's grader runs: the notebooks' grade cells, hidden tests included, call these.

Instructor-only (never in the student release or a sandbox). They share their names and messages with the public
checks of ``hw5lib.checks``, which compare with stored values on the notebooks' own inputs; these compute what
they compare with, with the reference copies and the grader's finite-difference checker (``grading.grader.gradcheck``),
for any input: the hidden seeds and shapes, whole training runs, the reference networks. The trusted grader
(``grading.grader.trusted``) sets ``hw5lib.checks._common.GRADER``; while a check runs, the functions it names are
called in a sandbox that holds the submission, while every other function is the instructor's copy, so a
mistake in ``forward`` costs the points of Q2.2 and not those of Q2.4, Q3 or Q5 as well. The checks of
properties alone are the public ones, imported as they are.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import special

from grading.course.reference_networks import train_q3_network
from grading.grader import gradcheck
from hw5lib.checks import autoencoder as autoencoder_checks
from hw5lib.checks import _common
from hw5lib.checks._common import close as _close
from hw5lib.checks._common import expect_shape as _expect_shape
from hw5lib.checks._common import forbidden as _forbidden
from hw5lib.checks._common import same as _same
from hw5lib.checks._common import unchanged as _unchanged
from hw5lib.checks._common import grades, grading, without_runtime_warning
from hw5lib.checks.autoencoder import check_autoencoder_init  # noqa: F401 (properties alone: the public check)
from hw5lib.checks.autoencoder import judge_short_run
from hw5lib.checks.fully_connected import check_batches, check_initialize_weights  # noqa: F401
from hw5lib.checks.fully_connected import judge_lr0_epoch, judge_one_step
from hw5lib.checks.ocr import (check_crop_to_input, check_find_letters,  # noqa: F401
                               check_find_letters_inputs, check_group_lines)
from hw5lib.checks.training import judge_history

_ACTIVATIONS = {
    "sigmoid": (special.expit, "sigmoid", "sigmoid_deriv"),
    "relu": (lambda z: np.maximum(z, 0.0), "relu", "relu_deriv"),
    "linear": (lambda z: z, "linear", "linear_deriv"),
}


def _nn():
    from hw5lib import nn  # the student's copy: the assignment folder comes first on sys.path

    return nn


# ---------------------------------------------------------------- Q2.2.1


@grades("nn.sigmoid")
def check_sigmoid(seed: int = 0) -> None:
    """Values, shape, no overflow warning at +-1000, and the input left as it was."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 4, 20), [-1000.0, -50.0, 0.0, 50.0, 1000.0]]).reshape(5, 5)
    x_given = x.copy()
    s = without_runtime_warning(nn.sigmoid, x, "sigmoid warns for large |x| ({exc}); avoid exp of large positive "
                                "numbers")
    _expect_shape("sigmoid(x)", s, x.shape, "apply it elementwise")
    _close("sigmoid(x)", s, special.expit(x_given), "sigmoid(x) = 1 / (1 + exp(-x))", rtol=1e-6, atol=1e-12)
    _unchanged("sigmoid", "x", x, x_given, "forward caches pre_act and passes that same array to the activation")


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
    """Row-wise softmax, its shift invariance, no overflow for large inputs, and the input left as it was."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    x = rng.normal(0, scale, (rows, cols))
    x_given = x.copy()
    p = nn.softmax(x)
    _expect_shape("softmax(x)", p, x.shape, "one distribution per row")
    _close("softmax(x)", p, special.softmax(x_given, axis=1),
           "normalise exp(x) over each row (axis=1), not the whole array")
    _unchanged("softmax", "x", x, x_given, "write x - max into a new array (not x -= max), so the scores "
               "forward caches as pre_act stay as they were")
    big = x + 800.0
    p_big = without_runtime_warning(nn.softmax, big, "softmax overflows for large inputs: subtract each row's "
                                    "maximum first")
    _close("softmax(x + 800)", p_big, special.softmax(x, axis=1),
           "subtract each row's maximum before exp so large inputs do not overflow")


@grades("nn.compute_loss_and_acc")
def check_loss_and_acc(rows: int = 8, classes: int = 5, seed: int = 0) -> None:
    """Summed cross-entropy and accuracy against values computed here."""
    nn = _nn()
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    y = np.eye(classes)[labels]
    scores = rng.normal(0, 2, (rows, classes))
    # some rows right and some wrong (the first right, the last wrong), so that an accuracy of 0, 1 or a
    # count of right rows cannot match by chance
    right = rng.uniform(size=rows) < 0.5
    right[0], right[-1] = True, rows == 1
    for i, label in enumerate(labels):
        if right[i]:
            scores[i, label] = scores[i].max() + rng.uniform(0.5, 2.0)
        elif classes > 1 and np.argmax(scores[i]) == label:
            scores[i, label] = scores[i].min() - rng.uniform(0.5, 2.0)
    probs = special.softmax(scores, axis=1)
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


def _trusted_classifier(x: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(hidden, probs) of the 'layer1' (sigmoid) and 'output' (softmax) classifier, computed here."""
    hidden = special.expit(np.einsum("ni,io->no", x, params["Wlayer1"]) + params["blayer1"])
    return hidden, special.softmax(np.einsum("ni,io->no", hidden, params["Woutput"]) + params["boutput"], axis=1)


def _trusted_accuracy(x: np.ndarray, y: np.ndarray, params: dict) -> float:
    """Accuracy of the classifier on (x, y), computed here."""
    return float(np.mean(np.argmax(_trusted_classifier(x, params)[1], axis=1) == np.argmax(y, axis=1)))


def _trusted_loss_and_acc(x: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, float]:
    """(total cross-entropy, accuracy) of the classifier on (x, y), computed here."""
    probs = _trusted_classifier(x, params)[1]
    return float(-np.sum(y * np.log(probs))), _trusted_accuracy(x, y, params)


def _trusted_sgd_step(x: np.ndarray, y: np.ndarray, params: dict, learning_rate: float) -> dict:
    """The classifier's W and b after one SGD step on the batch (x, y): P - learning_rate * (summed) dJ/dP."""
    hidden, probs = _trusted_classifier(x, params)
    d_out = probs - y
    d_hidden = np.einsum("no,ho->nh", d_out, params["Woutput"]) * hidden * (1.0 - hidden)
    grads = {"Woutput": np.einsum("nh,no->ho", hidden, d_out), "boutput": d_out.sum(axis=0),
             "Wlayer1": np.einsum("ni,nh->ih", x, d_hidden), "blayer1": d_hidden.sum(axis=0)}
    return {key: params[key] - learning_rate * grad for key, grad in grads.items()}


def _check_train_epoch_exactly(seed: int) -> None:
    """``train_epoch`` against values computed here: a learning rate of 0 and one step on a single batch."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data(seed=seed)
    np.random.seed(seed)
    params = train.init_classifier(2, 6, 4)
    keys = [p + n for n in ("layer1", "output") for p in ("W", "b")]
    rng = np.random.default_rng(seed)
    for key in ("blayer1", "boutput"):  # non-zero biases, so a bias that is never updated or added shows
        params[key] = params[key] + rng.normal(0, 0.3, params[key].shape)
    start = {key: params[key].copy() for key in keys}
    want_loss, want_acc = _trusted_loss_and_acc(x, y, start)
    # learning rate 0: every batch sees the same weights, so the totals are those of the whole data set
    judge_lr0_epoch(train.train_epoch(x, y, params, 5, 0.0), want_loss, want_acc, len(x))
    # one batch holding every example: one step, which must be P - learning_rate * grad for every W and b
    rate = 0.05
    params = {key: value.copy() for key, value in start.items()}
    loss, acc = train.train_epoch(x, y, params, len(x), rate)
    want = _trusted_sgd_step(x, y, start, rate)
    judge_one_step({key: np.asarray(params[key]) - start[key] for key in keys},
                   {key: want[key] - start[key] for key in keys}, loss, want_loss, len(x))


@grades("train.train_epoch")
def check_training(seed: int = 0, epochs: int = 500, goal: bool = True) -> tuple[float, float]:
    """Toy training with the handout's settings must reach total loss <= 35 and accuracy >= 0.75.

    Then ``train_epoch`` is checked against values computed here: the returned loss and accuracy (learning rate 0,
    and the trained network itself) and the exact step P - learning_rate * grad of every W and b on one batch.
    ``goal=False`` trains for ``epochs`` without asking for the goal (a further seed, checked step by step).
    The course's grader checks step by step too, over 30 epochs: its every call of the function crosses to a
    sandbox, and the exact step and totals say more about ``train_epoch`` than the 500-epoch goal, which the
    notebook's own check cell still asks of the student.
    """
    from hw5lib import toydata, train

    if grading():
        goal, epochs = False, min(epochs, 30)

    x, y = toydata.make_toy_data()
    np.random.seed(seed)
    params = train.init_classifier(2, 25, 4)
    start_loss = _trusted_loss_and_acc(x, y, params)[0]
    history = train.run_epochs(x, y, params, epochs, 5, 1e-3, progress=False)
    loss, acc = history["train_loss"][-1], history["train_acc"][-1]
    assert np.isfinite(loss), "the training loss became NaN or infinite: check the sign and size of the update"
    if not goal:
        real_loss = _trusted_loss_and_acc(x, y, params)[0]
        assert real_loss < start_loss, (
            f"the toy loss went from {start_loss:.2f} to {real_loss:.2f} in {epochs} epochs: check that each "
            "batch updates W and b with -learning_rate * gradient")
        _check_train_epoch_exactly(seed)
        return loss, acc
    assert loss <= 35 and acc >= 0.75, (
        f"after {epochs} epochs: total loss {loss:.2f} (goal <= 35), accuracy {acc:.3f} (goal >= 0.75); "
        "check that each batch updates W and b with -learning_rate * gradient")
    # the run above reads its loss and accuracy from train_epoch: they, and the trained network, are checked here
    real_loss, real_acc = _trusted_loss_and_acc(x, y, params)
    assert real_loss <= 35 and real_acc >= 0.75, (
        f"train_epoch reports the goal reached, but the trained network has total loss {real_loss:.2f} and "
        f"accuracy {real_acc:.3f} on the toy data: check the updates of W and b after each batch")
    _check_train_epoch_exactly(seed)
    return loss, acc


# ---------------------------------------------------------------- Q2.5


# what a numerical_gradients that reaches for the course's checker meets: the release has none, the sandbox no grading
_BORROWED = re.compile(r"hw5lib\.gradcheck|name 'gradcheck'|attribute 'gradcheck'|module named 'grading")


@grades("my_gradcheck.numerical_gradients", "my_gradcheck.relative_error")
def check_numerical_gradients(seed: int = 0) -> None:
    """The student's own checker: central differences with the eps given, every W and b entry, params left
    unchanged. Q2.5 is the student's own: one that calls the course's checker is refused with the reason."""
    try:
        _check_numerical_gradients(seed)
    except Exception as exc:
        if _BORROWED.search(str(exc)):
            raise AssertionError("numerical_gradients calls the course's gradient checker, which is not part of the "
                                 "release: Q2.5 asks for your own central differences, (J(p + eps) - J(p - eps)) / "
                                 f"(2 eps) for each entry ({str(exc)[:120]})") from None
        raise


def _check_numerical_gradients(seed: int) -> None:
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
    # with a large step the central difference of a cubic is exactly 3 p^2 + eps^2 (times A): this shows
    # whether the eps given is the one used, and that each entry is perturbed alone
    eps = 0.1
    numeric = my_gradcheck.numerical_gradients(params, cubic, eps=eps)
    assert set(numeric) == {"Wa", "ba"}, f"got gradients for {sorted(numeric)}; expected every W and b key only"
    for key, want in (("Wa", A * (3 * before["Wa"] ** 2 + eps**2)), ("ba", 3 * before["ba"] ** 2 + eps**2)):
        assert np.array_equal(params[key], before[key]), f"params[{key!r}] changed: restore each entry after perturbing"
        _close(f"numerical gradient of {key} with eps={eps}", numeric[key], want,
               "use the eps you are given: (J(p + eps) - J(p - eps)) / (2 eps), one entry at a time", rtol=1e-6,
               atol=1e-9)
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
    """History keys, lengths and averages of ``train_classifier`` on the toy data; with learning rate 0 every
    entry of every epoch is compared with values computed here."""
    from hw5lib import train

    x, y = judge_history(epochs, seed)
    # learning rate 0: the weights stay, so every entry of every epoch is known; a validation set of another
    # size than the training set shows which count each average is divided by
    valid = (x[1::3], y[1::3])
    np.random.seed(seed + 1)
    params = train.init_classifier(2, 10, 4)
    history = train.train_classifier(x, y, params, 2, 5, 0.0, valid=valid, progress=False)
    train_total, train_acc = _trusted_loss_and_acc(x, y, params)
    valid_total, valid_acc = _trusted_loss_and_acc(valid[0], valid[1], params)
    for key, want, what in (
        ("train_loss", train_total / len(x),
         f"the epoch's total training loss divided by the {len(x)} training examples"),
        ("train_acc", train_acc, "the fraction of the training examples classified right in the epoch"),
        ("valid_loss", valid_total / len(valid[0]),
         f"evaluate() on the validation set, divided by its {len(valid[0])} examples"),
        ("valid_acc", valid_acc, "the accuracy evaluate() gives on the validation set"),
    ):
        got = history.get(key, [])
        assert len(got) == 2, f"history[{key!r}] has {len(got)} entries for 2 epochs"
        _close(f"history[{key!r}] with learning rate 0", got, [want, want],
               f"each epoch records {what}", rtol=1e-6)


def reference_network(kind: str, settings: dict) -> dict:
    """When grading: the network the course build trained with the reference code (from the grader)."""
    return _common.GRADER.reference_network(kind, settings)


@grades("train.train_classifier")
def check_trained_network(history: dict, settings: dict) -> None:
    """Q3.1's run trains for settings['epochs'] epochs and reaches settings['target_accuracy'].

    Students: checks the notebook's history. Grading: the run is repeated, shorter (settings['grading_epochs'],
    goal settings['grading_target']), with the student's ``train_classifier`` and reference copies of everything
    it calls, and the recorded validation accuracy must be that of the trained network, measured here.
    """
    trained = None
    if grading():
        settings = dict(settings, epochs=settings.get("grading_epochs", settings["epochs"]),
                        target_accuracy=settings.get("grading_target", settings["target_accuracy"]))
        trained, history = train_q3_network(settings)
    assert history is not None, "no history yet: run the Q3.1 training cell first"
    assert len(history["valid_acc"]) == settings["epochs"], (
        f"{len(history['valid_acc'])} epochs recorded; train for settings['epochs'] = {settings['epochs']}")
    if trained is not None:  # the network itself, measured here, must reach what the history says
        from hw5lib import data

        nist = data.load_nist36(progress=False, quiet=True)
        real = _trusted_accuracy(nist.valid_data, nist.valid_labels, trained)
        assert abs(float(history["valid_acc"][-1]) - real) <= 1.0 / len(nist.valid_data) + 1e-9, (
            f"the history's last validation accuracy is {float(history['valid_acc'][-1]):.4f}, but the trained "
            f"network classifies {real:.4f} of the validation set right: record evaluate() on the validation data "
            "after each epoch")
    assert history["valid_acc"][-1] >= settings["target_accuracy"], (
        f"validation accuracy {history['valid_acc'][-1]:.3f} is below {settings['target_accuracy']}: check "
        "train_epoch and train_classifier, or tune the learning rate and batch size")

@grades("metrics.confusion_matrix")
def check_confusion_matrix(n: int = 200, classes: int = 36, seed: int = 0) -> None:
    """Counts [true, predicted] against counts made here, for one-hot rows and for indices, and for a
    ``num_classes`` larger than any label seen."""
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
    got = metrics.confusion_matrix(true, pred, classes)
    _close("the confusion matrix of class indices", got, want,
           "y_true and y_pred may also be class indices: convert both with _class_indices")
    # two classes more than any label: rows and columns of classes never seen are zeros
    wider = np.zeros((classes + 2, classes + 2), dtype=int)
    wider[:classes, :classes] = want
    got = metrics.confusion_matrix(true, pred, classes + 2)
    _expect_shape(f"the confusion matrix for num_classes={classes + 2}", got, wider.shape,
                  "size it with num_classes, not with the largest label found")
    _close(f"the confusion matrix for num_classes={classes + 2}", got, wider,
           "classes that never occur keep rows and columns of zeros")


# ---------------------------------------------------------------- Q4


def _trusted_autoencoder_forward(x: np.ndarray, params: dict) -> np.ndarray:
    from hw5lib.autoencoder import AUTOENCODER_LAYERS

    h = x
    for name in AUTOENCODER_LAYERS:
        pre = np.einsum("ni,io->no", h, params["W" + name]) + params["b" + name]
        h = special.expit(pre) if name == AUTOENCODER_LAYERS[-1] else np.maximum(pre, 0.0)
    return h


def _trusted_autoencoder_gradients(x: np.ndarray, params: dict) -> tuple[float, dict]:
    """(sum((x_hat - x)^2), {key: its gradient}) of the autoencoder, computed here."""
    from hw5lib.autoencoder import AUTOENCODER_LAYERS

    inputs, h = [], x
    for name in AUTOENCODER_LAYERS:
        inputs.append(h)
        pre = np.einsum("ni,io->no", h, params["W" + name]) + params["b" + name]
        h = special.expit(pre) if name == AUTOENCODER_LAYERS[-1] else np.maximum(pre, 0.0)
    grads, delta = {}, 2.0 * (h - x) * h * (1.0 - h)
    for i in reversed(range(len(AUTOENCODER_LAYERS))):
        name = AUTOENCODER_LAYERS[i]
        grads["W" + name] = np.einsum("ni,no->io", inputs[i], delta)
        grads["b" + name] = delta.sum(axis=0)
        if i:
            delta = np.einsum("no,io->ni", delta, params["W" + name]) * (inputs[i] > 0)
    return float(np.sum((h - x) ** 2)), grads


def _trusted_autoencoder_run(x: np.ndarray, params: dict, epochs: int, learning_rate: float, decay: float,
                             decay_every: int, momentum: float) -> tuple[dict, list[float]]:
    """Full-batch momentum training of the autoencoder, one step per epoch: (params after, loss of each epoch)."""
    params = {k: np.array(v, dtype=float) for k, v in params.items() if k[:1] in "Wb"}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for epoch in range(epochs):
        rate = learning_rate * decay ** (epoch // decay_every)
        loss, grads = _trusted_autoencoder_gradients(x, params)
        losses.append(loss)
        for key in velocity:
            velocity[key] = momentum * velocity[key] - rate * grads[key]
            params[key] = params[key] + velocity[key]
    return params, losses


def _random_autoencoder(rng: np.random.Generator, batch: int, weight_scale: float, bias_scale: float
                        ) -> tuple[dict, np.ndarray]:
    """Random weights for the autoencoder's layers (non-zero biases) and a batch of inputs in [0, 1]."""
    from hw5lib.autoencoder import AUTOENCODER_LAYERS, AUTOENCODER_SIZES

    params = {}
    for name, n_in, n_out in zip(AUTOENCODER_LAYERS, AUTOENCODER_SIZES[:-1], AUTOENCODER_SIZES[1:]):
        params["W" + name] = rng.normal(0, weight_scale / np.sqrt(n_in), (n_in, n_out))
        params["b" + name] = rng.normal(0, bias_scale, n_out)
    return params, rng.uniform(0, 1, (batch, AUTOENCODER_SIZES[0]))


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
    """Two steps of ``momentum_update`` against values computed here, parameters and accumulators M_; then a step
    with another momentum for one layer only, which must leave the other layer alone."""
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
    for key in want:
        if _same(params["M_" + key], -velocity[key]):
            raise AssertionError(f"params['M_{key}'] has the opposite sign: the handout's accumulator is "
                                 "M = 0.9 M - learning_rate * grad, added to the parameter (P = P + M)")
        _close(f"params['M_{key}'] after two steps", params["M_" + key], velocity[key],
               "keep M = 0.9 M - learning_rate * grad itself (the step added to the parameter) in params['M_' + key]")
    # a third step with another momentum and rate, for layer 'a' only: 'b2' and its accumulators stay
    lr, mu = 0.05, 0.5
    step = {k: rng.normal(size=v.shape) for k, v in start.items()}
    for key, g in step.items():
        params["grad_" + key] = g
    kept = {k: np.array(params[k], dtype=float) for k in ("Wb2", "bb2", "M_Wb2", "M_bb2")}
    train.momentum_update(params, lr, ("a",), mu)
    for key in ("Wa", "ba"):
        velocity_90 = 0.9 * velocity[key] - lr * step[key]
        velocity[key] = mu * velocity[key] - lr * step[key]
        if not _same(params["M_" + key], velocity[key]) and _same(params["M_" + key], velocity_90):
            raise AssertionError("momentum_update uses 0.9 whatever momentum it is given: M = momentum * M - "
                                 "learning_rate * grad")
        _close(f"{key} after a step with momentum={mu}, learning_rate={lr}", params[key], want[key] + velocity[key],
               "M = momentum * M - learning_rate * grad, then P = P + M", rtol=1e-6)
    for key, value in kept.items():
        assert np.array_equal(np.asarray(params[key], dtype=float), value), (
            f"momentum_update(params, lr, ('a',)) changed {key}: update only the W and b of the layers in names")


@grades("metrics.psnr")
def check_psnr(seed: int = 0) -> None:
    """Per-image PSNR in dB for images in [0, 1], and for 8-bit images with data_range=255."""
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
    _close("psnr(255 x, 255 x_hat, data_range=255)", np.asarray(metrics.psnr(255 * x, 255 * x_hat, data_range=255.0)),
           want, "use the data_range given: 10 log10(data_range^2 / MSE)", rtol=1e-6)


@grades("train.train_autoencoder")
def check_autoencoder_training(epochs: int = 3, seed: int = 0) -> None:
    """A few epochs of ``train_autoencoder`` on random images: history right, loss falling, rate decaying; then
    the totals with learning rate 0, and one-batch epochs step by step against momentum training computed here."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=(72, 1024)) < np.linspace(0.2, 0.8, 1024)).astype(float)
    judge_short_run(x, epochs, seed, [3e-4 * 0.5 ** (e // 2) for e in range(epochs)])
    _check_train_autoencoder_exactly(x, seed)


def _check_train_autoencoder_exactly(x: np.ndarray, seed: int) -> None:
    """``train_autoencoder`` against values computed here: a learning rate of 0, then one batch per epoch."""
    from hw5lib import autoencoder, train

    np.random.seed(seed + 1)
    start = autoencoder.init_autoencoder()
    start = {k: np.array(v, dtype=float) for k, v in start.items() if k[:1] in "Wb"}
    # learning rate 0: the weights stay, so each epoch's total is the squared error of the whole set
    total = _trusted_autoencoder_gradients(x, start)[0]
    params = {k: v.copy() for k, v in start.items()}
    history = train.train_autoencoder(x, params, epochs=2, batch_size=36, learning_rate=0.0, progress=False)
    got = history.get("train_loss", [])
    assert len(got) == 2, "history['train_loss'] needs one total per epoch"
    if _same(got, [total / 2] * 2):
        raise AssertionError("train_loss is the mean of the batches' losses; record their total over the epoch")
    _close("history['train_loss'] with learning rate 0", got, [total, total],
           "add up the squared error of every batch of the epoch (not the last batch's alone)", rtol=1e-6)
    # one batch of every image: one momentum step per epoch, which must follow the schedule and the momentum given
    settings = dict(epochs=3, learning_rate=2e-4, decay=0.5, decay_every=1, momentum=0.5)
    params = {k: v.copy() for k, v in start.items()}
    history = train.train_autoencoder(x, params, batch_size=len(x), progress=False, **settings)
    want, want_losses = _trusted_autoencoder_run(x, start, **settings)

    def matches(reference: dict) -> bool:
        return all(_same(np.asarray(params[k]) - start[k], reference[k] - start[k], rtol=1e-5) for k in start)

    if not matches(want):
        if matches(_trusted_autoencoder_run(x, start, **{**settings, "decay": 1.0})[0]):
            raise AssertionError("the learning rate decays in the history but not in the updates: pass the decayed "
                                 "rate to momentum_update")
        if matches(_trusted_autoencoder_run(x, start, **{**settings, "momentum": 0.9})[0]):
            raise AssertionError("train_autoencoder ignores its momentum argument: pass momentum to momentum_update")
        for key in start:
            _close(f"the change of {key} after {settings['epochs']} one-batch epochs",
                   np.asarray(params[key]) - start[key], want[key] - start[key],
                   "each batch: reconstruct, backward_squared_error, then momentum_update with the epoch's rate "
                   "learning_rate * decay^(epoch // decay_every) and the momentum given; keep the accumulators from "
                   "one epoch to the next", rtol=1e-5, atol=1e-12)
    _close("history['train_loss'] with one batch per epoch", history.get("train_loss", []), want_losses,
           "each epoch's total squared error, measured on the forward pass of each batch (before its update)",
           rtol=1e-6)


def check_autoencoder_history(history: dict, settings: dict) -> None:
    """The notebook's autoencoder run (students only: when grading, the run depends on the student's layers and
    momentum, other questions, so ``check_autoencoder_training`` in the same cell grades the loop instead)."""
    if grading():
        return
    autoencoder_checks.check_autoencoder_history(history, settings)


@grades("metrics.psnr")
def check_psnr_value(validation_psnr: float, settings: dict) -> None:
    """The mean validation PSNR reaches settings['target_psnr'].

    Students: checks the notebook's value. Grading: the validation PSNR of the reference autoencoder
    (``reference_network``), measured with the student's ``psnr``, whose mean must be that computed here.
    """
    if grading():
        from hw5lib import autoencoder, data, metrics

        nist = data.load_nist36(progress=False, quiet=True)
        params = reference_network("autoencoder", settings)
        x_hat = autoencoder.reconstruct(nist.valid_data, params)
        validation_psnr = float(np.mean(metrics.psnr(nist.valid_data, x_hat)))
        # the mean the student's psnr gives must be the mean PSNR of these reconstructions, measured here
        mse = np.maximum(np.mean((nist.valid_data - np.asarray(x_hat)) ** 2, axis=1), np.finfo(float).tiny)
        real = float(np.mean(10 * np.log10(1.0 / mse)))
        assert np.isfinite(validation_psnr) and abs(validation_psnr - real) <= 1e-6 * abs(real), (
            f"psnr gives a mean validation PSNR of {validation_psnr:.2f} dB for the reference autoencoder, whose "
            f"reconstructions have a mean PSNR of {real:.2f} dB: psnr is 10 log10(1 / MSE) for each image in [0, 1]")
    assert validation_psnr is not None, "no validation PSNR yet: run the Q4.3.2 measurement cell first"
    assert np.isfinite(validation_psnr) and validation_psnr >= settings["target_psnr"], (
        f"mean validation PSNR {validation_psnr:.2f} dB is below {settings['target_psnr']} dB: check the training loop")

# ---------------------------------------------------------------- Q5


@grades("ocr.read_text")
def check_read_text(params: dict, min_accuracy: float = 0.70) -> dict:
    """``read_text`` on the four sample pages: at least ``min_accuracy`` of the characters right on each.

    Students: reads with the given network. Grading: with the reference Q3 network (``reference_network``).
    """
    from hw5lib import config
    from hw5lib.checks import ocr

    if grading():
        params = reference_network("classifier", config.q3_settings(fast=True))
    return ocr.check_read_text(params, min_accuracy)
