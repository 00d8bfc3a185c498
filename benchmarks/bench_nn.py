"""Forward + backward throughput of the Q3 network (1024-64-36) through the handout API.

Run with `make bench`. Prints samples per second at batch 32 and at full batch (10800, the size of
the NIST36 training split), their ratio, and the time of a sampled gradient check of the net.
"""

from __future__ import annotations

import time

import numpy as np

from grading.grader import gradcheck
from hw5lib import nn, train

SIZES = (1024, 64, 36)
TRAIN_SIZE = 10800


def forward_backward(x: np.ndarray, y: np.ndarray, params: dict) -> None:
    """One forward and backward pass of the classifier (no update)."""
    probs = train.classify(x, params)
    delta = nn.backwards(probs - y, params, "output", nn.linear_deriv)
    nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)


def samples_per_second(batch: int, seconds: float = 2.0) -> float:
    """Best throughput over repeated timed rounds of forward+backward at one batch size."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (batch, SIZES[0]))
    y = np.eye(SIZES[2])[rng.integers(0, SIZES[2], batch)]
    np.random.seed(0)
    params = train.init_classifier(*SIZES)
    forward_backward(x, y, params)  # warm-up
    reps = 1
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(reps):
            forward_backward(x, y, params)
        elapsed = (time.perf_counter() - start) / reps
        best = min(best, elapsed)
        reps = max(1, min(reps * 2, int(0.2 / max(elapsed, 1e-6))))
    return batch / best


def main() -> None:
    """Print the figures."""
    print(f"forward+backward of a {'-'.join(map(str, SIZES))} net (sigmoid hidden, softmax output)")
    small = samples_per_second(32)
    full = samples_per_second(TRAIN_SIZE)
    print(f"  batch 32:     {small:>12,.0f} samples/s  ({32 / small * 1e6:8.1f} us per batch)")
    print(f"  batch {TRAIN_SIZE}:  {full:>12,.0f} samples/s  ({TRAIN_SIZE / full * 1e3:8.1f} ms per batch)")
    print(f"  full batch / batch 32 throughput: {full / small:.1f}x")
    print(f"  one epoch of {TRAIN_SIZE} samples at batch 32 (forward+backward only): {TRAIN_SIZE / small:.3f} s")
    start = time.perf_counter()
    report = gradcheck.check_mlp(list(SIZES), batch=8, seed=0)
    print(f"sampled gradient check of the net ({sum(c.checked for c in report.checks)} coordinates): "
          f"{time.perf_counter() - start:.3f} s, max relative error {report.max_norm:.1e}")


if __name__ == "__main__":
    main()
