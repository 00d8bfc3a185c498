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


def test_grade_ids_map_to_handout_questions():
    assert question_of("q2_3_backwards") == "Q2.3"
    assert question_of("q2_1_2_initialize_weights") == "Q2.1.2"
    assert question_of("q1_6_4_written") == "Q1.6"
    with pytest.raises(ValueError, match="names no handout question"):
        question_of("extra_credit")
