"""nbgrader autograding of the release: the blank release scores 0, the reference scores full marks."""

import pytest

from grading import autograde, course
from grading.points import load_points


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course.build_course(root)
    course.release(root)
    autograde.add_submission(root, "reference", root / "source" / "hw5")
    autograde.add_submission(root, "blank", root / "release" / "hw5")
    autograde.autograde(root)
    return autograde.automatic_scores(root)


def test_every_automatic_cell_is_graded(graded):
    table = {gid: pts for nb in load_points().values() for gid, pts in nb.items()}
    automatic = {gid for gid in table if "written" not in gid and gid not in
                 {"q1_1", "q1_2_1", "q1_2_2", "q1_2_3", "q1_3", "q1_5", "q1_6_1", "q1_6_2"}}
    for student in ("reference", "blank"):
        assert set(graded[student]) == automatic
        assert {gid: mx for gid, (_, mx) in graded[student].items()} == {gid: table[gid] for gid in automatic}


def test_the_reference_scores_full_automatic_marks(graded):
    lost = {gid: score for gid, (score, mx) in graded["reference"].items() if score != mx}
    assert lost == {}
    assert sum(score for score, _ in graded["reference"].values()) == 77


def test_the_blank_release_scores_zero(graded):
    assert {gid: score for gid, (score, _) in graded["blank"].items() if score} == {}
