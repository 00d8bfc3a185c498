"""Grading on Dask distributed: one task per submission, on the cluster at an address or on a local one.

No shared filesystem is assumed. The client packs the course's grading material (source notebooks with the
reference ``hw5lib``, the release, the grader's networks and the public gradebook) once and each submission
as bytes; a worker unpacks them into a folder of its own, grades the submission there exactly as on one
machine (``submission.grade_safely``: trusted grader and sandboxed notebook run) and sends back the result,
the executed notebooks and the feedback pages as data. Only the client writes into the course folder.

A worker that dies while grading loses nothing: Dask gives its task to another worker, and computes the course's
material again if that worker held the only copy (``share_course``). A submission whose grading brings down
``ALLOWED_FAILURES`` workers is not tried again; the client gives it zero with that reason.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from dataclasses import asdict
from pathlib import Path

from grading.batch import scratch
from grading.batch.submission import ALLOWED_FAILURES, grade_safely, graded_files
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, ignored

COURSE_PARTS = (f"source/{ASSIGNMENT}", f"release/{ASSIGNMENT}", GRADER_FOLDER)


def pack(folder: Path, parts: tuple[str, ...] | None = None) -> bytes:
    """A gzipped tar of ``folder`` (or of its ``parts``), links kept as links, caches left out."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for part in parts or (".",):
            tar.add(folder / part, arcname=part,
                    filter=lambda info: None if ignored(info.name) else info)
    return buffer.getvalue()


def _inside_only(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """tarfile's 'data' filter, but a member it refuses (a link out of the folder, a device) is left out."""
    try:
        return tarfile.data_filter(member, path)
    except tarfile.FilterError:
        return None


def unpack(data: bytes, target: Path) -> None:
    """Unpack ``pack``'s bytes into ``target``: nothing lands or points outside it."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter=_inside_only)


_COURSES: dict[str, Path] = {}  # on a worker: the course folders unpacked so far, by digest


def _course_here(course: bytes, digest: str) -> Path:
    """The course's grading material unpacked on this worker (once per course and process)."""
    if digest not in _COURSES or not _COURSES[digest].is_dir():
        remove_unpacked_courses()  # a newer course replaces the one this worker held
        root = scratch.make("hw5-course-")
        unpack(course, root)
        shutil.copy2(root / GRADER_FOLDER / "public_gradebook.db", root / "gradebook.db")  # the cells and points
        _COURSES[digest] = root
    return _COURSES[digest]


def remove_unpacked_courses() -> int:
    """Run on a worker: remove the courses it unpacked (a newer course, or the client is done); how many."""
    removed = 0
    while _COURSES:
        shutil.rmtree(_COURSES.popitem()[1], ignore_errors=True)
        removed += 1
    return removed


def grade_task(course: bytes, digest: str, student: str, submission: bytes, limits, sandboxed: bool) -> dict:
    """Run on a worker: grade one packed submission; its result, executed notebooks and feedback pages."""

    root = _course_here(course, digest)
    folder = root / "submitted" / student
    shutil.rmtree(folder, ignore_errors=True)
    unpack(submission, folder / ASSIGNMENT)
    try:
        result, workspace = grade_safely(root, student, limits, sandboxed)
        try:
            notebooks, pages = graded_files(root, workspace, result)
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"result": asdict(result), "notebooks": notebooks, "pages": pages}


def course_task(course: bytes) -> bytes:
    """The packed course as the result of a task, for every grading task to depend on. Dask computes it again
    when every worker that held it died; scattered data would be lost instead (Dask's active memory manager
    keeps a single copy of it, and a grading run whose one holder was killed failed whole)."""
    return course


def share_course(client, course: bytes, digest: str):
    """The future of ``course_task``: the course (``course_digest`` ``digest``) travels to the scheduler once,
    inside that task."""
    return client.submit(course_task, course, key=f"hw5-course-{digest}")


def course_digest(course: bytes) -> str:
    return hashlib.sha256(course).hexdigest()[:16]


class Cluster:
    """A Dask client on the scheduler at ``address``, or on a local cluster of ``jobs`` one-thread workers."""

    def __init__(self, address: str | None, jobs: int) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.local = None
        if address is None:
            # Dask's workers sample their own stacks every 10 ms for the dashboard's profile: CPU time a grading
            # beside it would wait for
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                                  "distributed.worker.profile.enabled": False}):
                self.local = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                                          dashboard_address="127.0.0.1:0", silence_logs=40)
            self.client = Client(self.local)
        else:
            self.client = Client(address, timeout="30s")

    def dashboard(self) -> str | None:
        """The dashboard's address when the scheduler serves one (a local one needs bokeh installed)."""
        import importlib.util

        if "dashboard" not in self.client.scheduler_info().get("services", {}):
            return None
        if self.local is not None and importlib.util.find_spec("bokeh") is None:
            return None
        return self.client.dashboard_link

    def close(self) -> None:
        """Every worker removes the courses it unpacked, then the client (and a local cluster) closes."""
        try:
            self.client.run(remove_unpacked_courses, wait=True)
        except Exception:  # noqa: BLE001 - a worker that is gone has nothing left to remove here
            pass
        self.client.close()
        if self.local is not None:
            self.local.close()
