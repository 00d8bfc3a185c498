"""Collecting an LMS export: good submissions are copied, unsafe or malformed ones reported, none stop the rest."""

import zipfile

import pytest

from grading.batch import collect
from grading.course.points import question_of


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def test_an_export_with_good_unsafe_and_malformed_entries(tmp_path):
    export, root = tmp_path / "export", tmp_path / "course"
    export.mkdir()
    _zip(export / "Ada Lovelace_hw5.zip", {"submission/hw5/02_fully_connected.ipynb": "{}", "submission/hw5/hw5lib/nn.py": "x = 1"})
    (export / "grace").mkdir()
    (export / "grace" / "01_theory.ipynb").write_text("{}")
    _zip(export / "mallory.zip", {"../../escape.ipynb": "{}"})
    _zip(export / "empty.zip", {"readme.txt": "I forgot"})
    (export / "notes.txt").write_text("not a submission")
    (export / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    report = collect.collect(export, root)
    assert report.collected == ["ada_lovelace_hw5", "grace"]
    assert (root / "submitted" / "ada_lovelace_hw5" / "hw5" / "hw5lib" / "nn.py").read_text() == "x = 1"
    assert (root / "submitted" / "grace" / "hw5" / "01_theory.ipynb").is_file()
    assert set(report.problems) == {"mallory.zip", "empty.zip", "notes.txt", "broken.zip"}
    assert "unsafe path" in report.problems["mallory.zip"] and "no notebooks" in report.problems["empty.zip"]
    assert not (tmp_path / "escape.ipynb").exists() and not (root / "submitted" / "mallory").exists()


def test_student_ids_are_safe_names():
    assert collect.student_id("Ada Lovelace_hw5.zip") == "ada_lovelace_hw5"
    assert collect.student_id("../../x") == "x"
    assert collect.student_id("José Müller") == "jose_muller"


def test_grade_ids_map_to_handout_questions():
    assert question_of("q2_3_backwards") == "Q2.3"
    assert question_of("q2_1_2_initialize_weights") == "Q2.1.2"
    assert question_of("q1_6_4_written") == "Q1.6"
    with pytest.raises(ValueError, match="names no handout question"):
        question_of("extra_credit")


def _notebook_zip(path, prefix=""):
    _zip(path, {f"{prefix}01_theory.ipynb": "{}", f"{prefix}hw5lib/nn.py": "x = 2"})


def test_a_canvas_export_keeps_names_ids_and_the_late_marker(tmp_path):
    from grading.course.roster import read_roster

    folder, root = tmp_path / "canvas", tmp_path / "course"
    folder.mkdir()
    _notebook_zip(folder / "mullerjose_LATE_1234_5678_hw5.zip", "hw5/")  # Canvas: <name>[_LATE]_<user>_<file>_<name>
    (folder / "lovelaceada_2222_3333_01_theory.ipynb").write_text("{}")
    (folder / "lovelaceada_2222_3334_nn.py").write_text("x = 3")  # a student file uploaded on its own
    export = tmp_path / "hw5 submissions.zip"
    _zip(export, {p.name: p.read_bytes() for p in folder.iterdir()})
    report = collect.collect(export, root)
    assert report.collected == ["lovelaceada", "mullerjose"] and report.problems == {}
    assert (root / "submitted" / "lovelaceada" / "hw5" / "hw5lib" / "nn.py").read_text() == "x = 3"
    assert (root / "submitted" / "mullerjose" / "hw5" / "hw5lib" / "nn.py").read_text() == "x = 2"
    roster = read_roster(root)
    late = roster["mullerjose"]
    assert (late.name, late.lms, late.lms_id, late.lms_late, late.submitted_at) == ("mullerjose", "canvas", "1234",
                                                                                    "yes", "")
    assert "Canvas's export holds no submission time" in late.time_source
    assert roster["lovelaceada"].lms_late == "" and roster["lovelaceada"].lms_id == "2222"
    assert not (root / "submitted" / "mullerjose" / "hw5" / "timestamp.txt").exists()  # no time to give nbgrader


def test_a_moodle_export_keeps_full_names_participant_ids_and_the_worksheets_times(tmp_path):
    from datetime import datetime

    from grading.course.roster import read_roster

    export, root = tmp_path / "moodle", tmp_path / "course"
    theirs = export / "José Müller_1234567_assignsubmission_file" / "hw5"  # "download submissions in folders"
    theirs.mkdir(parents=True)
    (theirs / "01_theory.ipynb").write_text("{}")
    _notebook_zip(export / "Ada Lovelace_7654321_assignsubmission_file_hw5.zip", "hw5/")  # folders off
    (export / "Ada Lovelace_7654321_assignsubmission_onlinetext").mkdir()
    (export / "Grades-hw5.csv").write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 1234567,José Müller,jose@example.org,Submitted for grading,,127.00,Yes,"
        '"Tuesday, 1 December 2026, 11:15 PM",-,\n'
        "Participant 7654321,Ada Lovelace,ada@example.org,Submitted for grading,,127.00,Yes,-,-,\n")
    report = collect.collect(export, root)
    assert report.collected == ["ada_lovelace", "jose_muller"]
    assert report.problems == {"Ada Lovelace_7654321_assignsubmission_onlinetext": "Moodle's onlinetext submission, "
                                                                                    "not files"}
    roster = read_roster(root)
    jose = roster["jose_muller"]
    assert (jose.name, jose.lms, jose.lms_id, jose.time_source) == ("José Müller", "moodle", "1234567",
                                                                     "Moodle's grading worksheet")
    assert datetime.fromisoformat(jose.submitted_at) == datetime(2026, 12, 1, 23, 15).astimezone()
    stamp = (root / "submitted" / "jose_muller" / "hw5" / "timestamp.txt").read_text()
    assert stamp.endswith(" UTC") and stamp.startswith(datetime(2026, 12, 1, 23, 15).astimezone().astimezone(
        __import__("datetime").timezone.utc).strftime("%Y-%m-%d %H:%M"))
    assert roster["ada_lovelace"].time_source == "the export's file times"  # the worksheet has no time for her


def test_plain_folders_keep_the_name_and_the_newest_files_time(tmp_path):
    import os
    from datetime import datetime

    from grading.course.roster import read_roster

    export, root = tmp_path / "export", tmp_path / "course"
    (export / "José Müller").mkdir(parents=True)
    (export / "José Müller" / "01_theory.ipynb").write_text("{}")
    moment = datetime(2026, 11, 30, 18, 0).astimezone()
    os.utime(export / "José Müller" / "01_theory.ipynb", (moment.timestamp(), moment.timestamp()))
    assert collect.collect(export, root).collected == ["jose_muller"]
    entry = read_roster(root)["jose_muller"]
    assert (entry.name, entry.lms, entry.lms_id) == ("José Müller", "folder", "")
    assert datetime.fromisoformat(entry.submitted_at) == moment and entry.time_source == "the export's file times"


def test_two_names_on_one_student_id_are_refused_with_both_names(tmp_path):
    export, root = tmp_path / "export", tmp_path / "course"
    for name in ("José Müller", "Jose Muller"):
        (export / name).mkdir(parents=True)
        (export / name / "01_theory.ipynb").write_text("{}")
    (export / "grace").mkdir()
    (export / "grace" / "01_theory.ipynb").write_text("{}")
    report = collect.collect(export, root)
    assert report.collected == ["grace"]
    assert set(report.problems) == {"José Müller", "Jose Muller"}
    message = report.problems["José Müller"]
    assert "'Jose Muller' (folder) and 'José Müller' (folder) would all become the student id 'jose_muller'" in message
    assert "rename one in the export" in message and not (root / "submitted" / "jose_muller").exists()
    later = tmp_path / "later"
    (later / "José  Müller").mkdir(parents=True)  # another spelling, collected later, still one id
    (later / "José  Müller" / "01_theory.ipynb").write_text("{}")
    (export / "Jose Muller" / "01_theory.ipynb").unlink()
    (export / "Jose Muller").rmdir()
    assert collect.collect(export, root).collected == ["grace", "jose_muller"]
    refused = collect.collect(later, root)
    assert refused.collected == [] and "which roster.csv gives to 'José Müller' (folder)" in refused.problems[
        "José  Müller"]
