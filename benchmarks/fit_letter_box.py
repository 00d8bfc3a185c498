"""Fit the stand-in's per-letter ink box (``hw5lib.standin.synth.LETTER_BOX``) to a real NIST letter file.

Run with `.venv/bin/python benchmarks/fit_letter_box.py [rounds]` after changing the generator. Each
round draws 200 stand-in samples of every letter with the current factors, compares each letter's median
ink-box height and width/height with those of the FIRST 25 real samples of that letter (the last 25 stay
unseen, so bench_standin.py can report them as held out), and scales the factors by the ratios. It
prints the fitted table to paste into synth.py (the full fit: the generator applies it at
``synth.FIT_STRENGTH``), and the shift of the ink box's centre (``INK_CENTRE_SHIFT``) that matches the
real one; it never edits the source. I keeps its width factor (see the comment above LETTER_BOX).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from bench_standin import REAL_LETTERS, held_out_half, load_real_letters

from hw5lib import data
from hw5lib.standin import synth
from hw5lib.standin.ink_measures import ink_spans

SAMPLES = 200
KEEP_WIDTH = {"I"}


def ink_box(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Height and width in pixels of each image's ink box."""
    rows, cols = ink_spans(images)
    return (rows[:, 1] - rows[:, 0] + 1).astype(float), (cols[:, 1] - cols[:, 0] + 1).astype(float)


def ink_centre(images: np.ndarray) -> np.ndarray:
    """(row, col) in pixels of the middle of each image's ink box."""
    rows, cols = ink_spans(images)
    return np.column_stack([rows.mean(axis=1), cols.mean(axis=1)])


def real_letters_to_fit() -> tuple[np.ndarray, np.ndarray] | None:
    """(images, letter indices) of the real file, or None after saying that it is absent."""
    real = load_real_letters()
    if real is None:
        print(f"{REAL_LETTERS} is absent: nothing to fit to")
    return real


def draw_letter_samples(label: int, count: int, adjust: Callable[[synth.Style], synth.Style]) -> np.ndarray:
    """``count`` stand-in images of one letter, the same ones on every call, each style passed through
    ``adjust`` before it is drawn (a fit draws the same samples with other factors)."""
    rows = []
    for index in range(count):
        rng = synth.sample_rng("fit", index, str(label))
        rows.append(synth.render(adjust(synth.draw_style(label, rng)), rng).ravel(order="F"))
    return np.stack(rows)


def draw_letter(label: int, box: tuple[float, float]) -> np.ndarray:
    """SAMPLES stand-in images of one letter drawn with the ink-box factors ``box``."""
    old_height, old_aspect = synth.letter_box(data.CLASS_NAMES[label])  # what draw_style applied
    return draw_letter_samples(label, SAMPLES, lambda style: replace(
        style, size=style.size * box[0] / old_height, aspect=style.aspect * box[1] / old_aspect))


def main(rounds: int = 2) -> None:
    """Print the fitted table."""
    real = real_letters_to_fit()
    if real is None:
        return
    images, labels = real
    first = ~held_out_half(labels)
    real_height, real_width = ink_box(images)
    boxes = {letter: synth.LETTER_BOX[letter] for letter in data.CLASS_NAMES[:26]}
    for round_ in range(rounds):
        errors, centres = [], []
        for label, letter in enumerate(data.CLASS_NAMES[:26]):
            drawn = draw_letter(label, boxes[letter])
            centres.append(ink_centre(drawn))
            height, width = ink_box(drawn)
            pick = first & (labels == label)
            grow = np.median(real_height[pick]) / np.median(height)
            widen = np.median(real_width[pick] / real_height[pick]) / np.median(width / height)
            widen = 1.0 if letter in KEEP_WIDTH else widen
            errors.append((abs(np.log(grow)), abs(np.log(widen))))
            boxes[letter] = (round(boxes[letter][0] * grow, 2), round(boxes[letter][1] * widen, 2))
        mean = np.mean(errors, axis=0)
        print(f"round {round_ + 1}: mean |log ratio| before it: height {mean[0]:.3f}, width/height {mean[1]:.3f}")
    real_centre = ink_centre(images[first]).mean(axis=0)
    drawn_centre = np.concatenate(centres).mean(axis=0)
    shift = synth.INK_CENTRE_SHIFT + float(np.mean(real_centre - drawn_centre))
    print(f"ink-box centre (row, col): real {real_centre.round(2)}, stand-in {drawn_centre.round(2)}; "
          f"INK_CENTRE_SHIFT = {shift:.2f} (now {synth.INK_CENTRE_SHIFT})")
    print("LETTER_BOX = {" + ", ".join(f'"{k}": ({h}, {a})' for k, (h, a) in boxes.items()) + "}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
