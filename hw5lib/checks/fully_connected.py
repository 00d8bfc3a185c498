"""Public checks of notebook 02 (Q2): the network's pieces, its training step, your gradient checker."""

from __future__ import annotations

import numpy as np

from hw5lib.checks._common import close, expect_shape, expected, grades, same, unchanged, without_runtime_warning

ACTIVATIONS = ("sigmoid", "relu", "linear")


def _nn():
    from hw5lib import nn  # the student's copy: the assignment folder comes first on sys.path

    return nn


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
    expect_shape(f"W{name}", W, (in_size, out_size), "W is [in_size, out_size]")
    expect_shape(f"b{name}", b, (out_size,), "b is 1-D with one entry per output")
    assert np.all(b == 0), f"b{name} should start at zero, got values up to {np.abs(b).max():.3g}"
    limit = (6.0 / (in_size + out_size)) ** 0.5
    assert np.abs(W).max() <= limit + 1e-12, (
        f"W{name} has entries up to {np.abs(W).max():.4f}, beyond the Xavier bound sqrt(6/(in+out)) = {limit:.4f}")
    assert W.size < 50 or np.abs(W).max() > 0.8 * limit, (
        f"W{name} stays within {np.abs(W).max():.4f}; draw uniformly over the whole range +-{limit:.4f}")
    # a uniform draw of 50 or more entries reaches past -limit/2 and +limit/2 (a miss has odds below 1e-6)
    assert W.size < 50 or (W.min() < -0.5 * limit and W.max() > 0.5 * limit), (
        f"W{name} lies in [{W.min():.4f}, {W.max():.4f}]: draw from the whole range -{limit:.4f} to +{limit:.4f}, "
        "negative values included, centred on zero")
    if W.size >= 1000:
        want = np.sqrt(2.0 / (in_size + out_size))
        assert abs(W.std() - want) < 0.1 * want, (
            f"std of W{name} is {W.std():.4f}; Xavier uniform gives sqrt(2/(in+out)) = {want:.4f}")
    # continuous draws never repeat: a row or column copied across W is caught at any size
    assert len(np.unique(W)) > 0.9 * W.size, f"W{name} repeats values: draw every entry independently"


# ---------------------------------------------------------------- Q2.2.1


def sigmoid_input(seed: int) -> np.ndarray:
    """The input of ``check_sigmoid``: random values and the extremes +-1000, +-50, 0."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 4, 20), [-1000.0, -50.0, 0.0, 50.0, 1000.0]]).reshape(5, 5)


@grades("nn.sigmoid")
def check_sigmoid(seed: int = 0) -> None:
    """Values, shape, no overflow warning at +-1000, and the input left as it was."""
    nn = _nn()
    want = expected(check_sigmoid, seed=seed)
    x = sigmoid_input(seed)
    x_given = x.copy()
    s = without_runtime_warning(nn.sigmoid, x, "sigmoid warns for large |x| ({exc}); avoid exp of large positive "
                                "numbers")
    expect_shape("sigmoid(x)", s, x.shape, "apply it elementwise")
    s = np.asarray(s, dtype=float)
    assert np.all((s >= 0) & (s <= 1)), "sigmoid(x) must lie between 0 and 1"
    close("sigmoid(x)", s, want["sigmoid"], "sigmoid(x) = 1 / (1 + exp(-x))", rtol=1e-6, atol=1e-12)
    unchanged("sigmoid", "x", x, x_given, "forward caches pre_act and passes that same array to the activation")


def layer_input(in_size: int, out_size: int, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, b, X) of ``check_forward``: random weights, biases and inputs."""
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(in_size, out_size)), rng.normal(size=out_size)
    return W, b, rng.normal(size=(batch, in_size))


@grades("nn.forward")
def check_forward(in_size: int = 3, out_size: int = 4, batch: int = 5, activation: str = "sigmoid",
                  seed: int = 0) -> None:
    """Output and cache of ``forward`` for a layer with random weights and biases."""
    nn = _nn()
    want = expected(check_forward, in_size=in_size, out_size=out_size, batch=batch, activation=activation,
                    seed=seed)
    W, b, X = layer_input(in_size, out_size, batch, seed)
    params = {"Wlayer": W.copy(), "blayer": b.copy()}
    out = nn.forward(X, params, "layer", getattr(nn, activation))
    expect_shape("forward's output", out, (batch, out_size), "X @ W gives [examples, out]")
    close("forward's output", out, want["post_act"], f"it should be {activation}(X @ W + b)")
    assert "cache_layer" in params, "forward must store params['cache_' + name] = (X, pre_act, post_act)"
    cache = params["cache_layer"]
    assert isinstance(cache, tuple) and len(cache) == 3, "cache_<name> must be the tuple (X, pre_act, post_act)"
    close("cache X", cache[0], X, "the cache's first item is the layer's input X")
    close("cache pre_act", cache[1], want["pre_act"], "the cache's second item is X @ W + b, before the activation")
    close("cache post_act", cache[2], want["post_act"], "the cache's third item is the activation's output")


# ---------------------------------------------------------------- Q2.2.2 and Q2.2.3


def softmax_input(rows: int, cols: int, seed: int, scale: float) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, scale, (rows, cols))


@grades("nn.softmax")
def check_softmax(rows: int = 4, cols: int = 6, seed: int = 0, scale: float = 3.0) -> None:
    """Row-wise softmax, its shift invariance, no overflow for large inputs, and the input left as it was."""
    nn = _nn()
    want = expected(check_softmax, rows=rows, cols=cols, seed=seed, scale=scale)["softmax"]
    x = softmax_input(rows, cols, seed, scale)
    x_given = x.copy()
    p = nn.softmax(x)
    expect_shape("softmax(x)", p, x.shape, "one distribution per row")
    p = np.asarray(p, dtype=float)
    if not np.allclose(p.sum(axis=1), 1.0):
        raise AssertionError(f"the rows of softmax(x) add up to {np.round(p.sum(axis=1), 3)}, not to 1: normalise "
                             "exp(x) over each row (axis=1), not the whole array")
    close("softmax(x)", p, want, "normalise exp(x) over each row (axis=1), not the whole array")
    unchanged("softmax", "x", x, x_given, "write x - max into a new array (not x -= max), so the scores "
              "forward caches as pre_act stay as they were")
    big = x + 800.0
    p_big = without_runtime_warning(nn.softmax, big, "softmax overflows for large inputs: subtract each row's "
                                    "maximum first")
    close("softmax(x + 800)", p_big, want, "subtract each row's maximum before exp so large inputs do not overflow")


def loss_input(rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, probs) of ``check_loss_and_acc``: one-hot labels and rows of probabilities, some right, some wrong."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    y = np.eye(classes)[labels]
    weights = rng.uniform(0.05, 1.0, (rows, classes))
    # some rows right and some wrong (the first right, the last wrong), so that an accuracy of 0, 1 or a
    # count of right rows cannot match by chance
    right = rng.uniform(size=rows) < 0.5
    right[0], right[-1] = True, rows == 1
    for i, label in enumerate(labels):
        if right[i]:
            weights[i, label] = weights[i].max() * rng.uniform(1.5, 3.0)
        elif classes > 1 and np.argmax(weights[i]) == label:
            weights[i, label] = weights[i].min() * rng.uniform(0.2, 0.6)
    return y, weights / weights.sum(axis=1, keepdims=True)


@grades("nn.compute_loss_and_acc")
def check_loss_and_acc(rows: int = 8, classes: int = 5, seed: int = 0) -> None:
    """Summed cross-entropy and accuracy against the stored values."""
    nn = _nn()
    want = expected(check_loss_and_acc, rows=rows, classes=classes, seed=seed)
    y, probs = loss_input(rows, classes, seed)
    result = nn.compute_loss_and_acc(y, probs)
    assert isinstance(result, tuple) and len(result) == 2, "compute_loss_and_acc returns (loss, acc)"
    loss, acc = result
    if np.isclose(loss, want["loss"] / rows):
        raise AssertionError("loss is the mean cross-entropy; the handout asks for the total, summed over examples")
    assert loss > 0, f"the loss is {loss}: cross-entropy of probabilities below 1 is positive (mind the minus sign)"
    close("loss", loss, want["loss"], "the loss is -sum(y * log(probs)) over all examples and classes")
    close("accuracy", acc, want["accuracy"], "accuracy is the fraction of rows whose largest probability is the "
          "true class")


# ---------------------------------------------------------------- Q2.3


class GradientComparison:
    """How far a backward pass's gradients are from the stored ones, per gradient (max-norm relative error over the
    entries compared: every entry of a small array, a fixed sample of a large one)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, tuple, int, float]] = []

    def add(self, key: str, got, want, shape: tuple | None = None) -> float:
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        error = float(np.abs(got - want).max() / max(np.abs(got).max(), np.abs(want).max(), 1e-12))
        self.rows.append((key, tuple(shape) if shape is not None else got.shape, want.size, error))
        return error

    @property
    def max_norm(self) -> float:
        return max((row[-1] for row in self.rows), default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        return self.max_norm < tol

    def __str__(self) -> str:
        lines = [f"{'gradient':<16}{'shape':<14}{'compared':>9}{'relative error':>16}"]
        lines += [f"{key:<16}{str(shape):<14}{count:>9}{error:>16.1e}" for key, shape, count, error in self.rows]
        return "\n".join(lines)


def backwards_input(in_size: int, out_size: int, batch: int, activation: str, seed: int) -> tuple[dict, np.ndarray,
                                                                                                  np.ndarray]:
    """(params without the cache, X, upstream delta) of ``check_backwards``."""
    rng = np.random.default_rng(seed)
    params = {"Wlayer": rng.normal(size=(in_size, out_size)), "blayer": rng.normal(0, 0.5, out_size)}
    X = rng.normal(size=(batch, in_size))
    upstream = rng.normal(size=(batch, out_size))
    if activation == "relu":  # pre-activations away from the kink
        params["blayer"] += np.sign(params["blayer"]) * 0.5
    return params, X, upstream


@grades("nn.backwards")
def check_backwards(in_size: int = 4, out_size: int = 3, batch: int = 6, activation: str = "sigmoid",
                    seed: int = 0) -> GradientComparison:
    """``backwards`` alone, from a cache given here: dJ/dW, dJ/db and the returned dJ/dX against stored values."""
    nn = _nn()
    want = expected(check_backwards, in_size=in_size, out_size=out_size, batch=batch, activation=activation,
                    seed=seed)
    params, X, upstream = backwards_input(in_size, out_size, batch, activation, seed)
    params["cache_layer"] = (X, want["pre_act"], want["post_act"])
    grad_X = nn.backwards(upstream.copy(), params, "layer", getattr(nn, activation + "_deriv"))
    for key, shape, hint in (
        ("grad_Wlayer", (in_size, out_size), "grad_W = X^T @ delta has the shape of W"),
        ("grad_blayer", (out_size,), "it should sum over the batch"),
    ):
        assert key in params, f"backwards must store params[{key!r}]"
        expect_shape(key.replace("layer", ""), params[key], shape, hint)
    expect_shape("the returned gradient", grad_X, (batch, in_size), "backwards returns dJ/dX, the shape of X")
    comparison = GradientComparison()
    for key, got, hint in (("grad_W", params["grad_Wlayer"], "grad_W = X^T @ (delta * activation'(post_act))"),
                           ("grad_b", params["grad_blayer"], "grad_b sums delta * activation'(post_act) over the batch"),
                           ("grad_X", grad_X, "dJ/dX = (delta * activation'(post_act)) @ W^T")):
        if comparison.add(key, got, want[key]) >= 1e-6:
            close(f"{key} of a {activation} layer", got, want[key], hint, rtol=1e-6, atol=1e-9)
    return comparison


# ---------------------------------------------------------------- Q2.4


@grades("nn.get_random_batches")
def check_batches(n: int = 23, batch_size: int = 5, seed: int = 0) -> None:
    """Every example once, pairs kept together, batch sizes right, examples (not only batches) shuffled with
    np.random."""
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
    runs = [np.array_equal(np.sort(bx[:, 0]), bx[:, 0].min() + np.arange(len(bx))) for bx, _ in batches]
    assert len(batches) < 2 or not all(runs), (
        "every batch holds neighbouring examples of the original order: shuffle the examples before splitting, "
        "not only the order of the batches")
    np.random.seed(seed + 1)
    again = np.concatenate([bx[:, 0] for bx, _ in nn.get_random_batches(x, y, batch_size)]).astype(int)
    assert not np.array_equal(again, ids), (
        "two different np.random seeds gave the same batches: shuffle with np.random (e.g. np.random.permutation), "
        "not in a fixed order or with a generator seeded inside the function")


CLASSIFIER_KEYS = ("Wlayer1", "blayer1", "Woutput", "boutput")


def classifier_input(seed: int, hidden: int = 6) -> dict:
    """A 2-``hidden``-4 classifier with random weights and non-zero biases (no student code involved)."""
    rng = np.random.default_rng(seed)
    return {"Wlayer1": rng.uniform(-0.5, 0.5, (2, hidden)), "blayer1": rng.normal(0, 0.3, hidden),
            "Woutput": rng.uniform(-0.5, 0.5, (hidden, 4)), "boutput": rng.normal(0, 0.3, 4)}


def judge_lr0_epoch(result, want_loss: float, want_acc: float, count: int) -> None:
    """``train_epoch``'s (loss, accuracy) with learning rate 0 against the whole set's total loss and accuracy."""
    assert isinstance(result, (tuple, list)) and len(result) == 2, "train_epoch returns (total loss, accuracy)"
    loss, acc = result
    if same(loss, want_loss / count):
        raise AssertionError("train_epoch returns the average loss per example; return the total, summed over the "
                             "batches (train_classifier divides it by the number of examples)")
    close("train_epoch's loss with learning rate 0", loss, want_loss,
          "add up the loss of every batch of the epoch (not the last batch's alone, not their mean)", rtol=1e-6)
    close("train_epoch's accuracy with learning rate 0", acc, want_acc,
          "the fraction of the epoch's examples classified right, over every batch", rtol=1e-6)


def judge_one_step(changes: dict, want_changes: dict, loss: float, want_loss: float, count: int) -> None:
    """The change of every W and b after one batch of ``count`` examples against P - learning_rate * grad, naming
    the usual mistakes (no update, the wrong sign, a step divided by the batch size)."""
    for key, want_change in want_changes.items():
        change = changes[key]
        if same(change, want_change):
            continue
        if not np.any(change):
            raise AssertionError(f"train_epoch did not update {key}: every W and b of both layers takes a step "
                                 "-learning_rate * grad after each batch")
        if same(change, -want_change):
            raise AssertionError(f"{key} moved up the gradient: the step is P = P - learning_rate * grad")
        if same(change, want_change / count):
            raise AssertionError(f"the step of {key} is divided by the batch size: use -learning_rate * grad with "
                                 "the gradient backwards stores (summed over the batch)")
        close(f"the step of {key} after one batch", change, want_change,
              "P = P - learning_rate * grad for every W and b, with the gradients of this batch's backward pass",
              rtol=1e-5, atol=1e-12)
    close("train_epoch's loss for one batch", loss, want_loss,
          "measure each batch's loss on its forward pass, before the update", rtol=1e-6)


def _check_train_epoch_exactly(seed: int) -> None:
    """``train_epoch`` against the stored values: a learning rate of 0 and one step on a single batch."""
    from hw5lib import toydata, train

    want = expected(check_training, seed=seed)
    x, y = toydata.make_toy_data(seed=seed)
    start = classifier_input(seed)
    # learning rate 0: every batch sees the same weights, so the totals are those of the whole data set
    params = {key: value.copy() for key, value in start.items()}
    np.random.seed(seed)
    judge_lr0_epoch(train.train_epoch(x, y, params, 5, 0.0), float(want["loss"]), float(want["accuracy"]), len(x))
    # one batch holding every example: one step, which must be P - learning_rate * grad for every W and b
    params = {key: value.copy() for key, value in start.items()}
    loss, _ = train.train_epoch(x, y, params, len(x), float(want["rate"]))
    judge_one_step({key: np.asarray(params[key]) - start[key] for key in CLASSIFIER_KEYS},
                   {key: want["step_" + key] for key in CLASSIFIER_KEYS}, loss, float(want["loss"]), len(x))


@grades("train.train_epoch")
def check_training(seed: int = 0, epochs: int = 500, goal: bool = True) -> tuple[float, float]:
    """Toy training with the handout's settings must reach total loss <= 35 and accuracy >= 0.75, and the network
    it trained must reach them too (measured with your ``train.evaluate``); then ``train_epoch`` is compared with
    stored values: the returned loss and accuracy (learning rate 0) and the exact step P - learning_rate * grad of
    every W and b on one batch."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data()
    np.random.seed(seed)
    params = train.init_classifier(2, 25, 4)
    history = train.run_epochs(x, y, params, epochs, 5, 1e-3, progress=False)
    loss, acc = history["train_loss"][-1], history["train_acc"][-1]
    assert np.isfinite(loss), "the training loss became NaN or infinite: check the sign and size of the update"
    if goal:
        assert loss <= 35 and acc >= 0.75, (
            f"after {epochs} epochs: total loss {loss:.2f} (goal <= 35), accuracy {acc:.3f} (goal >= 0.75); "
            "check that each batch updates W and b with -learning_rate * gradient")
        real_loss, real_acc = train.evaluate(x, y, params)
        assert real_loss <= 35 and real_acc >= 0.75, (
            f"train_epoch reports the goal reached, but the trained network has total loss {real_loss:.2f} and "
            f"accuracy {real_acc:.3f} on the toy data: check the updates of W and b after each batch")
    _check_train_epoch_exactly(seed)
    return loss, acc


# ---------------------------------------------------------------- Q2.5


def cubic_input(seed: int) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """(params, A, a, n) of ``check_numerical_gradients``: a small layer, the cubic's weights, two arrays."""
    rng = np.random.default_rng(seed)
    params = {"Wa": rng.normal(size=(3, 2)), "ba": rng.normal(size=2), "cache_a": None}
    A = rng.normal(size=(3, 2))
    return params, A, rng.normal(size=5), rng.normal(size=5)


@grades("my_gradcheck.numerical_gradients", "my_gradcheck.relative_error")
def check_numerical_gradients(seed: int = 0) -> None:
    """Your own checker: central differences with the eps given, every W and b entry, params left unchanged;
    ``relative_error`` against a stored value."""
    from hw5lib import my_gradcheck

    want = expected(check_numerical_gradients, seed=seed)
    params, A, a, n = cubic_input(seed)

    def cubic(p: dict) -> float:  # third derivative != 0: forward differences are visibly off
        return float(np.sum(A * p["Wa"] ** 3) + np.sum(p["ba"] ** 3))

    before = {k: params[k].copy() for k in ("Wa", "ba")}
    for eps, rtol, atol, hint in (
            (1e-3, 1e-5, 1e-5, "use central differences (J(p + eps) - J(p - eps)) / (2 eps)"),
            (0.1, 1e-6, 1e-9, "use the eps you are given: (J(p + eps) - J(p - eps)) / (2 eps), one entry at a time")):
        numeric = my_gradcheck.numerical_gradients(params, cubic, eps=eps)
        assert set(numeric) == {"Wa", "ba"}, f"got gradients for {sorted(numeric)}; expected every W and b key only"
        for key in ("Wa", "ba"):
            assert np.array_equal(params[key], before[key]), (
                f"params[{key!r}] changed: restore each entry after perturbing")
            expect_shape(f"numerical gradient of {key}", numeric[key], params[key].shape, "same shape as the parameter")
            close(f"numerical gradient of {key} with eps={eps}", numeric[key], want[f"{key} eps={eps}"], hint,
                  rtol=rtol, atol=atol)
    close("relative_error", my_gradcheck.relative_error(a, n), want["relative_error"],
          "sum|a - n| / max(sum|a|, sum|n|, 1e-12)")
    assert my_gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0, "relative_error of two zero arrays is 0"


__all__ = ["check_initialize_weights", "check_sigmoid", "check_forward", "check_softmax", "check_loss_and_acc",
           "check_backwards", "check_batches", "check_training", "check_numerical_gradients", "GradientComparison"]
