"""Autograding with nbgrader, one sandboxed workspace per submission, N submissions at a time.

nbgrader grades one course folder with one gradebook and has no parallel mode, so each submission is graded
in a workspace of its own (a temporary course folder outside the real one, holding the source, an empty
gradebook and that one submission) by an ``nbgrader autograde`` process with a wall-clock limit and a memory
limit (RLIMIT_AS, inherited by the kernels). nbgrader drops a whole submission when one kernel dies; such a
submission is graded again notebook by notebook, so only the notebook whose kernel died loses its points.
When grading ends, however it ends, the parent process alone:
checks that the provided files were left as they were, reads the scores, writes ``results/<student>.json``
(atomically, so grades written before an interruption are kept), merges the scores into the course's
gradebook (manual grades there are kept) and copies the autograded notebooks and the feedback back.
A rerun skips submissions whose result matches their files and the grading source, unless forced.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from grading.course import ASSIGNMENT, CONFIG_TEMPLATE, nbgrader
from grading.layout import student_files

SKIPPED = ("__pycache__", "*.pyc", ".ipynb_checkpoints")
# One BLAS thread per submission: with several submissions at a time, more threads than cores make the
# small matrix products of the fast configuration several times slower.
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Limits:
    """Per-submission limits: seconds per cell, seconds for the whole submission, memory in GiB."""

    cell_timeout: int = 120
    submission_seconds: int = 900
    memory_gb: float = 6.0


@dataclass
class Result:
    """The automatic grading of one submission, as stored in results/<student>.json."""

    student: str
    fingerprint: str
    scores: dict[str, list[float]] = field(default_factory=dict)  # grade_id -> [score, max]
    reasons: list[str] = field(default_factory=list)  # why points were lost beyond failing checks
    failed_cells: dict[str, str] = field(default_factory=dict)  # grade_id -> the error it raised
    seconds: float = 0.0
    feedback_seconds: float = 0.0  # of ``seconds``: writing the HTML feedback after the grading

    @property
    def total(self) -> float:
        return sum(score for score, _ in self.scores.values())


def add_submission(root: Path, student: str, folder: Path) -> Path:
    """Copy a student's assignment folder into root/submitted/<student>/hw5 (without caches)."""
    target = root / "submitted" / student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*SKIPPED, "reference"))
    return target


def submissions(root: Path) -> list[str]:
    """The students with a submission folder in root/submitted."""
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / ASSIGNMENT).is_dir()) if folder.is_dir() else []


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(root: Path, student: str) -> str:
    """Hash of the submission and of the grading source: a result with the same fingerprint is current."""
    return hashlib.sha256((_digest(root / "submitted" / student / ASSIGNMENT) + _digest(root / "source" / ASSIGNMENT)
                           ).encode()).hexdigest()[:20]


def result_path(root: Path, student: str) -> Path:
    return root / "results" / f"{student}.json"


def load_result(root: Path, student: str) -> Result | None:
    """The stored result of a student, or None."""
    path = result_path(root, student)
    return Result(**json.loads(path.read_text())) if path.is_file() else None


def load_results(root: Path) -> dict[str, Result]:
    """Every stored result, by student."""
    folder = root / "results"
    return {p.stem: Result(**json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


def _write_result(root: Path, result: Result) -> None:
    path = result_path(root, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1))
    os.replace(tmp, path)  # atomic: a reader sees the old result or the new one, never half a file


def autograde(root: Path, jobs: int = 1, force: bool = False, limits: Limits | None = None,
              students: list[str] | None = None, progress: bool = True) -> dict[str, Result]:
    """Grade every submission that has no current result (all of them with ``force``), ``jobs`` at a time.

    Returns the results graded in this run. An interruption keeps every result already written.
    """
    limits = limits or Limits()
    if not (root / "gradebook.db").is_file():
        raise RuntimeError(f"{root} has no gradebook.db: run `python -m grading --course {root} release` first")
    wanted = students if students is not None else submissions(root)
    todo = []
    for student in wanted:
        stored = load_result(root, student)
        if force or stored is None or stored.fingerprint != fingerprint(root, student):
            todo.append(student)
    done: dict[str, Result] = {}
    if not todo:
        return done
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_in_workspace, root, student, limits): student for student in todo}
        try:
            for future in tqdm(as_completed(futures), total=len(futures), desc="autograde", unit="submission",
                               disable=not progress):
                result, workspace = future.result()
                try:
                    _bring_back(root, workspace, result)
                finally:
                    shutil.rmtree(workspace, ignore_errors=True)
                done[result.student] = result
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return done


def _grade_in_workspace(root: Path, student: str, limits: Limits) -> tuple[Result, Path]:
    """Run nbgrader autograde for one student in a fresh workspace; returns its result and the workspace."""
    started = time.perf_counter()
    result = Result(student=student, fingerprint=fingerprint(root, student))
    workspace = Path(tempfile.mkdtemp(prefix=f"hw5-grade-{student}-"))
    shutil.copytree(root / "source", workspace / "source")
    shutil.copytree(root / "submitted" / student, workspace / "submitted" / student)
    _empty_gradebook(root / "gradebook.db", workspace / "gradebook.db")
    (workspace / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(
        root=str(workspace), student_files=student_files(), cell_timeout=limits.cell_timeout))
    deadline = started + limits.submission_seconds
    log = _run_nbgrader_autograde(workspace, student, limits, deadline, result)
    if not (workspace / "autograded" / student / ASSIGNMENT).is_dir() and _kernel_died(log):
        # nbgrader drops the whole submission when one kernel dies: grade the notebooks one by one, so
        # only the notebook whose kernel died loses its points
        log = ""
        for notebook in sorted((workspace / "source" / ASSIGNMENT).glob("*.ipynb")):
            if time.perf_counter() >= deadline:
                break
            own_log = _run_nbgrader_autograde(workspace, student, limits, deadline, result, notebook.stem)
            if _kernel_died(own_log):
                result.reasons.append(f"the Python kernel died while running {notebook.name} (os._exit, a crash "
                                      "or the memory limit): that notebook gets no automatic points")
            log += own_log
    _read_outcome(workspace, result, log)
    _merge_into_gradebook(workspace / "gradebook.db", result)  # zeros of a tampered submission reach its feedback
    feedback_started = time.perf_counter()
    try:
        nbgrader(workspace, "generate_feedback", ASSIGNMENT, "--student", student, "--force")
    except RuntimeError as exc:
        result.reasons.append(f"no notebook feedback could be written: {str(exc).splitlines()[0]}")
    result.feedback_seconds = round(time.perf_counter() - feedback_started, 1)
    result.seconds = round(time.perf_counter() - started, 1)
    return result, workspace


def _run_nbgrader_autograde(workspace: Path, student: str, limits: Limits, deadline: float, result: Result,
                            notebook: str | None = None) -> str:
    """One ``nbgrader autograde`` process group (of one notebook, or all) under the limits; returns its log."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               **{name: "1" for name in ONE_THREAD})
    env.pop("PYTHONPATH", None)  # the kernels must import the submission's hw5lib, never another copy
    log = workspace / f"autograde{'-' + notebook if notebook else ''}.log"
    command = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", student, "--create"]
    command += ["--notebook", notebook] if notebook else ["--force"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        memory = int(limits.memory_gb * 2**30)  # set before the first kernel starts; kernels inherit it
        resource.prlimit(process.pid, resource.RLIMIT_AS, (memory, memory))
        try:
            process.wait(timeout=max(1.0, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            result.reasons.append(f"stopped after the time limit of {limits.submission_seconds} s for a whole "
                                  "submission: look for an endless loop or far too much work")
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # nbgrader, its kernels and anything they started
            except ProcessLookupError:
                pass
            process.wait()
    return log.read_text(errors="replace")


def _kernel_died(log: str) -> bool:
    """True when nbgrader's log says a kernel died."""
    return "DeadKernelError" in log or "Kernel died" in log


def _empty_gradebook(course_db: Path, target: Path) -> None:
    """A copy of the course gradebook with the assignment's definitions and no student in it."""
    from nbgrader.api import Gradebook

    shutil.copy2(course_db, target)
    with Gradebook(f"sqlite:///{target}") as gradebook:
        for student in list(gradebook.students):
            gradebook.remove_student(student.id)


def _read_outcome(workspace: Path, result: Result, log: str) -> None:
    """Scores from the workspace gradebook, zeroed with a reason when the provided files were changed."""
    from nbgrader.api import Gradebook, MissingEntry

    graded_folder = workspace / "autograded" / result.student / ASSIGNMENT
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as gradebook:
        assignment = gradebook.find_assignment(ASSIGNMENT)
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                if cell.cell_type != "code":
                    continue
                try:
                    grade = gradebook.find_grade(cell.name, notebook.name, ASSIGNMENT, result.student)
                    score = float(grade.auto_score or 0.0)
                except MissingEntry:
                    score = 0.0
                result.scores[cell.name] = [score, float(cell.max_score)]
            if graded_folder.is_dir() and not (graded_folder / f"{notebook.name}.ipynb").is_file():
                result.reasons.append(f"{notebook.name}.ipynb was not graded")
    if _kernel_died(log) and not any("kernel died" in reason for reason in result.reasons):
        result.reasons.append("the Python kernel died while running the notebooks (os._exit, a crash or the "
                              "memory limit)")
    if not graded_folder.is_dir():
        lines = [line for line in log.splitlines() if "[ERROR]" in line]
        result.reasons.append("nbgrader could not grade this submission, so it gets no automatic points"
                              + (f": {lines[0].split('[ERROR]', 1)[1].strip()[:200]}" if lines else ""))
        return
    changed = changed_provided_files(workspace / "source" / ASSIGNMENT, graded_folder)
    if changed:
        result.reasons.append("the submission changed or deleted provided files while being graded ("
                              + ", ".join(changed[:5]) + "): no automatic points are given")
        result.scores = {gid: [0.0, maximum] for gid, (_, maximum) in result.scores.items()}
    result.failed_cells = failed_grade_cells(graded_folder)


def changed_provided_files(source: Path, graded: Path) -> list[str]:
    """Provided files (not notebooks, not student-fillable) whose graded copy differs from the source or is gone."""
    own = set(student_files())
    changed = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source).as_posix()
        if rel in own or path.suffix == ".ipynb" or "__pycache__" in path.parts:
            continue
        copy = graded / rel
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            changed.append(rel)
    return changed


def failed_grade_cells(graded: Path) -> dict[str, str]:
    """{grade_id: 'ErrorName: message'} of the grade cells that raised, from the autograded notebooks."""
    import nbformat

    failed = {}
    for path in sorted(graded.glob("*.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:
            continue
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = str(output.get("evalue", "")).strip().splitlines()
                    failed[meta["grade_id"]] = f"{output.get('ename', 'Error')}: {message[0] if message else ''}"[:300]
    return failed


def _bring_back(root: Path, workspace: Path, result: Result) -> None:
    """Store the result, merge it into the course gradebook, copy the autograded notebooks and the feedback."""
    _write_result(root, result)
    _merge_into_gradebook(root / "gradebook.db", result)
    graded = workspace / "autograded" / result.student / ASSIGNMENT
    target = root / "autograded" / result.student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    if graded.is_dir():
        shutil.copytree(graded, target, ignore=shutil.ignore_patterns(*SKIPPED), symlinks=True)
    feedback = workspace / "feedback" / result.student / ASSIGNMENT
    target = root / "feedback" / result.student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for page in sorted(feedback.glob("*.html")) if feedback.is_dir() else []:  # pages only: nbgrader also copies
        shutil.copy2(page, target / page.name)  # the assignment's files there, the reference copies among them
    (target / "summary.html").write_text(summary_html(result))


def _merge_into_gradebook(course_db: Path, result: Result) -> None:
    """Write the automatic scores into the course gradebook; manual grades already there are kept."""
    import warnings

    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course_db}") as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy warns about nbgrader's own session use
        gradebook.update_or_create_student(result.student)
        gradebook.update_or_create_submission(ASSIGNMENT, result.student)
        submission = gradebook.find_submission(ASSIGNMENT, result.student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in result.scores:
                    grade.auto_score = result.scores[grade.name][0]
                    grade.needs_manual_grade = False
        gradebook.db.commit()


def summary_html(result: Result) -> str:
    """The student's page of automatic points per question, the reasons for lost points and failed checks."""
    from html import escape

    from grading.points import question_of

    per_question: dict[str, list[float]] = {}
    for gid, (score, maximum) in result.scores.items():
        row = per_question.setdefault(question_of(gid), [0.0, 0.0])
        row[0] += score
        row[1] += maximum
    rows = "".join(f"<tr><td>{q}</td><td>{s:g} / {m:g}</td></tr>" for q, (s, m) in
                   sorted(per_question.items(), key=lambda item: [int(x) for x in item[0][1:].split(".")]))
    reasons = "".join(f"<li>{escape(r)}</li>" for r in result.reasons) or "<li>none</li>"
    failed = "".join(f"<li><code>{escape(g)}</code>: {escape(e)}</li>" for g, e in sorted(result.failed_cells.items()))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>hw5: {escape(result.student)}</title></head>"
            f"<body><h1>hw5 automatic grading: {escape(result.student)}</h1>"
            f"<p>Automatic points: {result.total:g} of {sum(m for _, m in result.scores.values()):g}. "
            f"Written answers are graded by hand.</p><table><tr><th>question</th><th>points</th></tr>{rows}</table>"
            f"<h2>Problems with the run</h2><ul>{reasons}</ul>"
            f"<h2>Checks that failed</h2><ul>{failed or '<li>none</li>'}</ul>"
            "<p>The notebooks' own feedback pages beside this one show each check's message.</p></body></html>")


def automatic_scores(root: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {grade_id: (score, max)}} of every automatically graded cell, from the stored results."""
    return {student: {gid: (s, m) for gid, (s, m) in result.scores.items()}
            for student, result in load_results(root).items()}
