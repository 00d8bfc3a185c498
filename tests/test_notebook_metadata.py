"""The notebooks' nbgrader metadata: points from the table, handout totals, what the release strips."""

import copy
import re

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from grading.course.points import NOTEBOOKS, graded_cells, load_points, question_of

# HANDOUT.md's points per question (grading.course.points.question_of maps a grade_id to its question).
HANDOUT_POINTS = {
    "q1_1": 3, "q1_2_1": 1, "q1_2_2": 1, "q1_2_3": 1, "q1_3": 3, "q1_4": 3, "q1_5": 12, "q1_6": 4,
    "q2_1_1": 3, "q2_1_2": 3, "q2_1_3": 2, "q2_2_1": 4, "q2_2_2": 3, "q2_2_3": 3, "q2_3": 7, "q2_4": 5, "q2_5": 5,
    "q3_1": 5, "q3_2": 3, "q3_3": 3, "q3_4": 3,
    "q4_1": 4, "q4_2_1": 5, "q4_2_2": 6, "q4_3_1": 5, "q4_3_2": 5,
    "q5_1": 4, "q5_2": 10, "q5_3": 3, "q5_4": 8,
}
TABLE = load_points()


def _read(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_points_in_the_notebook_are_the_tables(name):
    cells = graded_cells(_read(name))
    assert {gid: c.metadata["nbgrader"]["points"] for gid, c in cells.items()} == TABLE[name]


def test_points_add_up_to_the_handout_per_question():
    totals = {}
    for table in TABLE.values():
        for gid, pts in table.items():
            totals[question_of(gid)] = totals.get(question_of(gid), 0) + pts
    assert totals == {q.replace("_", ".").upper(): p for q, p in HANDOUT_POINTS.items()}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_nbgrader_accepts_the_metadata_and_ids_are_unique(name):
    nb = _read(name)
    MetadataValidator().validate_nb(nb)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    for cell in graded_cells(nb).values():
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "markdown":
            assert meta["solution"], "a graded markdown cell is a written answer"
        else:
            assert meta["locked"] and not meta["solution"], "a graded code cell is a locked test cell"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_release_strips_reference_answers_and_hidden_tests(name):
    source = _read(name)
    released, resources = ClearSolutions().preprocess(copy.deepcopy(source), {})
    released, _ = ClearHiddenTests().preprocess(released, resources)
    for before, after in zip(source.cells, released.cells):
        meta = before.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert after.source == "YOUR ANSWER HERE"
        if "BEGIN HIDDEN TESTS" in before.source:
            assert "HIDDEN" not in after.source and after.source.strip()
            assert re.search(r"checks\.check_\w+\(", after.source), "a public check must stay visible"
