"""The course graded once per session by the whole flow (``course_root``, ``results``), and a watch on what
attack samples might reach outside their sandbox."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from processes import command_line, descendants

ATTACK_PORTS = range(47800, 47830)  # the ports grading.selftest.samples' attack_network tries


@pytest.fixture(scope="session")
def course_root(released_course, attack_watch, tmp_path_factory):
    """A copy of the session's course with the reference, the blank release, hostile samples, the attacks (one
    submission) and a messy copy of the reference graded (jobs 2)."""
    from grading.batch import autograde
    from grading.course.paths import ASSIGNMENT
    from grading.selftest import samples
    from whole_flow import ATTACKS_TOGETHER, BROKEN_ID, LIMITS, PLANTED, SAMPLED, course_with

    root = course_with(released_course, tmp_path_factory.mktemp("whole-flow") / "course", {
        "reference": released_course / "source" / ASSIGNMENT, "blank": released_course / "release" / ASSIGNMENT})
    samples.add_samples(root, SAMPLED)
    samples.write_sample(root / "source" / ASSIGNMENT, ATTACKS_TOGETHER,
                         root / "submitted" / ATTACKS_TOGETHER.name / ASSIGNMENT)
    broken = samples.write_sample(root / "source" / ASSIGNMENT, PLANTED, root / "submitted" / BROKEN_ID / ASSIGNMENT)
    for notebook in (root / "release" / ASSIGNMENT).glob("*.ipynb"):  # no hidden test in its pages
        shutil.copy2(notebook, broken / notebook.name)
    (broken / "01_theory.ipynb").write_text('{"cells": [')  # a save cut short
    (broken / "03_training.ipynb").unlink()
    attack_watch.before(root)
    # graded as an instructor without HW5_STANDIN would: the kernels then say that the stand-in is used, and
    # that line must never reach a grade cell's stderr (nbgrader gives no points to such a cell)
    forced = os.environ.pop("HW5_STANDIN", None)
    try:
        autograde.autograde(root, jobs=2, limits=LIMITS, progress=False)
    finally:
        if forced is not None:
            os.environ["HW5_STANDIN"] = forced
    return root


@pytest.fixture(scope="session")
def results(course_root):
    from grading.grader.result import load_results

    return load_results(course_root)


def _grading_processes() -> set[int]:
    """PIDs of processes that run submission code: sandboxed function servers and notebook kernels."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"function_server.py" in cmdline or b"ipykernel" in cmdline:
                found.add(int(entry))
    return found - _other_test_processes()


def _other_test_processes() -> set[int]:
    """The processes of this run's other pytest-xdist workers: their kernels and sandboxes are theirs. (A process
    that outlived its grading has lost its parent: it never hangs below a worker.)"""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return set()
    return descendants(os.getppid()) - descendants(os.getpid()) - {os.getpid()}


class AttackWatch:
    """Before grading: a loopback server the network attack aims at, and the state of the cache and processes.
    After: nothing reached the server, the cache, the gradebook or another submission, and nothing survived."""

    def before(self, root: Path) -> None:
        from hw5lib import data

        self.processes = _grading_processes()
        self.submitted = self._files(root / "submitted")
        self.cache = data.cache_dir()
        self.cache_state = self._cache_state()
        self.connections: list[bytes] = []
        self.server = socket.socket()
        for port in ATTACK_PORTS:
            try:
                self.server.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        self.server.listen()
        self.server.settimeout(0.5)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(1000) or b"(connected)")
                except OSError:
                    self.connections.append(b"(connected)")

    @staticmethod
    def _files(folder: Path) -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}

    def _cache_state(self) -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in self.cache.rglob("*") if p.is_file()}

    def after(self, root: Path) -> None:
        from hw5lib import pages

        time.sleep(2)  # a daemon that survived would act now
        self.stop.set()
        self.thread.join()
        self.server.close()
        assert self.connections == [], f"a submission reached the loopback server: {self.connections}"
        survivors = _grading_processes() - self.processes
        lines = {pid: command_line(pid) for pid in survivors}
        assert not survivors, f"processes of submissions outlived their grading: {lines}"
        now = self._cache_state()
        changed = [path for path, state in self.cache_state.items() if now.get(path) != state]
        assert not changed, f"a submission changed the user cache: {changed[:5]}"
        added = [Path(path) for path in now if path not in self.cache_state]
        # the trusted grader stores the pages its checks draw (hw5lib.pages.cached_page): nothing else is new
        assert all(path.parent == self.cache / "check-pages" and pages._read_pages(path, count=1) for path in added), (
            f"files appeared in the user cache during grading: {added[:5]}")
        assert not (self.cache / "poisoned.txt").exists()
        assert b"tampered" not in (root / "gradebook.db").read_bytes()
        now = self._files(root / "submitted")
        changed = [path for path, content in self.submitted.items() if now.get(path) != content]
        assert not changed, f"submitted files changed during grading: {changed[:5]}"


@pytest.fixture(scope="session")
def attack_watch():
    return AttackWatch()
