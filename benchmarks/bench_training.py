"""Training speed and results of Q3 (classifier) and Q4 (autoencoder) on the offline stand-in.

Run with `make bench`. Prints seconds and ratios on this machine:
  - 50 epochs of the Q3 net 1024-64-36 at batch 32 through the handout API (goal: at most 10 s);
  - the same training written with PyTorch on the CPU (torch.nn + SGD, same batch, epochs and loss),
    skipped when torch is not installed (`pip install torch==2.13.0`), and the NumPy/PyTorch ratio;
  - 100 epochs of the Q4 autoencoder with the handout's schedule (goal: at most 90 s), its loss curve,
    validation PSNR, and PCA with 32 components beside it.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from hw5lib import autoencoder, data, metrics, pca, train

EPOCHS, BATCH, LEARNING_RATE = 50, 32, 5e-3


def numpy_q3(x: np.ndarray, y: np.ndarray, dtype) -> tuple[float, dict]:
    """Seconds for EPOCHS epochs through the handout API in ``dtype``, and the trained params."""
    np.random.seed(0)
    params = train.init_classifier(1024, 64, 36, dtype=dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        train.train_epoch(x, y, params, BATCH, LEARNING_RATE)
    return time.perf_counter() - start, params


def torch_q3(x: np.ndarray, y: np.ndarray, dtype_name: str, threads: int) -> float | None:
    """Seconds for the same training in PyTorch with ``threads`` threads, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1024, 64), torch.nn.Sigmoid(), torch.nn.Linear(64, 36)).to(dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")  # the handout's summed cross-entropy
    inputs, targets = torch.tensor(x, dtype=dtype), torch.tensor(np.argmax(y, axis=1))
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(inputs))
        for i in range(0, len(inputs), BATCH):
            batch = order[i:i + BATCH]
            optimiser.zero_grad()
            loss_fn(model(inputs[batch]), targets[batch]).backward()
            optimiser.step()
    return time.perf_counter() - start


def q3_speed(nist: data.Nist36, repeats: int = 3) -> None:
    """Print the Q3 timings (median and fastest of ``repeats`` interleaved runs; this VM varies by +-25%).

    NumPy through the handout API in float64 and float32 with 1 and 2 BLAS threads, PyTorch beside it
    with 1 and 2 threads; each ratio compares the fastest thread count of each side in the same float type.
    """
    x, y = nist.train_data, nist.train_labels
    print(f"Q3 net 1024-64-36, {EPOCHS} epochs, batch {BATCH}, lr {LEARNING_RATE} "
          f"(goal: <= 10 s, and >= 1.5x PyTorch); median (fastest) of {repeats} runs")
    seconds: dict[tuple[str, str, int], list[float]] = {}
    accuracy = {}
    for _ in range(repeats):
        for dtype in (np.float64, np.float32):
            for threads in (1, 2):
                with threadpool_limits(limits=threads, user_api="blas"):
                    spent, params = numpy_q3(x, y, dtype)
                seconds.setdefault(("NumPy", dtype.__name__, threads), []).append(spent)
                accuracy[dtype.__name__] = train.evaluate(nist.valid_data.astype(dtype),
                                                          nist.valid_labels.astype(dtype), params)[1]
                spent = torch_q3(x, y, dtype.__name__, threads)
                if spent is not None:
                    seconds.setdefault(("PyTorch", dtype.__name__, threads), []).append(spent)
    for (library, dtype_name, threads), runs in seconds.items():
        note = f", validation accuracy {accuracy[dtype_name]:.3f}" if library == "NumPy" else ""
        print(f"  {library:<7} {dtype_name}, {threads} thread{'s' * (threads > 1)}: {np.median(runs):6.1f} s "
              f"({min(runs):.1f}){note}")
    if not any(key[0] == "PyTorch" for key in seconds):
        print("  PyTorch: skipped, torch is not installed (pip install torch==2.13.0)")
        return
    for dtype_name in ("float64", "float32"):
        best = {library: min(np.median(seconds[library, dtype_name, t]) for t in (1, 2)) for library in ("NumPy", "PyTorch")}
        print(f"  {dtype_name}: NumPy {best['NumPy']:.1f} s, PyTorch {best['PyTorch']:.1f} s: "
              f"NumPy is {best['PyTorch'] / best['NumPy']:.2f}x as fast")


def main() -> None:
    """Print the figures."""
    nist = data.load_nist36(standin=True, progress=False)
    q3_speed(nist)
    x = nist.train_data

    np.random.seed(0)
    params = autoencoder.init_autoencoder()
    start = time.perf_counter()
    history = train.train_autoencoder(x, params, epochs=100, batch_size=36, learning_rate=3e-5, progress=False)
    seconds = time.perf_counter() - start
    loss = np.array(history["train_loss"])
    rises = np.flatnonzero(np.diff(loss) > 0) + 1
    blocks = loss.reshape(10, 10).mean(axis=1)
    print(f"Q4 autoencoder 1024-32-32-32-1024, 100 epochs, batch 36, lr 3e-5 x0.9 every 20: {seconds:.1f} s "
          "(goal <= 90 s)")
    print(f"  total squared error: epoch 1 {loss[0]:,.0f}, 10 {loss[9]:,.0f}, 50 {loss[49]:,.0f}, 100 {loss[99]:,.0f}")
    print(f"  falls every epoch up to epoch {rises[0] if len(rises) else 100}; later {len(rises)} small rises "
          f"(largest {100 * np.max((loss[rises] - loss[rises - 1]) / loss[rises - 1]) if len(rises) else 0:.2f}%); "
          f"10-epoch means always fall: {bool(np.all(np.diff(blocks) < 0))}")
    ae_psnr = metrics.psnr(nist.valid_data, autoencoder.reconstruct(nist.valid_data, params)).mean()
    model = pca.fit_pca(x, 32)
    pca_psnr = metrics.psnr(nist.valid_data, model.reconstruct(nist.valid_data)).mean()
    ae_count = sum(v.size for k, v in params.items() if k[:1] in "Wb" and isinstance(v, np.ndarray))
    print(f"  validation PSNR: autoencoder {ae_psnr:.2f} dB ({ae_count:,} parameters), "
          f"PCA with 32 components {pca_psnr:.2f} dB ({model.parameter_count:,} numbers)")


if __name__ == "__main__":
    main()
