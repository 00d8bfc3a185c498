"""Public checks of notebook 04 (Q4): the autoencoder's layers, its backward pass, momentum, its training, PSNR."""

from __future__ import annotations

import numpy as np

from hw5lib.checks._common import close, expect_shape, expected, grades, same, sample_of
from hw5lib.checks.fully_connected import GradientComparison


def random_autoencoder(rng: np.random.Generator, weight_scale: float, bias_scale: float) -> dict:
    """Random weights for the autoencoder's layers (non-zero biases where ``bias_scale`` > 0)."""
    from hw5lib.autoencoder import AUTOENCODER_LAYERS, AUTOENCODER_SIZES

    params = {}
    for name, n_in, n_out in zip(AUTOENCODER_LAYERS, AUTOENCODER_SIZES[:-1], AUTOENCODER_SIZES[1:]):
        params["W" + name] = rng.normal(0, weight_scale / np.sqrt(n_in), (n_in, n_out))
        params["b" + name] = rng.normal(0, bias_scale, n_out)
    return params


def autoencoder_input(seed: int, batch: int, weight_scale: float, bias_scale: float) -> tuple[dict, np.ndarray]:
    """Random weights and a batch of inputs in [0, 1]."""
    from hw5lib.autoencoder import AUTOENCODER_SIZES

    rng = np.random.default_rng(seed)
    params = random_autoencoder(rng, weight_scale, bias_scale)
    return params, rng.uniform(0, 1, (batch, AUTOENCODER_SIZES[0]))


def parameter_keys() -> list[str]:
    from hw5lib.autoencoder import AUTOENCODER_LAYERS

    return [p + n for n in AUTOENCODER_LAYERS for p in ("W", "b")]


@grades("autoencoder.init_autoencoder")
def check_autoencoder_init(seed: int = 0) -> None:
    """Four layers 1024-32-32-32-1024 from ``initialize_weights``: shapes, zero biases, Xavier bounds and spread."""
    from hw5lib import autoencoder

    np.random.seed(seed)
    params = autoencoder.init_autoencoder()
    sizes = autoencoder.AUTOENCODER_SIZES
    for name, n_in, n_out in zip(autoencoder.AUTOENCODER_LAYERS, sizes[:-1], sizes[1:]):
        assert "W" + name in params and "b" + name in params, f"init_autoencoder must create W{name} and b{name}"
        expect_shape(f"W{name}", params["W" + name], (n_in, n_out), "layer sizes are 1024-32-32-32-1024")
        expect_shape(f"b{name}", params["b" + name], (n_out,), "one bias per output")
        bound = np.sqrt(6.0 / (n_in + n_out))
        assert np.abs(params["W" + name]).max() <= bound + 1e-12 and np.all(params["b" + name] == 0), (
            f"layer {name} is not initialised with initialize_weights (Xavier bound {bound:.3f}, zero biases)")
        W, spread = np.asarray(params["W" + name]), np.sqrt(2.0 / (n_in + n_out))  # every layer has >= 1024 entries
        assert W.min() < -0.8 * bound and W.max() > 0.8 * bound and abs(W.std() - spread) < 0.1 * spread, (
            f"W{name} spans [{W.min():.3f}, {W.max():.3f}] with std {W.std():.4f}; Xavier uniform spans "
            f"+-{bound:.3f} with std {spread:.4f}: create each layer with "
            "initialize_weights(n_in, n_out, params, name)")
        assert len(np.unique(W)) > 0.9 * W.size, f"W{name} repeats values: draw every entry independently"
    layers = autoencoder.AUTOENCODER_LAYERS
    for i, first in enumerate(layers):
        for second in layers[i + 1:]:
            a, b = np.asarray(params["W" + first]), np.asarray(params["W" + second])
            assert a.shape != b.shape or not np.array_equal(a, b), (
                f"W{first} and W{second} hold the same values: draw each layer's weights afresh "
                "(do not copy a layer or reseed np.random between layers)")


@grades("autoencoder.reconstruct")
def check_autoencoder_forward(batch: int = 5, seed: int = 0) -> None:
    """``reconstruct`` computes ReLU, ReLU, ReLU, sigmoid through the four layers (against stored values)."""
    from hw5lib import autoencoder

    want = expected(check_autoencoder_forward, batch=batch, seed=seed)["x_hat"]
    params, x = autoencoder_input(seed, batch, weight_scale=1.0, bias_scale=0.1)
    got = autoencoder.reconstruct(x, params)
    expect_shape("reconstruct(x)", got, x.shape, "the output layer gives back 1024 values per image")
    got = np.asarray(got, dtype=float)
    assert np.all((got >= 0) & (got <= 1)), "the output layer's sigmoid keeps every value between 0 and 1"
    close("reconstruct(x)", got, want, "ReLU after layer1, layer2 and layer3, a sigmoid after the output layer",
          rtol=1e-6, atol=1e-9)


@grades("autoencoder.backward_squared_error")
def check_autoencoder_backward(batch: int = 3, seed: int = 0) -> GradientComparison:
    """``backward_squared_error``: the returned loss and every gradient against stored values."""
    from hw5lib import autoencoder

    want = expected(check_autoencoder_backward, batch=batch, seed=seed)
    params, x = autoencoder_input(seed, batch, weight_scale=1.5, bias_scale=0.2)
    x_hat = autoencoder.reconstruct(x, params)
    loss = autoencoder.backward_squared_error(x, x_hat, params)
    close("the returned loss", loss, want["loss"], "return the total squared error sum((x_hat - x)^2)", rtol=1e-6)
    comparison = GradientComparison()
    for key in parameter_keys():
        assert "grad_" + key in params, f"backward_squared_error must store params['grad_{key}']"
        expect_shape(f"grad_{key}", params["grad_" + key], np.shape(params[key]), "the shape of the parameter")
        got = sample_of(params["grad_" + key])
        if comparison.add("grad_" + key, got, want["grad_" + key], np.shape(params["grad_" + key])) >= 1e-6:
            close(f"grad_{key} (entries checked: {got.size})", got, want["grad_" + key],
                  "delta at the output is 2 (x_hat - x) * sigmoid'(x_hat); then back through each layer with "
                  "backwards and the ReLU's derivative", rtol=1e-6, atol=1e-9)
    return comparison


def momentum_input(seed: int) -> tuple[dict, list[dict], dict]:
    """(params of layers 'a' and 'b2', the gradients of two steps, the gradients of a third step)."""
    rng = np.random.default_rng(seed)
    params = {}
    for name in ("a", "b2"):
        params["W" + name], params["b" + name] = rng.normal(size=(3, 2)), rng.normal(size=2)
    grads = [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(2)]
    return params, grads, {k: rng.normal(size=v.shape) for k, v in params.items()}


@grades("train.momentum_update")
def check_momentum(seed: int = 0) -> None:
    """Two steps of ``momentum_update`` against stored values, parameters and accumulators M_; then a step with
    another momentum for one layer only, which must leave the other layer alone."""
    from hw5lib import train

    want = expected(check_momentum, seed=seed)
    params, grads, third = momentum_input(seed)
    start = {k: v.copy() for k, v in params.items()}
    for step in grads:
        for key, g in step.items():
            params["grad_" + key] = g
        train.momentum_update(params, 0.1, ("a", "b2"), 0.9)
    for key in start:
        assert "M_" + key in params, f"keep the accumulator of {key} in params['M_{key}']"
        if np.allclose(params[key], start[key] - (want["two steps " + key] - start[key])):
            raise AssertionError(f"{key} moved the wrong way: the step is P = P + M with M = 0.9 M - lr * grad")
        close(key + " after two steps", params[key], want["two steps " + key],
              "M = 0.9 M - learning_rate * grad, then P = P + M, with M starting at zero")
    for key in start:
        if same(params["M_" + key], -want["two steps M_" + key]):
            raise AssertionError(f"params['M_{key}'] has the opposite sign: the handout's accumulator is "
                                 "M = 0.9 M - learning_rate * grad, added to the parameter (P = P + M)")
        close(f"params['M_{key}'] after two steps", params["M_" + key], want["two steps M_" + key],
              "keep M = 0.9 M - learning_rate * grad itself (the step added to the parameter) in params['M_' + key]")
    # a third step with another momentum and rate, for layer 'a' only: 'b2' and its accumulators stay
    for key, g in third.items():
        params["grad_" + key] = g
    kept = {k: np.array(params[k], dtype=float) for k in ("Wb2", "bb2", "M_Wb2", "M_bb2")}
    train.momentum_update(params, 0.05, ("a",), 0.5)
    for key in ("Wa", "ba"):
        if not same(params["M_" + key], want["third step M_" + key]) and same(params["M_" + key],
                                                                                want["third step with 0.9 M_" + key]):
            raise AssertionError("momentum_update uses 0.9 whatever momentum it is given: M = momentum * M - "
                                 "learning_rate * grad")
        close(f"{key} after a step with momentum=0.5, learning_rate=0.05", params[key], want["third step " + key],
              "M = momentum * M - learning_rate * grad, then P = P + M", rtol=1e-6)
    for key, value in kept.items():
        assert np.array_equal(np.asarray(params[key], dtype=float), value), (
            f"momentum_update(params, lr, ('a',)) changed {key}: update only the W and b of the layers in names")


def psnr_input(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (4, 64))
    return x, np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)


@grades("metrics.psnr")
def check_psnr(seed: int = 0) -> None:
    """Per-image PSNR in dB for images in [0, 1], and for 8-bit images with data_range=255."""
    from hw5lib import metrics

    want = expected(check_psnr, seed=seed)
    x, x_hat = psnr_input(seed)
    got = np.asarray(metrics.psnr(x, x_hat))
    expect_shape("psnr(x, x_hat)", got, (4,), "one value per image (row)")
    if np.allclose(got, want["peak 255"]):
        raise AssertionError("PSNR uses a peak of 255; these images are in [0, 1], so the peak is 1")
    close("psnr(x, x_hat)", got, want["psnr"], "10 log10(1 / mean squared error of the row)", rtol=1e-6)
    close("psnr(255 x, 255 x_hat, data_range=255)", np.asarray(metrics.psnr(255 * x, 255 * x_hat, data_range=255.0)),
          want["psnr"], "use the data_range given: 10 log10(data_range^2 / MSE)", rtol=1e-6)


def training_images(seed: int) -> np.ndarray:
    """72 binary images whose pixels are ink more often towards the end."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(size=(72, 1024)) < np.linspace(0.2, 0.8, 1024)).astype(float)


def judge_short_run(x: np.ndarray, epochs: int, seed: int, rates: list) -> None:
    """A few epochs of ``train_autoencoder`` (batch 36, rate 3e-4 halved every 2 epochs): one total per epoch,
    a falling loss, totals not means, and the learning rates ``rates`` recorded."""
    from hw5lib import autoencoder, train

    np.random.seed(seed)
    params = autoencoder.init_autoencoder()
    history = train.train_autoencoder(x, params, epochs=epochs, batch_size=36, learning_rate=3e-4, decay=0.5,
                                      decay_every=2, progress=False)
    assert len(history.get("train_loss", [])) == epochs, "history['train_loss'] needs one total per epoch"
    losses = history["train_loss"]
    assert losses[-1] < losses[0], f"the loss did not fall over {epochs} epochs: {np.round(losses, 1)}"
    assert losses[0] > 72 * 1024 * 0.05, "train_loss must be the total squared error over the epoch, not a mean"
    recorded = history.get("learning_rate", [])
    assert np.allclose(recorded, rates), f"learning rates {recorded}: multiply by decay after every decay_every epochs"


ONE_BATCH_SETTINGS = dict(epochs=3, learning_rate=2e-4, decay=0.5, decay_every=1, momentum=0.5)


@grades("train.train_autoencoder")
def check_autoencoder_training(epochs: int = 3, seed: int = 0) -> None:
    """A few epochs of ``train_autoencoder`` on random images: history right, loss falling, rate decaying; then
    the totals with learning rate 0, and one-batch epochs step by step, against stored values."""
    from hw5lib import train

    want = expected(check_autoencoder_training, epochs=epochs, seed=seed)
    x = training_images(seed)
    judge_short_run(x, epochs, seed, want["rates"])
    # learning rate 0: the weights stay, so each epoch's total is the squared error of the whole set
    start = random_autoencoder(np.random.default_rng(seed + 1), weight_scale=1.0, bias_scale=0.0)
    params = {k: v.copy() for k, v in start.items()}
    got = train.train_autoencoder(x, params, epochs=2, batch_size=36, learning_rate=0.0, progress=False).get(
        "train_loss", [])
    assert len(got) == 2, "history['train_loss'] needs one total per epoch"
    if same(got, [want["total"] / 2] * 2):
        raise AssertionError("train_loss is the mean of the batches' losses; record their total over the epoch")
    close("history['train_loss'] with learning rate 0", got, [want["total"]] * 2,
          "add up the squared error of every batch of the epoch (not the last batch's alone)", rtol=1e-6)
    # one batch of every image: one momentum step per epoch, which must follow the schedule and the momentum given
    params = {k: v.copy() for k, v in start.items()}
    history = train.train_autoencoder(x, params, batch_size=len(x), progress=False, **ONE_BATCH_SETTINGS)
    change = {k: sample_of(np.asarray(params[k]) - start[k]) for k in start}

    def matches(variant: str) -> bool:
        return all(same(change[k], want[f"{variant} {k}"], rtol=1e-5) for k in start)

    if not matches("change"):
        if matches("without decay"):
            raise AssertionError("the learning rate decays in the history but not in the updates: pass the decayed "
                                 "rate to momentum_update")
        if matches("with momentum 0.9"):
            raise AssertionError("train_autoencoder ignores its momentum argument: pass momentum to momentum_update")
        for key in start:
            close(f"the change of {key} after {ONE_BATCH_SETTINGS['epochs']} one-batch epochs", change[key],
                  want["change " + key], "each batch: reconstruct, backward_squared_error, then momentum_update with "
                  "the epoch's rate learning_rate * decay^(epoch // decay_every) and the momentum given; keep the "
                  "accumulators from one epoch to the next", rtol=1e-5, atol=1e-12)
    close("history['train_loss'] with one batch per epoch", history.get("train_loss", []), want["losses"],
          "each epoch's total squared error, measured on the forward pass of each batch (before its update)",
          rtol=1e-6)


def check_autoencoder_history(history: dict, settings: dict) -> None:
    """The notebook's autoencoder run: one total per epoch, and the loss well below its first value."""
    assert history is not None, "no history yet: run the Q4.2.2 training cell first"
    losses = history.get("train_loss", [])
    assert len(losses) == settings["epochs"], f"{len(losses)} totals for {settings['epochs']} epochs: record one per epoch"
    assert losses[-1] < 0.6 * losses[0], (
        f"the loss went from {losses[0]:,.0f} to {losses[-1]:,.0f}; it should fall well below its first value")


@grades("metrics.psnr")
def check_psnr_value(validation_psnr: float, settings: dict) -> None:
    """The mean validation PSNR reaches settings['target_psnr']."""
    assert validation_psnr is not None, "no validation PSNR yet: run the Q4.3.2 measurement cell first"
    assert np.isfinite(validation_psnr) and validation_psnr >= settings["target_psnr"], (
        f"mean validation PSNR {validation_psnr:.2f} dB is below {settings['target_psnr']} dB: check the training loop")


__all__ = ["check_autoencoder_init", "check_autoencoder_forward", "check_autoencoder_backward", "check_momentum",
           "check_psnr", "check_autoencoder_training", "check_autoencoder_history", "check_psnr_value"]
