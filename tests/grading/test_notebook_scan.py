"""Notebook cells that tamper with the grader (grading.grader.notebook_scan), and hidden tests stripped from grade cells
(grading.course.gradebook.strip_hidden_tests)."""

import json

import nbformat
import pytest

from grading.course.gradebook import strip_hidden_tests
from grading.course.paths import HIDDEN_BEGIN, HIDDEN_END
from grading.grader.notebook_scan import cell_tampering, tampering

# ---------------------------------------------------------------- cell_tampering


@pytest.mark.parametrize("source, expected", [
    ("np.allclose = lambda *a, **k: True", "replaces np.allclose"),
    ("checks.check_backwards = lambda *a: None", "replaces checks.check_backwards"),
    ("numpy.linalg.norm = len", "replaces numpy.linalg.norm"),
    ("hw5lib.nn.EPS += 1", "replaces hw5lib.nn.EPS"),
    ("gradcheck.TOLERANCE: float = 1.0", "replaces gradcheck.TOLERANCE"),
    ("builtins.print = lambda *a: None", "replaces builtins.print"),
    ("a = np.isclose = f", "replaces np.isclose"),
    ("def f():\n    np.allclose = g\n", "replaces np.allclose"),
    ("setattr(np, 'allclose', f)", "patches np with setattr"),
    ("delattr(checks.GRADER, 'x')", "patches checks.GRADER with delattr"),
    ("mock.patch('numpy.allclose', f).start()", "patches numpy.allclose with mock.patch"),
    ("with mock.patch.object(checks, 'check_backwards'):\n    pass\n", "patches checks with mock.patch.object"),
    ("@patch('hw5lib.nn.forward')\ndef test(m):\n    pass\n", "patches hw5lib.nn.forward with patch"),
])
def test_tampering_is_reported(source, expected):
    assert cell_tampering(source) == [expected]


def test_every_tampering_in_a_cell_is_reported():
    source = "import numpy as np\nnp.allclose = f\nx = 1\nsetattr(checks, 'GRADER', None)\n"
    assert cell_tampering(source) == ["replaces np.allclose", "patches checks with setattr"]


@pytest.mark.parametrize("source", [
    "import numpy as np\nfrom hw5lib import checks",
    "params['W'] = np.zeros((3, 2))",
    "params['W'] -= lr * grads['W']",
    "y = x.T @ W",
    "np.random.seed(0)",
    "np.allclose(a, b)",
    "ok = checks.check_backwards(forward, params)",
    "model.W = W",
    "class Net:\n    def __init__(self):\n        self.W = None\n",
    "setattr(model, 'W', W)",
    "mock.patch('os.getcwd')",
    "patch(x)",
    "",
])
def test_ordinary_student_code_is_not_reported(source):
    assert cell_tampering(source) == []


@pytest.mark.parametrize("source", ["def f(:\n    np.allclose = g", "%matplotlib inline", "np.allclose = "])
def test_syntax_errors_are_ignored(source):
    assert cell_tampering(source) == []


@pytest.mark.parametrize("source", [
    "np.allclose, ok = (lambda *a: True), 1",                              # tuple target
    "del np.allclose",                                                       # del statement (delattr is caught)
    "import unittest.mock\nunittest.mock.patch('numpy.allclose').start()",  # fully qualified mock.patch
], ids=["tuple target", "del", "unittest.mock.patch"])
def test_tampering_missed(source):
    assert cell_tampering(source) != []


@pytest.mark.parametrize("source", ["x = " + "+".join(["1"] * 5000), "x = " + "-" * 10000 + "1"],
                         ids=["long sum", "many unary minus"])
def test_deeply_nested_code_does_not_raise(source):
    assert cell_tampering(source) == []


# ---------------------------------------------------------------- tampering (whole assignment folders)


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, path)


def test_tampering_names_notebook_and_cell_number(tmp_path):
    _notebook(tmp_path / "02_fully_connected.ipynb", [
        nbformat.v4.new_markdown_cell("np.allclose = f  (only text)"),
        nbformat.v4.new_code_cell("import numpy as np\nparams['W'] = np.zeros(3)"),
        nbformat.v4.new_code_cell("x = 1\nnp.allclose = lambda *a, **k: True\n"),
    ])
    _notebook(tmp_path / "01_theory.ipynb", [nbformat.v4.new_code_cell("y = x.T")])
    (tmp_path / "notes.py").write_text("np.allclose = f\n")
    lines = tampering(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith("a cell of 02_fully_connected.ipynb (cell 3) replaces np.allclose: ")


def test_tampering_lists_notebooks_in_order_and_each_finding_once(tmp_path):
    _notebook(tmp_path / "b.ipynb", [nbformat.v4.new_code_cell("np.allclose = f\nnp.allclose = g")])
    _notebook(tmp_path / "a.ipynb", [nbformat.v4.new_code_cell("ok"), nbformat.v4.new_code_cell("checks.X = 1")])
    lines = tampering(tmp_path)
    assert [line.split(":")[0] for line in lines] == ["a cell of a.ipynb (cell 2) replaces checks.X",
                                                      "a cell of b.ipynb (cell 1) replaces np.allclose"]


def test_tampering_reports_at_most_twenty_lines(tmp_path):
    _notebook(tmp_path / "n.ipynb", [nbformat.v4.new_code_cell(f"np.f{i} = 1") for i in range(25)])
    assert len(tampering(tmp_path)) == 20


def test_tampering_skips_unreadable_notebooks_and_odd_cells(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    (tmp_path / "odd.ipynb").write_text(json.dumps({"cells": [
        "not a cell", {"cell_type": "raw", "source": "np.x = 1"}, {"cell_type": "code", "source": "np.y = 1"}]}))
    assert [line.split(":")[0] for line in tampering(tmp_path)] == ["a cell of odd.ipynb (cell 3) replaces np.y"]


def test_tampering_of_a_clean_or_empty_folder(tmp_path):
    assert tampering(tmp_path) == []
    _notebook(tmp_path / "clean.ipynb", [nbformat.v4.new_code_cell("np.random.seed(0)")])
    assert tampering(tmp_path) == []


@pytest.mark.parametrize("notebook", [{"cells": None}, {"cells": [{"cell_type": "code", "source": ["x = 1", 2]}]}],
                         ids=["cells null", "source list with a number"])
def test_tampering_skips_malformed_notebook_structure(tmp_path, notebook):
    (tmp_path / "bad.ipynb").write_text(json.dumps(notebook))
    assert tampering(tmp_path) == []


# ---------------------------------------------------------------- strip_hidden_tests


def _hidden(*lines):
    return "\n".join([HIDDEN_BEGIN, *lines, HIDDEN_END]) + "\n"


def test_strip_one_hidden_region():
    source = "assert f(1) == 1\n" + _hidden("assert f(2) == 4", "assert f(3) == 9") + "print('ok')\n"
    assert strip_hidden_tests(source) == "assert f(1) == 1\nprint('ok')\n"


def test_strip_two_hidden_regions():
    source = "a = 1\n" + _hidden("secret_1") + "b = 2\n" + _hidden("secret_2") + "c = 3\n"
    assert strip_hidden_tests(source) == "a = 1\nb = 2\nc = 3\n"


def test_strip_region_at_the_end_and_at_the_start():
    assert strip_hidden_tests("a = 1\n" + _hidden("secret")) == "a = 1\n"
    stripped = strip_hidden_tests(_hidden("secret") + "b = 2\n")
    assert "secret" not in stripped and "HIDDEN" not in stripped
    assert stripped.split() == ["b", "=", "2"]


def test_strip_without_hidden_tests_changes_nothing():
    source = "assert f(1) == 1\n\nprint('ok')\n"
    assert strip_hidden_tests(source) == source
