"""Public checks of notebook 05 (Q5): finding characters on a page, lines, crops, reading the sample pages.

Each builds its page or boxes with known truth and checks properties; nothing here reads characters.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from hw5lib.checks._common import expect_shape, grades, unchanged


def _page_truth(page) -> list:
    return [b for row in page.boxes for b in row]


def _add_specks(image: np.ndarray, boxes: list, rng: np.random.Generator, count: int = 6) -> np.ndarray:
    """A copy of the page with ``count`` specks of dirt (dark dots a few pixels wide) well away from the characters."""
    image = np.array(image, dtype=float)
    height, width = image.shape[:2]
    size = float(np.median([b[2] - b[0] for b in boxes]))
    placed = 0
    for _ in range(500):
        if placed == count:
            break
        cy, cx = rng.uniform(0.3 * size, height - 0.3 * size), rng.uniform(0.3 * size, width - 0.3 * size)
        if any(b[0] - size < cy < b[2] + size and b[1] - size < cx < b[3] + size for b in boxes):
            continue
        radius = rng.uniform(0.03, 0.05) * size
        y0, x0, y1, x1 = int(cy - radius - 2), int(cx - radius - 2), int(cy + radius + 3), int(cx + radius + 3)
        if y0 < 0 or x0 < 0 or y1 > height or x1 > width:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        cover = np.clip(radius + 0.5 - np.hypot(yy - cy, xx - cx), 0.0, 1.0)
        region = image[y0:y0 + cover.shape[0], x0:x0 + cover.shape[1]]
        region *= (1.0 - 0.8 * cover).reshape(cover.shape + (1,) * (image.ndim - 2))
        placed += 1
    return image


@grades("ocr.findLetters")
def check_find_letters(seed: int = 0, min_recall: float = 0.95) -> None:
    """``findLetters`` on a synthetic page with a few specks: a box over every character and over little else,
    in reading order, and a binary image with ink 1.0 on the characters and paper 0.0."""
    from hw5lib import ocr, ocr_eval, pages

    rng = np.random.default_rng(seed)
    words = ["PAGE", "INK", "LINE", "READ", "2024", "HAND", "WRITE", "NOTE", "7 DAYS"]
    page = pages.cached_page([" ".join(rng.choice(words, 2)) for _ in range(3)], seed=seed)
    specks = 6
    image = _add_specks(page.image, _page_truth(page), rng, specks)
    result = ocr.findLetters(image)
    assert isinstance(result, tuple) and len(result) == 2, "findLetters returns (boxes, binary)"
    boxes, binary = result
    assert all(len(b) == 4 for b in boxes), "each box is (y1, x1, y2, x2)"
    expect_shape("the binary image", binary, page.image.shape[:2], "one value per pixel of the page")
    assert set(np.unique(np.asarray(binary, dtype=float))) <= {0.0, 1.0}, "the binary image holds 0.0 and 1.0 only"
    ink = np.asarray(binary) > 0.5
    assert (ink & page.ink).sum() > 0.7 * page.ink.sum(), "ink must be 1.0 and paper 0.0 in the binary image"
    truth = _page_truth(page)
    recall = ocr_eval.box_recall([tuple(b) for b in boxes], truth)
    if recall < min_recall and boxes:
        swapped = ocr_eval.box_recall([(b[1], b[0], b[3], b[2]) for b in boxes], truth)
        if swapped >= min_recall:
            raise AssertionError("boxes are (x1, y1, x2, y2); the handout's order is (y1, x1, y2, x2)")
    assert recall >= min_recall, (
        f"{len(boxes)} boxes found for {len(truth)} characters, {recall:.0%} of them matched (IoU >= 0.5); "
        "check the threshold, the morphology and which components you drop")
    near = ndimage.binary_dilation(page.ink, iterations=10)  # within 10 pixels of a character's ink
    on_characters = (ink & near).sum() / max(ink.sum(), 1)
    assert on_characters >= 0.5, (
        f"only {on_characters:.0%} of the binary image's ink lies on or next to the characters: the binary image "
        "must hold ink 1.0 on the characters and paper 0.0 everywhere else")
    extra = len(boxes) - round(recall * len(truth))
    assert extra <= max(2, 0.1 * len(truth)), (
        f"{len(boxes)} boxes for {len(truth)} characters: {extra} boxes match no character (the page has {specks} "
        "specks of dirt); drop components much smaller than the page's characters, and give each character one box")
    scores = np.array([[ocr_eval.box_iou(tuple(b), t) for t in truth] for b in boxes])
    order = [int(np.argmax(row)) for row in scores if row.max() >= 0.5]
    in_order = float(np.mean(np.diff(order) > 0)) if len(order) > 1 else 1.0
    assert in_order >= 0.9, (
        f"the boxes are not in reading order (only {in_order:.0%} of neighbouring boxes follow each other): return "
        "them line by line, top to bottom, and left to right within a line, as group_lines orders them")


@grades("ocr.findLetters")
def check_find_letters_inputs() -> None:
    """A blank page gives no boxes; uint8, grey and RGBA pages are read like float RGB."""
    from hw5lib import ocr, pages

    for blank in (np.ones((300, 400, 3)), np.full((200, 300), 0.7)):
        boxes, binary = ocr.findLetters(blank)
        assert len(boxes) == 0, f"a blank page gave {len(boxes)} boxes; an empty page has no characters"
        expect_shape("the binary image of a blank page", binary, blank.shape[:2], "one value per pixel")
    page = pages.cached_page(["AB 12"], seed=5)
    count = len(ocr.findLetters(page.image)[0])
    for label, image in (("uint8", (page.image * 255).astype(np.uint8)), ("grey", page.image.mean(axis=2)),
                         ("RGBA", np.dstack([page.image, np.ones(page.image.shape[:2])]))):
        assert len(ocr.findLetters(image)[0]) == count, f"a {label} page gives other boxes than the same float RGB page"


@grades("ocr.group_lines")
def check_group_lines(seed: int = 0) -> None:
    """Shuffled boxes of three sloping lines with mixed heights come back as the lines, left to right."""
    from hw5lib import ocr

    rng = np.random.default_rng(seed)
    pitch, slope = rng.uniform(150, 220), rng.choice([-1, 1]) * rng.uniform(0.08, 0.15)
    truth = []
    for line in range(3):
        row = []
        for i in range(int(rng.integers(5, 12))):
            height, cx = rng.uniform(30, 70), 100 + 62 * i
            cy = 200 + pitch * line + slope * cx
            row.append((int(cy - height / 2), int(cx - 20), int(cy + height / 2), int(cx + 20)))
        truth.append(row)
    shuffled = [b for row in truth for b in row]
    rng.shuffle(shuffled)
    got = ocr.group_lines([tuple(b) for b in shuffled])
    assert [len(line) for line in got] == [len(line) for line in truth], (
        f"lines of {[len(line) for line in got]} boxes; expected {[len(line) for line in truth]}: group by the "
        "vertical position along each line, relative to the characters' height")
    assert [list(map(tuple, line)) for line in got] == truth, "lines run top to bottom and boxes left to right"


@grades("ocr.crop_to_input")
def check_crop_to_input() -> None:
    """An upright bar becomes a 1024-long row in the NIST36 layout: upright, dark ink on white, centred, its shape
    kept (padded to a square), and the page's binary image left as it was."""
    from hw5lib import ocr

    binary = np.zeros((200, 240))
    binary[40:160, 100:112] = 1.0
    binary[40:52, 100:170] = 1.0  # a bar with a top arm to the right: like a capital gamma
    given = binary.copy()
    row = np.asarray(ocr.crop_to_input(binary, (40, 100, 160, 170)))
    expect_shape("crop_to_input's result", row, (1024,), "a flattened 32x32 image")
    image = row.reshape(32, 32).T
    ink = image < 0.5
    assert ink.any() and image.max() > 0.9, "ink must be dark (about 0) on white paper (about 1)"
    rows, cols = np.nonzero(ink)
    assert rows.min() >= 1 and rows.max() <= 30 and cols.min() >= 1, "leave a margin: pad to a square first"
    top_width = ink[rows.min():rows.min() + 3].sum(axis=1).max()
    side_height = ink[:, cols.min():cols.min() + 3].sum(axis=0).max()
    assert top_width > 8 and side_height > 15, (
        "the character is not upright: transpose the 32x32 image before flattening, as the NIST36 rows are")
    unchanged("crop_to_input", "binary", binary, given, "the same binary image is cropped for every character")
    tall, wide = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert 1.2 <= tall / wide <= 2.4, (
        f"the character's ink is {tall} pixels tall and {wide} wide, but the box is 120 tall and 70 wide: pad the "
        "crop to a square before resizing, so the character keeps its shape")
    centre = ((rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2)
    assert max(abs(centre[0] - 15.5), abs(centre[1] - 15.5)) <= 3, (
        f"the character's centre is at row {centre[0]:.1f}, column {centre[1]:.1f} of the 32x32 image: pad equally "
        "on both sides so it sits in the middle, as in NIST36")


@grades("ocr.read_text")
def check_read_text(params: dict, min_accuracy: float = 0.70) -> dict:
    """``read_text`` on the four sample pages with the given network: at least ``min_accuracy`` of the characters
    right on each."""
    from hw5lib import ocr, ocr_eval, pages

    assert params is not None, "no Q3 network to read with: run notebook 03 (it saves q3_weights.npz) and the setup cell"
    scores = {}
    for page in pages.sample_pages(include_photos=False):
        text = ocr.read_text(page.image, params)
        assert isinstance(text, list) and all(isinstance(t, str) for t in text), "read_text returns a list of strings"
        scores[page.name] = ocr_eval.character_accuracy(text, page.lines)
        assert scores[page.name] >= min_accuracy, (
            f"{page.name}: {scores[page.name]:.0%} of the characters right, below {min_accuracy:.0%}; read {text}")
    return scores


__all__ = ["check_find_letters", "check_find_letters_inputs", "check_group_lines", "check_crop_to_input",
           "check_read_text"]
