"""A quick forecast of automatic points without nbgrader: the trusted grader alone on a submission folder.

The points of a real run come from ``grading.grader.trusted``; nbgrader's notebook run only adds the executed copies
and the feedback pages. So running the trusted grader on a folder (the submission sandboxed as in a real run,
unless bubblewrap is missing) predicts its automatic points in a fraction of the time. ``python -m grading
selftest`` uses it to confirm every sample of ``grading.selftest.samples`` before a real sweep.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grading.batch.submission import build_package, start_trusted
from grading.course.paths import ASSIGNMENT, student_files
from grading.course.points import question_of
from grading.grader.limits import Limits
from grading.sandbox import bwrap


def preview(course: Path, submission: Path, limits: Limits | None = None, sandboxed: bool | None = None,
            questions: Iterable[str] = ()) -> dict[str, str]:
    """{grade_id: '' if it passes, else the failing check's message} for one submission folder.

    ``sandboxed`` defaults to whether bubblewrap can run here; given handout ``questions`` (e.g. "Q2.3"), only
    their grade cells are run.
    """
    return verdict(course, submission, limits, sandboxed, questions)["cells"]


def verdict(course: Path, submission: Path, limits: Limits | None = None, sandboxed: bool | None = None,
            questions: Iterable[str] = ()) -> dict:
    """The trusted grader's whole verdict on a submission folder: cells, warnings, printed, stopped, problems."""
    limits = limits or Limits(cell_timeout=120, submission_seconds=600)
    with tempfile.TemporaryDirectory(prefix="hw5-preview-") as tmp:
        work = Path(tmp)
        package = build_package(course / "release" / ASSIGNMENT, submission, work / "package")
        with open(work / "trusted.log", "wb") as log:
            if sandboxed is None:
                sandboxed = bwrap.bubblewrap_problem() is None
            process = start_trusted(course, package, work / "verdict.json", limits, sandboxed, log, questions)
            process.wait()
        if not (work / "verdict.json").is_file():
            log = (work / "trusted.log").read_text(errors="replace")[-300:]
            return {"cells": {"*": f"the grader did not finish: {log}"}, "stopped": [], "problems": []}
        return json.loads((work / "verdict.json").read_text())


def lost_questions(outcome: dict[str, str]) -> set[str]:
    """The questions with a failing grade cell ('*' when nothing could run)."""
    return {"*" if gid == "*" else question_of(gid) for gid, error in outcome.items() if error}


def questions_testing(course: Path, files: Iterable[str]) -> set[str] | None:
    """The handout questions whose grade cells test a function defined in ``files`` (student-fillable paths such
    as 'hw5lib/nn.py'), from the functions under test each check of a cell names; None (every question) when a
    file is not a student's module. A cell that calls a check naming no function under test counts as testing all.

    A submission's edits of these files can cost no other question: a function of the handout called from a
    function under test is the grader's reference copy (``grading.grader.trusted``).
    """
    import re

    from grading.grader import grading_checks
    from hw5lib import checks as public_checks

    own = {Path(rel).stem for rel in student_files()}
    modules = {Path(rel).stem for rel in files}
    if not modules or not modules <= own or any(not rel.endswith(".py") for rel in files):
        return None
    questions = set()
    for path in sorted((course / "source" / ASSIGNMENT).glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if not grade_id or not cell["metadata"]["nbgrader"].get("grade") or cell["cell_type"] != "code":
                continue
            called = re.findall(r"\b(grading_checks|checks)\.(check_\w+)\(", "".join(cell["source"]))
            tested = [getattr(grading_checks if where == "grading_checks" else public_checks, name, None)
                      for where, name in called]
            names = [getattr(check, "under_test", None) for check in tested]
            if not called or any(under is None for under in names) or any(
                    name.split(".")[0] in modules for under in names for name in under):
                questions.add(question_of(grade_id))
    return questions


def questions_reached(course: Path, sample) -> set[str] | None:
    """The questions the edits of ``sample`` (a ``grading.selftest.samples.Sample``) can cost: ``questions_testing``
    of the files it edits."""
    return questions_testing(course, {edit[0] for edit in sample.edits})


def selftest(course: Path, names: list[str], jobs: int = 2, narrow: bool = False,
             limits: Limits | None = None) -> dict[str, tuple[set[str], set[str], dict[str, str]]]:
    """{sample: (questions lost, questions expected to be lost, failures)} for the named samples. ``narrow``: grade
    only the questions the sample's edits can reach (``questions_reached``), in a fraction of the time."""
    from grading.selftest.samples import SAMPLES, write_sample

    if not (course / "release" / ASSIGNMENT).is_dir():
        raise RuntimeError(f"{course} holds no released course: run `python -m grading --course {course} release` "
                           "first")

    def one(name: str):
        questions = questions_reached(course, SAMPLES[name]) if narrow else None
        with tempfile.TemporaryDirectory(prefix="hw5-sample-") as tmp:
            folder = write_sample(course / "source" / ASSIGNMENT, SAMPLES[name], Path(tmp) / ASSIGNMENT)
            outcome = preview(course, folder, limits, questions=questions or ())
        failures = {gid: error for gid, error in outcome.items() if error}
        return name, (lost_questions(outcome), set(SAMPLES[name].loses), failures)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(pool.map(one, names))
