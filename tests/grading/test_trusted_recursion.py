"""Calls that go back and forth between the submission and the grader's reference copies without end (the
submission's function calls a handout function whose reference copy calls the submission's function again) are
cut after a bounded depth, named as endless recursion, and cost that check only."""

import json
import shutil

import pytest
from test_trusted_time import _notebook  # a notebook of grade cells

from grading.course.paths import ASSIGNMENT
from grading.grader import trusted
from grading.grader.limits import Limits
from grading.sandbox import bwrap

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")

# tanh_from_sigmoid written with tanh_derivative, whose reference copy calls tanh_from_sigmoid back
MUTUAL = '''

def tanh_from_sigmoid(x):
    """tanh from the derivative (wrongly: the reference's tanh_derivative calls tanh_from_sigmoid)."""
    return np.sqrt(np.maximum(1.0 - tanh_derivative(x), 0.0)) * np.sign(x)
'''


def test_endless_mutual_recursion_is_named_and_costs_its_check_only(released_course, tmp_path):
    package = tmp_path / "package"
    shutil.copytree(released_course / "source" / ASSIGNMENT / "hw5lib", package / "hw5lib")
    theory = package / "hw5lib" / "theory.py"
    theory.write_text(theory.read_text() + MUTUAL)  # the later definition wins
    source = tmp_path / "source"
    source.mkdir()
    (source / "01_recursion.ipynb").write_text(json.dumps(_notebook({
        "q1_6_4_tanh_from_sigmoid": "checks.check_tanh_from_sigmoid(seed=0)",
        "q1_4_sigmoid_derivative": "checks.check_sigmoid_derivative(seed=0)"})))

    outcome = trusted.grade(source, package, Limits(cell_timeout=20, submission_seconds=120, memory_gb=4))

    message = outcome.cells["q1_6_4_tanh_from_sigmoid"]
    assert ("tanh_from_sigmoid called tanh_derivative, which calls tanh_from_sigmoid back: endless recursion"
            in message), message
    assert f"after {trusted.MAX_NESTED_CALLS} nested calls" in message
    assert any("endless recursion" in problem for problem in outcome.problems)
    assert outcome.cells["q1_4_sigmoid_derivative"] == ""  # the grader stayed responsive: the next check passes
