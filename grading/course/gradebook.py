"""The course's gradebook as grading uses it: a public copy for the sandbox (no student, no hidden test), the
automatic scores merged in (manual grades kept), and the due date."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from grading.course.paths import ASSIGNMENT, HIDDEN_BEGIN, HIDDEN_END, folder_digest


def strip_hidden_tests(source: str) -> str:
    """A grade cell's source without its hidden tests (markers included)."""
    while HIDDEN_BEGIN in source:
        head, rest = source.split(HIDDEN_BEGIN, 1)
        tail = rest.split(HIDDEN_END, 1)[1] if HIDDEN_END in rest else ""
        source = head.rstrip("\n") + ("\n" + tail.lstrip("\n") if tail.strip() else "\n")
    return source


def public_gradebook(course_db: Path, release: Path, target: Path) -> None:
    """A copy of the course gradebook with no student in it and no hidden test in its cells.

    Each grade cell takes the source and checksum of its released copy (nbgrader's ClearHiddenTests already
    removed the hidden tests there), so nbgrader restores the public tests and nothing more. The copy is made
    again only when the release or the source changed (their notebooks alone make its cells): removing every
    student of a large course's gradebook takes a while.
    """
    import warnings

    import nbformat
    from nbgrader.api import Gradebook, SourceCell

    stamp = folder_digest(release) + folder_digest(course_db.parent / "source" / release.name)
    stamp_file = target.with_name(target.name + ".stamp")
    if target.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return
    released = {}
    for path in release.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id"):
                released[(path.stem, meta["grade_id"])] = (cell.source, meta.get("checksum"))
    fd, name = tempfile.mkstemp(prefix=target.name, dir=target.parent)  # another run may be making it too
    os.close(fd)
    partial = Path(name)
    try:
        shutil.copy2(course_db, partial)
        with warnings.catch_warnings(), Gradebook(f"sqlite:///{partial}") as gradebook:
            warnings.simplefilter("ignore")
            for student in list(gradebook.students):
                gradebook.remove_student(student.id)
            for cell in gradebook.db.query(SourceCell).all():
                if cell.source and HIDDEN_BEGIN in cell.source:
                    cell.source, cell.checksum = released.get((cell.notebook.name, cell.name),
                                                              (strip_hidden_tests(cell.source), cell.checksum))
            gradebook.db.commit()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    stamp_file.write_text(stamp)


def merge_into_gradebook(course_db: Path, student: str, scores: dict[str, list[float]]) -> None:
    """Write a student's automatic ``scores`` ({grade_id: [score, max]}) into a gradebook; manual grades already
    there are kept."""
    import warnings

    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course_db}") as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy warns about nbgrader's own session use
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(ASSIGNMENT, student)
        submission = gradebook.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score = scores[grade.name][0]
                    grade.needs_manual_grade = False
        gradebook.db.commit()


def set_due_date(course_db: Path, due) -> None:
    """The assignment's due date in a gradebook (nbgrader keeps naive UTC; None: no due date), which formgrader
    shows."""
    import warnings
    from datetime import timezone

    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course_db}") as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy warns about nbgrader's own session use
        gradebook.update_or_create_assignment(ASSIGNMENT, duedate=due.astimezone(timezone.utc).replace(tzinfo=None)
                                              if due else None)
