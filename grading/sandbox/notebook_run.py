"""nbgrader's run of one submission's notebooks, inside the sandbox: the executed copies and the feedback pages.

The points do not come from this run (``grading.grader.trusted`` decides them); it gives the instructor the executed
notebooks for formgrader and the student nbgrader's pages. So that the sandbox holds nothing secret, it gets a
course folder made from the *release* (stubs, no reference solutions), with a gradebook whose grade cells hold
the public tests only. nbgrader, its kernels and all they start run in one bubblewrap sandbox that sees that
folder (writable), the data cache (read-only) and nothing else of the machine's files. What comes back is
read as data: regular ``.ipynb`` files only, no links, each under a size limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading.course.nbgrader_config import notebook_run_config
from grading.course.paths import ASSIGNMENT, IGNORED, ignored, student_files
from grading.sandbox import bwrap, cgroups, disk_budget, processes
from grading.sandbox.inside import kernel_server, output_limits

MAX_NOTEBOOK_BYTES = 512 * 2**20  # an executed notebook larger than this is not read (it is named, not parsed)
MAX_OUTPUT_CHARS = output_limits.OUTPUT_CHARS  # one output past which the grader cuts it too (after the run)
KEPT_CHARS = output_limits.KEPT_CHARS  # what is kept of a cut output
MAX_KEPT_BYTES = 64 * 2**20  # an executed notebook larger than this after cutting gets every long output cut
INSIDE = "/course"  # where the sandbox sees its course folder
KERNELS_INSIDE = "/kernels"  # where it sees the kernel spec of kernels forked from a warm server (inside/kernel_server.py)
# ``python -m nbgrader`` without jsonschema's IRI format checks: their module builds a parser for about a second
# at import, in every run, and nbformat's notebook schema uses no IRI format
NBGRADER_MAIN = ("import sys; sys.modules['rfc3987_syntax'] = None; "
                 "from nbgrader.apps.nbgraderapp import main; sys.exit(main())")


def prepare(folder: Path, release: Path, submission: Path, student: str, gradebook: Path,
            cell_timeout: int, sandboxed: bool = True) -> list[str]:
    """The sandbox's course folder: config (the course seen at ``INSIDE`` when ``sandboxed``, else where it is),
    the release as source, the submission, the public gradebook.

    Returns the problems of the submission's notebooks: one that is missing, or that is not a notebook (left out
    of the run, so that it costs only itself: nbgrader would otherwise run none of them).
    """
    folder.mkdir(parents=True)
    shutil.copytree(release, folder / "source" / ASSIGNMENT)
    # links stay links (never followed into the machine's files); inside the sandbox they lead nowhere
    submitted = folder / "submitted" / student / ASSIGNMENT
    shutil.copytree(submission, submitted,
                    ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
    shutil.copy2(gradebook, folder / "gradebook.db")
    root = INSIDE if sandboxed else str(folder.resolve())
    (folder / "nbgrader_config.py").write_text(notebook_run_config(root, cell_timeout))
    shutil.copy2(Path(output_limits.__file__), folder / "output_limits.py")
    problems = []
    for name in sorted(p.name for p in release.glob("*.ipynb")):
        problem = notebook_problem(submitted / name)
        if problem:
            problems.append(f"{name} {problem}: it is not run or graded; the other notebooks are")
            if (submitted / name).is_symlink() or (submitted / name).exists():
                (submitted / name).unlink()
    return problems


def notebook_problem(path: Path) -> str | None:
    """What keeps a submitted notebook from running, in words (None: it opens as a notebook)."""
    import json

    import nbformat

    if path.is_symlink() or (path.exists() and not path.is_file()):
        return "is not a regular file"
    if not path.exists():
        return "is missing from the submission"
    try:
        content = json.loads(path.read_bytes())
    except (UnicodeDecodeError, ValueError) as exc:
        return f"is not JSON ({str(exc)[:80]}; a bad save or an upload cut short?)"
    if not isinstance(content, dict) or "cells" not in content:
        return "is JSON but not a notebook (it has no cells)"
    try:
        nbformat.validate(nbformat.convert(nbformat.from_dict(content), 4))
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for a broken notebook
        return f"is not a valid notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})"
    return None


def _data_mounts() -> tuple[list[bwrap.Mount], dict[str, str]]:
    """The data cache (stand-in, sample pages, fonts) and any real NIST36 folder, read-only, and their settings."""
    from hw5lib import data

    cache = data.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    mounts, env = [bwrap.Mount(cache, "/cache")], {"HW5_CACHE": "/cache"}
    for name in ("HW5_STANDIN", "HW5_FONTS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    if env.get("HW5_FONTS"):
        mounts.append(bwrap.Mount(Path(env["HW5_FONTS"]), "/fonts"))
        env["HW5_FONTS"] = "/fonts"
    real = None if data.standin_forced() else data.find_real_files()
    if real is not None:
        mounts.append(bwrap.Mount(real, "/nist36"))
        env["HW5_DATA"] = "/nist36"
    return mounts, env


def autograde_command(student: str, notebook: str | None = None) -> list[str]:
    """``nbgrader autograde`` of one student (of one notebook, or all). The id travels as an option's value
    (``--student=ID``), never as a word of its own, so an id like ``-rf`` or with spaces is data to nbgrader."""
    argv = [sys.executable, "-c", NBGRADER_MAIN, "autograde", ASSIGNMENT, f"--student={student}", "--create"]
    return argv + ([f"--notebook={notebook}"] if notebook else ["--force"])


@dataclass
class RunOutcome:
    """How one sandboxed nbgrader run went: its log, whether it hit the time limit or the disk budget, and what
    the limits stopped (attempts) or cost (problems)."""

    log: str
    timed_out: bool = False
    over_disk: bool = False
    stopped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run(folder: Path, student: str, memory_gb: float, disk_bytes: int, deadline: float, sandboxed: bool,
        notebook: str | None = None, baseline: int | None = None) -> RunOutcome:
    """One ``nbgrader autograde`` in the sandbox (of one notebook, or all), its processes in a control group
    where one can be made, the folder it writes under a disk budget of ``disk_bytes`` above ``baseline`` (by
    default what it holds at the start)."""
    argv = autograde_command(student, notebook)
    mounts, env = _data_mounts()
    if sandboxed:
        kernels = kernel_server.write_kernel_spec(folder.parent / "kernels", KERNELS_INSIDE)
        mounts.append(bwrap.Mount(kernels, KERNELS_INSIDE))
        env["JUPYTER_PATH"] = KERNELS_INSIDE
        argv = kernel_server.server_command(KERNELS_INSIDE, argv)
        argv = bwrap.command(argv, [bwrap.Mount(folder, INSIDE, writable=True), *mounts], INSIDE,
                               bwrap.environment(env))
        cwd, environ = None, None
    else:
        outside = {name: os.environ[name] for name in ("HW5_STANDIN", "HW5_FONTS", "HW5_DATA", "HW5_CACHE")
                   if os.environ.get(name)}
        cwd, environ = folder, bwrap.environment({**outside, "HOME": str(folder), "MPLCONFIGDIR": str(folder / ".mpl")})
    log_path = folder.parent / f"nbgrader{'-' + notebook if notebook else ''}.log"
    outcome = RunOutcome("")
    with open(log_path, "wb") as log, cgroups.sandbox_group(memory_gb) as group:
        process = subprocess.Popen(bwrap.limited(argv, memory_gb, group=group), cwd=cwd, env=environ,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        watch = disk_budget.DiskWatch([folder], disk_bytes, lambda: processes.kill_group(process), baseline)
        try:
            with watch:
                process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
        finally:
            processes.end(process)
            if group is not None:
                outcome.stopped, outcome.problems = group.notes(
                    "the notebooks' sandbox" if sandboxed else "the notebooks' processes")
    outcome.over_disk = watch.exceeded
    if watch.exceeded:
        what = f"the notebook {notebook}.ipynb" if notebook else "the notebooks"
        outcome.stopped.append(disk_budget.exceeded_message(what, disk_bytes))
    outcome.log = read_tail(log_path)
    return outcome


def files_made_since(folder: Path, before: set[str]) -> list[Path]:
    """Files and links in ``folder`` that are not in ``before`` (relative paths), executed notebooks excepted."""
    made = []
    for top, folders, files in os.walk(folder):  # links are not followed
        for name in files + [d for d in folders if os.path.islink(os.path.join(top, d))]:
            path = Path(top, name)
            rel = path.relative_to(folder).as_posix()
            if rel not in before and not (rel.startswith("autograded/") and path.suffix == ".ipynb"):
                made.append(path)
    return made


def file_names(folder: Path) -> set[str]:
    """The relative paths of the files and links in ``folder`` (for ``files_made_since``)."""
    return {Path(top, name).relative_to(folder).as_posix() for top, folders, files in os.walk(folder)
            for name in files + folders}


def read_tail(path: Path, limit: int = 2**20) -> str:
    """The last ``limit`` bytes of a log the sandbox wrote (however large it made it)."""
    with open(path, "rb") as fh:
        fh.seek(max(0, os.fstat(fh.fileno()).st_size - limit))
        return fh.read(limit).decode(errors="replace")


def _inside(path: Path, folder: Path) -> bool:
    """True when ``path``, links resolved, lies within ``folder`` (the sandbox may have planted links)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def kernel_died(log: str) -> bool:
    """True when nbgrader's log says a kernel died."""
    return "DeadKernelError" in log or "Kernel died" in log


def executed_notebooks(folder: Path, student: str, names: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """{name.ipynb: bytes} of the executed notebooks among ``names`` (the release's): regular files inside the
    run's folder only (no link leads out of it), huge outputs cut (``cut_outputs``); and the problems met (a cut
    output, a notebook over the size limit)."""
    graded = folder / "autograded" / student / ASSIGNMENT
    found: dict[str, bytes] = {}
    problems: list[str] = []
    for name in names:
        path = graded / name
        if not _inside(path, folder) or path.is_symlink() or not path.is_file():
            continue
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_NOTEBOOK_BYTES:
                problems.append(f"{name}: its executed copy is {size / 2**20:,.0f} MB, over the "
                                f"{MAX_NOTEBOOK_BYTES / 2**20:,.0f} MB the grader reads, so it is left out (print or "
                                "display far less)")
                continue
            content = fh.read(MAX_NOTEBOOK_BYTES)
        content, note = cut_outputs(content, name)
        if len(content) > MAX_KEPT_BYTES:  # many outputs, each under the limit: every long one is cut
            content, note = cut_outputs(content, name, KEPT_CHARS)
        if note:
            problems.append(note)
        found[name] = content
    return found, problems


def cut_outputs(content: bytes, name: str, limit: int = MAX_OUTPUT_CHARS) -> tuple[bytes, str | None]:
    """A notebook's bytes with every output over ``limit`` characters cut to its start and a visible note (a
    picture that large is replaced by the note); and what was cut, in the run (``output_limits``) or here, in
    words (None: nothing)."""
    import json

    if output_limits.NOTE.search(content.decode(errors="replace")) is None and len(content) <= limit:
        return content, None
    try:
        notebook = json.loads(content)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        return content, None  # not a notebook: refused later, by the step that makes it inert
    changed, cut, where = False, 0, set()
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            if not isinstance(output, dict):
                continue
            if output_limits.cut_output(output, limit, f"one output may hold {output_limits.megabytes(limit)}"):
                changed = True
            found = output_limits.cut_chars(json.dumps(output))
            if found:
                cut += found
                where.add(index)
    if changed:
        content = json.dumps(notebook).encode()
    if not cut:
        return content, None
    cells_named = ", ".join(str(i) for i in sorted(where))
    return content, (f"{name}: {cut / 1e6:,.1f} MB of output cut (cells {cells_named}; each cut output keeps its "
                     "start and a note), so the notebook can still be shown and graded in formgrader")


def changed_provided_files(release: Path, folder: Path, student: str) -> list[str]:
    """Provided files (not notebooks, not student-fillable) that the run left changed or deleted. A run that
    wrote no autograded folder (stopped at the time limit, a kernel that died) has nothing to compare: none."""
    graded = folder / "autograded" / student / ASSIGNMENT
    if not graded.exists() and not graded.is_symlink():
        return []
    own = set(student_files())
    changed = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        if rel in own or path.suffix == ".ipynb" or ignored(rel):
            continue
        copy = graded / rel
        if (not _inside(copy, folder) or copy.is_symlink() or not copy.is_file()
                or copy.stat().st_size != path.stat().st_size or copy.read_bytes() != path.read_bytes()):
            changed.append(rel)
    return changed
