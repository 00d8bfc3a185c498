"""Grading on a Dask cluster of separate processes on 127.0.0.1: a scheduler and two one-thread workers started
here with Dask's own commands. The cluster's table equals the one graded locally (a submission graded apart
gets the grades it got among the others), and a worker killed while it grades costs nothing: its submission is
graded again and stored once. On local clusters: the course's material survives the death of the worker that
held it, and workers do not profile themselves. (``make sweep`` times the cluster.)"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from grading.batch import autograde
from grading.batch.submission import failed_result
from grading.course.paths import ASSIGNMENT, PROJECT_ROOT
from grading.sandbox import bwrap
from processes import command_line, descendants, is_running, parent_of
from whole_flow import BROKEN_ID, LIMITS, course_with

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")
# one per worker (the killed one is graded again): the reference's code with a planted bug and three of its
# notebooks, and nothing
HANDFUL = [BROKEN_ID, "blank"]


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (one thread each, nannies restart a killed one)."""
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_port()}"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="2")
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], env=env, stdout=open(logs / "scheduler.log", "wb"),
                                  stderr=subprocess.STDOUT, start_new_session=True)]
    for number in range(2):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--name", f"worker-{number}"], env=env,
            stdout=open(logs / f"worker-{number}.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True))
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=90)
    yield address, {process.pid for process in processes[1:]}  # the workers' nannies
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _grading_worker(nannies: set[int]) -> int | None:
    """The PID of one of this cluster's worker processes that is grading now: the parent of a running trusted
    grader, itself a child of one of the ``nannies`` started here (never any other process of the machine)."""
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and b"grading.grader.trusted" in open(f"/proc/{entry}/cmdline", "rb").read():
                worker = parent_of(int(entry))
                if parent_of(worker) in nannies:
                    return worker
        except (OSError, ValueError, IndexError):
            continue
    return None


def _logs(tmp_path) -> str:
    """The tails of the cluster's logs, for a failure message."""
    return "\n".join(f"{log.name}: {log.read_text(errors='replace')[-1500:]}"
                     for log in sorted(tmp_path.parent.glob("dask*/*.log")))


def test_the_cluster_grades_as_the_local_run_did_even_when_a_worker_is_killed(scheduler, course_root, results,
                                                                            tmp_path):
    scheduler, nannies = scheduler
    root = course_with(course_root, tmp_path / "course",
                       {s: course_root / "submitted" / s / ASSIGNMENT for s in HANDFUL})
    outcome, raised = {}, []

    def grade() -> None:
        try:
            outcome.update(autograde.autograde(root, scheduler=scheduler, limits=LIMITS, progress=False))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions below
            raised.append(exc)

    run = threading.Thread(target=grade)
    run.start()
    killed, deadline = None, time.monotonic() + 90
    while killed is None and time.monotonic() < deadline:  # kill a worker in the middle of a grading
        killed = _grading_worker(nannies)
        time.sleep(0.2)
    below, orphans = {}, {}
    if killed is not None:
        time.sleep(3)
        below = {pid: command_line(pid) for pid in descendants(killed)}  # trusted grader, nbgrader's run, kernels
        os.kill(killed, signal.SIGKILL)
        time.sleep(5)
        # ended with the worker (setpriv --pdeathsig, bwrap --die-with-parent): the same PID running the same
        # command would be one that outlived it
        orphans = {pid: line for pid, line in below.items() if is_running(pid) and command_line(pid) == line}
    run.join(timeout=600)
    assert killed is not None, "no worker of the cluster was seen grading within 90 s"
    assert not run.is_alive() and not raised, (raised, _logs(tmp_path))
    assert len(below) >= 3 and not orphans, (f"{len(orphans)} of {len(below)} processes outlived the killed worker: "
                                             f"{sorted(orphans.values())}")
    assert sorted(outcome) == sorted(HANDFUL), _logs(tmp_path)
    for student in HANDFUL:  # the same table as the local run, the killed worker's submission included
        differ = {gid: (score, results[student].scores.get(gid)) for gid, score in outcome[student].scores.items()
                  if score != results[student].scores.get(gid)}
        assert outcome[student].scores == results[student].scores, (student, differ, outcome[student].reasons)
        assert not [r for r in outcome[student].reasons if "workers" in r or "failed" in r], outcome[student].reasons
        assert (root / "autograded" / student / ASSIGNMENT / "02_fully_connected.ipynb").is_file()
        assert (root / "feedback" / student / ASSIGNMENT / "summary.html").is_file()
    assert outcome[BROKEN_ID].total == 77 - 7 and outcome["blank"].total == 0  # all but the planted bug's Q2.3
    # graded again after the kill, stored once
    assert sorted(p.name for p in (root / "results").iterdir()) == sorted(f"{s}.json" for s in HANDFUL)


def test_a_submission_that_keeps_bringing_down_workers_gets_zero_with_that_reason(course_root, results):
    from distributed import KilledWorker

    result = failed_result(course_root, "reference", True, KilledWorker("grade-reference", None, 2))
    assert result.total == 0 and set(result.scores) == set(results["reference"].scores)  # every cell, none passed
    assert len(result.reasons) == 1 and "brought down 3 grading workers" in result.reasons[0]


def test_a_local_clusters_workers_do_not_profile_themselves():
    """Dask's workers sample their stacks every 10 ms by default: CPU time a grading on 2 cores needs."""
    import dask

    from grading.batch.dask_runner import Cluster

    local = Cluster(None, 1)
    try:
        settings = local.client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    finally:
        local.close()
    assert list(settings.values()) == [False]


def test_the_course_is_computed_again_when_the_only_worker_that_held_it_dies():
    """Scattered data has one copy on a Dask cluster (the active memory manager drops the others): a killed
    worker that held it failed a whole grading run. As a task's result, Dask computes it again."""
    from grading.batch.dask_runner import Cluster, course_digest, share_course

    local = Cluster(None, 2)
    try:
        client = local.client
        course = os.urandom(2**16)
        shared = share_course(client, course, course_digest(course))
        assert shared.result(timeout=60) == course
        holders = list(client.who_has([shared])[shared.key])
        for pid in client.run(os.getpid, workers=holders).values():  # every worker that held it dies
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while set(holders) & set(client.scheduler_info()["workers"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not set(holders) & set(client.scheduler_info()["workers"])
        assert client.submit(len, shared, pure=False).result(timeout=60) == len(course)
    finally:
        local.close()
