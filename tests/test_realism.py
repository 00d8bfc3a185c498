"""The stand-in against one real file of the course's data family (skipped when the file is absent)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.io

REAL_LETTERS = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "nist26_valid.mat"
# Mean over letters of the summed absolute difference of the mean ink profiles (hw5lib.standin.ink_measures):
# 0.218 with the fitted midlines and boxes applied in full (synth.LETTER_MIDLINE, LETTER_BOX), 0.238 with
# them applied halfway (synth.FIT_STRENGTH 0.5, which the real-letter accuracy prefers), 0.245-0.25 without
# the midlines.
PROFILE_DISTANCE_LIMIT = 0.242


@pytest.fixture(scope="module")
def real_letters():
    if not REAL_LETTERS.is_file():
        pytest.skip(f"{REAL_LETTERS} is absent")
    contents = scipy.io.loadmat(REAL_LETTERS)
    return contents["valid_data"], np.argmax(contents["valid_labels"], axis=1)


@pytest.fixture(scope="module")
def standin_letters(full_standin):
    """The stand-in's validation letters (the real file holds letters only)."""
    return full_standin.valid_data[np.argmax(full_standin.valid_labels, axis=1) < 26]


def _ink(images):
    return images.reshape(-1, 32, 32).transpose(0, 2, 1) < 0.5


def test_same_layout_and_value_range(real_letters, full_standin):
    real, _ = real_letters
    ours = full_standin.valid_data
    assert real.dtype == ours.dtype and real.shape[1] == ours.shape[1]
    for values in (real, ours):
        assert -0.3 < values.min() < 0 and 1 < values.max() < 1.3
    assert abs(np.median(real) - np.median(ours)) < 0.02


def test_similar_ink_size_and_position(real_letters, standin_letters):
    real, _ = real_letters
    r, o = _ink(real), _ink(standin_letters)
    assert abs(r.mean() - o.mean()) < 0.05, f"ink share real {r.mean():.3f}, stand-in {o.mean():.3f}"
    for axis in (1, 2):  # height, then width of the ink's box
        real_extent, our_extent = np.median(r.any(axis=axis).sum(1)), np.median(o.any(axis=axis).sum(1))
        assert abs(real_extent - our_extent) <= 3, (axis, real_extent, our_extent)
    real_mean_image, our_mean_image = r.mean(axis=0), o.mean(axis=0)
    assert np.corrcoef(real_mean_image.ravel(), our_mean_image.ravel())[0, 1] > 0.9


def test_stroke_cores_are_as_dark_as_real_ink(real_letters, standin_letters):
    real, _ = real_letters
    black_real, black_ours = np.mean(real < 0.05), np.mean(standin_letters < 0.05)
    assert abs(black_real - black_ours) < 0.03, (
        f"pixels darker than 0.05: real {black_real:.3f}, stand-in {black_ours:.3f}")
    grey_real = np.mean((real >= 0.05) & (real < 0.2))
    grey_ours = np.mean((standin_letters >= 0.05) & (standin_letters < 0.2))
    assert abs(grey_real - grey_ours) < 0.03, f"pixels in 0.05-0.2: real {grey_real:.3f}, stand-in {grey_ours:.3f}"


def _stroke_width_and_softness(images):
    """Median pen width in pixels (twice the distance to paper along the ink's skeleton) and the median
    share of grey pixels (0.2-0.8) per ink pixel, which grows as stroke edges get softer."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    widths, softness = [], []
    for image in images.reshape(-1, 32, 32):
        ink = image < 0.5
        skeleton = skeletonize(ink)
        widths.append(2 * ndimage.distance_transform_edt(ink)[skeleton].mean())
        softness.append(np.sum((image > 0.2) & (image < 0.8)) / ink.sum())
    return np.median(widths), np.median(softness)


def test_strokes_are_as_wide_and_as_soft_edged_as_real_ink(real_letters, standin_letters):
    real, _ = real_letters
    width_real, soft_real = _stroke_width_and_softness(real)
    width_ours, soft_ours = _stroke_width_and_softness(standin_letters)
    assert abs(width_real - width_ours) < 0.2, f"pen width real {width_real:.2f} px, stand-in {width_ours:.2f} px"
    assert abs(soft_real - soft_ours) < 0.04, f"grey per ink pixel real {soft_real:.3f}, stand-in {soft_ours:.3f}"


def test_each_letter_spreads_its_ink_over_its_box_as_real_letters_do(real_letters, full_standin):
    """The mean ink profile of each letter across the rows and the columns of its ink box (where A's bar
    lies, how high H's is) is near the real one."""
    from hw5lib.standin.ink_measures import ink_profiles

    real, real_labels = real_letters
    labels = np.argmax(full_standin.valid_labels, axis=1)
    distances = []
    for letter in range(26):
        ours = ink_profiles(full_standin.valid_data[labels == letter]).mean(axis=0)
        theirs = ink_profiles(real[real_labels == letter]).mean(axis=0)
        distances.append(np.abs(ours - theirs).sum())
    assert np.mean(distances) < PROFILE_DISTANCE_LIMIT, f"mean profile distance {np.mean(distances):.3f}"
