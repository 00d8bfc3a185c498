"""The course's submissions and stored results: adding a submission, its fingerprint (is a result current?),
reading and writing ``results/<student>.json`` atomically, and bringing a grading's files back into the course."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from grading.course.gradebook import merge_into_gradebook
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, IGNORED, folder_digest
from grading.grader.result import Result, write_result


def add_submission(root: Path, student: str, folder: Path) -> Path:
    """Copy a student's assignment folder into root/submitted/<student>/hw5 (without caches)."""
    target = root / "submitted" / student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*IGNORED, "reference"), symlinks=True)
    return target


def submissions(root: Path) -> list[str]:
    """The students with a submission folder in root/submitted."""
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / ASSIGNMENT).is_dir()) if folder.is_dir() else []


def fingerprint(root: Path, student: str) -> str:
    """Hash of the submission and of the grading source: a result with the same fingerprint is current."""
    grading_source = folder_digest(root / "source" / ASSIGNMENT) + "".join(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / GRADER_FOLDER).glob("*.npz")))
    return hashlib.sha256((folder_digest(root / "submitted" / student / ASSIGNMENT) + grading_source
                           ).encode()).hexdigest()[:20]


def bring_back(root: Path, result: Result, notebooks: dict[str, bytes], pages: dict[str, str]) -> None:
    """Store the result, merge it into the course gradebook, write the executed notebooks and the feedback."""
    write_result(root, result)
    merge_into_gradebook(root / "gradebook.db", result.student, result.scores)
    for kind, files in (("autograded", notebooks), ("feedback", pages)):
        target = root / kind / result.student / ASSIGNMENT
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name, content in files.items():
            name = Path(name).name  # a name, never a path
            if name.endswith((".ipynb", ".html")):
                path = target / name
                path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


