"""Shared test settings: figures never open a window."""

import matplotlib

matplotlib.use("Agg")

import pytest


@pytest.fixture(scope="session")
def full_standin():
    """The full-size offline stand-in, from the user cache (drawn once, about 15 s, if absent)."""
    from hw5lib import data

    return data.load_nist36(standin=True, progress=False)
