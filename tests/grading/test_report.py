"""The grade table: automatic points from the results, manual points from the gradebook, whole-handout totals."""

import csv
import shutil
import warnings
from datetime import datetime

import pytest

from grading.__main__ import main
from grading.course.gradebook import merge_into_gradebook
from grading.course.paths import ASSIGNMENT
from grading.course.points import load_points
from grading.feedback import report
from grading.grader.result import Result, write_result

HANDOUT_TOTAL = 127  # ../shared/HANDOUT.md: every question's points
MANUAL_SCORES = {"q1_1": 3, "q1_5": 10, "q3_2_written": 2}  # what a grader entered for "ada"
OVERRIDE = ("q2_4_batches", 1.5)  # an automatic score an instructor changed by hand


def set_manual(root, student, scores):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")
        submission = gradebook.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.manual_score = scores[grade.name]
        gradebook.db.commit()


@pytest.fixture(scope="module")
def course(released_course, tmp_path_factory):
    """A copy of the session's course with two graded students: ada (one lost check, three written answers
    graded, one automatic score overridden) and blank (nothing graded by hand)."""
    root = tmp_path_factory.mktemp("report") / "course"
    shutil.copytree(released_course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback",
                                                                            "results"))
    points = {gid: float(p) for notebook in load_points().values() for gid, p in notebook.items()}
    automatic = {gid: p for gid, p in points.items() if gid in _code_cells(root)}
    for student, lost in (("ada", {"q2_3_backwards"}), ("blank", set(automatic))):
        result = Result(student=student, fingerprint="-",
                        scores={g: [0.0 if g in lost else p, p] for g, p in automatic.items()})
        write_result(root, result)
        merge_into_gradebook(root / "gradebook.db", result.student, result.scores)
        (root / "feedback" / student / ASSIGNMENT).mkdir(parents=True)
    set_manual(root, "ada", dict(MANUAL_SCORES, **{OVERRIDE[0]: OVERRIDE[1]}))
    return root


def _code_cells(root):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {c.name for nb in gradebook.find_assignment(ASSIGNMENT).notebooks for c in nb.grade_cells
                if c.cell_type == "code"}


def test_the_table_holds_every_point_of_the_handout(course):
    table = report.grade_table(course)
    assert table.maximum == HANDOUT_TOTAL
    assert sum(table.automatic_max.values()) == 77 and sum(table.manual_max.values()) == 50
    ada, blank = table.rows["ada"], table.rows["blank"]
    # 77 - 7 (Q2.3 lost) - 2 + 1.5 (Q2.4's batches overridden by hand) automatic, 3 + 10 + 2 manual
    assert ada.automatic_total == 69.5 and ada.manual_total == 15 and ada.total == 84.5
    assert ada.automatic["Q2.3"] == 0 and ada.automatic["Q2.4"] == 4.5 and ada.manual["Q1.5"] == 10
    written = [gid for nb in load_points().values() for gid in nb if gid not in _code_cells(course)]
    assert sorted(ada.waiting) == sorted(set(written) - set(MANUAL_SCORES))
    assert blank.total == 0 and sorted(blank.waiting) == sorted(written)
    assert table.question_max("Q1.4") == 3 and table.manual_max["Q1.4"] == 2 and table.automatic_max["Q1.4"] == 1


def test_export_writes_both_tables_and_the_summary_pages(course, capsys):
    assert main(["--course", str(course), "export"]) == 0
    out = capsys.readouterr().out
    assert "84.5" in out and "127" in out and "waits for a grader" in out
    with open(course / "grades.csv", newline="") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    ada = rows["ada"]
    assert (ada["automatic"], ada["manual"], ada["total"], ada["maximum"]) == ("69.5", "15", "84.5", "127")
    assert ada["Q1.5 manual (of 12)"] == "10" and ada["Q2.3 automatic (of 7)"] == "0"
    assert ada["Q1.4 automatic (of 1)"] == "1" and ada["Q1.4 manual (of 2)"] == "0"
    assert "q1_4_written" in ada["written answers waiting"] and "q1_5" not in ada["written answers waiting"]
    with open(course / "grades_lms.csv", newline="") as fh:
        lms = list(csv.reader(fh))
    assert lms == [["student_id", "hw5"], ["ada", "84.5"], ["blank", "0"]]  # one id and one points column
    page = (course / "feedback" / "ada" / ASSIGNMENT / "summary.html").read_text()
    assert "84.5 of 127" in page and "waiting for a grader" in page and "written answers 15" in page


def test_a_late_submission_loses_what_the_policy_says_in_every_table_and_page(course, tmp_path, capsys):
    from grading.course.roster import Entry, write_roster

    root = tmp_path / "course"
    shutil.copytree(course, root)
    write_roster(root, {"ada": Entry("ada", "Ada Lovelace", "moodle", "7654321",
                                     "2026-12-04T00:30:00+01:00", "Moodle's grading worksheet"),
                        "blank": Entry("blank", "Blank", "folder", "", "2026-12-01T12:00:00+01:00", "file times")})
    assert main(["--course", str(root), "late-policy", "--due", "2026-12-01T23:59:00+01:00", "--per-day", "5",
                 "--cap", "12"]) == 0
    (root / "worksheet.csv").write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 7654321,Ada Lovelace,ada@example.org,Submitted,,127,Yes,-,-,\n"
        "Participant 1111111,Alan Turing,alan@example.org,No submission,,127,Yes,-,-,\n")
    assert main(["--course", str(root), "export", "--lms", "moodle", "--roster", str(root / "worksheet.csv")]) == 0
    out = capsys.readouterr().out
    assert "due 2026-12-01T23:59:00+01:00; 5 points per day or part of a day late, at most 12" in out
    assert "in the roster without a submission (0): Alan Turing" in out
    with open(root / "grades.csv", newline="") as fh:
        ada = next(row for row in csv.DictReader(fh) if row["student"] == "ada")
    # 2 days and 31 minutes late: 3 days started, 15 points by the day, 12 by the cap
    assert (ada["total"], ada["days late"], ada["late penalty"], ada["final"]) == ("84.5", "3", "12", "72.5")
    assert ada["submitted"] == "2026-12-04T00:30:00+01:00"
    with open(root / "grades_lms.csv", newline="") as fh:
        assert list(csv.reader(fh))[1:] == [["ada", "72.5"], ["blank", "0"]]
    with open(root / "grades_moodle.csv", newline="") as fh:
        moodle = list(csv.reader(fh))
    assert moodle[1][:5] == ["Participant 7654321", "Ada Lovelace", "ada@example.org", "Submitted", "72.5"]
    page = (root / "feedback" / "ada" / ASSIGNMENT / "summary.html").read_text()
    assert "3 day(s) late: 12 points taken off, 72.5 of 127 count" in page
    assert "on time" in (root / "feedback" / "blank" / ASSIGNMENT / "summary.html").read_text()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:  # formgrader shows the due date
        assert gradebook.find_assignment(ASSIGNMENT).duedate == datetime(2026, 12, 1, 22, 59)
