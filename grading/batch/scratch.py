"""The temp folders a grading run makes (workspaces, a Dask worker's unpacked course), and their removal.

Each is made with a name that starts ``hw5-`` and holds a marker file naming the process that made it. A run
removes what it made when it ends; a folder left by a run that was killed (SIGKILL leaves no time to clean up)
is removed by the next run: only folders recognised by both the name and the marker, whose process is gone.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

MARKER = ".hw5-grading"  # its text: "<pid> <host>" of the process that made the folder
PREFIX = "hw5-"


def make(prefix: str) -> Path:
    """A fresh temp folder named ``prefix``... (which starts ``hw5-``), marked as the grader's."""
    if not prefix.startswith(PREFIX):
        raise ValueError(f"a grading folder's name starts with {PREFIX!r}, not {prefix!r}")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    (folder / MARKER).write_text(f"{os.getpid()} {socket.gethostname()}\n")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def left_behind(folder: Path | None = None) -> list[Path]:
    """Grading folders in the temp folder whose maker (a process of this machine) is gone."""
    found = []
    for path in sorted(Path(folder or tempfile.gettempdir()).glob(PREFIX + "*")):
        marker = path / MARKER
        if path.is_symlink() or not path.is_dir() or marker.is_symlink() or not marker.is_file():
            continue
        try:
            pid, host = marker.read_text().split()
            if host == socket.gethostname() and not _alive(int(pid)):
                found.append(path)
        except (OSError, ValueError):
            continue
    return found


def remove_left_behind(folder: Path | None = None) -> list[Path]:
    """Remove the folders ``left_behind`` lists; the ones removed."""
    removed = left_behind(folder)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
