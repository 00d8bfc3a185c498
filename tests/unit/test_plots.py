"""The image mosaics of hw5lib.plots: tiles in place, each with its own contrast where asked, one axes."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hw5lib import plots  # noqa: E402


def test_tiles_land_row_by_row_with_gaps_between_them():
    tiles = [np.full((2, 3), value) for value in (0.1, 0.2, 0.3)] + [None]
    mosaic = plots.tile_mosaic(tiles, rows=2, cols=2, gap=1)
    assert mosaic.shape == (2 * 2 + 1, 2 * 3 + 1)
    assert np.all(mosaic[0:2, 0:3] == 0.1) and np.all(mosaic[0:2, 4:7] == 0.2) and np.all(mosaic[3:5, 0:3] == 0.3)
    assert np.all(np.isnan(mosaic[3:5, 4:7]))  # the missing tile
    assert np.all(np.isnan(mosaic[2, :])) and np.all(np.isnan(mosaic[:, 3]))  # the gaps


def test_normalised_tiles_each_span_zero_to_one():
    small, large = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[-100.0, 0.0], [0.0, 100.0]])
    flat = np.full((2, 2), 7.0)
    mosaic = plots.tile_mosaic([small, large, flat], rows=1, cols=3, gap=0, normalise=True)
    assert mosaic[:, 0:2].tolist() == [[0.0, 0.25], [0.5, 1.0]]
    assert mosaic[:, 2:4].tolist() == [[0.0, 0.5], [0.5, 1.0]]
    assert np.all(mosaic[:, 4:6] == 0.5)  # a constant tile shows as mid grey, not as a division by zero


@pytest.mark.parametrize("figure", ["weights", "reconstructions", "characters"])
def test_grids_of_characters_are_one_image_in_one_axes(figure):
    rng = np.random.default_rng(0)
    rows = rng.random((36, 1024))
    if figure == "weights":
        fig = plots.plot_weight_grid(rng.normal(size=(1024, 64)), "weights")
        expected = (8 * 34 - 2, 8 * 34 - 2)
    elif figure == "reconstructions":
        fig = plots.plot_reconstructions(rows[:5], {"autoencoder": rows[5:10]}, titles=list("abcde"))
        expected = (2 * 34 - 2, 5 * 34 - 2)
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["original", "autoencoder"]
    else:
        fig = plots.plot_character_grid(rows, np.eye(36), per_class=1)
        expected = (32, 36 * 34 - 2)
        assert fig.axes[0].get_xticklabels()[10].get_text() == "K"
    assert len(fig.axes) == 1 and len(fig.axes[0].images) == 1
    assert fig.axes[0].images[0].get_array().shape == expected
    if figure == "reconstructions":  # the first original, column by column, in the top-left tile
        assert np.allclose(fig.axes[0].images[0].get_array()[:32, :32], rows[0].reshape(32, 32).T)


def test_a_mosaic_of_no_images_says_so():
    with pytest.raises(ValueError, match="no images to draw"):
        plots.tile_mosaic([None, None], rows=1, cols=2)
