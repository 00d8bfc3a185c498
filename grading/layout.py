"""Where things are: the project root, the one declaration of student-fillable files, and a digest of a folder's
files (to tell when what was made from them is out of date)."""

from __future__ import annotations

import hashlib
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


def folder_digest(folder: Path) -> str:
    """A digest of the names and bytes of every file in ``folder`` (``__pycache__`` left out)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
