"""Grade files for the LMS, matched to the roster it exported, and the late policy's days and penalties."""

import csv
from datetime import datetime, timedelta, timezone

import pytest

from grading.course.late_policy import LatePolicy, read_policy, write_policy
from grading.course.roster import Entry
from grading.feedback import lms_grades

ROSTER = {"mullerjose": Entry("mullerjose", "mullerjose", "canvas", "1234"),
          "lovelaceada": Entry("lovelaceada", "lovelaceada", "canvas", "2222"),
          "grace": Entry("grace", "grace", "folder")}
TOTALS = {"mullerjose": 70.0, "lovelaceada": 84.5, "grace": 50.0}


def _canvas_export(path):
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,hw5 (98765),Quiz 1 (111),Current Score,Final Score\n"
        "    Points Possible,,,,,127,10,(read only),(read only)\n"
        '"Müller, José",1234,S-01,jmuller,Section A,,8,80,80\n'
        '"Lovelace, Ada",2222,S-02,alovelace,Section A,,9,90,90\n'
        '"Turing, Alan",3333,S-03,aturing,Section B,,7,70,70\n')
    return path


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_a_canvas_file_has_canvas_columns_and_the_rosters_rows(tmp_path):
    out = tmp_path / "grades_canvas.csv"
    written = lms_grades.canvas_file(_canvas_export(tmp_path / "gradebook.csv"), TOTALS, ROSTER, 127, out)
    assert _rows(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw5 (98765)"],
        ["    Points Possible", "", "", "", "", "127"],
        ["Müller, José", "1234", "S-01", "jmuller", "Section A", "70"],
        ["Lovelace, Ada", "2222", "S-02", "alovelace", "Section A", "84.5"],
        ["Turing, Alan", "3333", "S-03", "aturing", "Section B", "0"]]
    assert written.matched == ["mullerjose", "lovelaceada"]
    assert written.without_submission == ["Turing, Alan"] and written.not_in_roster == ["grace"]
    lms_grades.canvas_file(tmp_path / "gradebook.csv", TOTALS, ROSTER, 127, out, missing="empty")
    assert _rows(out)[-1][-1] == ""


def test_canvas_rows_match_by_name_where_collect_recorded_no_canvas_id(tmp_path):
    roster = {"jose_muller": Entry("jose_muller", "José Müller", "folder")}
    out = tmp_path / "grades_canvas.csv"
    written = lms_grades.canvas_file(_canvas_export(tmp_path / "gradebook.csv"), {"jose_muller": 60.0}, roster, 127,
                                     out)
    assert written.matched == ["jose_muller"] and _rows(out)[2][-1] == "60"


def test_a_canvas_roster_that_is_not_canvas_s_or_names_no_column_is_refused(tmp_path):
    (tmp_path / "other.csv").write_text("name,email\nada,ada@example.org\n")
    with pytest.raises(ValueError, match="not Canvas's gradebook export"):
        lms_grades.canvas_file(tmp_path / "other.csv", TOTALS, ROSTER, 127, tmp_path / "out.csv")
    (tmp_path / "two.csv").write_text("Student,ID,SIS Login ID,Section,Quiz 1 (111),Quiz 2 (112)\n")
    with pytest.raises(ValueError, match="--column"):
        lms_grades.canvas_file(tmp_path / "two.csv", TOTALS, ROSTER, 127, tmp_path / "out.csv")
    with pytest.raises(ValueError, match="does not exist"):
        lms_grades.canvas_file(tmp_path / "missing.csv", TOTALS, ROSTER, 127, tmp_path / "out.csv")


WORKSHEET = ("Identifier,Full name,Email address,Status,Grade,Maximum grade,Grade can be changed,"
             "Last modified (submission),Last modified (grade),Feedback comments\n"
             '"Participant 1234567","José Müller",jose@example.org,Submitted,,127.00,Yes,"Tuesday, 1 December 2026, '
             '11:15 PM",-,\n'
             '"Participant 7654321","Ada Lovelace",ada@example.org,No submission,,127.00,Yes,-,-,\n')


def test_a_moodle_worksheet_comes_back_with_the_grades_keyed_by_identifier(tmp_path):
    (tmp_path / "worksheet.csv").write_text(WORKSHEET)
    roster = {"jose_muller": Entry("jose_muller", "José Müller", "moodle", "1234567")}
    out = tmp_path / "grades_moodle.csv"
    written = lms_grades.moodle_file(tmp_path / "worksheet.csv", {"jose_muller": 99.5}, roster, 127, out,
                                     missing="empty")
    rows = _rows(out)
    assert rows[0] == WORKSHEET.splitlines()[0].split(",")
    assert rows[1][:5] == ["Participant 1234567", "José Müller", "jose@example.org", "Submitted", "99.5"]
    assert rows[1][8] != "-" and rows[2][4] == "" and rows[2][8] == "-"  # a graded row is newer than Moodle's
    assert written.without_submission == ["Ada Lovelace"]


def test_another_moodle_csv_is_keyed_by_the_column_the_instructor_names(tmp_path):
    (tmp_path / "participants.csv").write_text("First name,Last name,Email address\nJosé,Müller,jose@example.org\n"
                                               "Ada,Lovelace,ada@example.org\n")
    roster = {"jose_muller": Entry("jose_muller", "José Müller", "folder")}
    out = tmp_path / "grades_moodle.csv"
    with pytest.raises(ValueError, match="--key"):
        lms_grades.moodle_file(tmp_path / "participants.csv", {"jose_muller": 99.5}, roster, 127, out)
    lms_grades.moodle_file(tmp_path / "participants.csv", {"jose_muller": 99.5}, roster, 127, out,
                           key="Email address")
    assert _rows(out) == [["Email address", "Grade"], ["jose@example.org", "99.5"], ["ada@example.org", "0"]]


DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def test_days_late_count_a_started_day_after_the_grace():
    policy = LatePolicy(DUE, "per-day", per_day=5, cap=12, grace_minutes=10)
    assert policy.days_late(DUE + timedelta(minutes=10)) == 0
    assert policy.days_late(DUE + timedelta(minutes=11)) == 1
    assert policy.days_late(DUE + timedelta(days=2, minutes=11)) == 3
    assert policy.days_late(None) == 0 and policy.days_late(None, lms_late=True) == 1  # Canvas: late, not by how much
    assert [policy.penalty_for(days, 84.5) for days in (0, 1, 2, 3)] == [0, 5, 10, 12]
    assert policy.penalty_for(3, 4) == 4  # never below zero
    assert LatePolicy(DUE, "zero").penalty_for(1, 84.5) == 84.5 and LatePolicy(DUE, "none").penalty_for(9, 84.5) == 0
    assert LatePolicy().days_late(DUE + timedelta(days=30)) == 0  # no due date, nothing is late


def test_a_policy_is_written_read_back_and_refused_when_unclear(tmp_path):
    with pytest.raises(ValueError, match="no course folder"):
        write_policy(tmp_path, LatePolicy(DUE, "per-day", per_day=5, cap=20))
    (tmp_path / "nbgrader_config.py").write_text("")
    write_policy(tmp_path, LatePolicy(DUE, "per-day", per_day=5, cap=20))
    assert read_policy(tmp_path) == LatePolicy(DUE, "per-day", per_day=5, cap=20)
    assert read_policy(tmp_path / "nowhere") == LatePolicy()
    with pytest.raises(ValueError, match="no UTC offset"):
        LatePolicy(datetime(2026, 12, 1, 23, 59))
    with pytest.raises(ValueError, match="none of none, zero, per-day"):
        LatePolicy(DUE, "half")
    (tmp_path / "late_policy.toml").write_text('due = "the first of December"\n')
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        read_policy(tmp_path)
