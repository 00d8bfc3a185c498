"""Autograding: a trusted grader decides the points, nbgrader runs the notebooks, both with the code sandboxed.

Each submission is one task on Dask (``grading.cluster``: a local cluster of N workers, or the one at
``--scheduler``) and is graded on its worker in a workspace of its own, outside the course:
  1. ``grading.trusted`` (a process that runs no submission code) executes every grade cell of the source
     notebooks, hidden tests included, and calls the submission's functions in a sandboxed worker; its verdict
     per grade_id is the automatic score.
  2. meanwhile nbgrader autogrades the notebooks in the sandbox (``grading.notebook_run``), from the release
     and a gradebook without hidden tests, for the executed notebooks (formgrader) and the feedback pages.
When both end, however they end, the worker checks that the provided files were left as they were (else zero,
with the reason) and renders the feedback; the client alone then writes ``results/<student>.json`` atomically
(grades written before an interruption are kept), merges the scores into the course's gradebook (manual grades
there are kept) and copies the executed notebooks and the feedback into the course. A rerun skips submissions whose result matches their files
and the grading source, unless forced. Without bubblewrap, grading stops with the reason unless ``unsandboxed``
is chosen, which is recorded in every result.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from grading import cgroups, disk_budget, inert, notebook_run, notebook_scan, page_policy, sandbox, scratch
from grading.course import ASSIGNMENT, GRADER_FOLDER
from grading.layout import PROJECT_ROOT, folder_digest, student_files
from grading.trusted import Limits  # noqa: F401 - the limits of a run, one definition for both parts

SKIPPED = ("__pycache__", "*.pyc", ".ipynb_checkpoints")
PUBLIC_GRADEBOOK = "public_gradebook.db"
_FEEDBACK_LOCK = threading.Lock()  # nbgrader's converter changes the working directory while it writes


@dataclass
class Result:
    """The automatic grading of one submission, as stored in results/<student>.json."""

    student: str
    fingerprint: str
    scores: dict[str, list[float]] = field(default_factory=dict)  # grade_id -> [score, max]
    reasons: list[str] = field(default_factory=list)  # problems of the run (hangs, crashes, limits, tampering)
    failed_cells: dict[str, str] = field(default_factory=dict)  # grade_id -> the failing check's message
    warnings: list[str] = field(default_factory=list)  # warnings the submission's code raised (cost nothing)
    printed: list[str] = field(default_factory=list)  # what its functions printed (cost nothing)
    stopped: list[str] = field(default_factory=list)  # attempts on the grader, and where they were seen
    sandboxed: bool = True
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
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*SKIPPED, "reference"), symlinks=True)
    return target


def submissions(root: Path) -> list[str]:
    """The students with a submission folder in root/submitted."""
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / ASSIGNMENT).is_dir()) if folder.is_dir() else []


def fingerprint(root: Path, student: str) -> str:
    """Hash of the submission and of the grading source: a result with the same fingerprint is current."""
    grading_source = folder_digest(root / "source" / ASSIGNMENT) + "".join(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / GRADER_FOLDER).glob("*.npz")))
    return hashlib.sha256((folder_digest(root / "submitted" / student / ASSIGNMENT) + grading_source
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
              students: list[str] | None = None, progress: bool = True, unsandboxed: bool = False,
              scheduler: str | None = None) -> dict[str, Result]:
    """Grade every submission that has no current result (all of them with ``force``) on Dask: on the cluster
    whose scheduler is at ``scheduler``, else on a local cluster of ``jobs`` workers.

    Returns the results graded in this run. An interruption keeps every result already written. Raises
    RuntimeError when bubblewrap cannot sandbox on the workers, unless ``unsandboxed`` (then the risk is
    recorded).
    """
    from distributed import as_completed

    from grading import cluster

    limits = limits or Limits()
    root = root.resolve()  # feedback pages are written in this process by nbgrader, which changes directory
    if not (root / "gradebook.db").is_file():
        raise RuntimeError(f"{root} has no gradebook.db: run `python -m grading --course {root} release` first")
    if not unsandboxed and scheduler is None:
        _sandbox_works()
        missing = cgroups.problem()
        if progress and missing:
            print(f"warning: {missing}", file=sys.stderr)
    scratch.remove_left_behind()  # what a killed run left in this machine's temp folder
    wanted = students if students is not None else submissions(root)
    todo = []
    for student in wanted:
        stored = load_result(root, student)
        if force or stored is None or stored.fingerprint != fingerprint(root, student):
            todo.append(student)
    done: dict[str, Result] = {}
    if not todo:
        return done
    notebook_run.public_gradebook(root / "gradebook.db", root / "release" / ASSIGNMENT,
                                  root / GRADER_FOLDER / PUBLIC_GRADEBOOK)
    course = cluster.pack(root, cluster.COURSE_PARTS)
    engine = cluster.Cluster(scheduler, jobs)
    try:
        if not unsandboxed and scheduler is not None:
            problems = {w: p for w, p in engine.client.run(sandbox.bubblewrap_problem).items() if p}
            if problems:
                worker, problem = next(iter(problems.items()))
                raise RuntimeError(f"the Dask worker {worker} cannot sandbox submissions: {problem}; or pass "
                                   "--unsandboxed to grade without it, at your own risk")
        if progress and engine.dashboard():
            print(f"Dask dashboard: {engine.dashboard()}", file=sys.stderr)
        digest = cluster.course_digest(course)
        shared = cluster.share_course(engine.client, course, digest)
        futures = {engine.client.submit(cluster.grade_task, shared, digest, student,
                                        cluster.pack(root / "submitted" / student / ASSIGNMENT), limits,
                                        not unsandboxed, key=f"grade-{student}-{os.urandom(4).hex()}",
                                        pure=False): student for student in todo}
        try:
            for future in tqdm(as_completed(futures), total=len(futures), desc="autograde", unit="submission",
                               disable=not progress):
                student = futures[future]
                try:
                    graded = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker's failure costs this submission, not the run
                    result = _failed(root, student, not unsandboxed, exc)
                    notebooks, pages = {}, {"summary.html": scrub_paths(summary_html(result), root, root)}
                else:
                    result = Result(**graded["result"])
                    notebooks, pages = graded["notebooks"], graded["pages"]
                result.fingerprint = fingerprint(root, student)
                _bring_back(root, result, notebooks, pages)
                done[student] = result
        except BaseException:
            engine.client.cancel(list(futures))
            raise
    finally:
        engine.close()
        if scheduler is None:  # the local workers are gone: what a task stopped mid-way left goes too
            scratch.remove_left_behind()
    return done


def _sandbox_works() -> None:
    problem = sandbox.bubblewrap_problem()
    if problem:
        raise RuntimeError(f"submissions are never graded outside the sandbox by default: {problem}; or pass "
                           "--unsandboxed to grade without it, at your own risk")


def _zero(root: Path, student: str, sandboxed: bool, reason: str) -> Result:
    """A result of no automatic points with ``reason`` (every grade cell listed, as in a real result)."""
    result = Result(student=student, fingerprint=fingerprint(root, student), sandboxed=sandboxed)
    result.reasons.append(reason)
    _read_verdict(root, Path(tempfile.gettempdir()), Path("/nonexistent"), result, quiet=True)
    return result


def _failed(root: Path, student: str, sandboxed: bool, exc: BaseException) -> Result:
    """The zero of a submission whose task failed on the cluster, with the reason."""
    from grading.cluster import ALLOWED_FAILURES

    if type(exc).__name__ == "KilledWorker":
        return _zero(root, student, sandboxed, f"its grading brought down {ALLOWED_FAILURES + 1} grading workers "
                     "(a crash, or the memory of the machine), so it gets no automatic points; grade it again with "
                     "--force after a look")
    return _zero(root, student, sandboxed, f"the grading of this submission failed ({type(exc).__name__}: "
                 f"{str(exc)[:200]}), so it gets no automatic points; grade it again with --force after a look")


def _grade_safely(root: Path, student: str, limits: Limits, sandboxed: bool) -> tuple[Result, Path]:
    """``_grade_in_workspace``, but a failure of the grading itself gives this student a zero with the reason
    instead of stopping the grading of everyone else."""
    try:
        return _grade_in_workspace(root, student, limits, sandboxed)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the student's result
        return _failed(root, student, sandboxed, exc), scratch.make("hw5-failed-")


def build_package(release: Path, submission: Path, target: Path) -> Path:
    """target/hw5lib: the submission's own files of hw5lib (a missing one: the release's stub) and the
    instructor's provided files, as nbgrader's autograde would combine them. Returns ``target``."""
    package = target / "hw5lib"
    shutil.copytree(release / "hw5lib", package, ignore=shutil.ignore_patterns(*SKIPPED))
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
    command = [sys.executable, "-m", "grading.trusted", "--source", str(root.resolve() / "source" / ASSIGNMENT),
               "--package", str(package), "--networks", str(root.resolve() / GRADER_FOLDER), "--out", str(out),
               "--cell-timeout", str(limits.cell_timeout), "--time-limit", str(limits.submission_seconds),
               "--memory-gb", str(limits.memory_gb), "--disk-gb", str(limits.disk_gb)] + ([] if sandboxed else ["--unsandboxed"])
    command += [f"--question={question}" for question in sorted(questions)]
    scratch = out.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    # TMPDIR: the workers' folders live in the workspace
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), TMPDIR=str(scratch), **sandbox.COMPUTE_SETTINGS)
    # the grader computes for the worker too (its callbacks): bounded like it, plus room for the data
    command = sandbox.limited(command, limits.memory_gb + 6, file_bytes=None)
    return subprocess.Popen(command, cwd=root.resolve() / "source" / ASSIGNMENT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)


def _grade_in_workspace(root: Path, student: str, limits: Limits, sandboxed: bool = True) -> tuple[Result, Path]:
    """Grade one student in a fresh workspace (trusted grader and notebook run side by side)."""
    started = time.monotonic()
    result = Result(student=student, fingerprint=fingerprint(root, student), sandboxed=sandboxed)
    if not sandboxed:
        result.reasons.append(sandbox.UNSANDBOXED_RISK)
    workspace = scratch.make("hw5-grade-")
    release, submission = root / "release" / ASSIGNMENT, root / "submitted" / student / ASSIGNMENT
    package = build_package(release, submission, workspace / "package")
    verdict = workspace / "trusted.json"
    with open(workspace / "trusted.log", "wb") as log:
        trusted = start_trusted(root, package, verdict, limits, sandboxed, log)
        try:
            _run_notebooks(root, workspace, student, limits, sandboxed, result)
            trusted.wait(timeout=max(1.0, started + limits.submission_seconds + 120 - time.monotonic()))
        except subprocess.TimeoutExpired:
            trusted.kill()
        finally:
            if trusted.poll() is None:
                trusted.kill()
            trusted.wait()
    _read_verdict(root, workspace, verdict, result)
    result.stopped += [s for s in notebook_scan.tampering(submission) if s not in result.stopped]
    feedback_started = time.monotonic()
    _write_feedback(root, workspace, result)
    result.feedback_seconds = round(time.monotonic() - feedback_started, 1)
    result.seconds = round(time.monotonic() - started, 1)
    return result, workspace


def _run_notebooks(root: Path, workspace: Path, student: str, limits: Limits, sandboxed: bool, result: Result) -> None:
    """nbgrader's run in the sandbox. A kernel that dies, or a notebook that writes past the disk budget, costs
    its own notebook's executed copy only: the notebooks are then run one by one."""
    folder = workspace / "notebooks"
    release = root / "release" / ASSIGNMENT
    submission = root / "submitted" / student / ASSIGNMENT
    gradebook = root / GRADER_FOLDER / PUBLIC_GRADEBOOK
    result.reasons += notebook_run.prepare(folder, release, submission, student, gradebook, limits.cell_timeout)
    deadline = time.monotonic() + limits.submission_seconds
    outcome = notebook_run.run(folder, student, limits.memory_gb, limits.disk_bytes, deadline, sandboxed)
    _note_limits(result, outcome)
    graded = folder / "autograded" / student / ASSIGNMENT
    if outcome.over_disk or (not graded.is_dir() and notebook_run.kernel_died(outcome.log)):
        if outcome.over_disk:  # start again from a fresh folder: what the run wrote is gone
            shutil.rmtree(folder)
            notebook_run.prepare(folder, release, submission, student, gradebook, limits.cell_timeout)
        baseline = disk_budget.used_bytes([folder])
        for notebook in sorted(release.glob("*.ipynb")):  # nbgrader drops a whole submission when a kernel dies
            if time.monotonic() >= deadline:
                break
            before = notebook_run.file_names(folder)
            own = notebook_run.run(folder, student, limits.memory_gb, limits.disk_bytes, deadline, sandboxed,
                                   notebook.stem, baseline)
            _note_limits(result, own)
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


def _note_limits(result: Result, outcome: notebook_run.RunOutcome) -> None:
    """Record what the limits of a sandbox stopped (attempts) or cost (problems), once each."""
    result.stopped += [text for text in outcome.stopped if text not in result.stopped]
    result.reasons += [text for text in outcome.problems if text not in result.reasons]


def _read_verdict(root: Path, workspace: Path, verdict: Path, result: Result, quiet: bool = False) -> None:
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


def _write_feedback(root: Path, workspace: Path, result: Result) -> None:
    """nbgrader's pages from the executed notebooks (in a folder the sandbox never saw) and our summary."""
    student = result.student
    notebooks, problems = notebook_run.executed_notebooks(
        workspace / "notebooks", student, sorted(p.name for p in (root / "release" / ASSIGNMENT).glob("*.ipynb")))
    result.reasons += problems
    folder = workspace / "feedback-course"
    graded = folder / "autograded" / student / ASSIGNMENT
    graded.mkdir(parents=True)
    notebooks = _made_inert(notebooks, result)
    for name, content in notebooks.items():
        (graded / name).write_bytes(content)
    shutil.copytree(root / "release" / ASSIGNMENT, folder / "source" / ASSIGNMENT)
    shutil.copy2(root / GRADER_FOLDER / PUBLIC_GRADEBOOK, folder / "gradebook.db")
    if notebooks:
        _merge_into_gradebook(folder / "gradebook.db", result)
        problem = generate_feedback(folder, student)
        if problem:
            result.reasons.append(f"no notebook feedback could be written: {problem}")
    elif not any("could not" in r for r in result.reasons):
        result.reasons.append("nbgrader wrote no executed notebook for this submission (see the problems above)")


def _made_inert(notebooks: dict[str, bytes], result: Result) -> dict[str, bytes]:
    """The executed notebooks with nothing a page could run (``grading.inert``): what formgrader, the feedback
    pages and JupyterLab will show. What was removed is named among the stopped attempts."""
    kept = {}
    for name, content in notebooks.items():
        try:
            kept[name], removed = inert.inert_notebook_bytes(content, name)
        except ValueError as exc:
            result.reasons.append(f"{exc}: its executed copy is left out")
            continue
        if removed:
            shown = "; ".join(removed[:8]) + (f"; and {len(removed) - 8} more" if len(removed) > 8 else "")
            result.stopped.append(f"content that would run in the grader's browser was removed from {name} "
                                  f"({shown})")
    return kept


def generate_feedback(folder: Path, student: str) -> str | None:
    """``nbgrader generate_feedback`` of one student in the course ``folder``, run in this process (no new
    interpreter to start per submission); None when it worked, else the last line of its error."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(folder.resolve())
    config.CourseDirectory.course_id = "hw5"
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    config.GenerateFeedback.exporter_class = _feedback_exporter()
    config.HTMLExporter.sanitize_html = True  # behind grading.inert: nbconvert's own sanitiser of outputs
    with _FEEDBACK_LOCK:
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        outcome = api.generate_feedback(ASSIGNMENT, student, force=True)
    if outcome.get("success"):
        return None
    return (outcome.get("error") or outcome.get("log") or "unknown error").strip().splitlines()[-1][:300]


@functools.cache
def _feedback_exporter() -> type:
    """nbconvert's HTML exporter whose Jinja templates are compiled once per process, not once per submission."""
    import jinja2
    from nbconvert.exporters import HTMLExporter

    class CompiledTemplates(jinja2.BytecodeCache):
        """Compiled templates in memory, by Jinja's key (the template's name and a checksum of its source)."""

        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    compiled = CompiledTemplates()

    class FeedbackExporter(HTMLExporter):
        def _create_environment(self):
            environment = super()._create_environment()
            environment.bytecode_cache = compiled
            return environment

    return FeedbackExporter


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


def _bring_back(root: Path, result: Result, notebooks: dict[str, bytes], pages: dict[str, str]) -> None:
    """Store the result, merge it into the course gradebook, write the executed notebooks and the feedback."""
    _write_result(root, result)
    _merge_into_gradebook(root / "gradebook.db", result)
    for kind, files in (("autograded", notebooks), ("feedback", pages)):
        target = root / kind / result.student / ASSIGNMENT
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name, content in files.items():
            name = Path(name).name  # a name, never a path
            if name.endswith((".ipynb", ".html")):
                path = target / name
                path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def scrub_paths(text: str, root: Path, workspace: Path) -> str:
    """``text`` with the grading machine's folders (workspace, course, Python, home, temp) named generically."""
    places = {str(workspace): "<workspace>", str(root.resolve()): "<course>", str(PROJECT_ROOT): "<project>",
              sys.prefix: "<python>", sys.base_prefix: "<python>", tempfile.gettempdir(): "<tmp>",
              str(Path.home()): "<home>"}
    for path, name in sorted(places.items(), key=lambda item: -len(item[0])):
        if len(path) > 1:
            text = text.replace(path, name)
    return text


def _merge_into_gradebook(course_db: Path, result: Result) -> None:
    """Write the automatic scores into a gradebook; manual grades already there are kept."""
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


def summary_html(result: Result, table: dict | None = None) -> str:
    """The student's page: points per question, every failing check's message, warnings, prints, what was stopped.

    ``table``: the export's part for this student (``grading.report.table_part``): the written answers' manual
    points and which still wait for a grader, and the whole handout's total.
    """
    from html import escape

    from grading.points import question_of

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    if table is None:
        per_question: dict[str, list[float]] = {}
        for gid, (score, maximum) in result.scores.items():
            row = per_question.setdefault(question_of(gid), [0.0, 0.0])
            row[0] += score
            row[1] += maximum
        rows = "".join(f"<tr><td>{q}</td><td>{s:g} / {m:g}</td></tr>" for q, (s, m) in
                       sorted(per_question.items(), key=lambda item: [int(x) for x in item[0][1:].split(".")]))
        rows = f"<table><tr><th>question</th><th>points</th></tr>{rows}</table>"
        overview = (f"<p>Automatic points: {result.total:g} of {sum(m for _, m in result.scores.values()):g}. "
                    "Written answers are graded by hand.</p>")
    else:
        rows = "".join(f"<tr><td>{q}</td><td>{number(auto)}</td><td>"
                       f"{'waiting for a grader' if waiting else number(manual)}</td><td>{number((auto or 0) + (manual or 0))}"
                       f" / {maximum:g}</td></tr>" for q, auto, manual, waiting, maximum in table["questions"])
        rows = ("<table><tr><th>question</th><th>automatic</th><th>written (by hand)</th><th>points</th></tr>"
                f"{rows}</table>")
        overview = (f"<p>Points: {table['total']:g} of {table['maximum']:g} (automatic {table['automatic']:g}, "
                    f"written answers {table['manual']:g}"
                    + (f"; {table['waiting']} written answer(s) still wait for a grader and count 0 until then"
                       if table["waiting"] else "") + ").</p>")

    def items(values: list[str], empty: str = "none") -> str:
        return "".join(f"<li>{escape(v)}</li>" for v in values) or f"<li>{empty}</li>"

    failed = "".join(f"<li><code>{escape(g)}</code>: {escape(e)}</li>" for g, e in sorted(result.failed_cells.items()))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta http-equiv='Content-Security-Policy' "
            f"content=\"default-src 'none'\"><title>hw5: {escape(result.student)}</title></head>"
            f"<body><h1>hw5 grading: {escape(result.student)}</h1>{overview}{rows}"
            f"<h2>Checks that failed</h2><ul>{failed or '<li>none</li>'}</ul>"
            f"<h2>Problems with the run</h2><ul>{items(result.reasons)}</ul>"
            "<h2>Warnings your code raised</h2><p>They cost no points; fix them before the libraries change."
            f"</p><ul>{items(result.warnings)}</ul>"
            f"<h2>What your functions printed</h2><p>Printing costs no points.</p><ul>{items(result.printed)}</ul>"
            "<h2>Attempts on the grader that were stopped</h2><p>Your code runs in a sandbox and the points are "
            f"decided outside it, so these had no effect.</p><ul>{items(result.stopped)}</ul>"
            "<p>The notebooks' own feedback pages beside this one show your executed notebooks.</p></body></html>")
