"""Every figure the notebooks and the demo show. Each function returns a matplotlib Figure."""

from __future__ import annotations

from typing import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def plot_functions(
    curves: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    x: np.ndarray | None = None,
    title: str = "",
    ax: plt.Axes | None = None,
) -> Figure:
    """Plot each named function of one variable over ``x`` (default -6..6) on one set of axes."""
    x = np.linspace(-6, 6, 601) if x is None else x
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for label, fn in curves.items():
        ax.plot(x, fn(x), label=label)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("x")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_activations_and_derivatives(
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    derivatives: Mapping[str, Callable[[np.ndarray], np.ndarray]],
) -> Figure:
    """Two panels side by side: the activations, then their derivatives."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    plot_functions(functions, title="activations", ax=left)
    plot_functions(derivatives, title="derivatives", ax=right)
    return fig


def plot_history(history: Mapping[str, list[float]], title: str = "", loss_label: str = "total cross-entropy") -> Figure:
    """Loss and accuracy per epoch from a training history (train, and valid if present)."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.5))
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    for split in ("train", "valid"):
        if f"{split}_loss" in history:
            ax_loss.plot(epochs, history[f"{split}_loss"], label=split)
            ax_acc.plot(epochs, history[f"{split}_acc"], label=split)
    ax_loss.set(xlabel="epoch", ylabel=loss_label, title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_regions(
    x: np.ndarray, y: np.ndarray, predict: Callable[[np.ndarray], np.ndarray], title: str = ""
) -> Figure:
    """The toy data coloured by class over the classes a 2-D classifier predicts on a grid."""
    pad = 0.5
    (x0, y0), (x1, y1) = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    regions = np.argmax(predict(grid), axis=1).reshape(gx.shape)
    classes = y.shape[1]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.contourf(gx, gy, regions, levels=np.arange(classes + 1) - 0.5, cmap="tab10", vmin=0, vmax=9, alpha=0.25)
    ax.scatter(x[:, 0], x[:, 1], c=np.argmax(y, axis=1), cmap="tab10", vmin=0, vmax=9, edgecolors="k")
    ax.set(title=title, aspect="equal")
    fig.tight_layout()
    return fig


def tile_mosaic(tiles: list[np.ndarray | None], rows: int, cols: int, gap: int = 2,
                normalise: bool = False) -> np.ndarray:
    """One image of ``rows`` x ``cols`` equal tiles (row by row) with ``gap`` pixels between them; gaps and
    missing tiles are NaN (drawn as the background). ``normalise``: each tile stretched to [0, 1] on its own.

    One image in one axes draws many times faster than a grid of subplots.
    """
    shape = next((np.shape(t) for t in tiles if t is not None), None)
    if shape is None:
        raise ValueError("no images to draw: every tile is missing (is the data empty?)")
    height, width = shape
    mosaic = np.full((rows * (height + gap) - gap, cols * (width + gap) - gap), np.nan)
    for index, tile in enumerate(tiles[:rows * cols]):
        if tile is None:
            continue
        tile = np.asarray(tile, dtype=float)
        if normalise:
            low, high = float(tile.min()), float(tile.max())
            tile = (tile - low) / (high - low) if high > low else np.full_like(tile, 0.5)
        r, c = divmod(index, cols)
        mosaic[r * (height + gap):r * (height + gap) + height, c * (width + gap):c * (width + gap) + width] = tile
    return mosaic


def _show_mosaic(ax: plt.Axes, mosaic: np.ndarray) -> None:
    """A mosaic of values in [0, 1] in grey on a white background, without a frame."""
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])


def _centres(count: int, size: int = 32, gap: int = 2) -> list[float]:
    """Pixel centres of ``count`` tiles in a row of a mosaic (for tick labels)."""
    return [i * (size + gap) + (size - 1) / 2 for i in range(count)]


def _course_image(row: np.ndarray) -> np.ndarray:
    """A 1024-value row in the course layout (column by column) as a 32x32 image."""
    return np.asarray(row).reshape(32, 32).T


def plot_character_grid(images: np.ndarray, labels: np.ndarray, per_class: int = 3,
                        class_names: str | None = None, title: str = "") -> Figure:
    """``per_class`` examples of every class, one class per column, from rows in the course layout."""
    from hw5lib.data import CLASS_NAMES

    names = class_names or CLASS_NAMES
    classes = np.argmax(labels, axis=1) if labels.ndim == 2 else labels
    present = [c for c in range(len(names)) if np.any(classes == c)]
    tiles: list[np.ndarray | None] = [None] * (per_class * len(present))
    for col, c in enumerate(present):
        for r, row in enumerate(np.flatnonzero(classes == c)[:per_class]):
            tiles[r * len(present) + col] = _course_image(images[row])
    fig, ax = plt.subplots(figsize=(0.45 * len(present), 0.5 * per_class + 0.6))
    _show_mosaic(ax, tile_mosaic(tiles, per_class, len(present)))
    ax.xaxis.tick_top()
    ax.set_xticks(_centres(len(present)), [names[c] for c in present], fontsize=8)
    ax.tick_params(length=0)
    fig.suptitle(title)
    return fig


def plot_page(image: np.ndarray, boxes=None, title: str = "", ax: plt.Axes | None = None) -> Figure:
    """A page image with character boxes (y1, x1, y2, x2) drawn over it, one colour per line."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 9 * image.shape[0] / image.shape[1]))
    else:
        fig = ax.figure
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    colours = plt.cm.tab10.colors
    for line, row in enumerate(boxes or []):
        for y1, x1, y2, x2 in row:
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.2,
                                       edgecolor=colours[line % len(colours)]))
    ax.set_title(title)
    ax.axis("off")
    return fig


def plot_weight_grid(W: np.ndarray, title: str = "", grid: tuple[int, int] = (8, 8)) -> Figure:
    """Each column of a first-layer W [1024, units] as a 32x32 image (each with its own contrast), in an 8x8
    grid."""
    rows, cols = grid
    tiles = [_course_image(W[:, unit]) for unit in range(min(W.shape[1], rows * cols))]
    fig, ax = plt.subplots(figsize=(cols * 0.7, rows * 0.7 + 0.4))
    _show_mosaic(ax, tile_mosaic(tiles, rows, cols, normalise=True))
    ax.set_title(title)
    return fig


def plot_learning_rate_study(histories: Mapping[str, Mapping[str, list[float]]]) -> Figure:
    """Average loss and accuracy per epoch, training (solid) and validation (dashed), one colour per run."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for (label, history), colour in zip(histories.items(), plt.cm.tab10.colors):
        epochs = np.arange(1, len(history["train_loss"]) + 1)
        for split, style in (("train", "-"), ("valid", "--")):
            if f"{split}_loss" in history:
                ax_loss.plot(epochs, history[f"{split}_loss"], style, color=colour, label=f"{label} {split}")
                ax_acc.plot(epochs, history[f"{split}_acc"], style, color=colour, label=f"{label} {split}")
    ax_loss.set(xlabel="epoch", ylabel="average cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    ax_acc.legend(fontsize=7)
    fig.tight_layout()
    return fig


def top_confused_pairs(counts: np.ndarray, names: str, k: int = 8) -> list[tuple[int, str, str]]:
    """The k pairs of different classes confused most often, both directions added: (count, a, b)."""
    both = counts + counts.T
    pairs = [(int(both[i, j]), names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    return sorted(pairs, key=lambda p: -p[0])[:k]


def plot_confusion(counts: np.ndarray, names: str, title: str = "", k: int = 8) -> Figure:
    """The confusion matrix (rows: true class, columns: predicted) with the top confused pairs listed."""
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(names)), list(names), fontsize=7)
    ax.set_yticks(range(len(names)), list(names), fontsize=7)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(image, ax=ax, fraction=0.04)
    pairs = ", ".join(f"{a}/{b} {n}" for n, a, b in top_confused_pairs(counts, names, k))
    fig.text(0.02, 0.01, "most confused: " + pairs, fontsize=8)
    return fig


def plot_loss_curve(losses: list[float], title: str = "", ylabel: str = "total squared error") -> Figure:
    """One loss value per epoch."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    fig.tight_layout()
    return fig


def plot_reconstructions(originals: np.ndarray, rows: Mapping[str, np.ndarray], titles: list[str] | None = None
                         ) -> Figure:
    """Originals in the first row, then one row per reconstruction method, images in the course layout."""
    n = len(originals)
    all_rows = {"original": originals, **rows}
    tiles = [_course_image(images[c]) for images in all_rows.values() for c in range(n)]
    fig, ax = plt.subplots(figsize=(n * 0.9, len(all_rows) * 1.0))
    _show_mosaic(ax, np.clip(tile_mosaic(tiles, len(all_rows), n), 0, 1))
    ax.set_yticks(_centres(len(all_rows)), list(all_rows), fontsize=8)
    if titles:
        ax.xaxis.tick_top()
        ax.set_xticks(_centres(n), titles[:n], fontsize=8)
    ax.tick_params(length=0)
    return fig
