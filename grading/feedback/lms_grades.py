"""Grade files an LMS imports as they are, matched to the roster it exported.

- Canvas: the gradebook's CSV export is the roster. The file written keeps its student columns (``Student``,
  ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``) and rows, with the assignment's column
  ``<title> (<assignment id>)``; Canvas matches rows by ``ID`` and the column by the id in parentheses.
- Moodle: the assignment's grading worksheet is the roster. The file written is that worksheet with ``Grade`` and
  ``Last modified (grade)`` filled in, for "Upload grading worksheet" (matched by ``Identifier``). Any other CSV
  of Moodle's participants works too with ``key``: the file then holds that identifier column and the grade,
  for Grades > Import > CSV, which maps a column the instructor chooses to the user.

A roster row is matched to a collected student by the LMS's identifier that ``collect`` recorded, else by the
name. Students the roster lacks, and roster rows without a submission (0 or an empty cell, as asked), are
listed, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grading.course.roster import Entry, moodle_participant, student_id
from grading.feedback.report import write_rows

CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section")
CANVAS_ID_COLUMN = re.compile(r"^(?P<title>.*)\s\((?P<id>\d+)\)$")


@dataclass
class LmsFile:
    """What was written and what did not match."""

    path: Path
    matched: list[str] = field(default_factory=list)  # student ids written into a roster row
    not_in_roster: list[str] = field(default_factory=list)  # graded students the LMS roster lacks
    without_submission: list[str] = field(default_factory=list)  # roster rows (their names) no student matched

    def grade(self, student: str | None, totals: dict[str, float], missing: str, who: str) -> str:
        """The cell of one roster row: the matched student's points, else 0 or empty (``missing``), noted."""
        if student is not None and student in totals:
            self.matched.append(student)
            return f"{totals[student]:g}"
        self.without_submission.append(who)
        return "0" if missing == "zero" else ""


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise ValueError(f"the LMS roster {path} does not exist: export the gradebook (Canvas) or the grading "
                         "worksheet (Moodle) and give its path")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _simple(name: str) -> str:
    """A name as a key: its student id without separators ('Müller, José' and 'mullerjose' alike)."""
    return student_id(name).replace("_", "").replace("-", "")


def _match(rows: list[dict[str, str]], roster: dict[str, Entry], lms: str, identifier, names) -> dict[int, str]:
    """{row index: student id} by the LMS identifier collect recorded, else by the name."""
    by_id = {entry.lms_id: sid for sid, entry in roster.items() if entry.lms == lms and entry.lms_id}
    by_name = {}
    for sid, entry in roster.items():
        by_name.setdefault(_simple(entry.name), sid)
        by_name.setdefault(_simple(sid), sid)
    found = {}
    for index, row in enumerate(rows):
        sid = by_id.get(identifier(row)) or next((by_name[k] for k in map(_simple, names(row)) if k in by_name), None)
        if sid is not None and sid not in found.values():
            found[index] = sid
    return found


def canvas_file(roster_csv: Path, totals: dict[str, float], roster: dict[str, Entry], maximum: float, out: Path,
                column: str | None = None, missing: str = "zero") -> LmsFile:
    """grades for Canvas's gradebook import, in the rows of its export ``roster_csv``."""
    header, rows = _read(roster_csv)
    if header[:2] != ["Student", "ID"] or "Section" not in header:
        raise ValueError(f"{roster_csv} is not Canvas's gradebook export: its first columns must be Student, ID "
                         f"and it must have Section (found {header[:6]})")
    assignments = [h for h in header if CANVAS_ID_COLUMN.match(h)]
    if column is None:
        named = [h for h in assignments if "hw5" in h.lower()]
        if len(named) != 1:
            raise ValueError(f"name the assignment's column with --column (one of {assignments or 'none found'}); "
                             "Canvas finds the assignment by the id in parentheses")
        column = named[0]
    elif not CANVAS_ID_COLUMN.match(column):
        raise ValueError(f"--column {column!r} must end with the assignment's id in parentheses, as Canvas's "
                         "export writes it, e.g. 'hw5 (123456)'")
    people = [r for r in rows if r.get("Student", "").strip() and "Points Possible" not in r.get("Student", "")
              and r.get("ID", "").strip().isdigit()]
    matched = _match(people, roster, "canvas", lambda r: r["ID"].strip(), lambda r: [r["Student"], _first_last(r)])
    keep = [h for h in header if h in CANVAS_STUDENT_COLUMNS]
    lines = [keep + [column], ["    Points Possible"] + [""] * (len(keep) - 1) + [f"{maximum:g}"]]
    result = LmsFile(out)
    for index, row in enumerate(people):
        value = result.grade(matched.get(index), totals, missing, row["Student"])
        lines.append([row.get(h, "") for h in keep] + [value])
    result.not_in_roster = sorted(set(totals) - set(result.matched))
    write_rows(out, lines[0], lines[1:])
    return result


def moodle_file(roster_csv: Path, totals: dict[str, float], roster: dict[str, Entry], maximum: float, out: Path,
                key: str | None = None, missing: str = "zero") -> LmsFile:
    """grades for Moodle: its grading worksheet filled in, or (``key``) that column of a participants' CSV and
    a grade column."""
    header, rows = _read(roster_csv)
    worksheet = {"Identifier", "Grade", "Last modified (grade)"} <= set(header)
    if not worksheet and (key is None or key not in header):
        raise ValueError(f"{roster_csv} is not Moodle's grading worksheet (Identifier, Grade, Last modified (grade)); "
                         f"for another CSV of Moodle's participants name its identifier column with --key "
                         f"(one of {header})")
    name_of = (lambda r: [r.get("Full name", ""), f"{r.get('First name', '')} {r.get('Last name', '')}",
                          f"{r.get('Last name', '')}{r.get('First name', '')}"])
    matched = _match(rows, roster, "moodle",
                     lambda r: moodle_participant(r.get("Identifier", "")), name_of)
    result = LmsFile(out)
    now = datetime.now().astimezone().strftime("%A, %d %B %Y, %I:%M %p")
    lines = [header if worksheet else [key, "Grade"]]
    for index, row in enumerate(rows):
        who = next((n for n in name_of(row) if n.strip()), row.get(key or "", "?"))
        value = result.grade(matched.get(index), totals, missing, who)
        if worksheet:
            row = dict(row, **{"Grade": value, "Last modified (grade)": now if value else row["Last modified (grade)"]})
            if "Maximum grade" in row and not row["Maximum grade"].strip():
                row["Maximum grade"] = f"{maximum:g}"
            lines.append([row.get(h, "") for h in header])
        else:
            lines.append([row[key], value])
    result.not_in_roster = sorted(set(totals) - set(result.matched))
    write_rows(out, lines[0], lines[1:])
    return result


def _first_last(row: dict[str, str]) -> str:
    last, _, first = row.get("Student", "").partition(",")
    return f"{first.strip()} {last.strip()}"
