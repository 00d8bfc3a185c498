"""What hostile samples cost in nbgrader's sandboxed notebook run, tested without the trusted grader.

The fork bomb and the huge outputs act in one notebook (01_theory.ipynb) and never in their code: that notebook is
run alone (``grading.sandbox.notebook_run``); their points come from the trusted grader, which runs the
submission's code, untouched here: the reference's. Exiting at import and filling the disk act in the code: the
notebook run of a grading (``grading.batch.submission.run_notebooks``, which falls back to one notebook at a time)
is tested here, the questions they lose in test_samples.py. The course here keeps two notebooks: 01_theory,
where the kernel dies, and 04_autoencoder, which fills the disk; each is the other's notebook that must be kept.
`make sweep` grades them all whole, with the five notebooks.
"""

import json
import time

import pytest

from grading.batch.submission import run_notebooks
from grading.course.gradebook import public_gradebook
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, PUBLIC_GRADEBOOK
from grading.feedback.pages import summary_html
from grading.grader.result import Result
from grading.sandbox import bwrap, cgroups, notebook_run
from grading.selftest import samples
from whole_flow import (HOSTILE_IN_ONE_NOTEBOOK, HOSTILE_IN_THE_CODE_AND_NOTEBOOKS, HOSTILE_IN_THE_NOTEBOOKS, LIMITS,
                        course_with)

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")

NOTEBOOK = "01_theory"
KEPT = ["01_theory.ipynb", "04_autoencoder.ipynb"]  # the notebooks of the course here


@pytest.fixture(scope="module")
def course(released_course, tmp_path_factory):
    """A copy of the released course with the notebooks of KEPT only, the hostile samples of
    HOSTILE_IN_THE_NOTEBOOKS submitted, and the public gradebook its notebook runs are given."""
    work = tmp_path_factory.mktemp("notebooks-alone")
    folders = {name: samples.write_sample(released_course / "source" / ASSIGNMENT, samples.SAMPLES[name],
                                          work / "samples" / name / ASSIGNMENT) for name in HOSTILE_IN_THE_NOTEBOOKS}
    root = course_with(released_course, work / "course", folders)
    for folder in [root / "release" / ASSIGNMENT, *(root / "submitted" / name / ASSIGNMENT for name in folders)]:
        for notebook in folder.glob("*.ipynb"):
            if notebook.name not in KEPT:
                notebook.unlink()
    public_gradebook(root / "gradebook.db", root / "release" / ASSIGNMENT, root / GRADER_FOLDER / PUBLIC_GRADEBOOK)
    return root


def kept(folder, student) -> list[str]:
    """The executed copies a grading keeps from the run in ``folder`` (``notebook_run.executed_notebooks``)."""
    names = [p.name for p in sorted((folder / "source" / ASSIGNMENT).glob("*.ipynb"))]
    return sorted(notebook_run.executed_notebooks(folder, student, names)[0])


@pytest.fixture(scope="module")
def one_notebook_runs(course, tmp_path_factory):
    """{sample: (run folder, RunOutcome)} of 01_theory.ipynb run alone in the sandbox, with the whole flow's limits."""
    work = tmp_path_factory.mktemp("one-notebook")
    runs = {}
    for name in HOSTILE_IN_ONE_NOTEBOOK:
        folder = work / name / "notebooks"
        problems = notebook_run.prepare(folder, course / "release" / ASSIGNMENT, course / "submitted" / name / ASSIGNMENT,
                                        name, course / GRADER_FOLDER / PUBLIC_GRADEBOOK, LIMITS.cell_timeout)
        assert problems == []
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


@pytest.fixture(scope="module")
def notebook_runs(course, tmp_path_factory):
    """{sample: (run folder, Result)} of a grading's notebook run, for samples that act in their code."""
    work = tmp_path_factory.mktemp("notebook-runs")
    runs = {}
    for name in HOSTILE_IN_THE_CODE_AND_NOTEBOOKS:
        result = Result(student=name, fingerprint="")
        (work / name).mkdir()
        run_notebooks(course, work / name, name, LIMITS, True, result)
        runs[name] = work / name / "notebooks", result
    return runs


def test_exiting_the_interpreter_costs_only_the_notebook_whose_kernel_died(notebook_runs):
    folder, result = notebook_runs["hostile_exit_at_import"]
    assert any("kernel died while running 01_theory.ipynb" in reason for reason in result.reasons), result.reasons
    assert kept(folder, "hostile_exit_at_import") == ["04_autoencoder.ipynb"]


def test_writing_past_the_disk_limit_costs_only_the_notebook_that_wrote_and_is_named(notebook_runs):
    folder, result = notebook_runs["hostile_disk_filler"]
    assert any("04_autoencoder.ipynb wrote more than the disk limit (256 MiB)" in r for r in result.reasons)
    assert kept(folder, "hostile_disk_filler") == ["01_theory.ipynb"]
    assert not list(folder.rglob("filler-*"))  # what it wrote went with its notebook
