"""How fast the offline stand-in builds and how well it stands in for real handwriting.

Run with `make bench`. Prints:
  - the time to draw all 16,200 images (goal: under 30 s on 2 cores);
  - validation accuracy of the Q3 network (1024-64-36, sigmoid, 50 epochs) trained on the stand-in
    (goal: 0.75 to 0.92, hard enough to be a real exercise), for three initial weights and their mean;
  - its accuracy on real NIST letters, predicting among the 26 letters (goal: at least 0.70), overall
    and on the two halves of the file (the first 25 of each letter were looked at when choosing the
    generator's lower-case shares, hand-print forms and letter boxes; the last 25 were not). Skipped
    when the real file is absent.
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
SEEDS = (0, 1, 2)  # accuracy on the real letters varies by about +-0.02 with the initial weights


def load_real_letters() -> tuple[np.ndarray, np.ndarray] | None:
    """(images, letter indices) of the real file, or None when it is absent."""
    if not REAL_LETTERS.is_file():
        return None
    import scipy.io

    contents = scipy.io.loadmat(REAL_LETTERS)
    return contents["valid_data"], np.argmax(contents["valid_labels"], axis=1)


def held_out_half(labels: np.ndarray) -> np.ndarray:
    """True for the last 25 of each letter's 50 samples: never looked at when tuning the generator."""
    return np.arange(len(labels)) % 50 >= 25


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
    real = load_real_letters()
    valid_accs, real_accs, per_class = [], [], []
    for seed in SEEDS:
        np.random.seed(seed)
        params = train.init_classifier(1024, HIDDEN, 36)
        start = time.perf_counter()
        history = train.train_classifier(nist.train_data, nist.train_labels, params, EPOCHS, BATCH, LEARNING_RATE,
                                         valid=(nist.valid_data, nist.valid_labels), desc=f"Q3 net, seed {seed}")
        valid_accs.append(history["valid_acc"][-1])
        line = (f"Q3 net 1024-{HIDDEN}-36, {EPOCHS} epochs, batch {BATCH}, lr {LEARNING_RATE}, seed {seed} "
                f"({time.perf_counter() - start:.1f} s): stand-in validation {valid_accs[-1]:.3f}")
        if real is not None:
            x, labels = real
            predicted = np.argmax(train.classify(x, params)[:, :26], axis=1)
            held_out = held_out_half(labels)
            right = predicted == labels
            real_accs.append(right.mean())
            per_class.append([right[labels == c].mean() for c in range(26)])
            line += (f", real letters {real_accs[-1]:.3f} (first halves {right[~held_out].mean():.3f}, "
                     f"held-out halves {right[held_out].mean():.3f})")
        print("  " + line)
    print(f"  stand-in validation accuracy, mean of {len(SEEDS)} seeds: {np.mean(valid_accs):.3f} "
          f"(range {min(valid_accs):.3f}-{max(valid_accs):.3f}; goal 0.75-0.92)")
    if real is None:
        print(f"  real letters: skipped, {REAL_LETTERS} is absent")
        return
    print(f"  real letters ({len(real[1])}, predicting among 26), mean of {len(SEEDS)} seeds: "
          f"{np.mean(real_accs):.3f} (range {min(real_accs):.3f}-{max(real_accs):.3f}; goal >= 0.70)")
    print("  per letter: " + " ".join(f"{data.CLASS_NAMES[c]} {a:.2f}" for c, a in enumerate(np.mean(per_class, 0))))


if __name__ == "__main__":
    main()
