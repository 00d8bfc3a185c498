"""Where things are: the project root, the one declaration of the release's files (student-fillable and provided),
and a digest of a folder's files (to tell when what was made from them is out of date)."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _declared(root: Path, table: str) -> list[str]:
    with open(root / "pyproject.toml", "rb") as fh:
        config = tomllib.load(fh)
    try:
        return list(config["tool"]["hw5"][table]["files"])
    except KeyError as exc:
        raise KeyError(f"{root / 'pyproject.toml'} has no [tool.hw5.{table}] files = [...]; declare the release's "
                       "files there") from exc


def student_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Paths (relative to the assignment folder) of the files students fill in.

    Read from ``[tool.hw5.student-files] files`` in pyproject.toml, the only place they are declared.
    """
    return _declared(root, "student-files")


def provided_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Every other file of the student release (notebooks, requirements.txt, hw5lib's helpers and checks),
    replaced by the instructor's copy when grading; declared in ``[tool.hw5.provided-files]``."""
    return _declared(root, "provided-files")


def provided_sources(root: Path = PROJECT_ROOT) -> list[str]:
    """The provided files of ``hw5lib`` (project paths): each must hold no solution region and compute no answer."""
    return [rel for rel in provided_files(root) if rel.startswith("hw5lib/")]


def folder_digest(folder: Path) -> str:
    """A digest of the names and bytes of every file in ``folder`` (what ``ignored`` names left out)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not ignored(p.relative_to(folder))):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


IGNORED = ("__pycache__", "*.pyc", ".ipynb_checkpoints")  # never copied, packed, compared or graded


def ignored(path: Path | str) -> bool:
    """True for a path ``IGNORED`` names (a cache or a checkpoint, or inside one)."""
    parts = Path(path).parts
    return any(part in ("__pycache__", ".ipynb_checkpoints") for part in parts) or str(path).endswith(".pyc")


PUBLIC_GRADEBOOK = "public_gradebook.db"


ASSIGNMENT = "hw5"


GRADER_FOLDER = "grader"  # beside source/: what only the trusted grader reads (the reference networks)
