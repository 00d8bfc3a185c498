"""The reference networks, trained with the reference code as notebooks 03 and 04 train them: the Q3 classifier
the grader reads sample pages with, and the Q4 autoencoder it measures a student's PSNR on (written into the
course's ``grader/`` folder when the course is built, and the runs grading repeats)."""

from __future__ import annotations

import numpy as np


def train_q3_network(settings: dict) -> tuple[dict, dict]:
    """(params, history) of the Q3.1 run with these settings, seeded as notebook 03 seeds it."""
    from hw5lib import data, train

    nist = data.load_nist36(progress=False, quiet=True)
    np.random.seed(0)
    params = train.init_classifier(1024, settings["hidden"], 36)
    # read-only views: training never changes its data, and the grader then sends the data once, not each epoch
    x, y, x_valid, y_valid = (_read_only(a) for a in (nist.train_data, nist.train_labels, nist.valid_data,
                                                       nist.valid_labels))
    history = train.train_classifier(x, y, params, settings["epochs"], settings["batch_size"],
                                     settings["learning_rate"], valid=(x_valid, y_valid), progress=False)
    return params, history


def train_reference_network(kind: str, settings: dict) -> dict:
    """The Q3 classifier ('classifier') or the Q4 autoencoder ('autoencoder') trained as notebooks 03/04 train them.

    Run with the reference code (the instructor's project, or the grader's process).
    """
    from hw5lib import autoencoder, data, train

    if kind == "classifier":
        return train_q3_network(settings)[0]
    nist = data.load_nist36(progress=False, quiet=True)
    np.random.seed(0)
    params = autoencoder.init_autoencoder()
    train.train_autoencoder(nist.train_data, params, epochs=settings["epochs"], batch_size=settings["batch_size"],
                            learning_rate=settings["learning_rate"], decay=settings["decay"],
                            decay_every=settings["decay_every"], momentum=settings["momentum"], progress=False)
    return params


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
