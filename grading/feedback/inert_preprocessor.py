"""The nbconvert preprocessor formgrader renders a submission through (``grading.course.nbgrader_config`` names
it): the notebook made inert by ``grading.feedback.inert`` first. A module of its own, so that importing ``inert``
(every grading process does) does not import nbconvert."""

from __future__ import annotations

import nbformat
from nbconvert.preprocessors import Preprocessor

from grading.feedback.inert import inert_notebook


class InertNotebook(Preprocessor):
    """The notebook made inert before a template renders it (formgrader's pages)."""

    def preprocess(self, nb, resources):
        clean, _ = inert_notebook(nb)
        return nbformat.from_dict(clean), resources
