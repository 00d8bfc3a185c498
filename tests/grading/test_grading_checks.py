"""Every check passes on the reference and fails, with an actionable message, on a planted mistake."""

import contextlib
import types

import numpy as np
import pytest

from grading.grader import grading_checks
from hw5lib import my_gradcheck, nn, theory, train


@pytest.mark.parametrize("check", [
    grading_checks.check_initialize_weights, grading_checks.check_sigmoid, grading_checks.check_forward, grading_checks.check_softmax,
    grading_checks.check_loss_and_acc, grading_checks.check_backwards, grading_checks.check_batches, grading_checks.check_numerical_gradients,
    grading_checks.check_sigmoid_derivative, grading_checks.check_tanh_from_sigmoid, grading_checks.check_tanh_derivative,
])
def test_reference_passes(check):
    check()


def test_reference_passes_bigger_and_other_configurations():
    grading_checks.check_initialize_weights(1024, 64, "layer1", seed=3)
    for act in ("sigmoid", "relu", "linear"):
        grading_checks.check_forward(5, 7, 3, act, seed=2)
        grading_checks.check_backwards(6, 5, 4, act, seed=4)
    assert grading_checks.check_training() == pytest.approx((25.96, 0.9), abs=0.01)


def _unshifted_softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _backwards_unsummed_bias(delta, params, name="", activation_deriv=nn.sigmoid_deriv):
    grad_x = nn_backwards(delta, params, name, activation_deriv)
    X, _, post = params["cache_" + name]
    params["grad_b" + name] = delta * activation_deriv(post)
    return grad_x


def _backwards_deriv_of_pre_act(delta, params, name="", activation_deriv=nn.sigmoid_deriv):
    X, pre, post = params["cache_" + name]
    d = delta * activation_deriv(pre)
    params["grad_W" + name], params["grad_b" + name] = X.T @ d, d.sum(axis=0)
    return d @ params["W" + name].T


def _forward_without_bias(X, params, name="", activation=nn.sigmoid):
    pre = X @ params["W" + name]
    post = activation(pre)
    params["cache_" + name] = (X, pre, post)
    return post


def _init_normal(in_size, out_size, params, name=""):
    params["W" + name] = np.random.randn(in_size, out_size)
    params["b" + name] = np.zeros(out_size)


def _batches_with_repeats(x, y, batch_size):
    idx = np.random.randint(0, len(x), len(x))
    return [(x[idx[i:i + batch_size]], y[idx[i:i + batch_size]]) for i in range(0, len(x), batch_size)]


def _forward_differences(params, loss_fn, eps=1e-6):
    out = {}
    for key in my_gradcheck.trainable_keys(params):
        g = np.zeros_like(params[key])
        base = loss_fn(params)
        for i in np.ndindex(g.shape):
            params[key][i] += eps
            g[i] = (loss_fn(params) - base) / eps
            params[key][i] -= eps
        out[key] = g
    return out


nn_backwards = nn.backwards

PLANTED = [
    ("initialize_weights", _init_normal, grading_checks.check_initialize_weights, "Xavier bound"),
    ("softmax", _unshifted_softmax, grading_checks.check_softmax, "subtract each row's maximum"),
    ("backwards", _backwards_unsummed_bias, grading_checks.check_backwards, r"grad_b has shape \(6, 3\); it should be \(3,\)"),
    ("backwards", _backwards_deriv_of_pre_act, grading_checks.check_backwards, "disagree with finite differences"),
    ("forward", _forward_without_bias, grading_checks.check_forward, r"sigmoid\(X @ W \+ b\)"),
    ("get_random_batches", _batches_with_repeats, grading_checks.check_batches, "exactly once"),
]


@pytest.mark.parametrize("func,replacement,check,message", PLANTED, ids=[p[1].__name__ for p in PLANTED])
def test_planted_mistake_is_caught(monkeypatch, func, replacement, check, message):
    monkeypatch.setattr(nn, func, replacement)
    with pytest.raises(AssertionError, match=message):
        check()


def test_mean_loss_is_named(monkeypatch):
    real = nn.compute_loss_and_acc
    monkeypatch.setattr(nn, "compute_loss_and_acc", lambda y, p: (real(y, p)[0] / len(y), real(y, p)[1]))
    with pytest.raises(AssertionError, match="mean cross-entropy"):
        grading_checks.check_loss_and_acc()


def test_forward_differences_are_caught(monkeypatch):
    monkeypatch.setattr(my_gradcheck, "numerical_gradients", _forward_differences)
    with pytest.raises(AssertionError, match="central differences"):
        grading_checks.check_numerical_gradients()


def test_tanh_via_numpy_is_caught(monkeypatch):
    monkeypatch.setattr(theory, "tanh_from_sigmoid", lambda x: np.tanh(x))
    with pytest.raises(AssertionError, match="calls np.tanh"):
        grading_checks.check_tanh_from_sigmoid()


def test_training_with_a_flipped_update_is_caught(monkeypatch):
    real_epoch = train.train_epoch
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: real_epoch(x, y, p, b, -lr))
    with pytest.raises(AssertionError, match="goal <= 35"):
        grading_checks.check_training(epochs=100)


# ---------------------------------------------------------------- Q3 and Q4 checks


def test_new_checks_pass_on_the_reference():
    grading_checks.check_train_classifier()
    grading_checks.check_confusion_matrix()
    grading_checks.check_momentum()
    grading_checks.check_psnr()
    grading_checks.check_autoencoder_init()
    grading_checks.check_autoencoder_forward()
    grading_checks.check_autoencoder_training()


def test_transposed_confusion_matrix_is_caught(monkeypatch):
    from hw5lib import metrics

    real = metrics.confusion_matrix
    monkeypatch.setattr(metrics, "confusion_matrix", lambda t, p, n=36: real(t, p, n).T)
    with pytest.raises(AssertionError, match="transposed"):
        grading_checks.check_confusion_matrix()


def test_flipped_momentum_is_caught(monkeypatch):
    def flipped(params, learning_rate, names, momentum=0.9):
        for name in names:
            for key in ("W" + name, "b" + name):
                v = momentum * params.get("M_" + key, 0) - learning_rate * params["grad_" + key]
                params["M_" + key] = v
                params[key] = params[key] - v

    monkeypatch.setattr(train, "momentum_update", flipped)
    with pytest.raises(AssertionError, match="moved the wrong way"):
        grading_checks.check_momentum()


def test_psnr_on_the_wrong_range_is_caught(monkeypatch):
    from hw5lib import metrics

    real = metrics.psnr
    monkeypatch.setattr(metrics, "psnr", lambda x, y, data_range=1.0: real(x, y, 255.0))
    with pytest.raises(AssertionError, match="peak of 255"):
        grading_checks.check_psnr()


def test_total_instead_of_average_valid_loss_is_caught(monkeypatch):
    real = train.train_classifier

    def totals(x, y, params, epochs, batch_size, learning_rate, valid=None, progress=True, desc=""):
        history = real(x, y, params, epochs, batch_size, learning_rate, valid, progress)
        history["valid_loss"] = [v * len(valid[0]) for v in history["valid_loss"]]
        return history

    monkeypatch.setattr(train, "train_classifier", totals)
    with pytest.raises(AssertionError, match="valid_loss is the total loss"):
        grading_checks.check_train_classifier()


def test_wrong_autoencoder_output_activation_is_caught(monkeypatch):
    from hw5lib import autoencoder

    def all_relu(x, params):
        h = x
        for name in autoencoder.AUTOENCODER_LAYERS:
            h = nn.forward(h, params, name, nn.relu)
        return h

    monkeypatch.setattr(autoencoder, "reconstruct", all_relu)
    with pytest.raises(AssertionError, match="a sigmoid after the output layer"):
        grading_checks.check_autoencoder_forward()


def test_autoencoder_backward_without_the_factor_two_is_caught(monkeypatch):
    from hw5lib import autoencoder

    def half_gradient(x, x_hat, params):
        delta = nn.backwards(x_hat - x, params, "output", nn.sigmoid_deriv)
        for name in ("layer3", "layer2", "layer1"):
            delta = nn.backwards(delta, params, name, nn.relu_deriv)
        return float(np.sum((x_hat - x) ** 2))

    monkeypatch.setattr(autoencoder, "backward_squared_error", half_gradient)
    with pytest.raises(AssertionError, match="autoencoder's backward pass"):
        grading_checks.check_autoencoder_backward()


# ---------------------------------------------------------------- Q5 checks


def test_q5_checks_pass_on_the_reference():
    grading_checks.check_find_letters()
    grading_checks.check_find_letters_inputs()
    grading_checks.check_group_lines()
    grading_checks.check_crop_to_input()


def test_boxes_as_x_then_y_are_named(monkeypatch):
    from hw5lib import ocr

    real = ocr.findLetters
    monkeypatch.setattr(ocr, "findLetters", lambda image: ([(b[1], b[0], b[3], b[2]) for b in real(image)[0]],
                                                           real(image)[1]))
    with pytest.raises(AssertionError, match=r"boxes are \(x1, y1, x2, y2\)"):
        grading_checks.check_find_letters()


def test_crop_without_the_transpose_is_caught(monkeypatch):
    from hw5lib import ocr

    real = ocr.crop_to_input
    monkeypatch.setattr(ocr, "crop_to_input", lambda binary, box: real(binary, box).reshape(32, 32).T.reshape(-1))
    with pytest.raises(AssertionError, match="transpose the 32x32 image"):
        grading_checks.check_crop_to_input()


def test_lines_by_fixed_pixel_bands_are_caught(monkeypatch):
    from hw5lib import ocr

    def bands(boxes):
        rows = {}
        for b in boxes:
            rows.setdefault(b[0] // 100, []).append(b)
        return [sorted(r, key=lambda b: b[1]) for _, r in sorted(rows.items())]

    monkeypatch.setattr(ocr, "group_lines", bands)
    with pytest.raises(AssertionError, match="lines of"):
        grading_checks.check_group_lines()


# ---------------------------------------------------------------- holes closed by the audit of the checks
# Each wrong implementation below passed its check before the audit; each test shows it now fails with a
# message that names the mistake.


def _init_one_sided(in_size, out_size, params, name=""):
    bound = np.sqrt(6.0 / (in_size + out_size))
    params["W" + name] = np.random.uniform(0, bound, (in_size, out_size))
    params["b" + name] = np.zeros(out_size)


def _init_repeated_rows(in_size, out_size, params, name=""):
    bound = np.sqrt(6.0 / (in_size + out_size))
    params["W" + name] = np.tile(np.random.uniform(-bound, bound, out_size), (in_size, 1))
    params["b" + name] = np.zeros(out_size)


def _sigmoid_clipping_in_place(x):
    np.clip(x, -500, 500, out=x)  # the caller's array (forward's cached pre_act) is changed
    return 1.0 / (1.0 + np.exp(-x))


def _softmax_shifting_in_place(x):
    x -= np.max(x, axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _loss_and_count_of_right_rows(y, probs):
    return float(-np.sum(y * np.log(probs))), float(np.sum(probs.argmax(axis=1) == y.argmax(axis=1)))


def _batches_shuffling_whole_batches(x, y, batch_size):
    batches = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return [batches[i] for i in np.random.permutation(len(batches))]


def _batches_with_a_fixed_generator(x, y, batch_size):
    order = np.random.default_rng(0).permutation(len(x))  # the same batches in every epoch
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(x), batch_size)]


HOLES = [
    (nn, "initialize_weights", _init_one_sided, grading_checks.check_initialize_weights, "negative values included"),
    (nn, "initialize_weights", _init_repeated_rows, grading_checks.check_initialize_weights, "repeats values"),
    (nn, "sigmoid", _sigmoid_clipping_in_place, grading_checks.check_sigmoid, "sigmoid changed its argument x in place"),
    (nn, "softmax", _softmax_shifting_in_place, grading_checks.check_softmax, "softmax changed its argument x in place"),
    (nn, "compute_loss_and_acc", _loss_and_count_of_right_rows, grading_checks.check_loss_and_acc, "accuracy is wrong"),
    (nn, "get_random_batches", _batches_shuffling_whole_batches, grading_checks.check_batches, "neighbouring examples"),
    (nn, "get_random_batches", _batches_with_a_fixed_generator, grading_checks.check_batches,
     "two different np.random seeds gave the same batches"),
]


@pytest.mark.parametrize("module,func,replacement,check,message", HOLES, ids=[h[2].__name__ for h in HOLES])
def test_closed_hole_is_caught(monkeypatch, module, func, replacement, check, message):
    check()  # the reference passes
    monkeypatch.setattr(module, func, replacement)
    with pytest.raises(AssertionError, match=message):
        check()


def _reference_train_epoch_with(x, y, params, batch_size, learning_rate, update_biases=True, scale=1.0):
    total, right = 0.0, 0.0
    for xb, yb in nn.get_random_batches(x, y, batch_size):
        probs = train.classify(xb, params)
        loss, acc = nn.compute_loss_and_acc(yb, probs)
        total, right = total + loss, right + acc * len(xb)
        delta = nn.backwards(probs - yb, params, "output", nn.linear_deriv)
        nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)
        for name in train.CLASSIFIER_LAYERS:
            params["W" + name] = params["W" + name] - scale * learning_rate * params["grad_W" + name]
            if update_biases:
                params["b" + name] = params["b" + name] - scale * learning_rate * params["grad_b" + name]
    return total, right / len(x)


def test_train_epoch_returning_the_average_loss_is_caught(monkeypatch):
    real = train.train_epoch
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: (real(x, y, p, b, lr)[0] / len(x),
                                                                      real(x, y, p, b, lr)[1]))
    with pytest.raises(AssertionError, match="returns the average loss per example"):
        grading_checks.check_training()


def test_train_epoch_that_reports_success_without_training_is_caught(monkeypatch):
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: (0.0, 1.0))
    with pytest.raises(AssertionError, match="reports the goal reached, but the trained network"):
        grading_checks.check_training()


def test_train_epoch_without_bias_updates_is_caught(monkeypatch):
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: _reference_train_epoch_with(
        x, y, p, b, lr, update_biases=False))
    with pytest.raises(AssertionError, match="did not update blayer1"):
        grading_checks.check_training()


def test_train_epoch_with_a_step_of_another_size_is_caught(monkeypatch):
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: _reference_train_epoch_with(
        x, y, p, b, lr, scale=1.5))  # trains well enough on the toy data, but not with -learning_rate * grad
    with pytest.raises(AssertionError, match="the step of Wlayer1 after one batch is wrong"):
        grading_checks.check_training()


def test_numerical_gradients_ignoring_eps_is_caught(monkeypatch):
    def own_eps(params, loss_fn, eps=1e-6):  # forward differences with a tiny step of its own
        return _forward_differences(params, loss_fn, eps=1e-7)

    monkeypatch.setattr(my_gradcheck, "numerical_gradients", own_eps)
    with pytest.raises(AssertionError, match="with eps=0.1 is wrong"):
        grading_checks.check_numerical_gradients()


def _history_edit(monkeypatch, edit):
    real = train.train_classifier

    def edited(x, y, params, epochs, batch_size, learning_rate, valid=None, progress=True, desc=""):
        history = real(x, y, params, epochs, batch_size, learning_rate, valid, progress)
        edit(history, x, valid)
        return history

    monkeypatch.setattr(train, "train_classifier", edited)


def test_train_acc_as_a_count_is_caught(monkeypatch):
    _history_edit(monkeypatch, lambda h, x, valid: h.update(train_acc=[a * len(x) for a in h["train_acc"]]))
    with pytest.raises(AssertionError, match=r"history\['train_acc'\] with learning rate 0 is wrong"):
        grading_checks.check_train_classifier()


def test_train_loss_divided_by_the_validation_count_is_caught(monkeypatch):
    _history_edit(monkeypatch, lambda h, x, valid: h.update(
        train_loss=[v * len(x) / len(valid[0]) for v in h["train_loss"]]))
    with pytest.raises(AssertionError, match=r"history\['train_loss'\] with learning rate 0 is wrong"):
        grading_checks.check_train_classifier()


def _confusion_sized_by_labels(y_true, y_pred, num_classes=36):
    from hw5lib import metrics

    true, pred = metrics._class_indices(y_true), metrics._class_indices(y_pred)
    n = max(true.max(), pred.max()) + 1
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (true, pred), 1)
    return counts


def test_confusion_matrix_sized_by_the_labels_seen_is_caught(monkeypatch):
    from hw5lib import metrics

    monkeypatch.setattr(metrics, "confusion_matrix", _confusion_sized_by_labels)
    with pytest.raises(AssertionError, match="size it with num_classes"):
        grading_checks.check_confusion_matrix()


def test_autoencoder_with_small_normal_weights_is_caught(monkeypatch):
    from hw5lib import autoencoder

    def small_normal(sizes=autoencoder.AUTOENCODER_SIZES):
        params = {}
        for name, n_in, n_out in zip(autoencoder.AUTOENCODER_LAYERS, sizes[:-1], sizes[1:]):
            params["W" + name], params["b" + name] = 0.01 * np.random.randn(n_in, n_out), np.zeros(n_out)
        return params

    monkeypatch.setattr(autoencoder, "init_autoencoder", small_normal)
    with pytest.raises(AssertionError, match="Xavier uniform spans"):
        grading_checks.check_autoencoder_init()


def test_autoencoder_layers_drawn_with_the_same_seed_are_caught(monkeypatch):
    from hw5lib import autoencoder

    def reseeded(sizes=autoencoder.AUTOENCODER_SIZES):
        params = {}
        for name, n_in, n_out in zip(autoencoder.AUTOENCODER_LAYERS, sizes[:-1], sizes[1:]):
            np.random.seed(0)
            nn.initialize_weights(n_in, n_out, params, name)
        return params

    monkeypatch.setattr(autoencoder, "init_autoencoder", reseeded)
    with pytest.raises(AssertionError, match="Wlayer2 and Wlayer3 hold the same values"):
        grading_checks.check_autoencoder_init()


def _momentum_with(params, learning_rate, names, momentum=0.9, convention="handout", fixed=None, every=False):
    names = sorted({k[1:] for k in params if k[:1] == "W"}) if every else names
    momentum = fixed if fixed is not None else momentum
    for name in names:
        for key in ("W" + name, "b" + name):
            if convention == "handout":
                velocity = momentum * params.get("M_" + key, 0.0) - learning_rate * params["grad_" + key]
                params["M_" + key], params[key] = velocity, params[key] + velocity
            else:  # M = momentum M + lr grad, P = P - M: the same steps, the accumulator of the opposite sign
                velocity = momentum * params.get("M_" + key, 0.0) + learning_rate * params["grad_" + key]
                params["M_" + key], params[key] = velocity, params[key] - velocity


@pytest.mark.parametrize("options,message", [
    (dict(convention="negated"), r"params\['M_Wa'\] has the opposite sign"),
    (dict(fixed=0.9), "uses 0.9 whatever momentum it is given"),
    (dict(every=True), r"changed Wb2: update only the W and b of the layers in names"),
], ids=["accumulator_negated", "momentum_fixed_at_0.9", "names_ignored"])
def test_momentum_holes_are_caught(monkeypatch, options, message):
    monkeypatch.setattr(train, "momentum_update", lambda p, lr, names, momentum=0.9: _momentum_with(
        p, lr, names, momentum, **options))
    with pytest.raises(AssertionError, match=message):
        grading_checks.check_momentum()


def test_psnr_ignoring_data_range_is_caught(monkeypatch):
    from hw5lib import metrics

    real = metrics.psnr
    monkeypatch.setattr(metrics, "psnr", lambda x, x_hat, data_range=1.0: real(x, x_hat, 1.0))
    with pytest.raises(AssertionError, match="use the data_range given"):
        grading_checks.check_psnr()


def _train_autoencoder_with(x, params, epochs=100, batch_size=36, learning_rate=3e-5, decay=0.9, decay_every=20,
                            momentum=0.9, progress=True, decayed_updates=True, fixed_momentum=None, mean_loss=False):
    from hw5lib import autoencoder

    history = {"train_loss": [], "learning_rate": []}
    for epoch in range(epochs):
        rate = learning_rate * decay ** (epoch // decay_every)
        losses = []
        for xb, _ in nn.get_random_batches(x, x, batch_size):
            losses.append(autoencoder.backward_squared_error(xb, autoencoder.reconstruct(xb, params), params))
            train.momentum_update(params, rate if decayed_updates else learning_rate, autoencoder.AUTOENCODER_LAYERS,
                                  momentum if fixed_momentum is None else fixed_momentum)
        history["train_loss"].append(float(np.mean(losses) if mean_loss else np.sum(losses)))
        history["learning_rate"].append(rate)
    return history


@pytest.mark.parametrize("options,message", [
    (dict(), None),
    (dict(decayed_updates=False), "decays in the history but not in the updates"),
    (dict(fixed_momentum=0.9), "ignores its momentum argument"),
    (dict(mean_loss=True), "mean of the batches' losses"),
], ids=["correct", "rate_recorded_not_used", "momentum_ignored", "mean_of_batches"])
def test_train_autoencoder_holes_are_caught(monkeypatch, options, message):
    monkeypatch.setattr(train, "train_autoencoder", lambda *a, **k: _train_autoencoder_with(*a, **k, **options))
    if message is None:  # written another way (a decay formula, rebinding updates): still passes
        grading_checks.check_autoencoder_training()
        return
    with pytest.raises(AssertionError, match=message):
        grading_checks.check_autoencoder_training()


# ---------------------------------------------------------------- checks that recompute results when grading


class _FakeGrader:
    """Stands in for grading.grader.trusted.Grader: every function is the local one, networks are given."""

    def __init__(self, networks: dict) -> None:
        self.networks = networks

    @contextlib.contextmanager
    def testing(self, under_test):
        yield

    @contextlib.contextmanager
    def forbidding(self, name, message):
        yield

    def reference_network(self, kind, settings):
        return self.networks[kind]


@pytest.fixture
def small_nist(monkeypatch):
    """A small random data set in the NIST36 format, so grading-mode checks run in a second."""
    from hw5lib import data

    rng = np.random.default_rng(0)

    def part(n):
        labels = np.eye(36)[np.arange(n) % 36]
        return rng.uniform(0, 1, (n, 1024)) * 0.5 + 0.5 * labels @ rng.uniform(0, 1, (36, 1024)), labels

    (train_x, train_y), (valid_x, valid_y) = part(360), part(180)
    nist = types.SimpleNamespace(train_data=train_x, train_labels=train_y, valid_data=valid_x, valid_labels=valid_y)
    monkeypatch.setattr(data, "load_nist36", lambda *a, **k: nist)
    return nist


def test_recorded_validation_accuracy_must_be_the_networks(monkeypatch, small_nist):
    settings = dict(hidden=8, epochs=2, batch_size=36, learning_rate=1e-2, target_accuracy=0.0)
    monkeypatch.setattr(grading_checks._common, "GRADER", _FakeGrader({}))
    grading_checks.check_trained_network(None, settings)  # the reference passes
    _history_edit(monkeypatch, lambda h, x, valid: h.update(valid_acc=[1.0] * len(h["valid_acc"])))
    with pytest.raises(AssertionError, match="but the trained network classifies"):
        grading_checks.check_trained_network(None, settings)


def test_validation_psnr_is_measured_with_a_right_psnr(monkeypatch, small_nist):
    from hw5lib import autoencoder, metrics

    np.random.seed(0)
    monkeypatch.setattr(grading_checks._common, "GRADER", _FakeGrader({"autoencoder": autoencoder.init_autoencoder()}))
    settings = dict(target_psnr=0.0)
    grading_checks.check_psnr_value(None, settings)  # the reference passes
    real = metrics.psnr
    monkeypatch.setattr(metrics, "psnr", lambda x, x_hat, data_range=1.0: real(x, x_hat, 255.0))
    with pytest.raises(AssertionError, match="psnr gives a mean validation PSNR of"):
        grading_checks.check_psnr_value(None, settings)


# ---------------------------------------------------------------- Q5


def _find_letters_keeping_specks(image):
    from skimage import filters, measure

    from hw5lib import ocr
    from hw5lib.images import as_grey

    grey = filters.gaussian(as_grey(image), 1.0)
    ink = grey < filters.threshold_otsu(grey)
    boxes = [r.bbox for r in measure.regionprops(measure.label(ink, connectivity=2))]  # specks kept
    return [box for line in ocr.group_lines(boxes) for box in line], ink.astype(float)


def _find_letters_edit(monkeypatch, edit):
    from hw5lib import ocr

    real = ocr.findLetters
    monkeypatch.setattr(ocr, "findLetters", lambda image: edit(*real(image)))


def test_find_letters_keeping_specks_is_caught(monkeypatch):
    from hw5lib import ocr

    monkeypatch.setattr(ocr, "findLetters", _find_letters_keeping_specks)
    with pytest.raises(AssertionError, match="boxes match no character"):
        grading_checks.check_find_letters()


def test_find_letters_out_of_reading_order_is_caught(monkeypatch):
    _find_letters_edit(monkeypatch, lambda boxes, binary: (sorted(boxes), binary))  # by top edge: raster order
    with pytest.raises(AssertionError, match="not in reading order"):
        grading_checks.check_find_letters()


def test_find_letters_marking_paper_as_ink_is_caught(monkeypatch):
    _find_letters_edit(monkeypatch, lambda boxes, binary: (boxes, np.ones_like(binary)))
    with pytest.raises(AssertionError, match="on or next to the characters"):
        grading_checks.check_find_letters()


def _crop_with(binary, box, square=True, centred=True, in_place=False):
    from skimage import transform

    y1, x1, y2, x2 = box
    if in_place:
        binary[y1:y2, x1:x2] = binary[y1:y2, x1:x2] > 0.5
    piece = binary[y1:y2, x1:x2] > 0.5
    h, w = piece.shape
    if square:
        side = int(np.ceil(max(h, w) / 0.7))
        top, left = ((side - h) // 2, (side - w) // 2) if centred else (3, 3)
        canvas = np.zeros((side, side))
    else:  # the same margin on every side, but not a square: the character is stretched
        top, left = 12, 12
        canvas = np.zeros((h + 24, w + 24))
    canvas[top:top + h, left:left + w] = piece
    if in_place:
        binary[y1:y2, x1:x2] = 0.0  # "done with this character": the caller's page loses it
    return (1.0 - transform.resize(canvas, (32, 32), anti_aliasing=True)).T.reshape(-1)


@pytest.mark.parametrize("options,message", [
    (dict(), None),
    (dict(square=False), "pad the crop to a square before resizing"),
    (dict(centred=False), "pad equally on both sides"),
    (dict(in_place=True), "crop_to_input changed its argument binary in place"),
], ids=["correct", "stretched", "not_centred", "clears_the_page"])
def test_crop_holes_are_caught(monkeypatch, options, message):
    from hw5lib import ocr

    monkeypatch.setattr(ocr, "crop_to_input", lambda binary, box: _crop_with(binary, box, **options))
    if message is None:
        grading_checks.check_crop_to_input()
        return
    with pytest.raises(AssertionError, match=message):
        grading_checks.check_crop_to_input()
