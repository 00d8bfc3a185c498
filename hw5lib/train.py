"""Training loops: SGD for the one-hidden-layer classifier (Q2.4, Q3) and momentum for the autoencoder (Q4).

Student-fillable file: ``train_epoch`` (Q2.4), ``train_classifier`` (Q3.1), ``momentum_update``
(Q4.2.1) and ``train_autoencoder`` (Q4.2.2) are yours; the rest is given. The classifier has a
sigmoid hidden layer named 'layer1' and a softmax output layer named 'output'.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from hw5lib.nn import (
    backwards,
    compute_loss_and_acc,
    forward,
    get_random_batches,
    initialize_weights,
    linear_deriv,
    sigmoid,
    sigmoid_deriv,
    softmax,
)

CLASSIFIER_LAYERS = ("layer1", "output")


def init_classifier(in_size: int, hidden_size: int, out_size: int, dtype=np.float64) -> dict:
    """Given: a fresh params dict for an in-hidden-out classifier (uses ``np.random``).

    ``dtype=np.float32`` gives float32 weights: fed float32 data, the whole network then runs in float32,
    about twice as fast as float64 (see benchmarks/bench_training.py).
    """
    params: dict = {}
    initialize_weights(in_size, hidden_size, params, "layer1")
    initialize_weights(hidden_size, out_size, params, "output")
    return {key: value.astype(dtype, copy=False) for key, value in params.items()}


def classify(x: np.ndarray, params: dict) -> np.ndarray:
    """Given: class probabilities [examples, classes] of the classifier for inputs x."""
    hidden = forward(x, params, "layer1", sigmoid)
    return forward(hidden, params, "output", softmax)


def evaluate(x: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, float]:
    """Given: (total cross-entropy, accuracy) of the classifier on (x, y), no training."""
    return compute_loss_and_acc(y, classify(x, params))


def train_epoch(x: np.ndarray, y: np.ndarray, params: dict, batch_size: int, learning_rate: float) -> tuple[float, float]:
    """One pass of mini-batch SGD over (x, y) in the random batches of ``get_random_batches``.

    For each batch: forward through 'layer1' (sigmoid) and 'output' (softmax), add the batch's
    loss, back-propagate (the output delta of softmax + cross-entropy is probs - y), then update
    every W and b by ``-learning_rate * gradient``. Returns (total loss summed over the batches,
    accuracy over the epoch), both measured on each batch before its update.
    """
    ### BEGIN SOLUTION
    total_loss = 0.0
    correct = 0.0
    for xb, yb in get_random_batches(x, y, batch_size):
        probs = classify(xb, params)
        loss, acc = compute_loss_and_acc(yb, probs)
        total_loss += loss
        correct += acc * len(xb)
        delta = backwards(probs - yb, params, "output", linear_deriv)
        backwards(delta, params, "layer1", sigmoid_deriv)
        for name in CLASSIFIER_LAYERS:
            params["W" + name] -= learning_rate * params["grad_W" + name]
            params["b" + name] -= learning_rate * params["grad_b" + name]
    return total_loss, correct / len(x)
    ### END SOLUTION


def run_epochs(x: np.ndarray, y: np.ndarray, params: dict, epochs: int, batch_size: int, learning_rate: float,
               progress: bool = True) -> dict[str, list[float]]:
    """Given (Q2.4): call ``train_epoch`` ``epochs`` times; history of each epoch's total loss and accuracy."""
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": []}
    for _ in tqdm(range(epochs), desc="training", disable=not progress, leave=False):
        loss, acc = train_epoch(x, y, params, batch_size, learning_rate)
        history["train_loss"].append(float(loss))
        history["train_acc"].append(float(acc))
    return history


def train_classifier(
    x: np.ndarray,
    y: np.ndarray,
    params: dict,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = True,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Q3.1: run ``train_epoch`` ``epochs`` times and record the curves.

    Returns a history with 'train_loss' (the epoch's total loss divided by the number of training
    examples: the average loss per example) and 'train_acc' for every epoch, and, when
    ``valid=(x_valid, y_valid)`` is given, 'valid_loss' (average per example) and 'valid_acc' measured
    with ``evaluate`` after each epoch. Show a tqdm progress bar over the epochs unless ``progress`` is False.
    """
    ### BEGIN SOLUTION
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": []}
    if valid is not None:
        history.update(valid_loss=[], valid_acc=[])
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for _ in bar:
        loss, acc = train_epoch(x, y, params, batch_size, learning_rate)
        history["train_loss"].append(loss / len(x))
        history["train_acc"].append(acc)
        shown = {"loss": f"{loss / len(x):.3f}", "acc": f"{acc:.3f}"}
        if valid is not None:
            v_loss, v_acc = evaluate(valid[0], valid[1], params)
            history["valid_loss"].append(v_loss / len(valid[0]))
            history["valid_acc"].append(v_acc)
            shown["valid_acc"] = f"{v_acc:.3f}"
        bar.set_postfix(shown, refresh=False)
    return history
    ### END SOLUTION


# ---------------------------------------------------------------- Q4: the autoencoder


def momentum_update(params: dict, learning_rate: float, names, momentum: float = 0.9) -> None:
    """Q4.2.1: one momentum step for every W and b of the layers ``names``.

    For each parameter P with gradient params['grad_' + P]: M_P = momentum * M_P - learning_rate * grad,
    then P = P + M_P. The accumulators live in params['M_' + P] (e.g. 'M_Wlayer1'), start at zero,
    and there is one per parameter.
    """
    ### BEGIN SOLUTION
    for name in names:
        for key in ("W" + name, "b" + name):
            velocity = params.get("M_" + key)
            if velocity is None:
                velocity = np.zeros_like(params[key])
            velocity = momentum * velocity - learning_rate * params["grad_" + key]
            params["M_" + key] = velocity
            params[key] = params[key] + velocity
    ### END SOLUTION


def train_autoencoder(
    x: np.ndarray,
    params: dict,
    epochs: int = 100,
    batch_size: int = 36,
    learning_rate: float = 3e-5,
    decay: float = 0.9,
    decay_every: int = 20,
    momentum: float = 0.9,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Q4.2.2: train the autoencoder of ``hw5lib.autoencoder`` with momentum on mini-batches of x.

    Each epoch goes over ``get_random_batches(x, x, batch_size)``: reconstruct, back-propagate the
    total squared error, and take a ``momentum_update`` step. The learning rate is multiplied by
    ``decay`` after every ``decay_every`` epochs. Returns {'train_loss': [total squared error of each
    epoch, summed over its batches], 'learning_rate': [the rate used in each epoch]}.
    """
    from hw5lib.autoencoder import AUTOENCODER_LAYERS, backward_squared_error, reconstruct

    ### BEGIN SOLUTION
    history: dict[str, list[float]] = {"train_loss": [], "learning_rate": []}
    rate = learning_rate
    for epoch in tqdm(range(epochs), desc="autoencoder", disable=not progress, leave=False):
        if epoch > 0 and epoch % decay_every == 0:
            rate *= decay
        total = 0.0
        for xb, _ in get_random_batches(x, x, batch_size):
            total += backward_squared_error(xb, reconstruct(xb, params), params)
            momentum_update(params, rate, AUTOENCODER_LAYERS, momentum)
        history["train_loss"].append(total)
        history["learning_rate"].append(rate)
    return history
    ### END SOLUTION
