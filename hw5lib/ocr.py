"""Q5: reading handwriting in a photo of a page.

Student-fillable file: ``findLetters`` (Q5.2), ``group_lines``, ``crop_to_input`` and ``read_text``
(Q5.4) are yours. Boxes are (y1, x1, y2, x2) with y2 and x2 exclusive, in pixels of the page.
``as_grey`` (given, in hw5lib.images) turns RGB, RGBA, grey, integer or float input into a grey page.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import filters, measure, morphology, transform

from hw5lib.data import CLASS_NAMES
from hw5lib.images import as_grey

Box = tuple[int, int, int, int]
WORK_SIZE = 1600  # pages are analysed with their longer side at most this many pixels


def findLetters(image: np.ndarray) -> tuple[list[Box], np.ndarray]:
    """Find the characters on a page.

    Returns (boxes, binary): one box per character in reading order (lines top to bottom, left to
    right within a line, as ``group_lines`` orders them), and a float image of the page's size with
    ink 1.0 and paper 0.0. Cope with uneven lighting (normalise the background before thresholding),
    join broken strokes, and drop specks and punctuation by their size relative to the page's
    characters. An empty page gives no boxes.
    """
    grey = as_grey(image)
    ### BEGIN SOLUTION
    height, width = grey.shape
    scale = min(1.0, WORK_SIZE / max(height, width))
    small = transform.rescale(grey, scale, anti_aliasing=True) if scale < 1 else grey
    small = filters.gaussian(small, sigma=1.0)
    # the paper's brightness: a closing removes dark strokes, a blur smooths what is left; it varies
    # slowly, so it is estimated on a quarter-size copy and brought back to full size
    window = max(15, int(max(small.shape) / 25))
    coarse = small[::4, ::4]
    background = ndimage.grey_closing(coarse, size=(window // 4 + 1, window // 4 + 1))
    background = filters.gaussian(background, sigma=window / 8)
    background = transform.resize(background, small.shape, order=1)
    flat = small / np.maximum(background, 1e-3)
    if np.percentile(flat, 0.5) > 0.8:  # nothing on the page is much darker than the paper
        return [], np.zeros(grey.shape)
    ink = flat < min(filters.threshold_otsu(flat), 0.8)
    ink = ndimage.binary_closing(ink, structure=morphology.disk(max(1, round(window / 30))))
    labels = measure.label(ink, connectivity=2)
    regions = [r for r in measure.regionprops(labels) if r.area >= 4]
    if not regions:
        return [], np.zeros(grey.shape)
    # the page's typical character height: the median over ink, not over components, so specks hardly count
    heights = np.array([r.bbox[2] - r.bbox[0] for r in regions])
    areas = np.array([r.area for r in regions], dtype=float)
    order = np.argsort(heights)
    typical = heights[order][np.searchsorted(np.cumsum(areas[order]), areas.sum() / 2)]
    keep = [r for r in regions if (r.bbox[2] - r.bbox[0]) >= 0.4 * typical and r.bbox[2] - r.bbox[0] <= 4 * typical]
    kept = np.isin(labels, [r.label for r in keep])
    boxes = [tuple(int(round(v / scale)) for v in r.bbox) for r in keep]
    boxes = [(max(0, y1), max(0, x1), min(height, y2), min(width, x2)) for y1, x1, y2, x2 in boxes]
    binary = transform.resize(kept.astype(float), grey.shape, order=0) if scale < 1 else kept.astype(float)
    return [box for line in group_lines(boxes) for box in line], binary
    ### END SOLUTION


def group_lines(boxes: list[Box]) -> list[list[Box]]:
    """Group character boxes into lines of text, lines top to bottom and boxes left to right.

    Lines may slope and characters may differ in height: decide membership relative to the
    characters' own size, not with fixed pixel thresholds.
    """
    if not boxes:
        return []
    ### BEGIN SOLUTION
    heights = np.array([b[2] - b[0] for b in boxes], dtype=float)
    typical = float(np.median(heights))
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):  # left to right over the whole page
        cy, cx = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        best, best_distance = None, 0.6 * typical
        for line in lines:
            # follow the line from its last characters, so sloping lines are tracked
            centres = np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in line[-4:]])
            slope = np.polyfit(centres[:, 1], centres[:, 0], 1)[0] if len(centres) >= 2 and np.ptp(centres[:, 1]) > 0 else 0.0
            slope = float(np.clip(slope, -0.3, 0.3))
            predicted = centres[-1, 0] + slope * (cx - centres[-1, 1])
            distance = abs(cy - predicted)
            if distance < best_distance:
                best, best_distance = line, distance
        if best is None:
            lines.append([box])
        else:
            best.append(box)
    lines.sort(key=lambda line: np.mean([(b[0] + b[2]) / 2 for b in line]))
    return [sorted(line, key=lambda b: b[1]) for line in lines]
    ### END SOLUTION


def crop_to_input(binary: np.ndarray, box: Box) -> np.ndarray:
    """One character as a network input like the NIST36 rows: 1024 values, paper 1.0, ink 0.0.

    Crop the box from ``binary`` (ink 1.0), thicken thin strokes to NIST36's stroke width (about a
    seventh of the character's size), pad to a square with a margin so the character fills about
    seven tenths of it (NIST36 characters are about 22 of 32 pixels), resize to 32x32, make ink dark
    on white, and flatten column by column
    (transpose before flattening).
    """
    ### BEGIN SOLUTION
    y1, x1, y2, x2 = box
    crop = binary[y1:y2, x1:x2] > 0.5
    h, w = crop.shape
    target = max(h, w) / 7.0
    if crop.any():
        skeleton = morphology.skeletonize(crop)
        width = 2.0 * float(np.median(ndimage.distance_transform_edt(crop)[skeleton])) if skeleton.any() else target
        if width < target:
            crop = np.pad(crop, int(np.ceil(target)))
            crop = ndimage.binary_dilation(crop, structure=morphology.disk(max(1, int(round((target - width) / 2)))))
            rows, cols = np.nonzero(crop)
            crop = crop[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            h, w = crop.shape
    side = int(np.ceil(max(h, w) / 0.7))
    square = np.zeros((side, side))
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = crop
    small = transform.resize(square, (32, 32), anti_aliasing=True)
    return (1.0 - small).T.reshape(-1)
    ### END SOLUTION


def read_text(image: np.ndarray, params: dict) -> list[str]:
    """Read a page: find the characters, group them into lines, classify each with the Q3 network.

    Returns one string per line; a gap wider than about half the line's typical character height
    becomes a space. Within a word, every character follows the word's majority kind (letters or
    digits): a digit in a word of letters is read as the most likely letter, and the other way round.
    """
    from hw5lib.train import classify

    ### BEGIN SOLUTION
    boxes, binary = findLetters(image)
    text = []
    for line in group_lines(boxes):
        inputs = np.stack([crop_to_input(binary, box) for box in line])
        probs = classify(inputs, params)
        typical = float(np.median([b[2] - b[0] for b in line]))
        words, current = [], [probs[0]]
        for previous, box, p in zip(line, line[1:], probs[1:]):
            if box[1] - previous[3] > 0.55 * typical:
                words.append(current)
                current = []
            current.append(p)
        words.append(current)
        text.append(" ".join(_read_word(np.array(word)) for word in words))
    return text
    ### END SOLUTION


def _read_word(probs: np.ndarray) -> str:
    """Given: the word's most likely characters, each of the word's majority kind (letters or digits)."""
    letters = np.argmax(probs, axis=1) < 26
    kind = slice(0, 26) if letters.sum() * 2 >= len(letters) else slice(26, 36)
    return "".join(CLASS_NAMES[kind][i] for i in np.argmax(probs[:, kind], axis=1))
