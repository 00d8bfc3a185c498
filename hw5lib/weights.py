"""Saving and loading network weights as .npz (never pickle)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def save_params(path: str | os.PathLike, params: dict) -> Path:
    """Write the W<name> and b<name> arrays of ``params`` to ``path`` (.npz); caches and gradients are left out."""
    path = Path(path)
    arrays = {k: v for k, v in params.items() if k[:1] in ("W", "b") and isinstance(v, np.ndarray)}
    if not arrays:
        raise ValueError("params holds no W<name> or b<name> arrays: nothing to save")
    path = path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    with open(part, "wb") as fh:  # whole or not at all: a reader (another notebook, say) never sees half a file
        np.savez(fh, **arrays)
    os.replace(part, path)
    return path


def load_params(path: str | os.PathLike, expect: dict[str, tuple[int, ...]] | None = None) -> dict:
    """Read weights saved by ``save_params`` (with allow_pickle=False); ``expect`` maps keys to required shapes."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; train the network and save it with save_params first")
    try:
        with np.load(path, allow_pickle=False) as archive:
            params = {k: archive[k] for k in archive.files}
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path} is not a weights file written by save_params ({exc}); save the weights again") from exc
    for key, shape in (expect or {}).items():
        if key not in params:
            raise ValueError(f"{path} has no {key!r} (it holds {sorted(params)}); was it saved from this network?")
        if params[key].shape != tuple(shape):
            raise ValueError(f"{path}: {key} has shape {params[key].shape}, expected {tuple(shape)}")
    return params
