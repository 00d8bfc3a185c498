"""``grading.sandbox.cgroups``: a sandbox's control group bounds how many processes it has, their memory together and
their share of the CPU; what the limits stopped is reported; the groups are removed afterwards."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.course.paths import ASSIGNMENT
from grading.sandbox import bwrap, cgroups
from grading.selftest import forecast, samples

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="needs the sandbox (bubblewrap)")
needs_groups = pytest.mark.skipif(cgroups.problem() is not None, reason=f"no control groups here: {cgroups.problem()}")

# the sample's fork bomb, bounded so that it cannot hurt a machine where the limit is missing: 600 processes that
# sleep 3 s; it prints how many started
FORKS = samples.SAMPLES["hostile_fork_bomb"].edits[0][2]


def _started(output: str) -> int:
    return int(output.split(" processes started")[0].split()[-1])


# three processes of 0.95 GiB each, 2.85 GiB together: each is below its own 2 GiB address-space limit, the three
# are above the 2.5 GiB of a group for sandboxes of 0.5 GiB per process (cgroups.EXTRA_MEMORY_GB more)
MEMORY = """
import os
import numpy as np
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = np.ones(int(0.95 * 2**30) // 8)
        import time; time.sleep(2)
        os._exit(0)
    children.append(pid)
print(*[os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children])
"""

SPIN = "import sys, time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n" \
       "print(time.process_time())"


def _sandboxed(code: str, group, gigabytes: float = 1) -> subprocess.Popen:
    argv = bwrap.command([sys.executable, "-c", code], [], "/tmp", bwrap.environment())
    return subprocess.Popen(bwrap.limited(argv, gigabytes, group=group), stdout=subprocess.PIPE, text=True)


@needs_groups
def test_a_fork_bomb_is_refused_at_the_process_limit_and_reported():
    with cgroups.sandbox_group(1) as group:
        started = _started(_sandboxed(FORKS, group).communicate(timeout=60)[0])
        stopped, problems = group.notes("the test's sandbox")
        folders = set(group.folders.values())
    assert cgroups.PROCESS_LIMIT - 20 <= started < cgroups.PROCESS_LIMIT
    assert len(stopped) == 1 and problems == []
    assert stopped[0].startswith(f"the test's sandbox reached its limit of {cgroups.PROCESS_LIMIT} processes")
    assert not any(folder.exists() for folder in folders), "the groups are removed afterwards"


def test_without_a_group_the_same_processes_all_start():
    assert _started(_sandboxed(FORKS, None).communicate(timeout=60)[0]) == 600


@needs_groups
def test_the_memory_limit_holds_for_all_the_processes_together():
    with cgroups.sandbox_group(0.5) as group:
        memory = group.folders["memory"]
        if len(Path("/proc/swaps").read_text().splitlines()) > 1 and not (
                (memory / "memory.memsw.limit_in_bytes").exists() or (memory / "memory.swap.max").exists()):
            pytest.skip("this machine swaps without counting swap in a group: past the limit, memory is swapped out")
        codes = [int(c) for c in _sandboxed(MEMORY, group, gigabytes=2).communicate(timeout=60)[0].split()]
        stopped, problems = group.notes("the test's sandbox")
    assert codes.count(-9) >= 1 and codes.count(0) >= 1, codes  # one ended by the kernel, the others ran on
    assert stopped == [] and len(problems) == 1, problems
    assert "ran out of memory" in problems[0] and "its limit is 2.5 GiB for all its processes together" in problems[0]


def _in_this_session(code: str, group) -> subprocess.Popen:
    argv = [sys.executable, "-c", code]
    return subprocess.Popen(group.command(argv) if group is not None else argv, stdout=subprocess.PIPE, text=True)


@needs_groups
@pytest.mark.parametrize("grouped", [True, False])
def test_a_group_of_many_busy_processes_competes_for_the_cpu_as_one(grouped):
    """20 spinning processes per core in one group, one in another: the lone one still gets about a core; without
    the groups it gets about 1/20 of one. (The processes share this test's session: the sandbox's own new
    session would give each sandbox a fair share anyway where the kernel groups sessions, sched_autogroup.)"""
    with cgroups.sandbox_group(1) as crowd, cgroups.sandbox_group(1) as alone:
        crowd_size = min(200, 20 * (os.cpu_count() or 1))
        many = _in_this_session(f"import os\nfor _ in range({crowd_size - 1}):\n    if os.fork() == 0:\n        break\n"
                                + SPIN.format(seconds=5), crowd if grouped else None)
        time.sleep(0.5)
        lone = float(_in_this_session(SPIN.format(seconds=3), alone if grouped else None).communicate(timeout=60)[0])
        many.communicate(timeout=60)
    if grouped:
        assert lone >= 1.0, f"the lone process got {lone:.2f} s of CPU in 3 s"
    else:
        assert lone < 0.6, f"the lone process got {lone:.2f} s of CPU in 3 s: the test does not measure the groups"


@needs_groups
def test_the_groups_of_a_grader_that_died_are_removed():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [place.folder / f"{cgroups.PREFIX}{dead.pid}-0badcafe" for place in cgroups.places().values()]
    for folder in stale:
        folder.mkdir(exist_ok=True)
    with cgroups.sandbox_group(1):
        pass
    assert not any(folder.exists() for folder in stale)


def test_group_paths_are_found_inside_their_mount_and_namespace():
    assert cgroups._inside("/sys/fs/cgroup/memory", "/", "/process_api/7") == Path("/sys/fs/cgroup/memory/process_api/7")
    assert cgroups._inside("/sys/fs/cgroup/pids", "/docker/abc", "/docker/abc/x") == Path("/sys/fs/cgroup/pids/x")
    assert cgroups._inside("/sys/fs/cgroup/pids", "/a/b", "/a/bc") == Path("/sys/fs/cgroup/pids/a/bc")
    assert cgroups._inside("/sys/fs/cgroup", "/", "/../outside") is None


def test_where_no_group_can_be_made_the_reason_names_what_is_unbounded_and_what_to_do(monkeypatch):
    monkeypatch.setattr(cgroups, "places", lambda: {})
    message = cgroups.problem()
    assert "number of processes" in message and "total memory" in message and "grade as root" in message
    assert cgroups.create(1) is None


@needs_groups
def test_the_trusted_graders_sandbox_reports_a_fork_bomb_in_the_cell_it_ran(released_course, tmp_path):
    bomb = samples.Sample("fork_bomb_at_import", "hostile", (), (
        ("hw5lib/theory.py", samples.APPEND, FORKS),), "forks at import")
    folder = samples.write_sample(released_course / "source" / ASSIGNMENT, bomb, tmp_path / ASSIGNMENT)
    outcome = forecast.verdict(released_course, folder, questions=["Q1.4"])
    assert outcome["cells"] and not any(outcome["cells"].values()), outcome["cells"]  # the points are kept
    cell = next(iter(outcome["cells"]))
    assert any(f"(grade cell {cell}) reached its limit of {cgroups.PROCESS_LIMIT} processes" in line
               for line in outcome["stopped"]), outcome["stopped"]
