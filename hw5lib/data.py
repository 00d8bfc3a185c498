"""NIST36 loading: the course's real files when they are found, the offline stand-in otherwise.

Lookup order for the real files (nist36_train.mat, nist36_valid.mat, nist36_test.mat):
    1. the ``folder`` argument,  2. the HW5_DATA environment variable,
    3. the project's ``data/`` folder,  4. the user cache (where ``hw5 data fetch`` puts them).
Set HW5_STANDIN=1 (or pass ``standin=True``) to use the stand-in even where real files exist, so
regression runs are reproducible. Every file is validated on load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw5lib.nist36_format import CLASS_NAMES, DataError  # noqa: F401 - part of this module's interface

SPLITS = ("train", "valid", "test")
PER_CLASS = {"train": 300, "valid": 100, "test": 50}
IMAGE_PIXELS = 1024
DATA_URL = "http://www.cs.cmu.edu/~lkeselma/16720a_data/data.zip"
IMAGES_URL = "http://www.cs.cmu.edu/~lkeselma/16720a_data/images.zip"
PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass
class Nist36:
    """The three splits as the course files hold them, and where they came from."""

    train_data: np.ndarray
    train_labels: np.ndarray
    valid_data: np.ndarray
    valid_labels: np.ndarray
    test_data: np.ndarray
    test_labels: np.ndarray
    source: str

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(data, labels) of 'train', 'valid' or 'test'."""
        if name not in SPLITS:
            raise KeyError(f"no split {name!r}; the splits are {SPLITS}")
        return getattr(self, f"{name}_data"), getattr(self, f"{name}_labels")

    @property
    def is_standin(self) -> bool:
        """True when the data are the offline stand-in, not the course's files."""
        return self.source.startswith("stand-in")


def file_name(split: str) -> str:
    """The course's file name of a split."""
    return f"nist36_{split}.mat"


def holds_all_splits(folder: Path) -> bool:
    """True when ``folder`` holds the three course files."""
    return all((folder / file_name(s)).is_file() for s in SPLITS)


def standin_forced(standin: bool | None = None) -> bool:
    """True when the stand-in must be used: ``standin=True``, or HW5_STANDIN set and not overridden."""
    if standin is not None:
        return standin
    return os.environ.get("HW5_STANDIN", "") not in ("", "0")


def cache_dir() -> Path:
    """The user cache of the bundle (HW5_CACHE overrides it)."""
    if os.environ.get("HW5_CACHE"):
        return Path(os.environ["HW5_CACHE"])
    import pooch

    return Path(pooch.os_cache("hw5"))


def candidate_folders(folder: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """Where real files are looked for, in order, with a name for each place."""
    places = []
    if folder is not None:
        places.append(("the folder given", Path(folder)))
    if os.environ.get("HW5_DATA"):
        places.append(("HW5_DATA", Path(os.environ["HW5_DATA"])))
    places.append(("the project's data folder", PROJECT_DATA))
    places.append(("the user cache", cache_dir() / "nist36"))
    return places


def find_real_files(folder: str | os.PathLike | None = None) -> Path | None:
    """The first folder holding all three real files, or None.

    A folder given explicitly must hold them; a folder holding only some raises DataError.
    """
    for place, path in candidate_folders(folder):
        present = [s for s in SPLITS if (path / file_name(s)).is_file()]
        if len(present) == len(SPLITS):
            return path
        if present:
            missing = ", ".join(file_name(s) for s in SPLITS if s not in present)
            raise DataError(f"{path} ({place}) has {', '.join(file_name(s) for s in present)} but not {missing}; "
                            "put all three files there (or remove them to use the stand-in)")
        if place == "the folder given":
            raise DataError(f"{path} holds none of {', '.join(map(file_name, SPLITS))}; give the folder that "
                            "holds the unzipped course data, or fetch it with `hw5 data fetch`")
    return None


def read_split(path: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and validate one course file; return (data [N, 1024] float64, labels [N, 36] uint8)."""
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist; put the course's {file_name(split)} there or use the stand-in")
    try:
        contents = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises several types for damaged files
        raise DataError(
            f"{path} could not be read as a MATLAB .mat file ({type(exc).__name__}: {exc}); it may be truncated "
            "or not a .mat file at all: delete it and fetch the data again (`hw5 data fetch`)") from exc
    keys = (f"{split}_data", f"{split}_labels")
    missing = [k for k in keys if k not in contents]
    if missing:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise DataError(f"{path} has no {' or '.join(missing)} (it holds {found}); is it the {split} split of NIST36?")
    data, labels = contents[keys[0]], contents[keys[1]]
    validate_split(data, labels, f"{path}")
    return np.ascontiguousarray(data, dtype=np.float64), labels.astype(np.uint8)


def validate_split(data: np.ndarray, labels: np.ndarray, where: str) -> None:
    """Raise DataError naming ``where`` when data/labels are not in the NIST36 layout."""
    if data.ndim != 2 or data.shape[1] != IMAGE_PIXELS:
        raise DataError(f"{where}: data has shape {data.shape}; NIST36 holds one 32x32 image per row, "
                        f"[N, {IMAGE_PIXELS}]")
    if not np.issubdtype(data.dtype, np.floating):
        raise DataError(f"{where}: data is {data.dtype}; NIST36 images are floating point (float64), "
                        "paper about 1.0 and ink about 0.0")
    if labels.ndim != 2 or labels.shape[1] != len(CLASS_NAMES):
        raise DataError(f"{where}: labels have shape {labels.shape}; NIST36 labels are one-hot [N, 36] "
                        "('A'-'Z' then '0'-'9')")
    if labels.shape[0] != data.shape[0]:
        raise DataError(f"{where}: {data.shape[0]} images but {labels.shape[0]} labels; the file is damaged")
    if not np.all((labels == 0) | (labels == 1)) or not np.all(labels.sum(axis=1) == 1):
        raise DataError(f"{where}: labels are not one-hot (each row must hold a single 1)")
    if not np.all(np.isfinite(data)):
        raise DataError(f"{where}: data contain NaN or infinite values; the file is damaged")


def _read_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for split in SPLITS:
        data, labels = read_split(folder / file_name(split), split)
        arrays[f"{split}_data"], arrays[f"{split}_labels"] = data, labels
    return arrays


# The seed of the stand-in's draw. The cache is keyed by the generator's source (standin_key), the draw
# by this fixed name, so an edit that leaves the generator's behaviour alone (a comment) rebuilds the
# same images instead of another draw of them.
STANDIN_DRAW = "nist36-standin"


def standin_key() -> str:
    """A key that changes whenever the generator (with its handwriting fonts) or the split sizes change."""
    from hw5lib.standin import synth

    digest = hashlib.sha256(synth.generator_source())
    digest.update(repr(sorted(PER_CLASS.items())).encode())
    return digest.hexdigest()[:12]


def standin_folder() -> Path:
    """Where the stand-in for the current generator is cached."""
    return cache_dir() / f"nist36-standin-{standin_key()}"


def draw_split(split: str, version: str, per_class: int, workers: int | None = None,
               progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One split of the stand-in drawn by generator ``version``: (images, one-hot labels), sorted by class."""
    from hw5lib.standin import synth

    labels = np.repeat(np.arange(len(CLASS_NAMES)), per_class)
    images = synth.render_split(labels, split, version, workers=workers, progress=progress)
    return images, np.eye(len(CLASS_NAMES), dtype=np.uint8)[labels]


def build_standin(folder: Path, per_class: dict[str, int] | None = None, workers: int | None = None,
                  progress: bool = True, replace: bool = True) -> Path:
    """Draw the stand-in and write it as the three course files into ``folder`` (atomically). ``replace=False``
    keeps a whole stand-in another process wrote there meanwhile (the same draw), as a reader may be using it."""
    import scipy.io

    per_class = per_class or PER_CLASS
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        for split in SPLITS:
            data, one_hot = draw_split(split, STANDIN_DRAW, per_class[split], workers=workers, progress=progress)
            scipy.io.savemat(work / file_name(split), {f"{split}_data": data, f"{split}_labels": one_hot})
        if not replace and holds_all_splits(folder):
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def load_standin(progress: bool = True) -> Nist36:
    """The stand-in, built and cached on first use."""
    folder = standin_folder()
    if not holds_all_splits(folder):
        print(f"hw5: drawing the offline NIST36 stand-in once (about 20 s), cached in {folder}", file=sys.stderr)
        build_standin(folder, progress=progress, replace=False)
    return Nist36(**_read_folder(folder), source=f"stand-in {folder}")


def load_nist36(folder: str | os.PathLike | None = None, standin: bool | None = None,
                 progress: bool = True, quiet: bool = False) -> Nist36:
    """NIST36 as the course files hold it: real files when found, the stand-in otherwise.

    ``standin=True`` (or HW5_STANDIN=1) always uses the stand-in; ``standin=False`` requires real files.
    ``quiet=True`` leaves out the line that says the stand-in is used (the grade cells need this: nbgrader
    gives no points to a cell that writes to stderr).
    """
    if not standin_forced(standin):
        real = find_real_files(folder)
        if real is not None:
            return Nist36(**_read_folder(real), source=f"real {real}")
        if standin is False:
            raise DataError("no real NIST36 files found in " + ", ".join(
                f"{p} ({n})" for n, p in candidate_folders(folder)) + "; fetch them with `hw5 data fetch`")
        if not quiet:
            print("hw5: no real NIST36 files found, using the offline stand-in; to use the course's files, put "
                  f"nist36_train/valid/test.mat in {PROJECT_DATA} or set HW5_DATA, or run `hw5 data fetch`",
                  file=sys.stderr)
    return load_standin(progress=progress)


def fetch_nist36(dest: str | os.PathLike | None = None, url: str | None = None, progress: bool = True) -> Path:
    """Download the course's data.zip with pooch, unzip it and put the three files in ``dest``.

    ``dest`` defaults to the user cache, where ``load_nist36`` looks; ``url`` defaults to HW5_DATA_URL or
    the course address. The files are validated before this returns.
    """
    import pooch

    url = url or os.environ.get("HW5_DATA_URL") or DATA_URL
    dest = Path(dest) if dest is not None else cache_dir() / "nist36"
    downloads = cache_dir() / "downloads"
    try:
        members = pooch.retrieve(url, known_hash=None, path=downloads, processor=pooch.Unzip(),
                                 progressbar=progress)
    except Exception as exc:
        raise DataError(f"could not download {url} ({type(exc).__name__}: {exc}); check the network or give "
                        "another address with --url (or HW5_DATA_URL)") from exc
    by_name = {Path(m).name: Path(m) for m in members}
    missing = [file_name(s) for s in SPLITS if file_name(s) not in by_name]
    if missing:
        raise DataError(f"{url} did not contain {', '.join(missing)}; is it the course's data.zip?")
    dest.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        read_split(by_name[file_name(split)], split)
        shutil.copyfile(by_name[file_name(split)], dest / file_name(split))
    return dest


def describe(folder: str | os.PathLike | None = None) -> str:
    """One paragraph saying which data ``load_nist36`` would use and where it looked (DataError on a problem)."""
    lines = [f"  {name:<28} {path}{'  <- real files' if holds_all_splits(path) else ''}"
             for name, path in candidate_folders(folder)]
    forced = standin_forced()
    real = None if forced else find_real_files(folder)
    cached = standin_folder()
    if real is not None:
        use = f"real files in {real}"
    else:
        use = "the offline stand-in" + (" (forced by HW5_STANDIN)" if forced else "")
        use += f", {'cached' if cached.exists() else 'not built yet'} in {cached}"
    from hw5lib.standin import hand_fonts

    total, missing = len(hand_fonts.HAND_FONTS), hand_fonts.missing_fonts()
    fonts = f"{total - len(missing)} of {total}" + (" (fetch them with `hw5 data fonts`)" if missing else "")
    return ("NIST36 in use: " + use + "\nplaces searched for real files:\n" + "\n".join(lines)
            + f"\nhandwriting fonts of the stand-in: {fonts} in {hand_fonts.fonts_dir()}")
