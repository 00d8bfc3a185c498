"""Autograding: a trusted grader decides the points, nbgrader runs the notebooks, both with the code sandboxed.

Each submission is one task on Dask (``dask_runner``: a local cluster of N workers, or the one at ``--scheduler``)
and is graded on its Dask worker in a workspace of its own, outside the course (``submission``):
  1. ``grading.grader.trusted`` (a process that runs no submission code) executes every grade cell of the source
     notebooks, hidden tests included, and calls the submission's functions in a sandbox; its verdict per
     grade_id is the automatic score.
  2. meanwhile nbgrader autogrades the notebooks in the sandbox (``grading.sandbox.notebook_run``), from the
     release and a gradebook without hidden tests, for the executed notebooks (formgrader) and the feedback pages.
When both end, however they end, the Dask worker checks that the provided files were left as they were (else
zero, with the reason) and renders the feedback; the client alone then writes ``results/<student>.json``
atomically (grades written before an interruption are kept), merges the scores into the course's gradebook
(manual grades there are kept) and copies the executed notebooks and the feedback into the course. A rerun skips
submissions whose result matches their files and the grading source, unless forced. Without bubblewrap, grading stops with the reason unless ``unsandboxed``
is chosen, which is recorded in every result.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tqdm.auto import tqdm

from grading.batch import dask_runner, scratch
from grading.batch.result_store import bring_back, fingerprint, submissions
from grading.batch.submission import failed_result
from grading.course.gradebook import public_gradebook
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, PUBLIC_GRADEBOOK
from grading.feedback.pages import scrub_paths, summary_html
from grading.grader.limits import Limits
from grading.grader.result import load_result, Result
from grading.sandbox import bwrap, cgroups


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
    public_gradebook(root / "gradebook.db", root / "release" / ASSIGNMENT,
                                  root / GRADER_FOLDER / PUBLIC_GRADEBOOK)
    course = dask_runner.pack(root, dask_runner.COURSE_PARTS)
    engine = dask_runner.Cluster(scheduler, jobs)
    try:
        if not unsandboxed and scheduler is not None:
            problems = {w: p for w, p in engine.client.run(bwrap.bubblewrap_problem).items() if p}
            if problems:
                worker, problem = next(iter(problems.items()))
                raise RuntimeError(f"the Dask worker {worker} cannot sandbox submissions: {problem}; or pass "
                                   "--unsandboxed to grade without it, at your own risk")
        if progress and engine.dashboard():
            print(f"Dask dashboard: {engine.dashboard()}", file=sys.stderr)
        digest = dask_runner.course_digest(course)
        shared = dask_runner.share_course(engine.client, course, digest)
        futures = {engine.client.submit(dask_runner.grade_task, shared, digest, student,
                                        dask_runner.pack(root / "submitted" / student / ASSIGNMENT), limits,
                                        not unsandboxed, key=f"grade-{student}-{os.urandom(4).hex()}",
                                        pure=False): student for student in todo}
        try:
            for future in tqdm(as_completed(futures), total=len(futures), desc="autograde", unit="submission",
                               disable=not progress):
                student = futures[future]
                try:
                    graded = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker's failure costs this submission, not the run
                    result = failed_result(root, student, not unsandboxed, exc)
                    notebooks, pages = {}, {"summary.html": scrub_paths(summary_html(result), root, root)}
                else:
                    result = Result(**graded["result"])
                    notebooks, pages = graded["notebooks"], graded["pages"]
                result.fingerprint = fingerprint(root, student)
                bring_back(root, result, notebooks, pages)
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
    problem = bwrap.bubblewrap_problem()
    if problem:
        raise RuntimeError(f"submissions are never graded outside the sandbox by default: {problem}; or pass "
                           "--unsandboxed to grade without it, at your own risk")


