"""Q4.1: the autoencoder 1024-32-32-32-1024 (ReLU, ReLU, ReLU, sigmoid) and its squared-error gradients.

Student-fillable file. Layers are named 'layer1', 'layer2', 'layer3' and 'output'; build them with
``initialize_weights`` and run them with ``forward`` / ``backwards`` from ``hw5lib.nn``.
"""

from __future__ import annotations

import numpy as np

from hw5lib.nn import backwards, forward, initialize_weights, relu, relu_deriv, sigmoid, sigmoid_deriv

AUTOENCODER_LAYERS = ("layer1", "layer2", "layer3", "output")
AUTOENCODER_SIZES = (1024, 32, 32, 32, 1024)


def init_autoencoder(sizes: tuple[int, ...] = AUTOENCODER_SIZES) -> dict:
    """A params dict with one Xavier-initialised layer per name of AUTOENCODER_LAYERS (uses np.random)."""
    if len(sizes) != len(AUTOENCODER_LAYERS) + 1:
        raise ValueError(f"the autoencoder has {len(AUTOENCODER_LAYERS)} layers: give {len(AUTOENCODER_LAYERS) + 1} "
                         f"sizes, got {sizes}")
    ### BEGIN SOLUTION
    params: dict = {}
    for name, n_in, n_out in zip(AUTOENCODER_LAYERS, sizes[:-1], sizes[1:]):
        initialize_weights(n_in, n_out, params, name)
    return params
    ### END SOLUTION


def reconstruct(x: np.ndarray, params: dict) -> np.ndarray:
    """Run the autoencoder: ReLU, ReLU, ReLU, then a sigmoid output; returns x_hat of x's shape."""
    ### BEGIN SOLUTION
    h = x
    for name in AUTOENCODER_LAYERS[:-1]:
        h = forward(h, params, name, relu)
    return forward(h, params, AUTOENCODER_LAYERS[-1], sigmoid)
    ### END SOLUTION


def backward_squared_error(x: np.ndarray, x_hat: np.ndarray, params: dict) -> float:
    """Back-propagate J = sum((x_hat - x)^2) through the layers cached by ``reconstruct``.

    Stores grad_W<name> and grad_b<name> for every layer and returns J (the total squared error).
    """
    ### BEGIN SOLUTION
    delta = 2.0 * (x_hat - x)
    delta = backwards(delta, params, AUTOENCODER_LAYERS[-1], sigmoid_deriv)
    for name in reversed(AUTOENCODER_LAYERS[:-1]):
        delta = backwards(delta, params, name, relu_deriv)
    return float(np.sum((x_hat - x) ** 2))
    ### END SOLUTION
