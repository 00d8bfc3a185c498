"""The classifier Part 5 reads with: the Q3 network saved by notebook 03, or one trained on demand."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hw5lib.weights import load_params, save_params

Q3_SHAPES = {"Wlayer1": (1024, 64), "blayer1": (64,), "Woutput": (64, 36), "boutput": (36,)}


def reading_network(path: str | os.PathLike = "q3_weights.npz", epochs: int = 50, progress: bool = True) -> dict:
    """Load the Q3 weights from ``path``; if there are none, train the Q3 network on NIST36 and save it there."""
    path = Path(path)
    if path.is_file():
        return load_params(path, expect=Q3_SHAPES)
    from hw5lib import data, train

    print(f"hw5: no {path.name}; training the Q3 network ({epochs} epochs) to read with")
    nist = data.load_nist36(progress=progress)
    np.random.seed(0)
    params = train.init_classifier(1024, 64, 36)
    for _ in range(epochs):
        train.train_epoch(nist.train_data, nist.train_labels, params, 32, 5e-3)
    save_params(path, params)
    return params
