"""The course's due date and late policy (``late_policy.toml`` in the course), and what it costs a submission.

The penalty is ``none`` (lateness is shown, nothing taken), ``zero`` (a late submission scores 0) or ``per-day``
(``per_day`` points for each day or part of a day late, at most ``cap``). It is taken from the whole handout's
total by the export. The due date also goes into nbgrader's gradebook, so formgrader shows it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from grading.course.gradebook import set_due_date

POLICY = "late_policy.toml"
PENALTIES = ("none", "zero", "per-day")


@dataclass
class LatePolicy:
    due: datetime | None = None  # aware; None: no due date, nothing is late
    penalty: str = "none"
    per_day: float = 0.0
    cap: float = math.inf
    grace_minutes: float = 0.0

    def __post_init__(self) -> None:
        if self.penalty not in PENALTIES:
            raise ValueError(f"late penalty {self.penalty!r} is none of {', '.join(PENALTIES)}")
        if self.due is not None and self.due.tzinfo is None:
            raise ValueError(f"the due date {self.due.isoformat()} has no UTC offset: write it as "
                             "2026-12-01T23:59:00+01:00 (or ...Z for UTC)")
        if self.per_day < 0 or self.cap < 0:
            raise ValueError("per_day and cap are points taken off: neither may be negative")

    def describe(self) -> str:
        if self.due is None:
            return "no due date"
        rule = {"none": "lateness is shown, no points are taken", "zero": "a late submission scores 0",
                "per-day": f"{self.per_day:g} points per day or part of a day late"
                           + ("" if math.isinf(self.cap) else f", at most {self.cap:g}")}[self.penalty]
        return f"due {self.due.isoformat()}; {rule}"

    def days_late(self, submitted: datetime | None, lms_late: bool = False) -> int:
        """Whole days late (a day started counts), 0 when on time. Without a time, an LMS's own late marker
        counts as one day (Canvas's export says late, not by how much)."""
        if self.due is None:
            return 0
        if submitted is None:
            return 1 if lms_late else 0
        over = submitted - self.due - timedelta(minutes=self.grace_minutes)
        return max(0, math.ceil(over / timedelta(days=1)))

    def penalty_for(self, days_late: int, total: float) -> float:
        """Points taken from ``total`` for ``days_late``."""
        if days_late <= 0 or self.penalty == "none":
            return 0.0
        if self.penalty == "zero":
            return total
        return min(total, self.cap, self.per_day * days_late)


def parse_due(text: str, where: str) -> datetime:
    """A due date written in ISO 8601 (``Z`` for UTC too); ValueError naming ``where`` when it is none."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{where} is not an ISO 8601 time such as 2026-12-01T23:59:00+01:00") from exc


def read_policy(root: Path) -> LatePolicy:
    """The course's policy (no due date when the file is absent); ValueError names what is wrong in the file."""
    path = root / POLICY
    if not path.is_file():
        return LatePolicy()
    try:
        values = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not TOML ({exc}); fix it or write it again with `late-policy`") from exc
    due = values.get("due") or None
    if isinstance(due, str):
        due = parse_due(due, f"{path}: due = {due!r}")
    return LatePolicy(due=due, penalty=values.get("penalty", "none"), per_day=float(values.get("per_day", 0)),
                      cap=float(values.get("cap", math.inf)), grace_minutes=float(values.get("grace_minutes", 0)))


def write_policy(root: Path, policy: LatePolicy) -> Path:
    """late_policy.toml for ``policy``, and the due date in nbgrader's gradebook."""
    if not (root / "nbgrader_config.py").is_file():
        raise ValueError(f"{root} is no course folder: run `python -m grading --course {root} release` first")
    lines = ["# The due date and late policy of hw5 (python -m grading late-policy writes it; the export applies it)",
             f'due = "{policy.due.isoformat() if policy.due else ""}"  # ISO 8601 with its UTC offset',
             f'penalty = "{policy.penalty}"  # none, zero (a late submission scores 0) or per-day',
             f"per_day = {policy.per_day:g}  # points per day or part of a day late (per-day)",
             *([] if math.isinf(policy.cap) else [f"cap = {policy.cap:g}  # at most this many points (per-day)"]),
             f"grace_minutes = {policy.grace_minutes:g}  # minutes after the due date that still count as on time"]
    path = root / POLICY
    path.write_text("\n".join(lines) + "\n")
    if (root / "gradebook.db").is_file():
        set_due_date(root / "gradebook.db", policy.due)
    return path
