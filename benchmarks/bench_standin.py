"""How fast the offline stand-in builds and how well it stands in for real handwriting.

Run with `make bench`. Prints:
  - the time to draw all 16,200 images (goal: under 30 s on 2 cores);
  - validation accuracy of the Q3 network (1024-64-36, sigmoid, 50 epochs) trained on the stand-in
    (goal: 0.75 to 0.92, hard enough to be a real exercise), for three initial weights and their mean;
  - its accuracy on real NIST letters, predicting among the 26 letters (goal: at least 0.70), overall
    and on the two halves of the file (the first 25 of each letter were looked at when choosing the
    generator's lower-case shares, hand-print forms and letter boxes; the last 25 were not), then the
    same over three other draws of the generator (the cached stand-in is one draw of many). Skipped
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
OTHER_DRAWS = 3  # other draws of the same generator, one seed each: the data draw moves it by as much


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


def other_draw(index: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Train and validation splits of another draw of the same generator (another seed than STANDIN_DRAW)."""
    version = f"{data.STANDIN_DRAW}-draw{index}"
    return tuple(data.draw_split(split, version, data.PER_CLASS[split], progress=False) for split in ("train", "valid"))


def score(train_split, valid_split, real, seed: int, desc: str) -> tuple[float, np.ndarray | None, str]:
    """Train the Q3 network with ``seed``: (validation accuracy, per-sample right/wrong on the real
    letters or None, a line describing the run)."""
    np.random.seed(seed)
    params = train.init_classifier(1024, HIDDEN, 36)
    start = time.perf_counter()
    history = train.train_classifier(*train_split, params, EPOCHS, BATCH, LEARNING_RATE, valid=valid_split, desc=desc)
    valid_acc = history["valid_acc"][-1]
    line = (f"{desc}: Q3 net 1024-{HIDDEN}-36, {EPOCHS} epochs, batch {BATCH}, lr {LEARNING_RATE} "
            f"({time.perf_counter() - start:.1f} s): stand-in validation {valid_acc:.3f}")
    if real is None:
        return valid_acc, None, line
    x, labels = real
    right = np.argmax(train.classify(x, params)[:, :26], axis=1) == labels
    held_out = held_out_half(labels)
    line += (f", real letters {right.mean():.3f} (first halves {right[~held_out].mean():.3f}, "
             f"held-out halves {right[held_out].mean():.3f})")
    return valid_acc, right, line


def main() -> None:
    """Print the figures."""
    seconds = time_build()
    total = sum(data.PER_CLASS.values()) * len(data.CLASS_NAMES)
    print(f"stand-in build: {total} images in {seconds:.1f} s ({total / seconds:,.0f} images/s, "
          f"{os.cpu_count()} cores; goal < 30 s)")

    nist = data.load_nist36(standin=True, progress=False)
    real = load_real_letters()
    runs = [score((nist.train_data, nist.train_labels), (nist.valid_data, nist.valid_labels), real, seed,
                  f"stand-in, seed {seed}") for seed in SEEDS]
    for _, _, line in runs:
        print("  " + line)
    valid_accs = [v for v, _, _ in runs]
    print(f"  stand-in validation accuracy, mean of {len(SEEDS)} seeds: {np.mean(valid_accs):.3f} "
          f"(range {min(valid_accs):.3f}-{max(valid_accs):.3f}; goal 0.75-0.92)")
    if real is None:
        print(f"  real letters: skipped, {REAL_LETTERS} is absent")
        return
    real_accs = [right.mean() for _, right, _ in runs]
    labels = real[1]
    print(f"  real letters ({len(labels)}, predicting among 26), mean of {len(SEEDS)} seeds: "
          f"{np.mean(real_accs):.3f} (range {min(real_accs):.3f}-{max(real_accs):.3f}; goal >= 0.70)")
    per_class = np.mean([[right[labels == c].mean() for c in range(26)] for _, right, _ in runs], axis=0)
    print("  per letter: " + " ".join(f"{data.CLASS_NAMES[c]} {a:.2f}" for c, a in enumerate(per_class)))
    # One draw of the data moves the real-letter figure by about +-0.02; other draws show the spread.
    others = [score(*other_draw(k), real, k, f"other draw {k}, seed {k}") for k in range(1, OTHER_DRAWS + 1)]
    for _, _, line in others:
        print("  " + line)
    other_accs = [right.mean() for _, right, _ in others]
    print(f"  real letters over {OTHER_DRAWS} other draws of the same generator: {np.mean(other_accs):.3f} "
          f"(range {min(other_accs):.3f}-{max(other_accs):.3f}); validation {np.mean([v for v, _, _ in others]):.3f}")


if __name__ == "__main__":
    main()
