"""Every check passes on the reference and fails, with an actionable message, on a planted mistake."""

import numpy as np
import pytest

from hw5lib import checks, my_gradcheck, nn, theory, train


@pytest.mark.parametrize("check", [
    checks.check_initialize_weights, checks.check_sigmoid, checks.check_forward, checks.check_softmax,
    checks.check_loss_and_acc, checks.check_backwards, checks.check_batches, checks.check_numerical_gradients,
    checks.check_sigmoid_derivative, checks.check_tanh_from_sigmoid, checks.check_tanh_derivative,
])
def test_reference_passes(check):
    check()


def test_reference_passes_bigger_and_other_configurations():
    checks.check_initialize_weights(1024, 64, "layer1", seed=3)
    for act in ("sigmoid", "relu", "linear"):
        checks.check_forward(5, 7, 3, act, seed=2)
        checks.check_backwards(6, 5, 4, act, seed=4)
    assert checks.check_training() == pytest.approx((25.96, 0.9), abs=0.01)


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
    ("initialize_weights", _init_normal, checks.check_initialize_weights, "Xavier bound"),
    ("softmax", _unshifted_softmax, checks.check_softmax, "subtract each row's maximum"),
    ("backwards", _backwards_unsummed_bias, checks.check_backwards, r"grad_b has shape \(6, 3\); it should be \(3,\)"),
    ("backwards", _backwards_deriv_of_pre_act, checks.check_backwards, "disagree with finite differences"),
    ("forward", _forward_without_bias, checks.check_forward, r"sigmoid\(X @ W \+ b\)"),
    ("get_random_batches", _batches_with_repeats, checks.check_batches, "exactly once"),
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
        checks.check_loss_and_acc()


def test_forward_differences_are_caught(monkeypatch):
    monkeypatch.setattr(my_gradcheck, "numerical_gradients", _forward_differences)
    with pytest.raises(AssertionError, match="central differences"):
        checks.check_numerical_gradients()


def test_tanh_via_numpy_is_caught(monkeypatch):
    monkeypatch.setattr(theory, "tanh_from_sigmoid", lambda x: np.tanh(x))
    with pytest.raises(AssertionError, match="calls np.tanh"):
        checks.check_tanh_from_sigmoid()


def test_training_with_a_flipped_update_is_caught(monkeypatch):
    real_epoch = train.train_epoch
    monkeypatch.setattr(train, "train_epoch", lambda x, y, p, b, lr: real_epoch(x, y, p, b, -lr))
    with pytest.raises(AssertionError, match="goal <= 35"):
        checks.check_training(epochs=100)


# ---------------------------------------------------------------- Q3 and Q4 checks


def test_new_checks_pass_on_the_reference():
    checks.check_train_classifier()
    checks.check_confusion_matrix()
    checks.check_momentum()
    checks.check_psnr()
    checks.check_autoencoder_init()
    checks.check_autoencoder_forward()
    checks.check_autoencoder_training()


def test_transposed_confusion_matrix_is_caught(monkeypatch):
    from hw5lib import metrics

    real = metrics.confusion_matrix
    monkeypatch.setattr(metrics, "confusion_matrix", lambda t, p, n=36: real(t, p, n).T)
    with pytest.raises(AssertionError, match="transposed"):
        checks.check_confusion_matrix()


def test_flipped_momentum_is_caught(monkeypatch):
    def flipped(params, learning_rate, names, momentum=0.9):
        for name in names:
            for key in ("W" + name, "b" + name):
                v = momentum * params.get("M_" + key, 0) - learning_rate * params["grad_" + key]
                params["M_" + key] = v
                params[key] = params[key] - v

    monkeypatch.setattr(train, "momentum_update", flipped)
    with pytest.raises(AssertionError, match="moved the wrong way"):
        checks.check_momentum()


def test_psnr_on_the_wrong_range_is_caught(monkeypatch):
    from hw5lib import metrics

    real = metrics.psnr
    monkeypatch.setattr(metrics, "psnr", lambda x, y, data_range=1.0: real(x, y, 255.0))
    with pytest.raises(AssertionError, match="peak of 255"):
        checks.check_psnr()


def test_total_instead_of_average_valid_loss_is_caught(monkeypatch):
    real = train.train_classifier

    def totals(x, y, params, epochs, batch_size, learning_rate, valid=None, progress=True, desc=""):
        history = real(x, y, params, epochs, batch_size, learning_rate, valid, progress)
        history["valid_loss"] = [v * len(valid[0]) for v in history["valid_loss"]]
        return history

    monkeypatch.setattr(train, "train_classifier", totals)
    with pytest.raises(AssertionError, match="valid_loss is the total loss"):
        checks.check_train_classifier()


def test_wrong_autoencoder_output_activation_is_caught(monkeypatch):
    from hw5lib import autoencoder

    def all_relu(x, params):
        h = x
        for name in autoencoder.AUTOENCODER_LAYERS:
            h = nn.forward(h, params, name, nn.relu)
        return h

    monkeypatch.setattr(autoencoder, "reconstruct", all_relu)
    with pytest.raises(AssertionError, match="a sigmoid after the output layer"):
        checks.check_autoencoder_forward()


def test_autoencoder_backward_without_the_factor_two_is_caught(monkeypatch):
    from hw5lib import autoencoder

    def half_gradient(x, x_hat, params):
        delta = nn.backwards(x_hat - x, params, "output", nn.sigmoid_deriv)
        for name in ("layer3", "layer2", "layer1"):
            delta = nn.backwards(delta, params, name, nn.relu_deriv)
        return float(np.sum((x_hat - x) ** 2))

    monkeypatch.setattr(autoencoder, "backward_squared_error", half_gradient)
    with pytest.raises(AssertionError, match="autoencoder's backward pass"):
        checks.check_autoencoder_backward()


# ---------------------------------------------------------------- Q5 checks


def test_q5_checks_pass_on_the_reference():
    checks.check_find_letters()
    checks.check_find_letters_inputs()
    checks.check_group_lines()
    checks.check_crop_to_input()


def test_boxes_as_x_then_y_are_named(monkeypatch):
    from hw5lib import ocr

    real = ocr.findLetters
    monkeypatch.setattr(ocr, "findLetters", lambda image: ([(b[1], b[0], b[3], b[2]) for b in real(image)[0]],
                                                           real(image)[1]))
    with pytest.raises(AssertionError, match=r"boxes are \(x1, y1, x2, y2\)"):
        checks.check_find_letters()


def test_crop_without_the_transpose_is_caught(monkeypatch):
    from hw5lib import ocr

    real = ocr.crop_to_input
    monkeypatch.setattr(ocr, "crop_to_input", lambda binary, box: real(binary, box).reshape(32, 32).T.reshape(-1))
    with pytest.raises(AssertionError, match="transpose the 32x32 image"):
        checks.check_crop_to_input()


def test_lines_by_fixed_pixel_bands_are_caught(monkeypatch):
    from hw5lib import ocr

    def bands(boxes):
        rows = {}
        for b in boxes:
            rows.setdefault(b[0] // 100, []).append(b)
        return [sorted(r, key=lambda b: b[1]) for _, r in sorted(rows.items())]

    monkeypatch.setattr(ocr, "group_lines", bands)
    with pytest.raises(AssertionError, match="lines of"):
        checks.check_group_lines()
