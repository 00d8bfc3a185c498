"""The points table (grading/course/points.toml) and writing it into the notebooks' nbgrader metadata.

Run ``python -m grading.course.points`` after editing the table.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from grading.course.paths import PROJECT_ROOT

if TYPE_CHECKING:  # nbformat takes about a second to import; the trusted grader needs question_of alone
    import nbformat

POINTS_FILE = Path(__file__).with_name("points.toml")
NOTEBOOKS = PROJECT_ROOT / "notebooks"


def load_points(path: Path = POINTS_FILE) -> dict[str, dict[str, float]]:
    """{notebook name: {grade_id: points}} from the table."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


# The handout's questions; a grade_id belongs to the longest question id it starts with.
QUESTIONS = ("q1_1", "q1_2_1", "q1_2_2", "q1_2_3", "q1_3", "q1_4", "q1_5", "q1_6", "q2_1_1", "q2_1_2", "q2_1_3",
             "q2_2_1", "q2_2_2", "q2_2_3", "q2_3", "q2_4", "q2_5", "q3_1", "q3_2", "q3_3", "q3_4", "q4_1", "q4_2_1",
             "q4_2_2", "q4_3_1", "q4_3_2", "q5_1", "q5_2", "q5_3", "q5_4")


def question_of(grade_id: str) -> str:
    """The handout question ('Q2.3') a grade cell belongs to."""
    matches = [q for q in QUESTIONS if grade_id == q or grade_id.startswith(q + "_")]
    if not matches:
        raise ValueError(f"grade_id {grade_id!r} names no handout question; start it with one of {QUESTIONS}")
    return max(matches, key=len).replace("_", ".").upper()


def graded_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The notebook's grade cells by grade_id."""
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def apply_points(notebook: Path, table: dict[str, float]) -> list[str]:
    """Write the table's points into one notebook; return the grade_ids whose points changed.

    Raises ValueError when the table and the notebook do not list the same graded cells.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = graded_cells(nb)
    if set(cells) != set(table):
        raise ValueError(
            f"{notebook.name}: graded cells {sorted(set(cells) - set(table))} are missing from "
            f"{POINTS_FILE.name}, and {sorted(set(table) - set(cells))} are in the table but not in the "
            "notebook; make the table list exactly the notebook's grade_ids"
        )
    changed = [gid for gid, cell in cells.items() if cell.metadata["nbgrader"]["points"] != table[gid]]
    for gid in changed:
        cells[gid].metadata["nbgrader"]["points"] = table[gid]
    if changed:
        nbformat.write(nb, notebook)
    return changed


def main() -> int:
    """Apply the table to every notebook it names."""
    for name, table in load_points().items():
        changed = apply_points(NOTEBOOKS / f"{name}.ipynb", table)
        print(f"{name}: {', '.join(changed) if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
