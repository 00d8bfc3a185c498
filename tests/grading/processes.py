"""The machine's processes as /proc shows them: parents, descendants, command lines, and whether one still runs."""

import os


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first, then the parent's PID)."""
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def parent_of(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def command_line(pid: int) -> str:
    """The command line ``pid`` runs (its first 300 characters), or "(gone)"."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")[:300]
    except OSError:
        return "(gone)"


def is_running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper no longer counts)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit():
                children.setdefault(parent_of(int(entry)), []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found
