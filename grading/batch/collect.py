"""Collecting submissions from an LMS export (Canvas, Moodle, or one folder or zip per student; a folder, or the
export's zip itself), unsafe archives refused. Who and when are kept: the course's roster.csv records each
student's name as the export spells it, the LMS's identifier and the submission time (``grading.course.roster``),
and each submission gets nbgrader's timestamp.txt. Two names that would become one student id are refused, both
named."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grading.batch.lms_exports import Found, read_export
from grading.batch.result_store import add_submission
from grading.course.paths import student_files
from grading.course.roster import Entry, nbgrader_timestamp, read_roster, student_id, write_roster

__all__ = ["CollectReport", "collect", "find_assignment", "safe_extract", "student_id"]


@dataclass
class CollectReport:
    """Who was collected, and what was refused or malformed (with the reason)."""

    collected: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def safe_extract(archive: Path, target: Path) -> None:
    """Unzip ``archive`` into ``target`` with the files' times, refusing absolute paths, '..' and links (ValueError)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise ValueError(f"unsafe path in the archive: {info.filename!r}")
        for info in zf.infolist():
            written = Path(zf.extract(info, target))
            if not info.is_dir():
                stamp = time.mktime(info.date_time + (0, 0, -1))  # a zip's times are local, without a zone
                os.utime(written, (stamp, stamp))


def find_assignment(folder: Path) -> Path | None:
    """The folder inside a submission that holds the notebooks (the shallowest one), or None."""
    candidates = sorted({p.parent for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts},
                        key=lambda p: len(p.parts))
    return candidates[0] if candidates else None


def collect(export: Path, root: Path) -> CollectReport:
    """Copy every submission found in ``export`` into the course's submitted/ folder, and record who and when."""
    if export.is_file() and export.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="hw5-export-") as tmp:
            safe_extract(export, Path(tmp))
            inner = [p for p in Path(tmp).iterdir() if not p.name.startswith(("__MACOSX", "."))]
            return collect(inner[0] if len(inner) == 1 and inner[0].is_dir() else Path(tmp), root)
    if not export.is_dir():
        raise ValueError(f"{export} is neither a folder nor a .zip: give the LMS export (its zip, or the folder it "
                         "unpacks to)")
    report = CollectReport()
    found, report.problems = read_export(export)
    roster = read_roster(root)
    by_id: dict[str, list[Found]] = {}
    for one in found:
        by_id.setdefault(student_id(one.name), []).append(one)
    try:
        for sid, group in sorted(by_id.items()):
            refusal = _collision(sid, group, roster.get(sid))
            if refusal:
                for one in group:
                    report.problems[", ".join(one.entries)] = refusal
                continue
            one = group[0]
            try:
                _add(root, sid, one)
            except (ValueError, zipfile.BadZipFile, OSError) as exc:
                report.problems[", ".join(one.entries)] = str(exc)
                shutil.rmtree(root / "submitted" / sid, ignore_errors=True)
                continue
            roster[sid] = Entry(sid, one.name, one.lms, one.lms_id,
                                one.submitted_at.isoformat() if one.submitted_at else "", one.time_source,
                                "yes" if one.lms_late else "")
            report.collected.append(sid)
    finally:
        if report.collected:
            write_roster(root, roster)
    return report


def _collision(sid: str, group: list[Found], known: Entry | None) -> str:
    """Why ``group`` cannot have the student id ``sid`` (two people on one id), or ''."""
    def who(one) -> str:
        return f"{one.name!r} ({one.lms}{' ' + one.lms_id if one.lms_id else ''})"

    if len(group) > 1:
        return (f"{' and '.join(who(one) for one in group)} would all become the student id {sid!r}: none of them "
                "was collected; rename one in the export (a middle initial, say) and collect again")
    one = group[0]
    if known and (known.lms, known.lms_id or known.name) != (one.lms, one.lms_id or one.name):
        return (f"{who(one)} would become the student id {sid!r}, which roster.csv gives to {who(known)}: not "
                "collected; rename one in the export, or remove the old row of roster.csv and its submitted/ folder")
    return ""


def _add(root: Path, sid: str, one: Found) -> None:
    """Lay the student's files out as a submission, copy it into submitted/ and write timestamp.txt."""
    with tempfile.TemporaryDirectory(prefix="hw5-collect-") as tmp:
        folder = Path(tmp)
        for path, name in one.files:
            if name.lower().endswith(".zip"):
                safe_extract(path, folder / Path(name).stem)
            else:
                target = folder / PurePosixPath(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        loose = {Path(rel).name: rel for rel in student_files()}
        for path in list(folder.glob("*.py")):  # a student file uploaded on its own belongs in hw5lib/
            if path.name in loose and not (folder / loose[path.name]).exists():
                (folder / loose[path.name]).parent.mkdir(parents=True, exist_ok=True)
                path.rename(folder / loose[path.name])
        found = find_assignment(folder)
        if found is None:
            raise ValueError("no notebooks inside")
        target = add_submission(root, sid, found)
        if one.submitted_at is not None:
            (target / "timestamp.txt").write_text(nbgrader_timestamp(one.submitted_at))
