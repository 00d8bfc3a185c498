"""The student release: stubs in place of solutions, nothing of the reference left, a working package."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.course.paths import PROJECT_ROOT, student_files
from grading.course.stubs import strip_solutions
from grading.course.verify import solution_lines, verify_release

SAMPLE = '''def area(w, h):
    """Area of a w x h rectangle."""
    if w < 0:
        raise ValueError("negative width")
    ### BEGIN SOLUTION
    result = w * h
    return result
    ### END SOLUTION


def given():
    return 1
'''


def test_a_region_becomes_a_stub_that_keeps_signature_docstring_and_given_code():
    out = strip_solutions(SAMPLE)
    assert 'def area(w, h):\n    """Area of a w x h rectangle."""' in out
    assert 'raise ValueError("negative width")' in out
    assert '    raise NotImplementedError("write area: see its docstring and the notebook")' in out
    named = strip_solutions(SAMPLE, "hw5lib/shapes.py")  # the release names the file to fill
    assert '    raise NotImplementedError("write area in hw5lib/shapes.py: see its docstring and the notebook")' in named
    assert "result = w * h" not in out and "SOLUTION" not in out
    assert "def given():\n    return 1" in out
    namespace = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match="write area"):
        namespace["area"](2, 3)


@pytest.mark.parametrize("broken,message", [
    (SAMPLE.replace("    ### END SOLUTION\n", ""), "never closed"),
    (SAMPLE.replace("    ### BEGIN SOLUTION\n", ""), "without a region to end"),
    (SAMPLE.replace("    result = w * h\n", "    ### BEGIN SOLUTION\n"), "starts inside another"),
])
def test_unbalanced_markers_are_reported(broken, message):
    with pytest.raises(ValueError, match=message):
        strip_solutions(broken, "sample.py")


def test_solution_lines_leave_out_lines_that_appear_outside_regions():
    lines = solution_lines({"a.py": SAMPLE + "x = 1  # result = w * h is not code here\n"})
    assert lines == set()  # both solution lines are shorter than 20 characters
    long_sample = SAMPLE.replace("result = w * h", "result_of_the_area = w * h * 1")
    assert solution_lines({"a.py": long_sample}) == {"result_of_the_area = w * h * 1"}


@pytest.fixture(scope="module")
def released(released_course):
    """The session's released course and its zip (built once for all grading tests)."""
    return released_course, released_course / "hw5_release.zip"


def test_the_release_holds_no_grading_code_or_reference(released):
    root, _ = released
    names = {p.name for p in (root / "release" / "hw5" / "hw5lib").glob("*.py")}
    assert "isolation.py" not in names and not (root / "release" / "hw5" / "reference").exists()
    assert not (root / "source" / "hw5" / "reference").exists()  # the grader's networks live in grader/
    assert {p.name for p in (root / "grader").glob("*.npz")} == {"classifier.npz", "autoencoder.npz"}


def test_the_students_hw5lib_shows_their_seven_files_and_the_helpers_only(released):
    root, archive = released
    package = root / "release" / "hw5" / "hw5lib"
    top = {p.name for p in package.glob("*.py")}
    own = {Path(rel).name for rel in student_files()}
    assert len(own) == 7 and own <= top
    # what the notebooks import beside the student's files; the stand-in's drawing lives one level down
    assert top - own == {"__init__.py", "cli.py", "config.py", "data.py", "images.py", "nist36_format.py", "ocr_eval.py", "ocr_model.py",
                         "pages.py", "pca.py", "plots.py", "toydata.py", "weights.py"}
    assert {p.name for p in (package / "checks").iterdir() if p.is_file()} == {
        "__init__.py", "_common.py", "theory.py", "fully_connected.py", "training.py", "autoencoder.py", "ocr.py",
        "expected_values.npz"}
    assert "hw5/hw5lib/checks/expected_values.npz" in zipfile.ZipFile(archive).namelist()
    assert {p.name for p in (package / "standin").glob("*.py")} == {
        "__init__.py", "synth.py", "hand_fonts.py", "centre_lines.py", "ink_measures.py"}
    assert "hw5/hw5lib/standin/synth.py" in zipfile.ZipFile(archive).namelist()


def test_release_is_verified_zipped_and_configured(released):
    root, archive = released
    names = zipfile.ZipFile(archive).namelist()
    for notebook in ("01_theory", "02_fully_connected", "03_training", "04_autoencoder", "05_ocr"):
        assert f"hw5/{notebook}.ipynb" in names
    assert "hw5/hw5lib/nn.py" in names and not any("__pycache__" in n for n in names)
    requirements = zipfile.ZipFile(archive).read("hw5/requirements.txt").decode()
    for needed in ("numpy", "scikit-image", "jupyterlab", "hershey-fonts", "pooch", "rapidfuzz", "tqdm"):
        assert needed in requirements
    assert "nbgrader" not in requirements and "nbval" not in requirements and "dask" not in requirements
    config = (root / "nbgrader_config.py").read_text()
    assert repr(student_files()) in config and "exclude_overwriting" in config


def test_released_functions_raise_with_a_hint(released):
    root, _ = released
    probe = subprocess.run(
        [sys.executable, "-c", "import numpy as np\nfrom hw5lib import nn\ntry:\n nn.softmax(np.zeros((1, 2)))\n"
         "except NotImplementedError as e:\n print('stub:', e)"],
        cwd=root / "release" / "hw5", capture_output=True, text=True)
    assert "stub: write softmax" in probe.stdout, probe.stderr


def test_released_notebooks_hold_no_answers_or_hidden_tests(released):
    root, _ = released
    nb = nbformat.read(root / "release" / "hw5" / "02_fully_connected.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    assert sum(s == "YOUR ANSWER HERE" for s in sources) == 2
    assert not any("HIDDEN" in s or "BEGIN SOLUTION" in s for s in sources)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_verification_catches_planted_leaks(released, tmp_path):
    root, _ = released
    copy = tmp_path / "hw5"
    shutil.copytree(root / "release" / "hw5", copy)
    secrets = solution_lines({rel: (root / "source" / "hw5" / rel).read_text() for rel in student_files()})
    assert verify_release(copy, secrets) == []
    with open(copy / "hw5lib" / "plots.py", "a") as fh:
        fh.write("\n    shifted = x - np.max(x, axis=1, keepdims=True)\n")
    with open(copy / "hw5lib" / "nn.py", "a") as fh:
        fh.write("\n### BEGIN SOLUTION\n")
    problems = verify_release(copy, secrets)
    assert any("plots.py holds a reference solution line" in p for p in problems)
    assert any("nn.py still holds '### BEGIN SOLUTION'" in p for p in problems)
    assert not any("does not import" in p for p in problems)  # a marker is only a comment: it still imports


def test_verification_refuses_an_answer_key_and_undeclared_files(released, tmp_path):
    """The release test that would have caught the answer key the release once held: today's checks and the
    course's gradient checker put back into a copy of the release."""
    import subprocess

    root, _ = released
    copy = tmp_path / "hw5"
    shutil.copytree(root / "release" / "hw5", copy)
    assert verify_release(copy, set()) == []
    old = {}
    for rel in ("hw5lib/checks.py", "hw5lib/gradcheck.py"):
        shown = subprocess.run(["git", "-C", str(PROJECT_ROOT), "show", f"14f0292:{rel}"], capture_output=True,
                               text=True)
        if shown.returncode != 0:
            pytest.skip(f"the project's history is not here ({shown.stderr.strip()[:100]})")
        old[rel] = shown.stdout
    (copy / "hw5lib" / "checks" / "fully_connected.py").write_text(old["hw5lib/checks.py"])
    (copy / "hw5lib" / "gradcheck.py").write_text(old["hw5lib/gradcheck.py"])
    problems = "\n".join(verify_release(copy, set()))
    assert "hw5lib/gradcheck.py is not declared" in problems
    for function, what in (("_trusted_sgd_step", "SGD update"), ("_trusted_sgd_step", "backward pass"),
                           ("_trusted_autoencoder_forward", "affine map"), ("_trusted_autoencoder_run", "momentum"),
                           ("check_momentum", "momentum"), ("check_confusion_matrix", "confusion-matrix counts"),
                           ("_check_train_autoencoder_exactly", "calls"), ("check_psnr", "PSNR")):
        assert any(f"hw5lib/checks/fully_connected.py: {function} " in line and what in line
                   for line in problems.splitlines()), (function, what)
    assert "the release is no answer key" in problems
