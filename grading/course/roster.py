"""Who submitted, under which name and LMS identifiers, and when: ``roster.csv`` in the course, written by
``collect`` and read by the export (lateness, the LMS's grade files). One row per student id; an instructor may
correct a row by hand (a submission time Canvas's export does not hold, say)."""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

ROSTER = "roster.csv"
MOODLE_IDENTIFIER = re.compile(r"^\D*(\d+)$")  # Moodle's worksheet names a participant "Participant 1234567"


@dataclass
class Entry:
    """One collected submission: the id it is graded under and what the LMS export said of it."""

    student_id: str
    name: str  # as the export spells it ("José Müller", or Canvas's "mullerjose")
    lms: str  # "canvas", "moodle" or "folder"
    lms_id: str = ""  # Canvas's user id, Moodle's participant id; empty for plain folders
    submitted_at: str = ""  # ISO 8601 with its UTC offset; empty when the export holds no time
    time_source: str = ""  # where submitted_at comes from
    lms_late: str = ""  # "yes" where the LMS marked the submission late (Canvas's LATE), else empty

    def submitted(self) -> datetime | None:
        return datetime.fromisoformat(self.submitted_at) if self.submitted_at else None


def student_id(name: str) -> str:
    """A safe student id from a name ('José Müller' -> 'jose_muller', 'Ada Lovelace_hw5.zip' -> 'ada_lovelace_hw5')."""
    stem = name[:-4] if name.lower().endswith(".zip") else name
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_-]+", "_", ascii_name.lower()).strip("_-") or "unnamed"


def moodle_participant(identifier: str) -> str | None:
    """The participant id of a Moodle grading worksheet's ``Identifier`` (the id of its download's folder names)."""
    match = MOODLE_IDENTIFIER.match(identifier.strip())
    return match[1] if match else None


def read_roster(root: Path) -> dict[str, Entry]:
    """{student_id: Entry} from the course's roster.csv (empty when nothing was collected)."""
    path = root / ROSTER
    if not path.is_file():
        return {}
    names = {f.name for f in fields(Entry)}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student_id"]: Entry(**{k: v for k, v in row.items() if k in names}) for row in csv.DictReader(fh)}


def write_roster(root: Path, entries: dict[str, Entry]) -> Path:
    """Write roster.csv whole (a reader sees the old file or the new one)."""
    path = root / ROSTER
    tmp = path.with_name(ROSTER + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, [f.name for f in fields(Entry)])
        writer.writeheader()
        writer.writerows(asdict(entry) for _, entry in sorted(entries.items()))
    os.replace(tmp, path)
    return path


def nbgrader_timestamp(moment: datetime) -> str:
    """A time as nbgrader writes timestamp.txt (UTC, which its parser reads back without guessing a zone)."""
    from datetime import timezone

    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
