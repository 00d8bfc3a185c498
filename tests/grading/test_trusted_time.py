"""A grade cell's time limit counts the submission's own time: the grader's work for the submission's calls of
reference copies is not charged to it (a busy grading machine slows that work down), and is bounded on its own
by the grader's CPU time."""

import json
import shutil

import pytest

from grading.course.paths import ASSIGNMENT
from grading.grader import trusted
from grading.grader.limits import Limits
from grading.sandbox import bwrap

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")

# theory.sigmoid_derivative of a submission that asks the grader's copy of nn.compute_loss_and_acc for work
# (about 0.07 s a call): a hundred calls for an input of 3 values, without end for an input of 4
ASKS_FOR_WORK = '''
import numpy as np
from hw5lib import nn

Y = np.eye(36)[np.arange(300_000) % 36]
P = np.full((300_000, 36), 1 / 36)
Y.flags.writeable = P.flags.writeable = False  # sent once a cell, then by token: the calls cost the function server little


def sigmoid_derivative(x):
    calls = 0
    while x.size == 4 or calls < 100:
        nn.compute_loss_and_acc(Y, P)
        calls += 1
    return np.full(x.shape, float(calls))
'''

CELL = '''import numpy as np
from hw5lib import theory
with checks._common.GRADER.testing(("theory.sigmoid_derivative",)):
    result = theory.sigmoid_derivative(np.zeros({size}))
assert result[0] == 100, result
'''


def _notebook(cells: dict[str, str]) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": source, "metadata": {"nbgrader": {"grade": True, "grade_id": grade_id}},
         "outputs": [], "execution_count": None} for grade_id, source in cells.items()]}


def test_the_graders_work_is_not_the_submissions_time_but_is_bounded(released_course, tmp_path):
    package = tmp_path / "package"
    shutil.copytree(released_course / "release" / ASSIGNMENT / "hw5lib", package / "hw5lib")
    (package / "hw5lib" / "theory.py").write_text(ASKS_FOR_WORK)
    source = tmp_path / "source"
    source.mkdir()
    (source / "01_time.ipynb").write_text(json.dumps(_notebook(
        {"slow_reference": CELL.format(size=3), "endless_reference": CELL.format(size=4)})))

    outcome = trusted.grade(source, package, Limits(cell_timeout=3, submission_seconds=120, memory_gb=4))

    # a hundred calls of about 0.07 s of the grader's time: over the cell's 3 s, yet the submission's own time is small
    assert outcome.cells["slow_reference"] == "" and outcome.seconds["slow_reference"] > 3  # longer than the limit
    # work asked without end: stopped by the grader's CPU limit (3 s + 5 s), long before the wall-clock limit
    assert "ran out of time while the grader worked" in outcome.cells["endless_reference"]
    assert 3 + trusted.GRADER_EXTRA_CPU_SECONDS <= outcome.seconds["endless_reference"] < 4 * 3 + 15
