"""``bwrap.limited``: the memory limit holds, and a process started with it ends when its parent is killed."""

import os
import signal
import subprocess
import sys
import time

from grading.course.paths import PROJECT_ROOT
from grading.sandbox import bwrap
from processes import is_running

PARENT = """
import subprocess, sys
from grading.sandbox import bwrap
child = subprocess.Popen(bwrap.limited([sys.executable, "-c", "import time; time.sleep(60)"], 1) if {limited}
                         else [sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
child.wait()
"""


def _runs_the_sleep(pid: int) -> bool:
    """True once ``pid`` has become Python itself (past setpriv and prlimit, which exec it)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            program = fh.read().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(program).startswith(b"python")


def _orphan_after_killing_its_parent(limited: bool) -> bool:
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(limited=limited)], stdout=subprocess.PIPE,
                              env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)), text=True)
    child = int(parent.stdout.readline())
    ready_by = time.monotonic() + 10  # kill the parent once the child runs Python (setpriv has set its signal)
    while time.monotonic() < ready_by and not _runs_the_sleep(child):
        time.sleep(0.01)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 2  # the parent-death signal comes at once
    while is_running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = is_running(child)
    if survived:
        os.kill(child, signal.SIGKILL)
    return survived


def test_a_limited_process_ends_with_its_parent_where_a_plain_one_survives():
    assert _orphan_after_killing_its_parent(limited=True) is False
    assert _orphan_after_killing_its_parent(limited=False) is True  # what a killed grading worker left before


def test_the_address_space_limit_stops_a_large_allocation():
    run = subprocess.run(bwrap.limited([sys.executable, "-c", "import numpy; numpy.ones(2**31)"], 1),
                         capture_output=True, text=True)
    assert run.returncode != 0 and "MemoryError" in run.stderr
