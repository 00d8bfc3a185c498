"""Q2: the pieces of a fully connected network, written with NumPy only.

Student-fillable file. Fill in the functions whose bodies read ``raise NotImplementedError`` in
your copy. Function names, signatures and the keys of
the ``params`` dict are fixed by the handout: the notebooks and the autograder call them.

The params dict holds, for a layer called ``name``:
    ``'W'+name`` [in, out], ``'b'+name`` [out], ``'cache_'+name`` = (X, pre_act, post_act),
    ``'grad_W'+name``, ``'grad_b'+name``.
The small ``_check_*`` helpers are given: they turn shape mistakes into messages you can act on.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "initialize_weights",
    "sigmoid",
    "sigmoid_deriv",
    "forward",
    "softmax",
    "compute_loss_and_acc",
    "backwards",
    "get_random_batches",
    "linear",
    "linear_deriv",
    "relu",
    "relu_deriv",
]


# ---------------------------------------------------------------- given helpers (not graded)


def _layer_weights(params: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (W, b) of layer ``name``, or say which key is missing and how to create it."""
    for key in ("W" + name, "b" + name):
        if key not in params:
            raise KeyError(
                f"params has no {key!r}: create the layer first with "
                f"initialize_weights(in_size, out_size, params, name={name!r})"
            )
    return params["W" + name], params["b" + name]


def _check_layer_input(X: np.ndarray, W: np.ndarray, name: str) -> None:
    """Raise a readable error when X cannot be fed to a layer with weights W."""
    if X.ndim != 2:
        raise ValueError(
            f"layer {name!r}: X must be 2-D [examples, features], got shape {X.shape}; "
            "reshape a single example with x.reshape(1, -1)"
        )
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"layer {name!r}: X has {X.shape[1]} columns but W{name} expects {W.shape[0]} "
            f"(W{name} has shape {W.shape}); check the layer sizes given to initialize_weights"
        )


def _check_delta(delta: np.ndarray, post_act: np.ndarray, name: str) -> None:
    """Raise a readable error when delta does not match the layer's output."""
    if delta.shape != post_act.shape:
        raise ValueError(
            f"layer {name!r}: delta has shape {delta.shape} but the layer's output in "
            f"cache_{name} has shape {post_act.shape}; delta must be dJ/d(output) of this layer"
        )


def _check_labels(y: np.ndarray, probs: np.ndarray) -> None:
    """Raise a readable error when labels and predictions cannot be compared."""
    if y.shape != probs.shape or y.ndim != 2:
        raise ValueError(
            f"y has shape {y.shape} and probs has shape {probs.shape}; both must be "
            "[examples, classes] with y one-hot"
        )


def sigmoid_deriv(post_act: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid written with its output: s * (1 - s)."""
    return post_act * (1.0 - post_act)


def linear(x: np.ndarray) -> np.ndarray:
    """The identity activation."""
    return x


def linear_deriv(post_act: np.ndarray) -> np.ndarray:
    """Derivative of the identity: ones of the same shape."""
    return np.ones_like(post_act)


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit, max(x, 0)."""
    return np.maximum(x, 0.0)


def relu_deriv(post_act: np.ndarray) -> np.ndarray:
    """Derivative of ReLU written with its output: 1 where the unit is active, else 0."""
    return (post_act > 0).astype(post_act.dtype)


# ---------------------------------------------------------------- Q2.1.2


def initialize_weights(in_size: int, out_size: int, params: dict, name: str = "") -> None:
    """Xavier/Glorot uniform initialisation of one layer.

    Stores ``params['W'+name]`` of shape [in_size, out_size], drawn from
    U(-sqrt(6 / (in_size + out_size)), +sqrt(6 / (in_size + out_size))) with ``np.random``,
    and ``params['b'+name]``, zeros of shape [out_size].
    """
    if int(in_size) < 1 or int(out_size) < 1:
        raise ValueError(f"layer {name!r}: sizes must be positive, got in={in_size}, out={out_size}")
    ### BEGIN SOLUTION
    bound = np.sqrt(6.0 / (in_size + out_size))
    params["W" + name] = np.random.uniform(-bound, bound, size=(in_size, out_size))
    params["b" + name] = np.zeros(out_size)
    ### END SOLUTION


# ---------------------------------------------------------------- Q2.2.1


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise logistic function 1 / (1 + exp(-x)), with no overflow warning for large |x|.

    Keeps the input's float type (float32 in, float32 out), so a float32 network stays float32.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(float)
    z = np.exp(-np.abs(x))  # exponent <= 0: never overflows
    s = 1.0 / (1.0 + z)  # sigma(|x|)
    return np.where(x >= 0, s, z * s)  # sigma(-|x|) = z / (1 + z)
    ### END SOLUTION


def forward(X: np.ndarray, params: dict, name: str = "", activation=sigmoid) -> np.ndarray:
    """One layer: ``post_act = activation(X @ W + b)``.

    Caches ``params['cache_'+name] = (X, pre_act, post_act)`` for the backward pass and
    returns post_act, of shape [examples, out].
    """
    W, b = _layer_weights(params, name)
    _check_layer_input(X, W, name)
    ### BEGIN SOLUTION
    pre_act = X @ W + b
    post_act = activation(pre_act)
    params["cache_" + name] = (X, pre_act, post_act)
    return post_act
    ### END SOLUTION


# ---------------------------------------------------------------- Q2.2.2


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracts each row's maximum first so exp never overflows."""
    ### BEGIN SOLUTION
    shifted = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
    ### END SOLUTION


# ---------------------------------------------------------------- Q2.2.3


def compute_loss_and_acc(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """Total (summed over examples) cross-entropy ``-sum(y * log(probs))`` and accuracy.

    ``y`` is one-hot [examples, classes]; ``probs`` rows are probability distributions.
    """
    _check_labels(y, probs)
    ### BEGIN SOLUTION
    p_true = np.sum(y * probs, axis=1)
    # Guard against log(0) when a prediction underflows to exactly zero.
    loss = -np.sum(np.log(np.maximum(p_true, np.finfo(float).tiny)))
    acc = np.mean(np.argmax(probs, axis=1) == np.argmax(y, axis=1))
    return float(loss), float(acc)
    ### END SOLUTION


# ---------------------------------------------------------------- Q2.3


def backwards(delta: np.ndarray, params: dict, name: str = "", activation_deriv=sigmoid_deriv) -> np.ndarray:
    """Backward pass through one layer.

    ``delta`` is dJ/d(post_act) of this layer. Uses the cache written by ``forward``, stores
    ``params['grad_W'+name]`` [in, out] and ``params['grad_b'+name]`` [out] (summed over the batch)
    and returns dJ/dX [examples, in] for the layer below.
    """
    W, _ = _layer_weights(params, name)
    if "cache_" + name not in params:
        raise KeyError(f"params has no 'cache_{name}': call forward(X, params, {name!r}, ...) first")
    X, pre_act, post_act = params["cache_" + name]
    _check_delta(delta, post_act, name)
    ### BEGIN SOLUTION
    delta_pre = delta * activation_deriv(post_act)
    params["grad_W" + name] = X.T @ delta_pre
    params["grad_b" + name] = np.sum(delta_pre, axis=0)
    grad_X = delta_pre @ W.T
    return grad_X
    ### END SOLUTION


# ---------------------------------------------------------------- Q2.4


def get_random_batches(x: np.ndarray, y: np.ndarray, batch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle with ``np.random`` and split into batches of ``batch_size`` (the last may be smaller).

    Returns a list of (batch_x, batch_y); every example appears in exactly one batch.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}; they must pair up row by row")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    ### BEGIN SOLUTION
    order = np.random.permutation(len(x))
    x_shuffled, y_shuffled = x[order], y[order]  # one copy; the batches are slices of it
    return [(x_shuffled[i:i + batch_size], y_shuffled[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    ### END SOLUTION
