"""The trusted grader's handles on the sandbox of a submission's functions: the ``ForkServer`` (the sandbox's
first process, which forks a fresh function server per grade cell) and a ``FunctionProcess`` (one function
server, ``sandbox/inside/function_server.py``, reached over the wire)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from grading.course.paths import IGNORED
from grading.grader.failures import CellTimeout
from grading.sandbox import bwrap, cgroups, disk_budget, processes
from grading.sandbox.inside import wire

if TYPE_CHECKING:
    from grading.grader.trusted import Grader

INSIDE = Path(wire.__file__).parent  # the files a sandbox of functions gets: the function server and the wire
SERVER_FILES = ("function_server.py", "wire.py")


def exit_description(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"it was killed by {name}" + (" (the memory limit or a crash)" if -code in (6, 9, 11) else "")
    return f"it exited with code {code} (sys.exit or os._exit in the submission?)"


def function_server_files(folder: Path) -> Path:
    """folder/grader holding a copy of the function server's files (all a sandbox of functions sees of the grading
    code)."""
    tools = folder / "grader"
    tools.mkdir()
    for name in SERVER_FILES:
        shutil.copy2(INSIDE / name, tools / name)
    return tools


class ForkServer:
    """The sandbox of one submission's functions: its first process (``function_server.py --fork-server``) forks a
    fresh function server for each grade cell, after killing the previous one and everything it started and
    emptying the sandbox's scratch places. A function server starts in milliseconds instead of a new sandbox and
    interpreter per cell."""

    def __init__(self, grader: "Grader") -> None:
        self.grader = grader
        self.folder = Path(tempfile.mkdtemp(prefix="hw5-functions-"))
        self.cells = self.folder / "cells"
        self.cells.mkdir()
        tools = function_server_files(self.folder)
        self.control, theirs = socket.socketpair()
        argv = bwrap.command([sys.executable, "/grader/function_server.py", "--fork-server", str(theirs.fileno()), "/cells"],
                               [bwrap.Mount(self.cells, "/cells", writable=True), bwrap.Mount(tools, "/grader")],
                               "/tmp", bwrap.environment(), mqueue=True)
        self.group = cgroups.create(grader.limits.memory_gb)  # None where no control group can be made
        try:
            self.process = subprocess.Popen(bwrap.limited(argv, grader.limits.memory_gb, group=self.group),
                                            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
        except BaseException:
            if self.group is not None:
                self.group.remove()
            raise
        theirs.close()
        self.count = 0
        self.disk = disk_budget.DiskWatch([self.cells], grader.limits.disk_bytes, self._kill).start()
        if self._reply(60) != b"ready":
            self.stop()
            raise RuntimeError("the sandbox for the submission's code did not start (is bubblewrap working?)")

    def _reply(self, timeout: float) -> bytes:
        self.control.settimeout(timeout)
        try:
            return self.control.recv(64)
        except OSError:
            return b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, package: Path) -> tuple[socket.socket, int | None] | None:
        """A channel to a fresh function server holding a new copy of ``package`` (None if the fork server is
        gone), and the exit code of the previous function server."""
        code = self.reset()
        if code == "gone":
            return None
        self.count += 1
        name = f"cell{self.count}"
        shutil.copytree(package, self.cells / name, ignore=shutil.ignore_patterns(*IGNORED))
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self.control, [f"fork {name}".encode()], [theirs.fileno()])
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        return (ours, code) if self._reply(10).startswith(b"ok") else None

    def reset(self) -> int | None | str:
        """Kill the current function server and all it started, empty the cells; its exit code ('gone': no fork
        server)."""
        if not self.alive():
            return "gone"
        try:
            self.control.sendall(b"reset")
        except OSError:
            return "gone"
        reply = self._reply(10)  # a stopped fork server (SIGSTOP from a function server) is replaced
        self.note_limits()
        for entry in self.cells.iterdir():  # nothing runs in the sandbox now
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if not reply.startswith(b"ok"):
            return "gone"
        text = reply[3:].decode(errors="replace").strip()
        return int(text) if text.lstrip("-").isdigit() else None

    def note_limits(self) -> None:
        """Report what the control group's limits stopped or cost since the last look (in the cell that ran)."""
        if self.group is None:
            return
        stopped, problems = self.group.notes(f"the sandbox of the submission's functions (grade cell "
                                             f"{self.grader.cell or 'none yet'})")
        for text in stopped:
            self.grader._stopped(text)
        self.grader.outcome.problems += [text for text in problems if text not in self.grader.outcome.problems]

    def _kill(self) -> None:
        processes.kill_group(self.process)

    def stop(self) -> None:
        processes.end(self.process)
        self.disk.stop_watching()
        self.control.close()
        if self.group is not None:
            self.note_limits()
            self.group.remove()
        shutil.rmtree(self.folder, ignore_errors=True)


class FunctionProcess:
    """The grader's handle on one function server holding a fresh copy of the submission's package: forked by the
    sandbox's fork server, or (unsandboxed) a plain process of its own."""

    def __init__(self, grader: "Grader") -> None:
        self.grader, self.process, self.folder = grader, None, None
        if grader.sandboxed:
            forked = None
            for _ in range(2):  # a fork server its function server stopped or killed is replaced once
                if grader.fork_server is None or not grader.fork_server.alive():
                    if grader.fork_server is not None:
                        grader.fork_server.stop()
                    grader.fork_server = ForkServer(grader)
                forked = grader.fork_server.fork(grader.package)
                if forked is not None:
                    break
                grader.fork_server.stop()
                grader.fork_server = None
            if forked is None:
                raise RuntimeError("the sandbox for the submission's code could not start a function server")
            ours = forked[0]
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="hw5-functions-"))
            package = self.folder / "package"
            shutil.copytree(grader.package, package, ignore=shutil.ignore_patterns(*IGNORED))
            tools = function_server_files(self.folder)
            scratch = self.folder / "scratch"
            scratch.mkdir()
            ours, theirs = socket.socketpair()
            argv = [sys.executable, str(tools / "function_server.py"), str(theirs.fileno()), str(package)]
            env = bwrap.environment({"HOME": str(scratch), "MPLCONFIGDIR": str(scratch / "mpl")})
            self.process = subprocess.Popen(bwrap.limited(argv, grader.limits.memory_gb), pass_fds=(theirs.fileno(),),
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, cwd=scratch, env=env, start_new_session=True)
            theirs.close()
        # the grader's side tells the function server the kind and message of an error, never a traceback of its code
        self.channel = wire.Channel(ours, local=grader.local, name_of=grader.name_of, side="g", traces=False)
        self.channel.on_call = grader.on_call
        self.channel.on_served = grader.served
        self.channel.passthrough = (CellTimeout,)

    def stop(self) -> int | None:
        """Kill the function server and everything it started; its exit code (None if it was still running)."""
        self.channel.sock.close()  # a waiting function server sees the channel close and exits by itself
        if self.process is None:  # forked by the fork server, which reports how it ended
            code = self.grader.fork_server.reset() if self.grader.fork_server is not None else None
            return code if isinstance(code, int) else None
        code = processes.end(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)
        return code
