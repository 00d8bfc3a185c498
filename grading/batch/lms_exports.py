"""What an LMS export holds: one submission per student, with the name, the LMS's identifier and a time.

Three layouts are read, each file or folder of the export on its own:

- Canvas's "Download Submissions": ``<name>[_LATE]_<user id>_<file id>_<file name>`` per submitted file, the
  name lowercased without spaces or punctuation ("mullerjose"). The export holds no submission time (its file
  times are when the zip was made), so none is taken from it; its LATE marker is kept.
- Moodle's "Download all submissions": ``<Full name>_<participant id>_assignsubmission_file`` folders, or with
  folders off ``<Full name>_<participant id>_assignsubmission_file_<file name>`` files. Submission times come
  from Moodle's grading worksheet (``Last modified (submission)``) when its CSV lies in the export, else from
  the files' times.
- Plain: one folder or zip per student, named after the student; the time is the newest file's.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grading.course.roster import moodle_participant, student_id

CANVAS = re.compile(r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<file>.+))?$")


@dataclass
class Found:
    """One student's files in an export."""

    name: str
    lms: str  # "canvas", "moodle" or "folder"
    lms_id: str = ""
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path in the export, its name in the submission)
    submitted_at: datetime | None = None
    time_source: str = ""
    lms_late: bool = False
    entries: list[str] = field(default_factory=list)  # the export's names it was read from


def read_export(export: Path) -> tuple[list[Found], dict[str, str]]:
    """The submissions of an export folder, and {entry: why it was skipped}."""
    worksheet = _moodle_worksheet(export)
    found: dict[tuple[str, str], Found] = {}
    skipped: dict[str, str] = {}
    for entry in sorted(export.iterdir()):
        if entry.name.startswith(".") or (entry.suffix.lower() == ".csv" and entry.is_file()):
            continue  # hidden files, and the LMS's CSV files (a grading worksheet is read above)
        moodle, canvas = MOODLE.match(entry.name), CANVAS.match(entry.name)
        if moodle:
            if moodle["plugin"] != "file":
                skipped[entry.name] = f"Moodle's {moodle['plugin']} submission, not files"
                continue
            one = found.setdefault(("moodle", moodle["pid"]), Found(moodle["name"], "moodle", moodle["pid"]))
            if entry.is_dir():
                one.files += [(p, p.relative_to(entry).as_posix()) for p in sorted(entry.rglob("*")) if p.is_file()]
            else:
                one.files.append((entry, moodle["file"] or entry.name))
        elif canvas and entry.is_file():
            one = found.setdefault(("canvas", canvas["uid"]), Found(canvas["name"], "canvas", canvas["uid"]))
            one.files.append((entry, canvas["file"]))
            one.lms_late = one.lms_late or bool(canvas["late"])
        elif entry.is_dir() or entry.suffix.lower() == ".zip":
            name = entry.name[:-4] if entry.suffix.lower() == ".zip" else entry.name
            one = found.setdefault(("folder", name), Found(name, "folder"))
            one.files += ([(p, p.relative_to(entry).as_posix()) for p in sorted(entry.rglob("*")) if p.is_file()]
                          if entry.is_dir() else [(entry, entry.name)])
        else:
            skipped[entry.name] = ("neither a folder nor a .zip file, nor named as Canvas or Moodle name "
                                   "submitted files")
            continue
        one.entries.append(entry.name)
    for one in found.values():
        if one.lms == "canvas":
            one.time_source = "none: Canvas's export holds no submission time" + (
                " (it marked this one LATE)" if one.lms_late else "")
        elif one.lms == "moodle" and one.lms_id in worksheet:
            one.submitted_at, one.time_source = worksheet[one.lms_id], "Moodle's grading worksheet"
        elif one.files:
            newest = max(path.stat().st_mtime for path, _ in one.files)
            one.submitted_at = datetime.fromtimestamp(newest).astimezone()
            one.time_source = "the export's file times"
    return list(found.values()), skipped


def _moodle_worksheet(export: Path) -> dict[str, datetime]:
    """{participant id: submission time} from a Moodle grading worksheet (a CSV) in the export, if any."""
    from dateutil import parser as dates

    times = {}
    for path in sorted(export.glob("*.csv")):
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"Identifier", "Last modified (submission)"} <= set(reader.fieldnames):
                continue
            for row in reader:
                participant = moodle_participant(row["Identifier"])
                text = row["Last modified (submission)"].strip()
                if participant and text and text != "-":
                    try:
                        moment = dates.parse(text)
                    except (ValueError, OverflowError):
                        continue
                    times[participant] = moment if moment.tzinfo else moment.astimezone()
    return times
