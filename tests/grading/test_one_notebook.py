"""Hostile samples whose harm is all in one notebook (01_theory.ipynb) and never in their code: nbgrader's sandboxed
run of that notebook alone, as a grading runs it (``grading.sandbox.notebook_run``). Their points come from the
trusted grader, which runs the submission's code, untouched here: the reference's. `make sweep` grades them whole.
"""

import json
import time

import pytest

from grading.course.gradebook import public_gradebook
from grading.course.paths import ASSIGNMENT
from grading.feedback.pages import summary_html
from grading.grader.result import Result
from grading.sandbox import bwrap, cgroups, notebook_run
from grading.selftest import samples
from whole_flow import LIMITS

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")

NOTEBOOK = "01_theory"


@pytest.fixture(scope="module")
def one_notebook_runs(released_course, tmp_path_factory):
    """{sample: (run folder, RunOutcome)} of 01_theory.ipynb run alone in the sandbox, with the whole flow's limits."""
    work = tmp_path_factory.mktemp("one-notebook")
    release = released_course / "release" / ASSIGNMENT
    gradebook = work / "public_gradebook.db"
    public_gradebook(released_course / "gradebook.db", release, gradebook)
    runs = {}
    for name in ("hostile_fork_bomb", "hostile_huge_outputs"):
        submission = samples.write_sample(released_course / "source" / ASSIGNMENT, samples.SAMPLES[name],
                                          work / name / "submission" / ASSIGNMENT)
        folder = work / name / "notebooks"
        assert notebook_run.prepare(folder, release, submission, name, gradebook, LIMITS.cell_timeout) == []
        outcome = notebook_run.run(folder, name, LIMITS.memory_gb, LIMITS.disk_bytes,
                                   time.monotonic() + LIMITS.submission_seconds, True, NOTEBOOK)
        runs[name] = folder, outcome
    return runs


def test_a_fork_bomb_in_a_notebook_is_stopped_at_the_process_limit_and_costs_nothing(one_notebook_runs):
    folder, outcome = one_notebook_runs["hostile_fork_bomb"]
    assert not outcome.timed_out and not outcome.over_disk and outcome.problems == [], outcome.problems
    found, problems = notebook_run.executed_notebooks(folder, "hostile_fork_bomb", [NOTEBOOK + ".ipynb"])
    assert list(found) == [NOTEBOOK + ".ipynb"] and problems == []  # kept for formgrader
    if "pids" in cgroups.places():  # where the sandbox's processes can be limited
        line = f"the notebooks' sandbox reached its limit of {cgroups.PROCESS_LIMIT} processes"
        assert any(line in stopped for stopped in outcome.stopped), outcome.stopped
        refused = json.loads(found[NOTEBOOK + ".ipynb"])
        printed = "".join("".join(out.get("text", "")) for cell in refused["cells"] for out in cell.get("outputs", []))
        assert "was refused" in printed  # the cell itself saw the limit
        page = summary_html(Result(student="hostile_fork_bomb", fingerprint="", stopped=outcome.stopped))
        assert line.replace("'", "&#x27;") in page


def test_huge_outputs_are_cut_while_the_notebook_runs_and_it_is_kept(one_notebook_runs):
    folder, outcome = one_notebook_runs["hostile_huge_outputs"]
    assert not outcome.timed_out and not outcome.over_disk and outcome.problems == [], outcome.problems
    executed = folder / "autograded" / "hostile_huge_outputs" / ASSIGNMENT / (NOTEBOOK + ".ipynb")
    assert executed.stat().st_size < 4 * 2**20  # cut in the kernel: 250 MB never reached the file
    found, problems = notebook_run.executed_notebooks(folder, "hostile_huge_outputs", [NOTEBOOK + ".ipynb"])
    theory = json.loads(found[NOTEBOOK + ".ipynb"])
    answers = [c for c in theory["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "q1_1"]
    assert answers and "".join(answers[0]["source"]).strip()  # the written answer is there to grade
    cut = [p for p in problems if p.startswith(NOTEBOOK + ".ipynb: ") and "MB of output cut" in p]
    assert len(cut) == 1 and float(cut[0].split()[1].replace(",", "")) > 240, problems  # 150 MB printed, 100 shown
