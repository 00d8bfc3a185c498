"""Training loops: SGD for the one-hidden-layer classifier (Q2.4, Q3).

Student-fillable file: ``train_epoch`` is yours; the rest is given. The classifier has a sigmoid
hidden layer named 'layer1' and a softmax output layer named 'output'.
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


def init_classifier(in_size: int, hidden_size: int, out_size: int) -> dict:
    """Given: a fresh params dict for an in-hidden-out classifier (uses ``np.random``)."""
    params: dict = {}
    initialize_weights(in_size, hidden_size, params, "layer1")
    initialize_weights(hidden_size, out_size, params, "output")
    return params


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
    """Given: run ``train_epoch`` for ``epochs`` epochs and record the curves.

    Returns a history with 'train_loss' (total per epoch) and 'train_acc', and 'valid_loss' /
    'valid_acc' measured after each epoch when ``valid=(x_valid, y_valid)`` is given.
    """
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": []}
    if valid is not None:
        history.update(valid_loss=[], valid_acc=[])
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for _ in bar:
        loss, acc = train_epoch(x, y, params, batch_size, learning_rate)
        history["train_loss"].append(float(loss))
        history["train_acc"].append(float(acc))
        shown = {"loss": f"{loss:.2f}", "acc": f"{acc:.3f}"}
        if valid is not None:
            v_loss, v_acc = evaluate(valid[0], valid[1], params)
            history["valid_loss"].append(float(v_loss))
            history["valid_acc"].append(float(v_acc))
            shown["valid_acc"] = f"{v_acc:.3f}"
        bar.set_postfix(shown, refresh=False)
    return history
