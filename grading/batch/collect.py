"""Collecting submissions from an LMS export: one zip or folder per student, unsafe archives refused."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grading.batch.result_store import add_submission


@dataclass
class CollectReport:
    """Who was collected, and what was refused or malformed (with the reason)."""

    collected: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def student_id(name: str) -> str:
    """A safe student id from a file or folder name ('Ada Lovelace_hw5.zip' -> 'ada_lovelace_hw5')."""
    stem = name[:-4] if name.lower().endswith(".zip") else name
    return re.sub(r"[^a-z0-9_-]+", "_", stem.lower()).strip("_") or "unnamed"


def safe_extract(archive: Path, target: Path) -> None:
    """Unzip ``archive`` into ``target``, refusing absolute paths, '..' and links (ValueError)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise ValueError(f"unsafe path in the archive: {info.filename!r}")
        zf.extractall(target)


def find_assignment(folder: Path) -> Path | None:
    """The folder inside a submission that holds the notebooks (the shallowest one), or None."""
    candidates = sorted({p.parent for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts},
                        key=lambda p: len(p.parts))
    return candidates[0] if candidates else None


def collect(export: Path, root: Path) -> CollectReport:
    """Copy every submission found in ``export`` into the course's submitted/ folder."""
    report = CollectReport()
    for entry in sorted(export.iterdir()):
        sid = student_id(entry.name)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                if entry.is_dir():
                    folder = entry
                elif entry.suffix.lower() == ".zip":
                    safe_extract(entry, Path(tmp))
                    folder = Path(tmp)
                else:
                    raise ValueError("neither a folder nor a .zip file")
                found = find_assignment(folder)
                if found is None:
                    raise ValueError("no notebooks inside")
                add_submission(root, sid, found)
                report.collected.append(sid)
            except (ValueError, zipfile.BadZipFile, OSError) as exc:
                report.problems[entry.name] = str(exc)
                shutil.rmtree(root / "submitted" / sid, ignore_errors=True)
    return report
