"""What the grading of one submission concluded: the record stored as ``results/<student>.json`` in the course,
written atomically (a reader sees the old result or the new one, never half a file)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Result:
    """The automatic grading of one submission, as stored in results/<student>.json."""

    student: str
    fingerprint: str
    scores: dict[str, list[float]] = field(default_factory=dict)  # grade_id -> [score, max]
    reasons: list[str] = field(default_factory=list)  # problems of the run (hangs, crashes, limits, tampering)
    failed_cells: dict[str, str] = field(default_factory=dict)  # grade_id -> the failing check's message
    warnings: list[str] = field(default_factory=list)  # warnings the submission's code raised (cost nothing)
    printed: list[str] = field(default_factory=list)  # what its functions printed (cost nothing)
    stopped: list[str] = field(default_factory=list)  # attempts on the grader, and where they were seen
    sandboxed: bool = True
    seconds: float = 0.0
    feedback_seconds: float = 0.0  # of ``seconds``: writing the HTML feedback after the grading

    @property
    def total(self) -> float:
        return sum(score for score, _ in self.scores.values())


def result_path(root: Path, student: str) -> Path:
    return root / "results" / f"{student}.json"


def load_result(root: Path, student: str) -> Result | None:
    """The stored result of a student, or None."""
    path = result_path(root, student)
    return Result(**json.loads(path.read_text())) if path.is_file() else None


def load_results(root: Path) -> dict[str, Result]:
    """Every stored result, by student."""
    folder = root / "results"
    return {p.stem: Result(**json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


def write_result(root: Path, result: Result) -> None:
    path = result_path(root, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1))
    os.replace(tmp, path)  # atomic: a reader sees the old result or the new one, never half a file
