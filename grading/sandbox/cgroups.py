"""Limits on a sandbox as a whole, with Linux control groups where the grader may make them.

bubblewrap's namespaces and ``prlimit`` bound each process; a submission that starts many processes (a fork
bomb) is bounded only here: a sandbox's group holds at most ``PROCESS_LIMIT`` processes (further forks fail),
all its processes share one memory limit (the kernel ends one of them beyond it), and it competes for the CPU
as one (however many processes it starts, a grading beside it keeps its share). Groups are made below the
grader's own: in cgroup v1 hierarchies it may write to (as root on machines that mount them, as many
containers and virtual machines still do), or in cgroup v2 where the grader's group already delegates the
pids, memory and cpu controllers to groups below it. ``problem`` says which limits are missing elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROCESS_LIMIT = 256  # processes and threads of one sandbox (nbgrader with a kernel uses about 20)
CONTROLLERS = ("pids", "memory", "cpu")
PREFIX = "hw5-sandbox-"
EXTRA_MEMORY_GB = 2.0  # a sandbox's group holds its private /tmp (up to 1 GiB) and nbgrader too: room beyond memory_gb
HINT = ("grade as root where cgroup v1 is mounted writable, or from a cgroup v2 group whose pids, memory and cpu "
        "controllers are enabled for the groups below it (its cgroup.subtree_control)")


@dataclass(frozen=True)
class Place:
    """Where the grader may make groups for one controller: the grader's own group's folder, and the version."""

    folder: Path
    version: int


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root inside the hierarchy, file system type, super options) of every cgroup mount."""
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
                found.append((point, fields[3], tail[0], set(tail[2].split(","))))
    return found


def _own_groups() -> dict[str, str]:
    """controller (or '' for cgroup v2) -> the grader's group path, from /proc/self/cgroup."""
    groups = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as fh:
        for line in fh:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) == 3:
                for controller in parts[1].split(",") if parts[1] else [""]:
                    groups[controller] = parts[2]
    return groups


def _inside(point: str, root: str, path: str) -> Path | None:
    """The folder of group ``path`` in a hierarchy mounted at ``point`` from its ``root`` (None if outside it)."""
    if path.startswith("/.."):  # a group outside this cgroup namespace
        return None
    parts, top = Path(path).parts, Path(root).parts
    if root != "/" and parts[:len(top)] == top:
        parts = parts[len(top):]
    return Path(point).joinpath(*[p for p in parts if p != "/"])


def _usable(folder: Path | None, controller: str) -> bool:
    """True when a group can be made (and deleted) in ``folder`` and has ``controller``'s files."""
    if folder is None:
        return False
    probe = folder / f"{PREFIX}{os.getpid()}-probe-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return any(p.name.startswith(controller + ".") for p in probe.iterdir())
    except OSError:
        return False
    finally:
        _remove(probe)


_PLACES: dict[str, Place] | None = None
_PLACES_LOCK = threading.Lock()


def places() -> dict[str, Place]:
    """controller -> where the grader may make groups, for each of ``CONTROLLERS`` available here (each place
    tried once per process: a group made there and deleted)."""
    global _PLACES
    with _PLACES_LOCK:
        if _PLACES is None:
            _PLACES = _find_places()
        return _PLACES


def _find_places() -> dict[str, Place]:
    own, found = _own_groups(), {}
    for point, root, kind, options in _mounts():
        for controller in CONTROLLERS:
            if controller in found:
                continue
            if kind == "cgroup" and controller in options and controller in own:
                folder = _inside(point, root, own[controller])
                if _usable(folder, controller):
                    found[controller] = Place(folder, 1)
            elif kind == "cgroup2" and "" in own:
                folder = _inside(point, root, own[""])
                with contextlib.suppress(OSError, TypeError):
                    delegated = set((folder / "cgroup.subtree_control").read_text().split())
                    if controller in delegated and _usable(folder, controller):
                        found[controller] = Place(folder, 2)
    return found


def problem() -> str | None:
    """None when every limit can be set here, else which cannot and what to do."""
    missing = [c for c in CONTROLLERS if c not in places()]
    if not missing:
        return None
    return (f"this machine does not let the grader make {', '.join(missing)} control groups, so a sandbox's "
            f"{' and '.join(_WHAT[c] for c in missing)} {'is' if len(missing) == 1 else 'are'} not bounded as a "
            f"whole (each process keeps its own memory limit): {HINT}")


_WHAT = {"pids": "number of processes", "memory": "total memory", "cpu": "share of the CPU"}


@dataclass
class Group:
    """One sandbox's control groups (controller -> folder) and its limits."""

    folders: dict[str, Path]
    versions: dict[str, int]
    memory_bytes: int
    seen: dict[str, int] = field(default_factory=dict)  # event counts already reported

    def command(self, argv: list[str]) -> list[str]:
        """``argv``, run by a shell that first moves itself into every group (what it starts stays there). A group
        it cannot join is skipped: the sandbox's other limits still hold, and no submission loses its grading."""
        procs = sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})
        script = 'while [ "$1" != -- ]; do echo $$ 2>/dev/null > "$1"; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "hw5-cgroup", *procs, "--", *argv]

    def _number(self, controller: str, file: str, key: str | None = None) -> int | None:
        """The number in a group's ``file`` (on its line ``key`` where given); None where there is none."""
        folder = self.folders.get(controller)
        with contextlib.suppress(OSError, ValueError, TypeError):
            for line in (folder / file).read_text().splitlines():
                name, _, value = line.partition(" ")
                if key is None:
                    return int(name)
                if name == key:
                    return int(value)
        return None

    def events(self) -> dict[str, int]:
        """How often each limit acted since the last call: {'processes': forks refused, 'memory': processes ended}."""
        memory_file = "memory.oom_control" if self.versions.get("memory") == 1 else "memory.events"
        now = {"processes": self._number("pids", "pids.events", "max"),
               "memory": self._number("memory", memory_file, "oom_kill")}
        now = {k: max(v or 0, self.seen.get(k, 0)) for k, v in now.items()}  # a failed read is no new event
        new = {k: v - self.seen.get(k, 0) for k, v in now.items() if v > self.seen.get(k, 0)}
        self.seen = now
        return new

    def notes(self, what: str) -> tuple[list[str], list[str]]:
        """(attempts stopped, problems) of the limits that acted since the last call, ``what`` naming the sandbox."""
        new = self.events()
        stopped, problems = [], []
        if "processes" in new:
            peak = self._number("pids", "pids.peak")  # where the kernel keeps it: was it this group's limit?
            where = (f"reached its limit of {PROCESS_LIMIT} processes" if peak is None or peak >= PROCESS_LIMIT
                     else "met a limit of the machine on processes")
            stopped.append(f"{what} {where}: new processes were refused {new['processes']} time(s) (a fork bomb, or "
                           "far too many processes)")
        if "memory" in new:
            problems.append(f"{what} ran out of memory: the kernel ended {new['memory']} of its processes (its limit is "
                            f"{self.memory_bytes / 2**30:g} GiB for all its processes together)")
        return stopped, problems

    def remove(self) -> None:
        """Kill whatever is still in the groups (the sandbox's processes die with it; what ran unsandboxed may
        not) and delete them."""
        for folder in self.folders.values():
            _remove(folder, kill=True)


def _pids(folder: Path) -> list[int]:
    with contextlib.suppress(OSError, ValueError):
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    return []


def _remove(folder: Path, attempts: int = 150, kill: bool = False) -> None:
    """Delete a group, waiting (up to ``attempts`` times 20 ms) for its processes to end; ``kill``: ours, so end
    them (cgroup v2's cgroup.kill where there is one)."""
    for _ in range(attempts):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # still holds processes
            if kill and not _write(folder / "cgroup.kill", "1"):
                for pid in _pids(folder):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False


def _remove_stale(parent: Path) -> None:
    """Delete the empty groups of graders that are gone (killed before they could clean up); never kills."""
    with contextlib.suppress(OSError):
        for folder in parent.iterdir():
            owner = folder.name[len(PREFIX):].split("-")[0] if folder.name.startswith(PREFIX) else ""
            if owner.isdigit() and int(owner) != os.getpid():
                try:
                    os.kill(int(owner), 0)
                except ProcessLookupError:
                    _remove(folder, attempts=1)
                except PermissionError:
                    pass


def _set_limits(folder: Path, controller: str, version: int, memory_bytes: int) -> None:
    if controller == "pids":
        (folder / "pids.max").write_text(str(PROCESS_LIMIT))
    elif controller == "memory" and version == 1:
        (folder / "memory.limit_in_bytes").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):  # no swapping past the limit either, where swap is accounted
            (folder / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
    elif controller == "memory":
        (folder / "memory.max").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):
            (folder / "memory.swap.max").write_text("0")


def create(memory_gb: float) -> Group | None:
    """A new group for one sandbox in every controller available here (None if none is), its limits set: the
    memory of a sandbox whose processes may each use ``memory_gb`` (plus room for its /tmp and for nbgrader)."""
    memory_bytes = int((memory_gb + EXTRA_MEMORY_GB) * 2**30)
    name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    folders: dict[str, Path] = {}
    versions: dict[str, int] = {}
    made: list[Path] = []
    for controller, place in places().items():
        folder = place.folder / name  # in cgroup v2 one group serves every controller
        try:
            if folder not in made:
                _remove_stale(place.folder)
                folder.mkdir()
                made.append(folder)
            _set_limits(folder, controller, place.version, memory_bytes)
        except OSError:
            continue
        folders[controller], versions[controller] = folder, place.version
    for folder in made:
        if folder not in folders.values():
            _remove(folder, attempts=3)
    return Group(folders, versions, memory_bytes) if folders else None


@contextlib.contextmanager
def sandbox_group(memory_gb: float):
    """A ``Group`` (or None where no control group can be made) for the duration of the block, then removed."""
    group = create(memory_gb)
    try:
        yield group
    finally:
        if group is not None:
            group.remove()
