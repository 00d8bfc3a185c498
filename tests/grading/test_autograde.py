"""Real autograding: the trusted grader and nbgrader's sandboxed notebook run, two submissions at a time.

The reference, the blank release, the hostile samples that act in both the trusted grader and the notebooks (or
that formgrader's test opens), the attacks that reach past the function server (all in one submission) and a
messy copy of the reference (a planted bug, a broken notebook and a missing one) are graded together with
--jobs 2. Then a rerun grades only a late copy of the blank release, and a run interrupted with Ctrl-C keeps the
grades it wrote. test_dask_runner.py grades the messy copy again apart (its grades must equal this run's),
test_autograde_stops.py has the runs that stop early; `make sweep` grades every sample and compares serial and
--jobs 2 on ten submissions.
"""

import json
import shutil

import pytest

from grading.batch import autograde
from grading.course.paths import ASSIGNMENT
from grading.course.points import load_points, question_of
from grading.feedback import report
from grading.grader.result import load_result, Result, result_path
from grading.sandbox import bwrap
from grading.selftest import samples
from whole_flow import (ATTACKS_TOGETHER, BROKEN_ID, LIMITS, MANUAL, PLANTED, SHORT, WHOLE_FLOW_ATTACKS,
                        folders_the_grader_made)

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")


def lost(result: Result) -> set[str]:
    return {question_of(gid) for gid, (score, maximum) in result.scores.items() if score < maximum}


def test_every_automatic_cell_is_graded_with_its_points(results):
    table = {gid: pts for nb in load_points().values() for gid, pts in nb.items()}
    automatic = {gid: pts for gid, pts in table.items() if "written" not in gid and gid not in MANUAL}
    for result in results.values():
        assert {gid: maximum for gid, (_, maximum) in result.scores.items()} == automatic


def test_the_reference_scores_full_automatic_marks_and_the_blank_release_zero(results):
    assert results["reference"].total == 77 and lost(results["reference"]) == set()
    assert results["blank"].total == 0 and results["reference"].reasons == []


def test_a_planted_bug_loses_only_its_own_question_under_nbgrader(results):
    assert lost(results[BROKEN_ID]) == set(PLANTED.loses) == {"Q2.3"}  # its broken notebooks cost no other
    assert "grad_W has shape" in results[BROKEN_ID].failed_cells["q2_3_backwards"]


def test_a_broken_or_missing_notebook_costs_only_itself_whatever_the_id(results, course_root):
    result = results[BROKEN_ID]
    assert result.total == 77 - 7  # the points come from the code: all but the planted bug's (Q2.3, 7 points)
    assert any(r.startswith("01_theory.ipynb is not JSON") for r in result.reasons), result.reasons
    assert any(r.startswith("03_training.ipynb is missing from the submission") for r in result.reasons)
    graded = course_root / "autograded" / BROKEN_ID / ASSIGNMENT
    kept = ["02_fully_connected.ipynb", "04_autoencoder.ipynb", "05_ocr.ipynb"]
    assert sorted(p.name for p in graded.glob("*.ipynb")) == kept  # run, kept and gradable in formgrader
    feedback = course_root / "feedback" / BROKEN_ID / ASSIGNMENT
    assert sorted(p.name for p in feedback.glob("*.html")) == sorted(
        [name.replace(".ipynb", ".html") for name in kept] + ["summary.html"])


def test_deleting_the_working_folder_gives_zero_with_a_reason(results):
    result = results["hostile_deletes_files"]
    assert result.total == 0
    assert any("deleted provided files" in r or "could not grade" in r for r in result.reasons), result.reasons


def test_replacing_the_checker_gives_zero_with_a_reason(results):
    result = results["hostile_replaces_checker"]
    assert result.total == 0
    assert any("changed or deleted provided files" in r and "hw5lib/checks/__init__.py" in r for r in result.reasons)


def test_hostile_submissions_leave_the_course_intact(course_root):
    assert (course_root / "source" / ASSIGNMENT / "hw5lib" / "checks" / "__init__.py").read_text().startswith(
        '"""The public checks')
    assert (course_root / "submitted" / "hostile_deletes_files" / ASSIGNMENT / "01_theory.ipynb").is_file()


def test_feedback_explains_the_points_and_holds_no_solution_hidden_test_or_path(course_root, results):
    hidden = "check_backwards(n_in, n_out, batch, activation, seed=seed)"  # a line of a hidden test
    for student in results:
        folder = course_root / "feedback" / student / ASSIGNMENT
        assert (folder / "summary.html").is_file()
        assert {p.suffix for p in folder.iterdir()} == {".html"}, "feedback must hold pages only (no reference code)"
        for page in folder.iterdir():
            text = page.read_text()
            assert str(course_root) not in text and "/tmp/hw5-" not in text, f"{page} names a grading path"
            if student != "reference":  # the reference submission is the source notebooks themselves
                assert hidden not in text and "BEGIN HIDDEN TESTS" not in text, f"{page} shows a hidden test"
    page = (course_root / "feedback" / "hostile_replaces_checker" / ASSIGNMENT / "summary.html").read_text()
    assert "hw5lib/checks/__init__.py" in page and "0 of 77" in page
    assert (course_root / "feedback" / "blank" / ASSIGNMENT / "02_fully_connected.html").is_file()
    bug = (course_root / "feedback" / BROKEN_ID / ASSIGNMENT / "summary.html").read_text()
    assert "q2_3_backwards" in bug and "grad_W has shape" in bug  # a lost point comes with its check's message


def test_scores_reach_the_course_gradebook_and_the_csv(course_root, results):
    gradebook_scores = {}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(ASSIGNMENT):
            gradebook_scores[submission.student.id] = sum(
                grade.auto_score or 0 for nb in submission.notebooks for grade in nb.grades if grade.cell_type == "code")
    assert gradebook_scores == {student: result.total for student, result in results.items()}
    table = report.grade_table(course_root)
    path = report.write_csv(table, course_root / "grades.csv")
    rows = path.read_text().splitlines()
    assert rows[0].startswith("student,Q1.1 manual (of 3),Q1.2.1 manual (of 1)")
    assert rows[0].endswith("automatic,manual,total,maximum,submitted,days late,late penalty,final,"
                            "written answers waiting,problems")
    assert table.rows["reference"].automatic_total == 77 and table.rows["reference"].total == 77  # none graded by hand
    assert any(row.startswith("reference,") and ",77,0,77,127," in row for row in rows)


@pytest.mark.parametrize("attack", WHOLE_FLOW_ATTACKS)
def test_an_attack_gains_nothing_and_its_feedback_says_what_was_stopped(results, course_root, attack):
    """Each attack of WHOLE_FLOW_ATTACKS is named in the feedback of the one submission that holds them all."""
    sample, result = samples.SAMPLES[attack], results[ATTACKS_TOGETHER.name]
    assert sample.loses == ("*",) and result.total == 0, result.scores
    page = (course_root / "feedback" / ATTACKS_TOGETHER.name / ASSIGNMENT / "summary.html").read_text()
    for words in sample.expected_stopped():
        assert any(words in line for line in result.stopped), (words, result.stopped)
        assert words.replace("'", "&#x27;") in page


def test_attacks_leave_no_process_behind_and_the_course_and_cache_untouched(course_root, attack_watch):
    attack_watch.after(course_root)


def test_a_rerun_grades_only_the_new_submission(course_root, results):
    """A late copy of the blank release, under a short time limit: it scores nothing either way. (That a
    submission graded apart gets the grades of the session's run: test_dask_runner.py.)"""
    assert autograde.autograde(course_root, jobs=2, limits=LIMITS, progress=False) == {}
    shutil.copytree(course_root / "submitted" / "blank", course_root / "submitted" / "late")
    graded = autograde.autograde(course_root, jobs=1, limits=SHORT, progress=False)
    assert list(graded) == ["late"]
    assert graded["late"].scores == results["blank"].scores


def test_an_interrupted_run_keeps_the_grades_already_written(course_root, monkeypatch):
    pair = ("blank", ATTACKS_TOGETHER.name)  # two of the quickest to grade
    before = {s: result_path(course_root, s).read_text() for s in pair}
    written = []
    bring_back = autograde.bring_back

    def interrupted(root, result, *args):  # Ctrl-C in the client once the first grade is written
        if written:
            raise KeyboardInterrupt
        bring_back(root, result, *args)
        written.append(result.student)

    monkeypatch.setattr(autograde, "bring_back", interrupted)
    with pytest.raises(KeyboardInterrupt):  # a short time limit: both get no points either way, sooner
        autograde.autograde(course_root, jobs=2, force=True, students=list(pair), progress=False,
                            limits=SHORT)
    assert folders_the_grader_made() == []  # the workspace of the one stopped mid-way is gone too
    (kept,) = written
    other = (set(pair) - {kept}).pop()
    assert result_path(course_root, other).read_text() == before[other]  # the interrupted one: as it was
    stored = Result(**json.loads(before[kept]))
    assert load_result(course_root, kept).scores == stored.scores  # the one written: whole, same grades


def test_autograde_before_release_says_what_to_run(tmp_path):
    with pytest.raises(RuntimeError, match="release"):
        autograde.autograde(tmp_path)


def test_a_finished_run_leaves_no_folder_it_made_in_the_temp_folder(course_root):
    """After the session's grading (a local cluster of two workers), nothing the run made is left: workspaces and
    the workers' unpacked course alike."""
    assert folders_the_grader_made() == []
