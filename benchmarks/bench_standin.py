"""How fast the offline stand-in builds and how well it stands in for real handwriting.

Run with `make bench`. Prints:
  - the time to draw all 16,200 images (goal: under 30 s on 2 cores);
  - validation accuracy of the Q3 network (1024-64-36, sigmoid, 50 epochs) trained on the stand-in
    (goal: 0.75 to 0.92, hard enough to be a real exercise);
  - its accuracy on real NIST letters, predicting among the 26 letters (goal: at least 0.70), overall
    and on the two halves of the file (the first 25 of each letter were looked at when choosing the
    generator's lower-case shares; the last 25 were not). Skipped when the real file is absent.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hw5lib import data, train

REAL_LETTERS = Path(os.environ.get("HW5_REAL_LETTERS", Path(__file__).resolve().parents[2] / "shared" / "realdata"
                                   / "nist26_valid.mat"))
EPOCHS, BATCH, LEARNING_RATE, HIDDEN = 50, 32, 5e-3, 64


def time_build() -> float:
    """Seconds to draw the full stand-in into an empty folder."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        data.build_standin(Path(tmp) / "standin", progress=False)
        return time.perf_counter() - start


def main() -> None:
    """Print the figures."""
    seconds = time_build()
    total = sum(data.PER_CLASS.values()) * len(data.CLASS_NAMES)
    print(f"stand-in build: {total} images in {seconds:.1f} s ({total / seconds:,.0f} images/s, "
          f"{os.cpu_count()} cores; goal < 30 s)")

    nist = data.load_nist36(standin=True, progress=False)
    np.random.seed(0)
    params = train.init_classifier(1024, HIDDEN, 36)
    start = time.perf_counter()
    history = train.train_classifier(nist.train_data, nist.train_labels, params, EPOCHS, BATCH, LEARNING_RATE,
                                     valid=(nist.valid_data, nist.valid_labels), desc="Q3 net on the stand-in")
    print(f"Q3 net 1024-{HIDDEN}-36, {EPOCHS} epochs, batch {BATCH}, lr {LEARNING_RATE}: "
          f"{time.perf_counter() - start:.1f} s")
    print(f"  stand-in validation accuracy: {history['valid_acc'][-1]:.3f} (goal 0.75-0.92)")

    if not REAL_LETTERS.is_file():
        print(f"  real letters: skipped, {REAL_LETTERS} is absent")
        return
    import scipy.io

    real = scipy.io.loadmat(REAL_LETTERS)
    x, labels = real["valid_data"], np.argmax(real["valid_labels"], axis=1)
    predicted = np.argmax(train.classify(x, params)[:, :26], axis=1)
    held_out = np.arange(len(labels)) % 50 >= 25
    print(f"  real letters ({len(labels)}, predicting among 26): accuracy {np.mean(predicted == labels):.3f} "
          f"(goal >= 0.70); first halves {np.mean(predicted[~held_out] == labels[~held_out]):.3f}, "
          f"held-out halves {np.mean(predicted[held_out] == labels[held_out]):.3f}")
    per_class = [np.mean(predicted[labels == c] == c) for c in range(26)]
    print("  per letter: " + " ".join(f"{data.CLASS_NAMES[c]} {a:.2f}" for c, a in enumerate(per_class)))


if __name__ == "__main__":
    main()
