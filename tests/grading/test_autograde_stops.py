"""Runs that stop before they end well: refused without the sandbox, failed in the client, killed with SIGKILL,
and over the time limit (the run after the killed one). Each stops with a reason and leaves no folder it made;
the grades already written stay (test_autograde.py has the interrupted run). They grade a copy of the session's
released course holding the blank release (and the reference, for the time limit), apart from the whole-flow
grading, under a time limit of a few seconds (a blank release scores nothing either way)."""

from pathlib import Path

import pytest

from grading.batch import autograde
from grading.batch.result_store import add_submission
from grading.course.paths import ASSIGNMENT
from grading.course.points import question_of
from grading.grader.limits import Limits
from grading.sandbox import bwrap
from whole_flow import SHORT, course_with, folders_the_grader_made

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")


@pytest.fixture(scope="module")
def small_course(released_course, tmp_path_factory):
    """A copy of the released course with the blank release submitted as "blank"."""
    return course_with(released_course, tmp_path_factory.mktemp("stops") / "course",
                       {"blank": released_course / "release" / ASSIGNMENT})


def lost(result) -> set[str]:
    return {question_of(gid) for gid, (score, maximum) in result.scores.items() if score < maximum}


def test_without_bubblewrap_grading_stops_unless_unsandboxed_is_chosen(small_course, monkeypatch):
    monkeypatch.setattr(bwrap, "bubblewrap_problem", lambda: "bubblewrap (bwrap) is not installed: install it")
    with pytest.raises(RuntimeError, match="--unsandboxed"):
        autograde.autograde(small_course, force=True, students=["blank"], progress=False)
    graded = autograde.autograde(small_course, force=True, students=["blank"], progress=False, unsandboxed=True,
                                 limits=SHORT)
    assert graded["blank"].total == 0 and graded["blank"].sandboxed is False
    assert any("WITHOUT the sandbox" in reason for reason in graded["blank"].reasons)


def test_a_run_that_fails_leaves_no_folder_it_made(small_course, monkeypatch):
    def broken(*args):
        raise OSError("the disk of the course is full")

    monkeypatch.setattr(autograde, "bring_back", broken)
    with pytest.raises(OSError, match="disk of the course is full"):
        autograde.autograde(small_course, jobs=1, force=True, students=["blank"], progress=False,
                            limits=SHORT)
    assert folders_the_grader_made() == []


def test_after_a_run_killed_with_sigkill_the_next_leaves_nothing_and_stops_at_its_time_limit(small_course):
    """The run after the killed one grades the reference under a time limit of 4 s: the trusted grading of a whole
    submission takes about 10 s, its notebooks 20 s."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from grading.course.paths import PROJECT_ROOT

    script = (f"from pathlib import Path; from grading.batch import autograde; from whole_flow import SHORT; "
              f"autograde.autograde(Path({str(small_course)!r}), jobs=1, force=True, students=['blank'], "
              "progress=False, limits=SHORT)")
    env = dict(os.environ, PYTHONPATH=f"{PROJECT_ROOT}{os.pathsep}{Path(__file__).parent}")
    killed = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    waited = time.monotonic()
    while not [p for p in folders_the_grader_made() if p.name.startswith("hw5-grade-")]:
        assert time.monotonic() - waited < 120 and killed.poll() is None, "the run never started a grading"
        time.sleep(0.2)
    time.sleep(3)  # mid-way through the gradings
    os.kill(killed.pid, signal.SIGKILL)  # the client only: its workers notice the scheduler is gone
    killed.wait()
    left = folders_the_grader_made()
    assert any(p.name.startswith("hw5-grade-") for p in left)  # SIGKILL leaves no time to clean up
    makers = {int((p / ".hw5-grading").read_text().split()[0]) for p in left}
    waited = time.monotonic()
    while any(Path(f"/proc/{pid}").exists() for pid in makers) and time.monotonic() - waited < 30:
        time.sleep(0.5)  # its workers end as they lose the scheduler, which lived in the killed client
    add_submission(small_course, "slow", small_course / "source" / ASSIGNMENT)
    graded = autograde.autograde(small_course, students=["slow"], progress=False,
                                 limits=Limits(cell_timeout=60, submission_seconds=4))
    assert folders_the_grader_made() == []
    result = graded["slow"]
    assert any("time limit of 4 s" in reason for reason in result.reasons)
    assert "Q5.4" in lost(result) and result.total < 77
    assert result.seconds < 60
