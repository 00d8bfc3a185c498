"""Shared test settings: figures never open a window."""

import matplotlib

matplotlib.use("Agg")
