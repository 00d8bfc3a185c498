"""The provided-file check after nbgrader's sandboxed run (grading.sandbox.notebook_run.changed_provided_files), the
command that starts nbgrader there (a student id as data), and the public gradebook it is given."""

import shutil
import subprocess
import sys

import pytest

from grading.batch.result_store import add_submission
from grading.course.paths import ASSIGNMENT
from grading.sandbox import notebook_run
from grading.sandbox.notebook_run import NBGRADER_MAIN, autograde_command, changed_provided_files

STUDENT = "ada"


@pytest.fixture
def release(tmp_path):
    """A small release: one notebook, one student-fillable file, two provided files."""
    folder = tmp_path / "release"
    (folder / "hw5lib").mkdir(parents=True)
    (folder / "01_theory.ipynb").write_text("{}")
    (folder / "hw5lib" / "theory.py").write_text("def f():\n    raise NotImplementedError\n")
    (folder / "hw5lib" / "checks.py").write_text("def check():\n    return True\n")
    (folder / "hw5lib" / "util.py").write_text("X = 1\n")
    return folder


def _graded_copy(release, run):
    graded = run / "autograded" / STUDENT / ASSIGNMENT
    shutil.copytree(release, graded)
    return graded


def test_an_untouched_run_changes_nothing(release, tmp_path):
    graded = _graded_copy(release, tmp_path / "run")
    (graded / "hw5lib" / "theory.py").write_text("def f():\n    return 1\n")  # the student's own file
    (graded / "01_theory.ipynb").write_text('{"executed": true}')  # notebooks are rewritten by the run
    assert changed_provided_files(release, tmp_path / "run", STUDENT) == []


def test_changed_deleted_and_linked_provided_files_are_named(release, tmp_path):
    graded = _graded_copy(release, tmp_path / "run")
    (graded / "hw5lib" / "checks.py").write_text("def check():\n    return 'always'\n")
    (graded / "hw5lib" / "util.py").unlink()
    (graded / "hw5lib" / "util.py").symlink_to(release / "hw5lib" / "util.py")
    assert changed_provided_files(release, tmp_path / "run", STUDENT) == ["hw5lib/checks.py", "hw5lib/util.py"]


def test_a_run_that_wrote_no_autograded_folder_is_not_taken_for_tampering(release, tmp_path):
    (tmp_path / "run" / "autograded").mkdir(parents=True)  # stopped at the time limit: nbgrader removed it
    assert changed_provided_files(release, tmp_path / "run", STUDENT) == []


def test_an_autograded_folder_replaced_by_a_link_counts_as_changed(release, tmp_path):
    (tmp_path / "run" / "autograded" / STUDENT).mkdir(parents=True)
    (tmp_path / "run" / "autograded" / STUDENT / ASSIGNMENT).symlink_to(release)
    assert changed_provided_files(release, tmp_path / "run", STUDENT) == ["hw5lib/checks.py", "hw5lib/util.py"]


def test_nbgrader_starts_without_the_iri_checks_it_never_uses():
    # nbgrader imports jsonschema (through nbformat); its IRI checks are the part that takes a second
    probe = NBGRADER_MAIN.replace("sys.exit(main())", "import jsonschema._format as f; print(hasattr(f, 'is_iri')); "
                                  "main()")
    run = subprocess.run([sys.executable, "-c", probe, "--version"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.split()
    assert lines[0] == "False" and lines[-1][0].isdigit(), run.stdout  # no IRI checks, then nbgrader's version


def test_the_public_gradebook_has_no_student_or_hidden_test_and_is_made_again_only_when_the_notebooks_change(
        released_course, tmp_path):
    import warnings

    from nbgrader.api import Gradebook, SourceCell

    from grading.course.gradebook import public_gradebook
    from grading.course.paths import HIDDEN_BEGIN

    course = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(released_course / part, course / part)
    shutil.copy2(released_course / "gradebook.db", course / "gradebook.db")
    add_submission(course, "ada", course / "source" / ASSIGNMENT)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")
        gradebook.add_student("ada")
    release, target = course / "release" / ASSIGNMENT, tmp_path / "public.db"

    public_gradebook(course / "gradebook.db", release, target)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{target}") as gradebook:
        warnings.simplefilter("ignore")
        assert gradebook.students == []
        sources = [cell.source for cell in gradebook.db.query(SourceCell).all()]
        assert len(sources) > 50 and not any(HIDDEN_BEGIN in (source or "") for source in sources)
    made = target.stat().st_mtime_ns

    public_gradebook(course / "gradebook.db", release, target)
    assert target.stat().st_mtime_ns == made  # reused: nothing it is made from changed

    notebook = release / "01_theory.ipynb"
    notebook.write_text(notebook.read_text() + "\n")
    public_gradebook(course / "gradebook.db", release, target)
    assert target.stat().st_mtime_ns != made


@pytest.mark.parametrize("student", ["-rf", "José Müller", "a'b\"c d"])
def test_a_student_id_reaches_nbgrader_as_data_never_as_an_option(student):
    from nbgrader.apps.autogradeapp import AutogradeApp

    argv = autograde_command(student, "01_theory")
    assert f"--student={student}" in argv and student not in argv  # one word: the option and its value
    app = AutogradeApp()
    app.parse_command_line(argv[argv.index("autograde") + 1:])
    assert app.config.CourseDirectory.student_id == student and app.extra_args == [ASSIGNMENT]


def test_a_broken_or_missing_notebook_is_named_and_left_out_so_the_others_run(tmp_path):
    import nbformat

    from grading.sandbox.notebook_run import prepare

    release, submission = tmp_path / "release", tmp_path / "submission"
    for folder in (release, submission):
        folder.mkdir()
    for name in ("01_theory.ipynb", "02_fully_connected.ipynb", "03_training.ipynb", "04_autoencoder.ipynb"):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), release / name)
    shutil.copy2(release / "02_fully_connected.ipynb", submission / "02_fully_connected.ipynb")
    (submission / "01_theory.ipynb").write_bytes(b'{"cells": [ {"cell_ty')  # a save cut short
    (submission / "04_autoencoder.ipynb").write_text('{"metadata": {}}')  # JSON, but no notebook
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"")

    problems = prepare(tmp_path / "run", release, submission, STUDENT, gradebook, 30)

    assert [p.split(" ", 1)[0] for p in problems] == ["01_theory.ipynb", "03_training.ipynb", "04_autoencoder.ipynb"]
    assert "is not JSON" in problems[0] and "is missing from the submission" in problems[1]
    assert "not a notebook" in problems[2] and all("the other notebooks are" in p for p in problems)
    kept = sorted(p.name for p in (tmp_path / "run" / "submitted" / STUDENT / ASSIGNMENT).glob("*.ipynb"))
    assert kept == ["02_fully_connected.ipynb"]  # what nbgrader runs: the intact notebook alone


def test_huge_outputs_are_cut_with_a_note_and_the_notebook_is_kept(tmp_path, monkeypatch):
    import json

    import nbformat


    graded = tmp_path / "run" / "autograded" / STUDENT / ASSIGNMENT
    graded.mkdir(parents=True)
    cell = nbformat.v4.new_code_cell("print('x' * 3_000_000); display(HTML(...))")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 3_000_000),
                    nbformat.v4.new_output("display_data", data={"text/html": "<p>" + "y" * 2_500_000,
                                                                 "text/plain": "<HTML>"}),
                    nbformat.v4.new_output("display_data", data={"image/png": "A" * 1_500_000, "text/plain": "fig"})]
    answer = nbformat.v4.new_markdown_cell("my written answer")
    nbformat.write(nbformat.v4.new_notebook(cells=[answer, cell]), graded / "01_theory.ipynb")
    small = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nbformat.write(small, graded / "02_fully_connected.ipynb")

    found, problems = notebook_run.executed_notebooks(tmp_path / "run", STUDENT,
                                                      ["01_theory.ipynb", "02_fully_connected.ipynb"])

    assert sorted(found) == ["01_theory.ipynb", "02_fully_connected.ipynb"]  # kept, both
    kept = json.loads(found["01_theory.ipynb"])
    assert len(found["01_theory.ipynb"]) < 100_000 and "".join(kept["cells"][0]["source"]) == "my written answer"
    stream, html, picture = kept["cells"][1]["outputs"]
    assert stream["text"].startswith("x" * 10_000) and "[cut by the grader: 2,990,000 characters of this output left" in stream["text"]
    assert "cut by the grader" in html["data"]["text/html"] and "".join(html["data"]["text/plain"]) == "<HTML>"
    assert "image/png" not in picture["data"] and "1,500,000 characters of this output left out (image/png" in picture["data"]["text/plain"]
    assert problems == ["01_theory.ipynb: 7.0 MB of output cut (cells 1; each cut output keeps its start and a "
                        "note), so the notebook can still be shown and graded in formgrader"]
    assert found["02_fully_connected.ipynb"] == (graded / "02_fully_connected.ipynb").read_bytes()  # untouched

    monkeypatch.setattr(notebook_run, "MAX_NOTEBOOK_BYTES", 1_000_000)
    found, problems = notebook_run.executed_notebooks(tmp_path / "run", STUDENT, ["01_theory.ipynb"])
    assert found == {} and "over the 1 MB the grader reads, so it is left out" in problems[0]
