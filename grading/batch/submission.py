"""Grading one submission, what a Dask task and a local run both call: in a fresh workspace, the trusted grader
(``grading.grader.trusted``, which decides the points) and nbgrader's sandboxed notebook run side by side, then
the feedback; a failure of the grading itself costs this submission only (a zero with the reason)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from grading.batch import scratch
from grading.batch.result_store import fingerprint
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, IGNORED, PROJECT_ROOT, PUBLIC_GRADEBOOK, student_files
from grading.feedback import page_policy
from grading.feedback.pages import scrub_paths, summary_html, write_feedback
from grading.grader import notebook_scan
from grading.grader.limits import Limits
from grading.grader.result import Result
from grading.sandbox import bwrap, disk_budget, notebook_run

ALLOWED_FAILURES = 2  # workers one submission may bring down before it is given up (Dask's allowed-failures)


def grade_safely(root: Path, student: str, limits: Limits, sandboxed: bool) -> tuple[Result, Path]:
    """``_grade_in_workspace``, but a failure of the grading itself gives this student a zero with the reason
    instead of stopping the grading of everyone else."""
    try:
        return grade_in_workspace(root, student, limits, sandboxed)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the student's result
        return failed_result(root, student, sandboxed, exc), scratch.make("hw5-failed-")


def build_package(release: Path, submission: Path, target: Path) -> Path:
    """target/hw5lib: the submission's own files of hw5lib (a missing one: the release's stub) and the
    instructor's provided files, as nbgrader's autograde would combine them. Returns ``target``."""
    package = target / "hw5lib"
    shutil.copytree(release / "hw5lib", package, ignore=shutil.ignore_patterns(*IGNORED))
    provided = {p.name for p in package.glob("*.py")} - {Path(rel).name for rel in student_files()}
    own = submission / "hw5lib"
    if own.is_dir() and not own.is_symlink():
        for path in own.glob("*.py"):
            if path.name not in provided and path.is_file() and not path.is_symlink():
                shutil.copy2(path, package / path.name)
    return target


def start_trusted(root: Path, package: Path, out: Path, limits: Limits, sandboxed: bool, log,
                  questions: Iterable[str] = ()) -> subprocess.Popen:
    """The trusted grader's process: the course's grading source first on its path, the project's tools after.
    Given handout ``questions`` (e.g. "Q2.3"), it grades their cells only."""
    command = [sys.executable, "-m", "grading.grader.trusted", "--source", str(root.resolve() / "source" / ASSIGNMENT),
               "--package", str(package), "--networks", str(root.resolve() / GRADER_FOLDER), "--out", str(out),
               "--cell-timeout", str(limits.cell_timeout), "--time-limit", str(limits.submission_seconds),
               "--memory-gb", str(limits.memory_gb), "--disk-gb", str(limits.disk_gb)] + ([] if sandboxed else ["--unsandboxed"])
    command += [f"--question={question}" for question in sorted(questions)]
    scratch = out.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    # TMPDIR: the function servers' folders live in the workspace
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), TMPDIR=str(scratch), **bwrap.COMPUTE_SETTINGS)
    # the grader computes for the function server too (its callbacks): bounded like it, plus room for the data
    command = bwrap.limited(command, limits.memory_gb + 6, file_bytes=None)
    return subprocess.Popen(command, cwd=root.resolve() / "source" / ASSIGNMENT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)


def grade_in_workspace(root: Path, student: str, limits: Limits, sandboxed: bool = True) -> tuple[Result, Path]:
    """Grade one student in a fresh workspace (trusted grader and notebook run side by side)."""
    started = time.monotonic()
    result = Result(student=student, fingerprint=fingerprint(root, student), sandboxed=sandboxed)
    if not sandboxed:
        result.reasons.append(bwrap.UNSANDBOXED_RISK)
    workspace = scratch.make("hw5-grade-")
    release, submission = root / "release" / ASSIGNMENT, root / "submitted" / student / ASSIGNMENT
    package = build_package(release, submission, workspace / "package")
    verdict = workspace / "trusted.json"
    with open(workspace / "trusted.log", "wb") as log:
        trusted = start_trusted(root, package, verdict, limits, sandboxed, log)
        try:
            run_notebooks(root, workspace, student, limits, sandboxed, result)
            trusted.wait(timeout=max(1.0, started + limits.submission_seconds + 120 - time.monotonic()))
        except subprocess.TimeoutExpired:
            trusted.kill()
        finally:
            if trusted.poll() is None:
                trusted.kill()
            trusted.wait()
    read_verdict(root, workspace, verdict, result)
    result.stopped += [s for s in notebook_scan.tampering(submission) if s not in result.stopped]
    feedback_started = time.monotonic()
    write_feedback(root, workspace, result)
    result.feedback_seconds = round(time.monotonic() - feedback_started, 1)
    result.seconds = round(time.monotonic() - started, 1)
    return result, workspace


def run_notebooks(root: Path, workspace: Path, student: str, limits: Limits, sandboxed: bool, result: Result) -> None:
    """nbgrader's run in the sandbox. A kernel that dies, or a notebook that writes past the disk budget, costs
    its own notebook's executed copy only: the notebooks are then run one by one."""
    folder = workspace / "notebooks"
    release = root / "release" / ASSIGNMENT
    submission = root / "submitted" / student / ASSIGNMENT
    gradebook = root / GRADER_FOLDER / PUBLIC_GRADEBOOK
    result.reasons += notebook_run.prepare(folder, release, submission, student, gradebook, limits.cell_timeout, sandboxed)
    deadline = time.monotonic() + limits.submission_seconds
    outcome = notebook_run.run(folder, student, limits.memory_gb, limits.disk_bytes, deadline, sandboxed)
    note_limits(result, outcome)
    graded = folder / "autograded" / student / ASSIGNMENT
    if outcome.over_disk or (not graded.is_dir() and notebook_run.kernel_died(outcome.log)):
        if outcome.over_disk:  # start again from a fresh folder: what the run wrote is gone
            shutil.rmtree(folder)
            notebook_run.prepare(folder, release, submission, student, gradebook, limits.cell_timeout, sandboxed)
        baseline = disk_budget.used_bytes([folder])
        for notebook in sorted(release.glob("*.ipynb")):  # nbgrader drops a whole submission when a kernel dies
            if time.monotonic() >= deadline:
                break
            before = notebook_run.file_names(folder)
            own = notebook_run.run(folder, student, limits.memory_gb, limits.disk_bytes, deadline, sandboxed,
                                   notebook.stem, baseline)
            note_limits(result, own)
            outcome.timed_out = own.timed_out
            if own.over_disk:  # its files go, so that the next notebook has the whole budget
                for path in notebook_run.files_made_since(folder, before):
                    path.unlink(missing_ok=True)
                (graded / notebook.name).unlink(missing_ok=True)
                result.reasons.append(f"{notebook.name} wrote more than the disk limit "
                                      f"({disk_budget.limit_words(limits.disk_bytes)}): that notebook has no "
                                      "executed copy; the others are kept")
            elif notebook_run.kernel_died(own.log):
                result.reasons.append(f"the Python kernel died while running {notebook.name} (os._exit, a crash or "
                                      "the memory limit): that notebook has no executed copy")
    if outcome.timed_out:
        result.reasons.append(f"the notebooks were stopped after the time limit of {limits.submission_seconds} s: "
                              "look for an endless loop or far too much work")
    changed = notebook_run.changed_provided_files(release, folder, student)
    if changed:
        result.reasons.append("the submission changed or deleted provided files while being graded ("
                              + ", ".join(changed[:5]) + "): no automatic points are given")


def note_limits(result: Result, outcome: notebook_run.RunOutcome) -> None:
    """Record what the limits of a sandbox stopped (attempts) or cost (problems), once each."""
    result.stopped += [text for text in outcome.stopped if text not in result.stopped]
    result.reasons += [text for text in outcome.problems if text not in result.reasons]


def read_verdict(root: Path, workspace: Path, verdict: Path, result: Result, quiet: bool = False) -> None:
    """Scores per grade cell from the trusted grader's verdict (zero with a reason when something went wrong)."""
    from nbgrader.api import Gradebook

    outcome = {}
    if verdict.is_file():
        outcome = json.loads(verdict.read_text())
    elif not quiet:
        result.reasons.append("the grader did not finish (it was stopped after the time limit), so no automatic "
                              "points are given")
    cells = outcome.get("cells", {})
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for notebook in gradebook.find_assignment(ASSIGNMENT).notebooks:
            for cell in notebook.grade_cells:
                if cell.cell_type != "code":
                    continue
                message = cells.get(cell.name, "not graded")
                result.scores[cell.name] = [float(cell.max_score) if message == "" else 0.0, float(cell.max_score)]
                if message:
                    result.failed_cells[cell.name] = message
    for key in ("warnings", "printed", "stopped"):
        getattr(result, key).extend(outcome.get(key, []))
    result.reasons.extend(outcome.get("problems", []))
    if any("changed or deleted provided files" in reason for reason in result.reasons):
        result.scores = {gid: [0.0, maximum] for gid, (_, maximum) in result.scores.items()}


def graded_files(root: Path, workspace: Path, result: Result) -> tuple[dict[str, bytes], dict[str, str]]:
    """What a grading leaves for the course: {name: executed notebook} and {name: feedback page} (the pages
    with this machine's folders named generically, ``summary.html`` included)."""
    clean = workspace / "feedback-course"  # written by this process from data read out of the sandbox
    notebooks = {p.name: p.read_bytes()
                 for p in sorted((clean / "autograded" / result.student / ASSIGNMENT).glob("*.ipynb"))}
    feedback = clean / "feedback" / result.student / ASSIGNMENT
    pages = {p.name: page_policy.with_meta_policy(scrub_paths(p.read_text(errors="replace"), root, workspace))
             for p in (sorted(feedback.glob("*.html")) if feedback.is_dir() else [])}  # pages only, no reference code
    pages["summary.html"] = scrub_paths(summary_html(result), root, workspace)
    return notebooks, pages


def zero_result(root: Path, student: str, sandboxed: bool, reason: str) -> Result:
    """A result of no automatic points with ``reason`` (every grade cell listed, as in a real result)."""
    result = Result(student=student, fingerprint=fingerprint(root, student), sandboxed=sandboxed)
    result.reasons.append(reason)
    read_verdict(root, Path(tempfile.gettempdir()), Path("/nonexistent"), result, quiet=True)
    return result


def failed_result(root: Path, student: str, sandboxed: bool, exc: BaseException) -> Result:
    """The zero of a submission whose task failed on the cluster, with the reason."""
    if type(exc).__name__ == "KilledWorker":
        return zero_result(root, student, sandboxed, f"its grading brought down {ALLOWED_FAILURES + 1} grading workers "
                     "(a crash, or the memory of the machine), so it gets no automatic points; grade it again with "
                     "--force after a look")
    return zero_result(root, student, sandboxed, f"the grading of this submission failed ({type(exc).__name__}: "
                 f"{str(exc)[:200]}), so it gets no automatic points; grade it again with --force after a look")
