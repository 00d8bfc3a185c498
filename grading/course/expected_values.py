"""The stored expected values of the public checks: the reference solution's outputs on the notebooks' own inputs.

The public checks (``hw5lib.checks``) compute no answer; they compare with these values, which travel in the
release as data (``hw5lib/checks/expected_values.npz``). They are computed here, with the reference copy of
``hw5lib`` (the instructor's project), for the calls the notebooks make (``PUBLIC_CASES``) and for no other: the
hidden tests' seeds and shapes never reach the file. ``python -m grading.course.expected_values`` writes the file again
(after a change to the reference or to a public check's inputs); the course build and a test refuse a stale one.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hw5lib.checks import _common

# (check, arguments) of every call of a public check in the notebooks (check cells and the public part of grade
# cells); the public checks' own calls of each other (check_training's step check) use the same names
PUBLIC_CASES: list[tuple[str, dict]] = [
    ("check_sigmoid_derivative", {"seed": 0}),
    ("check_tanh_from_sigmoid", {"seed": 0}),
    ("check_tanh_derivative", {"seed": 0}),
    ("check_sigmoid", {"seed": 0}),
    ("check_forward", {"in_size": 3, "out_size": 4, "batch": 5, "activation": "sigmoid", "seed": 0}),
    ("check_softmax", {"rows": 4, "cols": 6, "seed": 0}),
    ("check_loss_and_acc", {"rows": 8, "classes": 5, "seed": 0}),
    ("check_backwards", {"in_size": 4, "out_size": 3, "batch": 6, "activation": "sigmoid", "seed": 0}),
    ("check_backwards", {"in_size": 4, "out_size": 3, "batch": 6, "activation": "linear", "seed": 0}),
    ("check_training", {"seed": 0}),
    ("check_numerical_gradients", {"seed": 0}),
    ("check_train_classifier", {"epochs": 3, "seed": 0}),
    ("check_confusion_matrix", {"n": 200, "classes": 36, "seed": 0}),
    ("check_autoencoder_forward", {"batch": 5, "seed": 0}),
    ("check_autoencoder_backward", {"batch": 3, "seed": 0}),
    ("check_momentum", {"seed": 0}),
    ("check_psnr", {"seed": 0}),
    ("check_autoencoder_training", {"epochs": 3, "seed": 0}),
]


def _sigmoid_derivative(seed: int) -> dict:
    from hw5lib import theory
    from hw5lib.checks.theory import theory_input

    return {"derivative": theory.sigmoid_derivative(theory_input((4, 6), 4.0, seed))}


def _tanh_from_sigmoid(seed: int) -> dict:
    from hw5lib import theory
    from hw5lib.checks.theory import theory_input

    return {"tanh": theory.tanh_from_sigmoid(theory_input((3, 7), 3.0, seed))}


def _tanh_derivative(seed: int) -> dict:
    from hw5lib import theory
    from hw5lib.checks.theory import theory_input

    return {"derivative": theory.tanh_derivative(theory_input((5, 3), 3.0, seed))}


def _sigmoid(seed: int) -> dict:
    from hw5lib import nn
    from hw5lib.checks.fully_connected import sigmoid_input

    return {"sigmoid": nn.sigmoid(sigmoid_input(seed))}


def _forward(in_size: int, out_size: int, batch: int, activation: str, seed: int) -> dict:
    from hw5lib import nn
    from hw5lib.checks.fully_connected import layer_input

    W, b, X = layer_input(in_size, out_size, batch, seed)
    params = {"Wlayer": W, "blayer": b}
    nn.forward(X, params, "layer", getattr(nn, activation))
    _, pre_act, post_act = params["cache_layer"]
    return {"pre_act": pre_act, "post_act": post_act}


def _softmax(rows: int, cols: int, seed: int, scale: float = 3.0) -> dict:
    from hw5lib import nn
    from hw5lib.checks.fully_connected import softmax_input

    return {"softmax": nn.softmax(softmax_input(rows, cols, seed, scale))}


def _loss_and_acc(rows: int, classes: int, seed: int) -> dict:
    from hw5lib import nn
    from hw5lib.checks.fully_connected import loss_input

    loss, acc = nn.compute_loss_and_acc(*loss_input(rows, classes, seed))
    return {"loss": loss, "accuracy": acc}


def _backwards(in_size: int, out_size: int, batch: int, activation: str, seed: int) -> dict:
    from hw5lib import nn
    from hw5lib.checks.fully_connected import backwards_input

    params, X, upstream = backwards_input(in_size, out_size, batch, activation, seed)
    nn.forward(X, params, "layer", getattr(nn, activation))
    _, pre_act, post_act = params["cache_layer"]
    grad_X = nn.backwards(upstream.copy(), params, "layer", getattr(nn, activation + "_deriv"))
    return {"pre_act": pre_act, "post_act": post_act, "grad_W": params["grad_Wlayer"], "grad_b": params["grad_blayer"],
            "grad_X": grad_X}


def _training(seed: int, epochs: int = 500, goal: bool = True) -> dict:
    from hw5lib import toydata, train
    from hw5lib.checks.fully_connected import CLASSIFIER_KEYS, classifier_input

    x, y = toydata.make_toy_data(seed=seed)
    start = classifier_input(seed)
    loss, acc = train.evaluate(x, y, dict(start))
    rate = 0.05
    params = {key: value.copy() for key, value in start.items()}
    train.train_epoch(x, y, params, len(x), rate)  # one batch of every example: one step
    return {"loss": loss, "accuracy": acc, "rate": rate,
            **{"step_" + key: params[key] - start[key] for key in CLASSIFIER_KEYS}}


def _numerical_gradients(seed: int) -> dict:
    from hw5lib import my_gradcheck
    from hw5lib.checks.fully_connected import cubic_input

    params, A, a, n = cubic_input(seed)
    cubic = lambda p: float(np.sum(A * p["Wa"] ** 3) + np.sum(p["ba"] ** 3))  # noqa: E731
    values = {"relative_error": my_gradcheck.relative_error(a, n)}
    for eps in (1e-3, 0.1):
        numeric = my_gradcheck.numerical_gradients(params, cubic, eps=eps)
        values.update({f"{key} eps={eps}": numeric[key] for key in ("Wa", "ba")})
    return values


def _train_classifier(epochs: int, seed: int) -> dict:
    from hw5lib import toydata, train
    from hw5lib.checks.fully_connected import classifier_input

    x, y = toydata.make_toy_data(seed=seed)
    valid = (x[1::3], y[1::3])
    params = classifier_input(seed + 1, hidden=10)
    train_total, train_acc = train.evaluate(x, y, params)
    valid_total, valid_acc = train.evaluate(valid[0], valid[1], params)
    return {"train_loss": train_total / len(x), "train_acc": train_acc, "valid_loss": valid_total / len(valid[0]),
            "valid_acc": valid_acc}


def _confusion_matrix(n: int, classes: int, seed: int) -> dict:
    from hw5lib import metrics
    from hw5lib.checks.training import confusion_input

    true, pred, _ = confusion_input(n, classes, seed)
    return {"counts": metrics.confusion_matrix(true, pred, classes)}


def _autoencoder_forward(batch: int, seed: int) -> dict:
    from hw5lib import autoencoder
    from hw5lib.checks.autoencoder import autoencoder_input

    params, x = autoencoder_input(seed, batch, weight_scale=1.0, bias_scale=0.1)
    return {"x_hat": autoencoder.reconstruct(x, params)}


def _autoencoder_backward(batch: int, seed: int) -> dict:
    from hw5lib import autoencoder
    from hw5lib.checks.autoencoder import autoencoder_input, parameter_keys

    params, x = autoencoder_input(seed, batch, weight_scale=1.5, bias_scale=0.2)
    loss = autoencoder.backward_squared_error(x, autoencoder.reconstruct(x, params), params)
    return {"loss": loss, **{"grad_" + key: _common.sample_of(params["grad_" + key]) for key in parameter_keys()}}


def _momentum(seed: int) -> dict:
    from hw5lib import train
    from hw5lib.checks.autoencoder import momentum_input

    params, grads, third = momentum_input(seed)
    keys = list(params)
    for step in grads:
        params.update({"grad_" + key: g for key, g in step.items()})
        train.momentum_update(params, 0.1, ("a", "b2"), 0.9)
    values = {f"two steps {k}": params[k].copy() for k in keys} | {f"two steps M_{k}": params["M_" + k].copy()
                                                                     for k in keys}
    params.update({"grad_" + key: g for key, g in third.items()})
    train.momentum_update(params, 0.05, ("a",), 0.5)
    for key in ("Wa", "ba"):
        values[f"third step {key}"], values[f"third step M_{key}"] = params[key], params["M_" + key]
        values[f"third step with 0.9 M_{key}"] = 0.9 * values[f"two steps M_{key}"] - 0.05 * third[key]
    return values


def _psnr(seed: int) -> dict:
    from hw5lib import metrics
    from hw5lib.checks.autoencoder import psnr_input

    x, x_hat = psnr_input(seed)
    return {"psnr": metrics.psnr(x, x_hat), "peak 255": metrics.psnr(x, x_hat, data_range=255.0)}


def _autoencoder_training(epochs: int, seed: int) -> dict:
    from hw5lib import autoencoder, train
    from hw5lib.checks.autoencoder import ONE_BATCH_SETTINGS, random_autoencoder, training_images

    x = training_images(seed)
    start = random_autoencoder(np.random.default_rng(seed + 1), weight_scale=1.0, bias_scale=0.0)
    values = {"rates": np.array([3e-4 * 0.5 ** (epoch // 2) for epoch in range(epochs)]),
              "total": float(np.sum((autoencoder.reconstruct(x, {k: v.copy() for k, v in start.items()}) - x) ** 2))}
    for variant, changes in (("change", {}), ("without decay", {"decay": 1.0}), ("with momentum 0.9", {"momentum": 0.9})):
        params = {k: v.copy() for k, v in start.items()}
        history = train.train_autoencoder(x, params, batch_size=len(x), progress=False, **{**ONE_BATCH_SETTINGS, **changes})
        values.update({f"{variant} {k}": _common.sample_of(np.asarray(params[k]) - start[k]) for k in start})
        if variant == "change":
            values["losses"] = np.asarray(history["train_loss"], dtype=float)
    return values


COMPUTE: dict[str, Callable[..., dict]] = {
    "check_sigmoid_derivative": _sigmoid_derivative, "check_tanh_from_sigmoid": _tanh_from_sigmoid,
    "check_tanh_derivative": _tanh_derivative, "check_sigmoid": _sigmoid,
    "check_forward": _forward, "check_softmax": _softmax, "check_loss_and_acc": _loss_and_acc,
    "check_backwards": _backwards, "check_training": _training, "check_numerical_gradients": _numerical_gradients,
    "check_train_classifier": _train_classifier, "check_confusion_matrix": _confusion_matrix,
    "check_autoencoder_forward": _autoencoder_forward, "check_autoencoder_backward": _autoencoder_backward,
    "check_momentum": _momentum, "check_psnr": _psnr, "check_autoencoder_training": _autoencoder_training,
}


def compute() -> dict[str, np.ndarray]:
    """Every public case's expected values, named ``<case>/<value>`` as ``hw5lib.checks`` reads them."""
    import hw5lib.checks as public

    state = np.random.get_state()
    values = {}
    try:
        for check_name, arguments in PUBLIC_CASES:
            case = _common.case_name(getattr(public, check_name), **arguments)
            np.random.seed(0)  # the reference functions that draw (shuffling) draw the same every time
            for name, value in COMPUTE[check_name](**arguments).items():
                values[f"{case}/{name}"] = np.asarray(value)
    finally:
        np.random.set_state(state)
    return values


def stale(path: Path = _common.EXPECTED_VALUES) -> list[str]:
    """What differs between the stored file and values computed now (empty: the file is current)."""
    if not path.is_file():
        return [f"{path} is missing: run python -m grading.course.expected_values"]
    with np.load(path, allow_pickle=False) as stored:
        stored = {key: stored[key] for key in stored.files}
    fresh = compute()
    problems = [f"{key}: not stored" for key in sorted(set(fresh) - set(stored))]
    problems += [f"{key}: stored but no public case has it" for key in sorted(set(stored) - set(fresh))]
    problems += [f"{key}: stored values differ from the reference's" for key in sorted(set(fresh) & set(stored))
                 if stored[key].shape != fresh[key].shape or not np.allclose(stored[key], fresh[key], rtol=1e-9,
                                                                              atol=1e-12)]
    return problems


def write(path: Path = _common.EXPECTED_VALUES) -> int:
    """Write the file (compressed); its size in bytes."""
    values = compute()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **dict(sorted(values.items())))
    path.write_bytes(buffer.getvalue())
    return path.stat().st_size


if __name__ == "__main__":
    size = write()
    print(f"wrote {_common.EXPECTED_VALUES} ({size / 1024:.1f} KiB, {len(PUBLIC_CASES)} public cases)", file=sys.stderr)
