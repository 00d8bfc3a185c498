"""Autograding submissions with nbgrader and reading the automatic scores back from the gradebook.

This is the serial core; running submissions in parallel with per-submission limits builds on it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grading.course import ASSIGNMENT, nbgrader


def add_submission(root: Path, student: str, folder: Path) -> Path:
    """Copy a student's assignment folder into root/submitted/<student>/hw5 (without caches)."""
    target = root / "submitted" / student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    return target


def autograde(root: Path, force: bool = True) -> None:
    """Run ``nbgrader autograde`` over every submission of the course folder."""
    nbgrader(root, "autograde", ASSIGNMENT, "--create", *(["--force"] if force else []))


def automatic_scores(root: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {grade_id: (score, max)}} of every automatically graded cell in the gradebook."""
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, tuple[float, float]]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(ASSIGNMENT):
            cells = scores.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell_type == "code":
                        cells[grade.name] = (float(grade.auto_score or 0.0), float(grade.max_score))
    return scores
