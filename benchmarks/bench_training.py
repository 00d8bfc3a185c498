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

from hw5lib import autoencoder, data, metrics, pca, train

EPOCHS, BATCH, LEARNING_RATE = 50, 32, 5e-3


def numpy_q3(x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Seconds for EPOCHS epochs through the handout API, and the trained params."""
    np.random.seed(0)
    params = train.init_classifier(1024, 64, 36)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        train.train_epoch(x, y, params, BATCH, LEARNING_RATE)
    return time.perf_counter() - start, params


def torch_q3(x: np.ndarray, y: np.ndarray, dtype_name: str) -> float | None:
    """Seconds for the same training in PyTorch, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
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


def main() -> None:
    """Print the figures."""
    nist = data.load_nist36(standin=True, progress=False)
    x, y = nist.train_data, nist.train_labels.astype(np.float64)
    seconds, params = numpy_q3(x, y)
    valid_acc = train.evaluate(nist.valid_data, nist.valid_labels, params)[1]
    print(f"Q3 net 1024-64-36, {EPOCHS} epochs, batch {BATCH}, lr {LEARNING_RATE}")
    print(f"  NumPy, handout API:   {seconds:6.1f} s ({seconds / EPOCHS:.3f} s/epoch; goal <= 10 s), "
          f"validation accuracy {valid_acc:.3f}")
    for dtype_name in ("float64", "float32"):
        torch_seconds = torch_q3(x, y, dtype_name)
        if torch_seconds is None:
            print("  PyTorch: skipped, torch is not installed (pip install torch==2.13.0)")
            break
        print(f"  PyTorch CPU, {dtype_name}: {torch_seconds:6.1f} s; NumPy is {torch_seconds / seconds:.2f}x as fast "
              "(goal >= 1.5x)")

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
