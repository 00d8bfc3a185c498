"""Q5: finding, grouping and reading characters on pages; every input kind and every bad input."""

import numpy as np
import pytest
from skimage import transform

from hw5lib import images, ocr, ocr_eval, pages


@pytest.fixture(scope="module")
def sample():
    return pages.sample_pages(include_photos=False)


def _truth(page):
    return [b for row in page.boxes for b in row]


def test_sample_pages_are_found_and_read(sample, reading_params):
    for page in sample:
        boxes, binary = ocr.findLetters(page.image)
        assert binary.shape == page.image.shape[:2] and set(np.unique(binary)) <= {0.0, 1.0}
        assert ocr_eval.box_recall(boxes, _truth(page)) >= 0.98, page.name
        text = ocr.read_text(page.image, reading_params)
        assert len(text) == len(page.lines)
        assert ocr_eval.character_accuracy(text, page.lines) >= 0.90, (page.name, text)


def test_binary_image_marks_the_ink(sample):
    page = sample[1]
    _, binary = ocr.findLetters(page.image)
    ink = binary > 0.5
    overlap = (ink & page.ink).sum() / page.ink.sum()
    assert overlap > 0.8 and ink.sum() < 2 * page.ink.sum()


def test_boxes_come_in_reading_order(sample):
    page = sample[0]
    boxes, _ = ocr.findLetters(page.image)
    lines = ocr.group_lines(boxes)
    assert [len(line) for line in lines] == [len(t.replace(" ", "")) for t in page.lines]
    assert boxes == [b for line in lines for b in line]


def test_sloping_lines_and_mixed_heights_are_grouped():
    rng = np.random.default_rng(0)
    boxes, truth = [], []
    for line in range(3):
        row = []
        for i in range(12):
            height = rng.uniform(30, 70)  # small and tall characters mixed
            cy = 200 + 180 * line + 0.15 * 60 * i  # each line slopes down by 9 px a character
            cx = 100 + 60 * i
            row.append((int(cy - height / 2), int(cx - 20), int(cy + height / 2), int(cx + 20)))
        truth.append(row)
        boxes += row
    rng.shuffle(boxes)
    assert ocr.group_lines([tuple(b) for b in boxes]) == truth


def test_group_lines_of_nothing():
    assert ocr.group_lines([]) == []


def test_crop_to_input_looks_like_a_nist_row():
    binary = np.zeros((200, 200))
    binary[40:160, 95:105] = 1.0  # a thin upright bar: an I
    row = ocr.crop_to_input(binary, (40, 95, 160, 105))
    assert row.shape == (1024,)
    upright = row.reshape(32, 32).T
    ink = upright < 0.5
    rows, cols = np.nonzero(ink)
    assert 18 <= rows.max() - rows.min() + 1 <= 26  # about seven tenths of 32
    assert cols.max() - cols.min() + 1 <= 8  # still a narrow stroke, standing upright
    assert upright[0, 0] > 0.95 and upright[16, 16] < 0.3  # paper white, ink dark


@pytest.mark.parametrize("kind", ["float rgb", "uint8 rgb", "grey", "grey uint8", "rgba", "grey 0-255 floats"])
def test_every_input_kind_reads_the_same(sample, reading_params, kind):
    image = sample[3].image
    variants = {
        "float rgb": image,
        "uint8 rgb": (image * 255).round().astype(np.uint8),
        "grey": image.mean(axis=2),
        "grey uint8": (image.mean(axis=2) * 255).astype(np.uint8),
        "rgba": np.dstack([image, np.ones(image.shape[:2])]),
        "grey 0-255 floats": image.mean(axis=2) * 255.0,
    }
    text = ocr.read_text(variants[kind], reading_params)
    assert ocr_eval.character_accuracy(text, sample[3].lines) >= 0.85


def test_shadows_and_uneven_light(reading_params):
    page = pages.synthesize_page(["SHADOW ON THE PAGE", "LIGHT FROM ONE SIDE"], seed=11,
                                 style=pages.PhotoStyle(shadow=0.55, light=0.5))
    boxes, _ = ocr.findLetters(page.image)
    assert ocr_eval.box_recall(boxes, _truth(page)) >= 0.95
    assert ocr_eval.character_accuracy(ocr.read_text(page.image, reading_params), page.lines) >= 0.8


def test_specks_and_punctuation_are_dropped():
    page = pages.synthesize_page(["DOTS"], seed=2)
    image = page.image.copy()
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(20, image.shape[0] - 20, 40), rng.integers(20, image.shape[1] - 20, 40)):
        image[y:y + 4, x:x + 4] = 0.1  # specks of dirt, a tenth of a character's height
    boxes, _ = ocr.findLetters(image)
    assert len(boxes) == 4 and ocr_eval.box_recall(boxes, _truth(page)) == 1.0


def test_an_empty_page_gives_no_boxes():
    for blank in (np.ones((400, 600, 3)), np.full((300, 300), 0.8), np.zeros((50, 50), dtype=np.uint8) + 200):
        boxes, binary = ocr.findLetters(blank)
        assert boxes == [] and binary.shape == blank.shape[:2] and binary.max() == 0
    assert ocr.read_text(np.ones((400, 600)), {}) == []


def test_a_large_photo_is_analysed_at_working_size(reading_params):
    page = pages.synthesize_page(["BIG PHOTO"], seed=4)
    big = transform.rescale(page.image, 3.0, order=1, channel_axis=2)
    boxes, binary = ocr.findLetters(big)
    assert binary.shape == big.shape[:2]
    truth = [tuple(3 * v for v in b) for b in _truth(page)]
    assert ocr_eval.box_recall(boxes, truth) == 1.0
    read_big = ocr.read_text(big, reading_params)
    # scaling the photo up changes nothing in what is read (the network's own mistakes stay the same)
    assert read_big == ocr.read_text(page.image, reading_params)
    assert ocr_eval.character_accuracy(read_big, ["BIG PHOTO"]) >= 0.85, read_big


@pytest.mark.parametrize("bad,message", [
    ("not an image", "does not exist"),
    (np.zeros((10, 10, 5)), r"got shape \(10, 10, 5\)"),
    (np.zeros((4, 4)), "only 4x4 pixels"),
    (np.array([["a", "b"]]), "numeric image array"),
    (np.full((20, 20), np.nan), "NaN or infinite"),
    (np.zeros(30), r"got shape \(30,\)"),
])
def test_bad_inputs_get_clear_errors(bad, message):
    with pytest.raises(images.ImageError, match=message):
        ocr.findLetters(bad)


def test_a_file_that_is_not_an_image(tmp_path):
    path = tmp_path / "page.jpg"
    path.write_text("this is text, not a photo")
    with pytest.raises(images.ImageError, match="page.jpg is not an image that can be read"):
        ocr.findLetters(str(path))


# ---------------------------------------------------------------- scoring


def test_character_accuracy_by_edit_distance():
    assert ocr_eval.character_accuracy(["HELLO WORLD"], ["HELLO WORLD"]) == 1.0
    assert ocr_eval.character_accuracy(["HELL0 WORLD"], ["HELLO WORLD"]) == pytest.approx(1 - 1 / 11)
    assert ocr_eval.character_accuracy(["HELLO  WORLD "], ["HELLO WORLD"]) == 1.0  # runs of spaces count once
    assert ocr_eval.character_accuracy(["AB"], ["AB", "CD"]) == pytest.approx(0.5)  # a missing line
    assert ocr_eval.character_accuracy([], ["ABCD"]) == 0.0


def test_box_recall_matches_one_to_one():
    truth = [(0, 0, 10, 10), (0, 20, 10, 30)]
    assert ocr_eval.box_recall([(1, 1, 10, 10), (0, 21, 10, 31)], truth) == 1.0
    assert ocr_eval.box_recall([(0, 0, 10, 10)], truth) == 0.5
    assert ocr_eval.box_recall([(0, 0, 10, 30)], truth) == 0.0  # one box over two characters
    assert ocr_eval.box_iou((0, 0, 10, 10), (5, 5, 15, 15)) == pytest.approx(25 / 175)
