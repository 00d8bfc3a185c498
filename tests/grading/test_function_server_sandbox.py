"""A fresh function server per grade cell: what one cell's function server leaves behind in its sandbox (processes, files in
/tmp, /dev/shm and its package, System V shared memory, POSIX message queues) is gone for the next, it cannot
read the process that forks the function servers, and a function server that kills that process costs nothing but a restart."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from grading.course.paths import ASSIGNMENT
from grading.grader import trusted
from grading.grader.handles import function_server_files
from grading.grader.limits import Limits
from grading.sandbox import bwrap

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")

# theory.sigmoid_derivative of a submission that looks for what an earlier cell's function server left, then leaves all
# of it for the next cell; it returns the codes of what it found (0 alone: nothing; negative: it could not
# leave something)
LEAVER = '''
import ctypes, os, subprocess
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def sigmoid_derivative(x):
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    if os.path.exists("/tmp/left.txt"):
        found.append(1)
    if os.path.exists("/dev/shm/left"):
        found.append(2)
    if libc.shmget(4242, 0, 0) >= 0:
        found.append(3)
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"sleep"):
                found.append(4)
        except OSError:
            pass
    if os.path.exists(os.path.join(HERE, "left.txt")):
        found.append(5)
    if os.path.exists("/dev/mqueue/left"):
        found.append(6)
    try:  # the memory of the process that forks the function servers
        with open(f"/proc/{os.getppid()}/mem", "rb") as fh:
            fh.read(1)
        found.append(7)
    except OSError:
        pass
    for path in ("/tmp/left.txt", "/dev/shm/left", os.path.join(HERE, "left.txt")):
        with open(path, "w") as fh:
            fh.write("an answer seen in this cell")
    if libc.shmget(4242, 4096, 0o1000 | 0o666) < 0:  # IPC_CREAT
        found.append(-3)  # could not leave it: the test would prove nothing
    rt = ctypes.CDLL("librt.so.1", use_errno=True)
    if rt.mq_open(b"/left", os.O_CREAT | os.O_RDWR, 0o666, None) < 0 or not os.path.exists("/dev/mqueue/left"):
        found.append(-6)
    subprocess.Popen(["sleep", "300"], start_new_session=True)  # a daemon of its own
    if float(np.sum(x)) == 99.0:
        os.kill(os.getppid(), 9)
    return np.array(found + [0], dtype=float)
'''


@pytest.fixture
def leaver(released_course, tmp_path):
    package = tmp_path / "package"
    shutil.copytree(released_course / "release" / ASSIGNMENT / "hw5lib", package / "hw5lib")
    (package / "hw5lib" / "theory.py").write_text(LEAVER)
    return package


def call(grader, x):
    grader.fresh_server()
    with grader.testing(("theory.sigmoid_derivative",)):
        return list(grader.call("theory.sigmoid_derivative", (x,), {}))


def test_nothing_a_cells_worker_leaves_reaches_the_next_cell(leaver):
    grader = trusted.Grader(leaver, None, Limits(cell_timeout=30))
    try:
        assert call(grader, np.zeros(3)) == [0]
        assert call(grader, np.zeros(3)) == [0]  # no file, segment, queue or process of the first cell is left
        first = grader.fork_server
        try:  # this function server kills the process that forks the function servers (its sandbox may end before it answers)
            assert call(grader, np.full(3, 33.0)) == [0]
        except trusted.SubmissionFailure as failure:
            assert "ended while running theory.sigmoid_derivative" in str(failure)
        assert call(grader, np.zeros(3)) == [0] and grader.fork_server is not first  # replaced, nothing lost
    finally:
        grader.close()


EMPTY_TMP = '''
import os, sys
sys.path.insert(0, "/grader")
import function_server
os.makedirs("/tmp/deep/" + "/".join(["d"] * 300))
open("/tmp/deep/" + "/".join(["d"] * 300) + "/left.txt", "w").write("x")
open("/tmp/left.txt", "w").write("x")
os.symlink("/tmp/project/venv", "/tmp/link")
removals = []
sys.addaudithook(lambda event, args: removals.append(args[0]) if event == "os.remove" else None)
function_server._empty("/tmp")
print(len(removals))
left = [name for name in ("deep", "left.txt", "link") if os.path.lexists("/tmp/" + name)]
print(left, sorted(os.listdir("/tmp/project")), len(os.listdir("/tmp/project/venv")))
'''


def test_emptying_tmp_leaves_a_python_bound_below_it_alone_and_unwalked(tmp_path):
    """A project that lives under /tmp (a CI clone) has its Python bound inside the sandbox's /tmp: emptying /tmp
    between cells deletes what a function server left there, but neither deletes nor walks that read-only folder."""
    venv = tmp_path / "venv"
    venv.mkdir()
    for i in range(3000):
        (venv / f"f{i}.py").write_text("")
    tools = function_server_files(tmp_path)
    argv = bwrap.command([sys.executable, "-c", EMPTY_TMP],
                           [bwrap.Mount(tools, "/grader"), bwrap.Mount(venv, "/tmp/project/venv")], "/",
                           bwrap.environment())
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    removals, listing = result.stdout.splitlines()[-2:]
    assert listing == "[] ['venv'] 3000"  # the function server's files, folders and link gone; the bound folder kept
    assert removals == "3"  # its two files and the link: no attempt on the 3000 files of the bound folder
    assert len(list(venv.iterdir())) == 3000
