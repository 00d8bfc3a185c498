"""Shared test settings and fixtures: figures never open a window; the stand-in and the reading network."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def full_standin():
    """The full-size offline stand-in, from the user cache (drawn once, about 20 s, if absent)."""
    from hw5lib import data

    return data.load_nist36(standin=True, progress=False)


@pytest.fixture(scope="session")
def reading_params(full_standin):
    """The Q3 reference network trained on the stand-in (cached in the user cache after the first time)."""
    from hw5lib import data, ocr_model

    return ocr_model.reading_network(data.standin_folder() / "q3_reference.npz", progress=False)
