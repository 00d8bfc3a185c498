"""Where things are: the project root and the one declaration of student-fillable files."""

from __future__ import annotations

import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"


def student_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Paths (relative to the assignment folder) of the files students fill in.

    Read from ``[tool.hw5.student-files] files`` in pyproject.toml, the only place they are declared.
    """
    with open(root / "pyproject.toml", "rb") as fh:
        config = tomllib.load(fh)
    try:
        return list(config["tool"]["hw5"]["student-files"]["files"])
    except KeyError as exc:
        raise KeyError(
            f"{root / 'pyproject.toml'} has no [tool.hw5.student-files] files = [...]; "
            "declare the student-fillable files there"
        ) from exc


def provided_files(root: Path = PROJECT_ROOT) -> list[str]:
    """The hw5lib source files that are not student-fillable (replaced by the instructor's copy when grading)."""
    declared = set(student_files(root))
    return sorted(
        p.relative_to(root).as_posix()
        for p in (root / "hw5lib").rglob("*.py")
        if p.relative_to(root).as_posix() not in declared
    )
