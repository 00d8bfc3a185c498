"""Q3.4 and Q4.3.2: the confusion matrix and PSNR.

Student-fillable file.
"""

from __future__ import annotations

import numpy as np


def _class_indices(y: np.ndarray) -> np.ndarray:
    """Given: class indices from one-hot rows (or probabilities: their largest entry), or from indices."""
    y = np.asarray(y)
    return np.argmax(y, axis=1) if y.ndim == 2 else y.astype(int)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 36) -> np.ndarray:
    """Counts [num_classes, num_classes]: entry [t, p] is how many examples of class t were predicted as p.

    ``y_true`` and ``y_pred`` may be one-hot / probability rows or class indices.
    """
    true, pred = _class_indices(y_true), _class_indices(y_pred)
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} true labels but {len(pred)} predictions; they must pair up")
    ### BEGIN SOLUTION
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (true, pred), 1)
    return counts
    ### END SOLUTION


def psnr(x: np.ndarray, x_hat: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio of each row (image) of ``x_hat`` against ``x``, in dB.

    PSNR = 10 log10(data_range^2 / MSE), with MSE the mean squared error over the row's pixels;
    images in [0, 1] have data_range 1. Returns one value per row.
    """
    x, x_hat = np.atleast_2d(x), np.atleast_2d(x_hat)
    if x.shape != x_hat.shape:
        raise ValueError(f"x has shape {x.shape} but x_hat has shape {x_hat.shape}; compare images of one size")
    ### BEGIN SOLUTION
    mse = np.mean((x - x_hat) ** 2, axis=1)
    return 10.0 * np.log10(data_range**2 / np.maximum(mse, np.finfo(float).tiny))
    ### END SOLUTION
