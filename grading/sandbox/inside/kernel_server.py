"""Notebook kernels forked from a warm process, for nbgrader's run of a submission in the sandbox.

An ordinary kernel starts a fresh Python and imports IPython, NumPy, SciPy, scikit-image and matplotlib again,
a second of CPU for each of a submission's five notebooks. Here a server in the sandbox imports those
libraries once (never the submission's code) and forks a kernel for each notebook. The kernel spec's command is
this file's client: it hands the server its connection file, working folder, environment and standard streams,
relays signals to the kernel and exits with the kernel's status, so jupyter_client sees an ordinary kernel
process. When no server answers, the client starts an ordinary kernel instead.

The client runs on the standard library alone (``python -I -S``); the server imports the libraries after it is
listening, so a client never finds it missing. Anything in the sandbox may ask the server for a kernel: it holds
nothing the sandbox does not have already.
"""

from __future__ import annotations

import array
import atexit
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import traceback
from pathlib import Path

SOCKET = "/tmp/hw5-kernels.sock"  # in the sandbox's private /tmp
# what a notebook's kernel imports that is not the submission's: IPython's kernel, the setup cells' magics and the
# libraries hw5lib uses
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.extensions.autoreload",
           "matplotlib_inline.backend_inline", "matplotlib.pyplot", "numpy", "scipy.io", "scipy.linalg", "scipy.ndimage", "scipy.special",
           "skimage.filters", "skimage.io", "skimage.measure", "skimage.morphology", "skimage.transform",
           "skimage.util", "PIL.Image", "rapidfuzz.distance", "tqdm.auto", "pooch",
           "stack_data", "pygments.lexers.python", "pygments.formatters.terminal256")  # IPython's tracebacks
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets before matplotlib is imported
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
REPLY_SECONDS = 60.0  # how long a client waits for the server (it may still be importing on a busy machine)
MAX_REQUEST = 2**20


def write_kernel_spec(folder: Path, inside: str, server: str = SOCKET) -> Path:
    """``folder``: this file and a ``python3`` kernel spec whose command is its client of the server at ``server``,
    for a process that sees ``folder`` at ``inside`` (set JUPYTER_PATH to ``inside``). Returns ``folder``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (folder / Path(__file__).name).write_bytes(Path(__file__).read_bytes())
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-I", "-S", _script(inside), "kernel", server, "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}, indent=1))
    return folder


def server_command(inside: str, argv: list[str], server: str = SOCKET) -> list[str]:
    """``argv`` with the server at ``server`` started beside it, from the folder of ``write_kernel_spec`` seen at
    ``inside``."""
    return [sys.executable, _script(inside), "serve", server, "--", *argv]


def _script(inside: str) -> str:
    return f"{inside}/{Path(__file__).name}"


def serve_beside(path: str, argv: list[str]) -> None:
    """Start the server in a child process, then become ``argv`` (the sandbox ends both when ``argv`` ends)."""
    if os.fork() == 0:
        try:
            serve(path)
        finally:
            os._exit(0)
    os.execv(argv[0], argv)


def serve(path: str) -> None:
    """Listen at ``path``, import ``PRELOAD``, then fork a kernel for each client and tell it the kernel's status."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a library that does not import is imported (and fails) in the kernel
            pass
    kernels: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, the client's connection)
    while True:
        ready, _, _ = select.select([listener, *kernels], [], [])
        for item in ready:
            if item is listener:
                _fork_kernel(listener, kernels)
            else:
                pid, connection = kernels.pop(item)
                _, status = os.waitpid(pid, 0)
                try:
                    connection.send(f"exit {status}".encode())
                except OSError:
                    pass
                connection.close()
                os.close(item)


def _fork_kernel(listener: socket.socket, kernels: dict[int, tuple[int, socket.socket]]) -> None:
    connection, _ = listener.accept()
    fds = array.array("i")
    try:
        message, ancillary, _, _ = connection.recvmsg(MAX_REQUEST, socket.CMSG_SPACE(3 * fds.itemsize))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        request = json.loads(message)
        client = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        if len(fds) != 3:
            raise ValueError("a kernel needs three standard streams")
        if _hung_up(connection):
            raise ValueError("the client gave up waiting (and started an ordinary kernel)")
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        connection.close()
        return
    pid = os.fork()
    if pid == 0:
        try:
            listener.close()
            for pidfd, (_, other) in kernels.items():
                os.close(pidfd)
                other.close()
            connection.close()
            _become_kernel(request, list(fds), client)
        except BaseException:  # noqa: BLE001 - shown on the kernel's stderr (nbgrader's log)
            traceback.print_exc()
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    try:
        connection.send(f"pid {pid}".encode())
    except OSError:
        pass
    kernels[os.pidfd_open(pid)] = (pid, connection)


def _hung_up(connection: socket.socket) -> bool:
    """True when the client closed its end (after its request, nothing more is sent until it ends)."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def _become_kernel(request: dict, fds: list[int], client: int) -> None:
    """In the forked child: the client's streams, folder, environment and arguments, then ipykernel's launcher."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    parent = request["env"].get("JPY_PARENT_PID", "")
    if parent.isdigit():  # ipykernel read it when the server imported it: give it the client's
        sys.argv.append(f"--IPKernelApp.parent_handle={parent}")
    if sys.path and Path(sys.path[0]) == Path(__file__).parent:
        del sys.path[0]  # this file's folder; ipykernel puts the notebook's folder first, as for any kernel
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # its global generator was seeded once, in the server: give each kernel its own
    _end_with(client)
    from ipykernel import kernelapp

    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _end_with(client: int) -> None:
    """End this kernel when the client process ends (jupyter_client kills the client, not the fork)."""
    try:
        pidfd = os.pidfd_open(client)
    except OSError:
        os._exit(1)

    def watch() -> None:
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="hw5-kernel-client-watch", daemon=True).start()


def client(path: str, argv: list[str]) -> None:
    """Have the server at ``path`` fork a kernel with ``argv``; relay signals to it and exit with its status.
    Without a server, become an ordinary kernel."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.connect(path)
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        connection.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
        connection.settimeout(REPLY_SECONDS)
        reply = connection.recv(64).decode()
        if not reply.startswith("pid "):
            raise OSError("the kernel server did not fork a kernel")
        pid = int(reply.split()[1])
        pidfd = os.pidfd_open(pid)
    except (OSError, ValueError):
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])
    connection.settimeout(None)
    for number in RELAYED:
        signal.signal(number, lambda received, _frame: _relay(pid, received))
    watched = [connection, pidfd]
    while True:
        ready, _, _ = select.select(watched, [], [])
        if connection in ready:
            try:
                message = connection.recv(64).decode()
            except OSError:
                message = ""
            if message.startswith("exit "):
                _exit_as(int(message.split()[1]))
            watched.remove(connection)  # the server ended: the kernel's end is all there is to wait for
        elif pidfd in ready:
            if connection in watched and select.select([connection], [], [], 1.0)[0]:
                continue  # the server's report of the status is on its way
            os._exit(1)


def _relay(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _exit_as(status: int) -> None:
    """Exit as a process with wait ``status`` would have: the same code, or the same signal."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    role, where, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if role == "serve":
        serve_beside(where, rest[1:] if rest[:1] == ["--"] else rest)
    else:
        client(where, rest)
