"""Fit the stand-in's per-letter midline bend (``hw5lib.standin.synth.LETTER_MIDLINE``) to a real NIST letter file.

Run with `.venv/bin/python benchmarks/fit_letter_midline.py [rounds]` after changing the generator (after
fit_letter_box.py: the bend leaves ink boxes as they are). For every letter it tries bends from -0.3 to
0.3 of the half-height, then of the half-width, each on SAMPLES stand-in samples, and keeps the one whose
mean spread of ink over the rows (columns) of the ink box is nearest, in summed absolute difference, to
that of the FIRST 25 real samples of the letter. The last 25 stay unseen: the figures printed for them
show whether the fit holds for samples it was not fitted to. It prints the table to paste into synth.py
(the full fit: the generator applies it at ``synth.FIT_STRENGTH``) and never edits the source. The
column bends of some letters (P, S, F) are weakly determined: a refit can move them far for a distance
change of a few thousandths, so paste a new table only when the distances drop clearly and
bench_standin.py agrees.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
from bench_standin import held_out_half
from fit_letter_box import draw_letter_samples, real_letters_to_fit
from tqdm import tqdm

from hw5lib import data
from hw5lib.standin import synth
from hw5lib.standin.ink_measures import ink_profiles

SAMPLES = 120
BENDS = np.round(np.arange(-0.3, 0.301, 0.05), 2)
BINS = 10


def mean_profile(label: int, bend: tuple[float, float]) -> np.ndarray:
    """The mean ink profile (rows, then columns) of SAMPLES stand-in images of one letter bent by ``bend``."""
    drawn = draw_letter_samples(label, SAMPLES, lambda style: replace(style, bend=bend))
    return ink_profiles(drawn, BINS).mean(axis=0)


def _mean_profile_job(job: tuple[int, tuple[float, float]]) -> np.ndarray:
    return mean_profile(*job)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Summed absolute difference of two profiles."""
    return float(np.abs(a - b).sum())


def main(rounds: int = 2) -> None:
    """Print the fitted table and how near the profiles are before and after, on both halves of the file."""
    real = real_letters_to_fit()
    if real is None:
        return
    images, labels = real
    held_out = held_out_half(labels)
    letters = range(26)
    fitted = {c: ink_profiles(images[~held_out & (labels == c)], BINS).mean(axis=0) for c in letters}
    unseen = {c: ink_profiles(images[held_out & (labels == c)], BINS).mean(axis=0) for c in letters}
    bends = {c: tuple(synth.LETTER_MIDLINE.get(data.CLASS_NAMES[c], (0.0, 0.0))) for c in letters}

    def report(when: str, pool: ProcessPoolExecutor) -> None:
        drawn = list(pool.map(_mean_profile_job, [(c, bends[c]) for c in letters]))
        first = np.mean([distance(drawn[c], fitted[c]) for c in letters])
        last = np.mean([distance(drawn[c], unseen[c]) for c in letters])
        print(f"{when}: mean profile distance to the first halves {first:.4f}, to the held-out halves {last:.4f}")

    with ProcessPoolExecutor() as pool:
        report("now", pool)
        for round_ in range(rounds):
            for axis, name in ((1, "rows"), (0, "columns")):
                part = slice(0, BINS) if axis == 1 else slice(BINS, 2 * BINS)
                jobs = [(c, tuple(float(b) if k == axis else bends[c][k] for k in (0, 1))) for c in letters for b in BENDS]
                drawn = list(tqdm(pool.map(_mean_profile_job, jobs, chunksize=4), total=len(jobs),
                                  desc=f"round {round_ + 1}, {name}", leave=False))
                for c in letters:
                    tried = drawn[c * len(BENDS):(c + 1) * len(BENDS)]
                    best = int(np.argmin([distance(p[part], fitted[c][part]) for p in tried]))
                    bends[c] = jobs[c * len(BENDS) + best][1]
            report(f"after round {round_ + 1}", pool)
    print("LETTER_MIDLINE = {" + ", ".join(f'"{data.CLASS_NAMES[c]}": ({x:g}, {y:g})' for c, (x, y) in bends.items())
          + "}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
