"""Sample pages: exact ground truth, reading order, photo-like images."""

import numpy as np
import pytest
from scipy import ndimage

from hw5lib import pages


@pytest.fixture(scope="module")
def sample():
    return pages.sample_pages(include_photos=False)


@pytest.fixture(scope="module")
def hard():
    return pages.hard_pages(count=3, seed=5)


def assert_exact_ground_truth(page):
    labels, _ = ndimage.label(page.ink, structure=np.ones((3, 3)))
    objects = ndimage.find_objects(labels)
    assert [len(row) for row in page.boxes] == [len(line.replace(" ", "")) for line in page.lines]
    for row in page.boxes:
        for y1, x1, y2, x2 in row:
            inside = set(np.unique(labels[y1:y2, x1:x2])) - {0}
            assert len(inside) == 1, f"box {(y1, x1, y2, x2)} of {page.name} touches {len(inside)} ink components"
            (component,) = inside
            rows, cols = objects[component - 1]
            assert (rows.start, cols.start, rows.stop, cols.stop) == (y1, x1, y2, x2)
    assert labels.max() == sum(len(row) for row in page.boxes), "ink that belongs to no box"


def assert_reading_order(page):
    centres = [np.mean([(b[0] + b[2]) / 2 for b in row]) for row in page.boxes]
    assert centres == sorted(centres), "lines must run top to bottom"
    for row in page.boxes:
        lefts = [b[1] for b in row]
        assert lefts == sorted(lefts), "characters must run left to right"


def test_the_four_sample_pages(sample):
    assert [p.name for p in sample] == list(pages.SAMPLE_TEXTS)
    for page in sample:
        assert page.lines == pages.SAMPLE_TEXTS[page.name]
        assert page.image.ndim == 3 and page.image.shape[2] == 3
        assert 0.0 <= page.image.min() and page.image.max() <= 1.0
        assert page.image.shape[:2] == page.ink.shape
        assert_exact_ground_truth(page)
        assert_reading_order(page)


def test_the_harder_pages(hard):
    assert len(hard) == 3
    for page in hard:
        assert_exact_ground_truth(page)
        assert_reading_order(page)


def test_pages_are_reproducible():
    a = pages.synthesize_page(["AB 12"], seed=3)
    b = pages.synthesize_page(["AB 12"], seed=3)
    assert np.array_equal(a.image, b.image) and a.boxes == b.boxes


def test_ink_is_dark_on_the_photo(sample):
    page = sample[0]
    grey = page.image.mean(axis=2)
    assert grey[page.ink].mean() < grey[~page.ink].mean() - 0.4


def test_unknown_characters_are_refused():
    with pytest.raises(ValueError, match=r"capitals, digits and spaces only; \['!', 'a'\]"):
        pages.synthesize_page(["a!"], seed=0)


def test_course_photos_are_found_in_the_data_folder(tmp_path, monkeypatch):
    from PIL import Image

    (tmp_path / "images").mkdir()
    Image.fromarray(np.full((40, 60, 3), 200, dtype=np.uint8)).save(tmp_path / "images" / "02_letters.jpg")
    monkeypatch.setenv("HW5_DATA", str(tmp_path))
    photos = pages.course_photos()
    assert [p.name for p in photos] == ["02_letters"]
    assert photos[0].lines is None and photos[0].image.shape == (40, 60, 3)


def test_sample_pages_are_cached_identical_to_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_CACHE", str(tmp_path))
    drawn = pages.sample_pages(include_photos=False)
    assert pages.sample_pages_cache().is_file()
    fresh = pages.synthesize_page(pages.SAMPLE_TEXTS["03_poem"], seed=2, name="03_poem")

    def no_drawing(*args, **kwargs):
        raise AssertionError("the cached pages were drawn again")

    monkeypatch.setattr(pages, "synthesize_page", no_drawing)
    cached = pages.sample_pages(include_photos=False)
    assert np.array_equal(cached[2].image, fresh.image) and np.array_equal(cached[2].ink, fresh.ink)
    for a, b in zip(drawn, cached):
        assert (a.name, a.lines, a.boxes) == (b.name, b.lines, b.boxes)
        assert a.image.dtype == b.image.dtype and np.array_equal(a.image, b.image)
    monkeypatch.undo()
    monkeypatch.setenv("HW5_CACHE", str(tmp_path))
    good = pages.sample_pages_cache().read_bytes()
    for damaged in (b"not a cache", good[: len(good) // 2]):  # a damaged or truncated cache is drawn again
        pages.sample_pages_cache().write_bytes(damaged)
        assert [p.boxes for p in pages.sample_pages(include_photos=False)] == [p.boxes for p in drawn]
    assert pages.sample_pages_cache().stat().st_size > 1000


def test_a_check_page_is_drawn_once_and_read_back_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_CACHE", str(tmp_path))
    fresh = pages.synthesize_page(["AB 12"], seed=5)
    first = pages.cached_page(["AB 12"], seed=5)
    (stored,) = (tmp_path / "check-pages").glob("page-*.npz")
    drawn = []
    monkeypatch.setattr(pages, "synthesize_page", lambda *a, **k: drawn.append(a) or fresh)
    again = pages.cached_page(["AB 12"], seed=5)
    assert drawn == []  # read from the cache
    for page in (first, again):
        assert (page.name, page.lines, page.boxes) == (fresh.name, fresh.lines, fresh.boxes)
        assert np.array_equal(page.image, fresh.image) and np.array_equal(page.ink, fresh.ink)
    pages.cached_page(["AB 12"], seed=6)  # another seed is another page
    assert len(drawn) == 1 and len(list((tmp_path / "check-pages").glob("page-*.npz"))) == 2
    stored.write_bytes(b"damaged")
    assert pages.cached_page(["AB 12"], seed=5).boxes == fresh.boxes and len(drawn) == 2  # drawn again


def test_a_check_page_is_drawn_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("HW5_CACHE", str(blocked))
    assert pages.cached_page(["AB 12"], seed=5).boxes == pages.synthesize_page(["AB 12"], seed=5).boxes
