"""Sample pages for Q5: lines of handwriting-like characters on a photo-like page, with exact ground truth.

Characters come from the same generator as the NIST36 stand-in (``hw5lib.standin.synth``), drawn at page
scale and spaced by their actual ink, so no two boxes share ink. The clean ink layer and a map of
which character each ink pixel belongs to are rotated together, then the photo is made from the ink
(paper texture, uneven light, optional shadow, blur, noise, JPEG). Boxes are (y1, x1, y2, x2) with
y2 and x2 exclusive, the convention of ``skimage.measure.regionprops``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from hw5lib.data import CLASS_NAMES, PROJECT_DATA, cache_dir

# Our own texts, one of each kind the course uses: a numbered list, the alphabet and digits,
# a short poem, a few repeated words.
SAMPLE_TEXTS = {
    "01_list": ["THINGS TO PACK", "1 MAP AND TORCH", "2 WARM SOCKS", "3 TEA FOR TWO"],
    "02_letters": ["ABCDEFG", "HIJKLMN", "OPQRSTU", "VWXYZ", "1234567890"],
    "03_poem": ["COLD RIVER LIGHT", "A HERON WAITS", "THE FROST KEEPS TIME"],
    "04_words": ["LEARN TO READ", "LEARN TO SEE", "LEARN TO LEARN"],
}
COURSE_PHOTOS = ("01_list.jpg", "02_letters.jpg", "03_haiku.jpg", "04_deep.jpg")


@dataclass(frozen=True)
class PhotoStyle:
    """How the page is photographed."""

    char_height: float = 64.0  # pixels
    rotation: float = 1.5  # largest rotation of the page, degrees
    shadow: float = 0.0  # darkness of a soft shadow across the page, 0 = none
    light: float = 0.25  # strength of the uneven lighting
    blur: float = 0.8  # Gaussian sigma in pixels
    noise: float = 0.012  # standard deviation of sensor noise
    jpeg_quality: int = 80


HARD_STYLE = PhotoStyle(char_height=56.0, rotation=5.0, shadow=0.45, light=0.4, blur=1.2, noise=0.03,
                        jpeg_quality=60)


@dataclass
class Page:
    """A page image with its ground truth (None for a real photo)."""

    name: str
    image: np.ndarray  # H x W x 3 float in [0, 1]
    lines: list[str] | None = None  # the text, one string per line, words separated by spaces
    boxes: list[list[tuple[int, int, int, int]]] | None = None  # per line, per non-space character
    ink: np.ndarray | None = None  # H x W bool, the clean ink the photo was made from


def _draw_char(char: str, height: float, slant: float, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage of one character at page scale, on a square canvas with room around it.

    ``slant`` is the writer's usual shear; each character leans a little more or less.
    """
    from hw5lib.standin import synth

    cell = int(np.ceil(height * 1.9))
    style = synth.draw_style(CLASS_NAMES.index(char), rng, image_size=cell)
    style = dataclasses.replace(  # one writer taking care: steadier than the many hands of a form
        style, size=height * rng.uniform(0.85, 1.1), max_width=height * 1.3, centre=(cell / 2, cell / 2),
        pen=height * rng.uniform(0.09, 0.13), vertex_jitter=rng.uniform(0.0, 0.05),
        stroke_offset=rng.uniform(0.0, 0.03), shear=slant + rng.normal(0.0, 0.08))
    return synth.rasterise(synth.distort_strokes(style, rng), (cell, cell), style.pen)


def _one_piece(coverage: np.ndarray) -> bool:
    """True when the character's ink is a single connected component."""
    _, count = ndimage.label(coverage > 0.5, structure=np.ones((3, 3)))
    return count == 1


def layout(lines: list[str], rng: np.random.Generator, char_height: float) -> tuple[np.ndarray, np.ndarray]:
    """The clean page: ink coverage [H, W] and, per pixel, 1 + the index of the character it belongs to."""
    cells, placed = [], []
    margin = int(2.5 * char_height)
    pitch = 2.1 * char_height
    y_centre = margin + char_height / 2
    x_end = 0
    slant = rng.normal(0.2, 0.1)  # one writer: one usual slant for the whole page
    for line in lines:
        x = margin + rng.uniform(0, 0.5) * char_height
        baseline_drift = rng.normal(0, 0.02)  # hands drift up or down along a line
        for char in line:
            if char == " ":
                x += rng.uniform(0.7, 1.0) * char_height
                continue
            for _ in range(20):  # a few glyph forms come apart at page scale: draw another
                coverage = _draw_char(char, char_height * rng.uniform(0.9, 1.1), slant, rng)
                if _one_piece(coverage):
                    break
            else:
                raise RuntimeError(f"could not draw {char!r} as one piece")
            rows, cols = np.nonzero(coverage > 0.02)
            top = int(y_centre + baseline_drift * (x - margin) + rng.normal(0, 0.05) * char_height
                      - (rows.min() + rows.max()) / 2)
            left = int(x - cols.min())
            cells.append(coverage)
            placed.append((top, left))
            x = left + cols.max() + rng.uniform(0.2, 0.4) * char_height
            x_end = max(x_end, x)
        y_centre += pitch
    height = int(y_centre - pitch + char_height / 2 + margin)
    width = int(x_end + margin)
    ink = np.zeros((height, width))
    owner = np.zeros((height, width), dtype=np.int32)
    for index, (coverage, (top, left)) in enumerate(zip(cells, placed)):
        h, w = coverage.shape
        region = (slice(top, top + h), slice(left, left + w))
        ink[region] = np.maximum(ink[region], coverage)
        owner[region][coverage > 0.02] = index + 1
    return ink, owner


def photograph(ink: np.ndarray, rng: np.random.Generator, style: PhotoStyle) -> np.ndarray:
    """A photo-like RGB image of ink on paper: texture, uneven light, shadow, blur, noise, JPEG."""
    from PIL import Image

    h, w = ink.shape
    paper = np.array([0.93, 0.91, 0.86]) + rng.normal(0, 0.015, 3)
    pen = np.array([0.12, 0.12, 0.2]) + rng.normal(0, 0.03, 3)
    blotches = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)), 25)
    texture = blotches / blotches.std() * 0.02 + rng.normal(0, 0.01, (h, w))
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - style.light * (0.5 + 0.5 * np.cos(angle) * (xx - 0.5) * 2 + 0.5 * np.sin(angle) * (yy - 0.5) * 2) / 1.5
    if style.shadow:
        edge = np.cos(angle + 1.3) * (xx - rng.uniform(0.3, 0.7)) + np.sin(angle + 1.3) * (yy - rng.uniform(0.3, 0.7))
        light = light * (1 - style.shadow / (1 + np.exp(-edge * 25)))
    image = (paper * (1 - ink[..., None]) + pen * ink[..., None]) * (1 + texture[..., None]) * light[..., None]
    image = ndimage.gaussian_filter(image, (style.blur, style.blur, 0)) + rng.normal(0, style.noise, image.shape)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(
        buffer, format="JPEG", quality=style.jpeg_quality)
    return np.asarray(Image.open(buffer), dtype=np.float64) / 255.0


def synthesize_page(lines: list[str], seed: int, style: PhotoStyle = PhotoStyle(), name: str = "page") -> Page:
    """A page with ``lines`` of text, its photo and its exact ground truth, fixed by ``seed``."""
    unknown = sorted({c for line in lines for c in line if c != " " and c not in CLASS_NAMES})
    if unknown:
        raise ValueError(f"pages hold capitals, digits and spaces only; {unknown} cannot be drawn")
    rng = np.random.default_rng(seed)
    ink, owner = layout(lines, rng, style.char_height)
    angle = rng.uniform(-style.rotation, style.rotation)
    ink = ndimage.rotate(ink, angle, reshape=False, order=1, mode="constant", cval=0.0)
    owner = ndimage.rotate(owner, angle, reshape=False, order=0, mode="constant", cval=0)
    binary = ink > 0.5
    found = ndimage.find_objects(np.where(binary, owner, 0))
    boxes, index = [], 0
    for line in lines:
        row = []
        for _ in line.replace(" ", ""):
            rs, cs = found[index]
            row.append((rs.start, cs.start, rs.stop, cs.stop))
            index += 1
        boxes.append(row)
    return Page(name=name, image=photograph(ink, rng, style), lines=list(lines), boxes=boxes, ink=binary)


def sample_pages(include_photos: bool = True) -> list[Page]:
    """The four synthetic sample pages, then the course's photos where they are found.

    The synthetic pages are drawn once and cached in the user cache, keyed by the source of
    this module and of the character generator; the cached pages are identical to freshly drawn ones.
    """
    path = sample_pages_cache()
    pages = _read_pages(path)
    if pages is None:
        pages = [synthesize_page(text, seed=i, name=name) for i, (name, text) in enumerate(SAMPLE_TEXTS.items())]
        _write_pages(path, pages)
    if include_photos:
        pages += course_photos()
    return pages


def sample_pages_cache() -> Path:
    """The cache file of the synthetic sample pages for the current page and character generators."""
    return cache_dir() / f"sample-pages-{_generators_digest().hexdigest()[:12]}.npz"


def _generators_digest():
    """A running hash of this module's and the character generator's source: a cached page of another version
    is never read."""
    from hw5lib.standin import synth

    return hashlib.sha256(Path(__file__).read_bytes() + synth.generator_source())


def cached_page(lines: list[str], seed: int) -> Page:
    """``synthesize_page(lines, seed)``, read from the user cache after the first time (the checks draw the same
    few pages on every run); a cache that cannot be read or written is skipped."""
    digest = _generators_digest()
    digest.update(repr((list(lines), int(seed))).encode())
    path = cache_dir() / "check-pages" / f"page-{digest.hexdigest()[:16]}.npz"
    stored = _read_pages(path, count=1)
    if stored is not None and stored[0].lines == list(lines):
        return stored[0]
    page = synthesize_page(lines, seed=seed)
    _write_pages(path, [page])
    return page


def _write_pages(path: Path, pages: list[Page]) -> None:
    """Store the pages (the photo as its exact 8-bit JPEG values) atomically; a cache that cannot be written is skipped."""
    arrays = {}
    for i, page in enumerate(pages):
        arrays[f"name{i}"] = np.array(page.name)
        arrays[f"image{i}"] = np.round(page.image * 255).astype(np.uint8)  # the photo was decoded from 8 bits
        arrays[f"ink{i}"] = page.ink
        arrays[f"lines{i}"] = np.array(page.lines)
        arrays[f"boxes{i}"] = np.array([box for row in page.boxes for box in row]).reshape(-1, 4)
        arrays[f"line_lengths{i}"] = np.array([len(row) for row in page.boxes])
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache: the pages are drawn again next time
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _read_pages(path: Path, count: int = len(SAMPLE_TEXTS)) -> list[Page] | None:
    """The ``count`` pages cached in ``path``, or None when there is no readable cache."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            pages = []
            for i in range(count):
                flat = [tuple(int(v) for v in box) for box in stored[f"boxes{i}"]]
                ends = np.cumsum(stored[f"line_lengths{i}"])
                pages.append(Page(name=str(stored[f"name{i}"]), image=stored[f"image{i}"] / 255.0,
                                  lines=[str(line) for line in stored[f"lines{i}"]],
                                  boxes=[flat[end - n:end] for n, end in zip(stored[f"line_lengths{i}"], ends)],
                                  ink=stored[f"ink{i}"]))
            return pages
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def hard_pages(count: int = 20, seed: int = 0) -> list[Page]:
    """A harder synthetic set (more rotation, shadows, noise, smaller writing), generated from ``seed``."""
    rng = np.random.default_rng(seed)
    words = [w for text in SAMPLE_TEXTS.values() for line in text for w in line.split()]
    pages = []
    for i in range(count):
        lines = [" ".join(rng.choice(words, rng.integers(2, 4))) for _ in range(rng.integers(3, 6))]
        pages.append(synthesize_page(lines, seed=1000 * seed + i, style=HARD_STYLE, name=f"hard_{i:02d}"))
    return pages


def course_photos() -> list[Page]:
    """The course's sample photos (images.zip) found in the data folders, without ground truth."""
    from skimage import io as skio
    from skimage.util import img_as_float

    folders = [Path(os.environ["HW5_DATA"]) / "images"] if os.environ.get("HW5_DATA") else []
    folders += [PROJECT_DATA / "images", cache_dir() / "images"]
    pages = []
    for name in COURSE_PHOTOS:
        for folder in folders:
            if (folder / name).is_file():
                image = img_as_float(skio.imread(folder / name))
                pages.append(Page(name=Path(name).stem, image=image[..., :3] if image.ndim == 3 else image))
                break
    return pages
