"""The function server: runs inside the sandbox, imports the submission's ``hw5lib``, calls its functions.

Started by ``grading.grader.trusted`` as ``python function_server.py FD`` with the submission's package folder
first on the path and a socket on file descriptor FD; it needs only this file, ``wire.py`` and NumPy. It answers:
  ``@run(name, args, kwargs, under_test, api)``  call the submission's function ``name`` ('nn.backwards')
      while every other function of the handout's API (``api``) is a stub that asks the grader to run the
      reference copy; returns the result, the final state of the mutable arguments, the warnings and prints.
  ``@report()``  what the function server saw the submission do (files outside its folder, processes, connections,
      memory searches, patched comparison helpers); for the feedback only, never for points.
Nothing this process says decides a point: the grader checks every value it gets back.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import io
import os
import re
import shutil
import socket
import sys
import warnings

import numpy as np

import wire

PACKAGE = "hw5lib"
_SHOWN_PATHS = 8


class Observer:
    """Records what the submission's code does while it runs (imports and calls), via a Python audit hook."""

    def __init__(self, own_folder: str) -> None:
        self.active = False
        self.where = ""
        self.notes: dict[str, list[str]] = {}
        own = [own_folder, "/tmp", "/dev/", "/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu",
               "/sys/fs/cgroup", "/etc/ld.so", "/etc/localtime", "/usr/", "/lib", "/bin/", os.path.dirname(__file__)]
        self.readable = tuple(dict.fromkeys(own + [sys.prefix, sys.base_prefix, sys.exec_prefix]))
        self.writable = (own_folder, "/tmp", "/dev/null")

    def note(self, kind: str, detail: str) -> None:
        items = self.notes.setdefault(f"{kind} ({self.where})", [])
        if detail not in items and len(items) < _SHOWN_PATHS:
            items.append(detail)

    def hook(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        self.active = False  # no recursion from what the hook itself does
        try:
            self._see(event, args)
        except Exception:  # noqa: BLE001 - the hook must never break the submission's code
            pass
        finally:
            self.active = True

    def _path(self, value) -> str | None:
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        return os.path.abspath(value) if isinstance(value, str) else None

    def _see(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            path = self._path(path)
            if path is None:
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writing and not path.startswith(self.writable):
                self.note("wrote or tried to write files outside its folder", path)
            elif not path.startswith(self.readable):
                self.note("opened or looked for files outside its folder", path)
        elif event in ("os.listdir", "os.scandir", "glob.glob", "os.chdir"):
            path = self._path(args[0] if args and args[0] is not None else ".")
            if path and not path.startswith(self.readable):
                self.note("listed folders outside its own", path)
        elif event in ("os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "os.truncate"):
            path = self._path(args[0]) if args else None
            if path and not path.startswith(self.writable):
                self.note("deleted or moved files outside its folder", path)
        elif event in ("socket.connect", "socket.sendto"):
            self.note("opened a network connection", str(args[-1])[:80])
        elif event in ("os.fork", "os.forkpty", "os.posix_spawn", "subprocess.Popen", "os.system", "os.exec",
                       "os.spawn", "pty.spawn"):
            self.note("started a process", event + (f" {str(args[0])[:60]}" if args else ""))
        elif event in ("gc.get_objects", "gc.get_referrers", "gc.get_referents"):
            self.note("searched the interpreter's memory", event)
        elif event == "os.kill":
            self.note("sent a signal to a process", str(args)[:40])
        elif event == "sys.addaudithook":
            self.note("tried to install an audit hook", "sys.addaudithook")


def _snapshot() -> dict[str, object]:
    """NumPy's comparison helpers as the function server imported them (a dishonest submission might patch them)."""
    import numpy.testing

    items: dict[str, object] = {f"numpy.{n}": getattr(np, n) for n in (
        "allclose", "isclose", "array_equal", "array_equiv", "all", "any", "abs", "max", "argmax", "mean", "sum")}
    items.update({f"numpy.testing.{n}": getattr(numpy.testing, n) for n in (
        "assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal", "assert_almost_equal")})
    return items


GUARDED_MODULES = ("hw5lib.checks", "hw5lib.checks._common", "hw5lib.checks.theory", "hw5lib.checks.fully_connected",
                   "hw5lib.checks.training", "hw5lib.checks.autoencoder", "hw5lib.checks.ocr")
_DEFINED: dict[str, dict[str, str]] = {}


def _definitions(module_name: str, path: str) -> dict[str, str]:
    """{name: the file its code must come from} of a module's top level: what it defines, and what it imports
    from its own package (the checks package re-exports each notebook's checks)."""
    import ast

    try:
        tree = ast.parse(open(path).read())
    except (OSError, SyntaxError, ValueError):
        return {}
    folder = os.path.dirname(os.path.abspath(path))
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = os.path.abspath(path)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(module_name.rsplit(".", 1)[0] + "."):
            source = os.path.join(folder, node.module.rsplit(".", 1)[1] + ".py")
            found.update({alias.asname or alias.name: source for alias in node.names})
    return found


def _replaced() -> list[str]:
    """Functions of the provided checks (where loaded) that are no longer the ones their files define.

    Checked without importing the checks first, so that a function server starts quickly: every function a checks module
    defines or re-exports at top level must still be a function whose code comes from that file.
    """
    import inspect

    found = []
    for module_name in GUARDED_MODULES:
        module = sys.modules.get(module_name)
        path = getattr(module, "__file__", None) if module is not None else None
        if path is None:
            continue
        if module_name not in _DEFINED:
            _DEFINED[module_name] = _definitions(module_name, path)
        for name, source in sorted(_DEFINED[module_name].items()):
            value = vars(module).get(name)
            if isinstance(value, type):
                continue
            code = getattr(inspect.unwrap(value), "__code__", None) if callable(value) else None
            if code is None or os.path.abspath(code.co_filename) != source:
                found.append(f"{module_name}.{name}")
    return found


class RebindOnImport(importlib.abc.MetaPathFinder):
    """A module of hw5lib imported while a function runs (``from hw5lib.autoencoder import reconstruct`` inside
    ``train_autoencoder``) gets the stubs right after it loads, like the modules imported before."""

    def __init__(self, server: "FunctionServer") -> None:
        self.server = server

    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load, server = spec.loader.exec_module, self.server

        def exec_module(module) -> None:
            load(module)
            server.capture_new_modules()
            server.bound = ()
            server.rebind()

        spec.loader.exec_module = exec_module
        return spec


class Stub(wire.FunctionRef):
    """A function of the handout's API as the function server sees it: the grader's reference copy, called back over the
    channel, unless it is under test when called; then the submission's own."""

    def __init__(self, server: "FunctionServer", name: str) -> None:
        super().__init__(server.channel, name, None)
        self._server = server

    def __call__(self, *args, **kwargs):
        if self.wire_name in self._server.under_test:
            return self._server.real_function(self.wire_name)(*args, **kwargs)
        return super().__call__(*args, **kwargs)


@contextlib.contextmanager
def _forbidden(dotted: str, message: str):
    """While the block runs, the library function ``dotted`` ('numpy.tanh') raises AssertionError(message)."""
    module_name, attr = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    original = getattr(module, attr)

    def refuse(*args, **kwargs):
        raise AssertionError(message)

    setattr(module, attr, refuse)
    try:
        yield
    finally:
        setattr(module, attr, original)


class FunctionServer:
    """The submission's side of the channel."""

    def __init__(self, channel: wire.Channel, folder: str) -> None:
        self.channel, self.folder = channel, folder
        self.observer = Observer(folder)
        self.snapshot = _snapshot()
        self.reported: set[str] = set()
        self.real: dict[str, object] = {}  # 'nn.forward' -> the submission's own function
        self.stubs: dict[str, wire.FunctionRef] = {}
        self.under_test: tuple[str, ...] = ()
        self.bound: tuple = ()
        self.api: set[str] = set()
        self.warned: list[list] = []
        channel.local = self.local
        channel.name_of = self.name_of
        sys.meta_path.insert(0, RebindOnImport(self))
        sys.addaudithook(self.observer.hook)

    # -- names
    def local(self, name: str):
        if name == "@run":
            return self.run
        if name == "@report":
            return self.report
        module, _, attr = name.partition(".")
        if not (module.isidentifier() and attr.isidentifier()) or (self.api and name not in self.api):
            raise LookupError(f"the function server serves no function {name!r}")
        return self.stub(name)  # resolved when called: the submission's own if it is under test by then

    def name_of(self, value) -> str | None:
        for name, function in self.real.items():
            if function is value:
                return name
        return None

    def stub(self, name: str) -> wire.FunctionRef:
        if name not in self.stubs:
            self.stubs[name] = Stub(self, name)
        return self.stubs[name]

    def real_function(self, name: str):
        module_name = f"{PACKAGE}.{name.rsplit('.', 1)[0]}"
        if module_name not in sys.modules:
            with self.watching(f"at import of {module_name}"):
                importlib.import_module(module_name)
        self.capture_new_modules()
        if name not in self.real:
            raise AttributeError(f"{module_name} has no function {name.rsplit('.', 1)[1]}: keep the handout's names")
        return self.real[name]

    def capture_new_modules(self) -> None:
        for name in self.api:
            module = sys.modules.get(f"{PACKAGE}.{name.rsplit('.', 1)[0]}")
            if name not in self.real and module is not None:
                value = vars(module).get(name.rsplit(".", 1)[1])
                if callable(value) and not isinstance(value, wire.FunctionRef):
                    self.real[name] = value

    def rebind(self) -> None:
        """In every loaded hw5lib module, the functions under test are the submission's, the others stubs."""
        state = (self.under_test, len(sys.modules), len(self.real))
        if state == self.bound:  # nothing new since the last call: the bindings still hold
            return
        self.bound = state
        origin = {id(f): n for n, f in self.real.items()} | {id(f): n for n, f in self.stubs.items()}
        for module_name, module in list(sys.modules.items()):
            if module is None or not (module_name == PACKAGE or module_name.startswith(PACKAGE + ".")):
                continue
            namespace = vars(module)
            for attr, value in list(namespace.items()):
                name = origin.get(id(value))
                if name is not None:
                    namespace[attr] = self.real[name] if name in self.under_test and name in self.real else self.stub(name)

    # -- what the submission did
    @contextlib.contextmanager
    def watching(self, where: str):
        """Run submission code: record its warnings, prints and audit events, and check the snapshot after."""
        printed = io.StringIO()
        outer, self.observer.where = self.observer.where, where
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed), \
                    contextlib.redirect_stderr(printed):
                warnings.simplefilter("always")
                self.observer.active = True
                try:
                    yield printed
                finally:
                    self.observer.active = False
            for w in caught[:50]:
                self.warned.append([w.category.__name__ if isinstance(w.category, type) else str(w.category),
                                    str(w.message)[:500], os.path.basename(str(w.filename)), int(w.lineno or 0)])
            self.printed += printed.getvalue()[-2000:]
            replaced = [name for name, original in self.snapshot.items()
                        if getattr(sys.modules.get(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1], original)
                        is not original] + _replaced()
            for name in replaced:
                if name not in self.reported:  # named once, where it was first seen
                    self.reported.add(name)
                    self.observer.note("replaced the grader's helpers in its own process", name)
        finally:
            self.observer.where = outer
            self.observer.active = bool(outer)

    def run(self, name: str, args: list, kwargs: dict, under_test: list, api: list, forbid: list = (),
            rng: list | None = None) -> dict:
        """Call the submission's ``name`` with everything else of ``api`` run by the grader.

        ``forbid``: [['numpy.tanh', message], ...] library functions that raise AssertionError(message) meanwhile.
        ``rng``: the grader's global NumPy generator state, so that the submission draws the numbers it would
        draw after the check's ``np.random.seed`` in one process; the state after the call goes back.
        """
        self.api, self.under_test = set(api), tuple(under_test)
        self.warned = []
        self.printed = ""
        function = self.real_function(name)
        for other in self.under_test:
            self.real_function(other)
        self.rebind()
        if rng is not None:  # the grader's generator continues here; the grader's own copy is not moved on
            wire.set_generator_state(rng)
        given = list(enumerate(args)) + list(kwargs.items())
        before = {i: v.copy() for i, v in given if isinstance(v, np.ndarray)}
        error = None
        with self.watching(f"while running {name}"), contextlib.ExitStack() as stack:
            for dotted, message in forbid:
                stack.enter_context(_forbidden(str(dotted), str(message)))
            try:
                result = function(*args, **kwargs)
            except (wire.ChannelClosed, wire.ChannelTimeout):
                raise
            except BaseException as exc:  # noqa: BLE001 - SystemExit and all: reported, not obeyed
                import traceback

                result, error = None, [type(exc).__name__, str(exc)[:2000],
                                       "".join(traceback.format_exception(exc))[-4000:]]
        final = {i: v for i, v in given if isinstance(v, (dict, list)) or (
            i in before and (v.shape != before[i].shape or not np.array_equal(v, before[i], equal_nan=True)))}
        return {"result": result, "error": error, "final": final, "warnings": self.warned,
                "printed": self.printed[-2000:], "rng": wire.generator_state()}

    run.no_sync = True

    def report(self) -> dict:
        notes, self.observer.notes = self.observer.notes, {}
        return notes


def serve(fd: int, folder: str) -> None:
    """Answer the grader's calls on socket ``fd`` with the submission's ``hw5lib`` found in ``folder``."""
    sys.path.insert(0, folder)
    channel = wire.Channel(socket.socket(fileno=fd), local=lambda name: None, side="w", checksums=True)
    FunctionServer(channel, folder)
    while True:
        try:
            header, buffers = channel.receive()
        except wire.ChannelClosed:
            return
        if header.get("op") != "call":
            return
        channel.answer(header, buffers)


# Libraries the handout's modules import, loaded once by the fork server so that each fresh function server starts at
# once
PRELOADED = ("numpy", "numpy.testing", "scipy.ndimage", "scipy.special", "skimage.filters", "skimage.measure",
             "skimage.morphology", "skimage.transform", "skimage.color", "skimage.util", "tqdm.auto")


def fork_server(control_fd: int, cells: str) -> None:
    """The first process of a submission's sandbox: forks a fresh function server for each grade cell.

    It never runs submission code. Asked ``fork NAME`` (with a socket passed along), it first resets the sandbox
    (every other process killed, scratch places emptied), then forks a child that imports the submission's
    package from ``cells/NAME`` and serves on that socket. Asked ``reset``, it resets and replies with the exit
    code of the last server. It cannot be traced or read by its function servers (not dumpable); one that stops or kills
    it costs a restart of the sandbox, nothing more.
    """
    import ctypes
    import importlib
    import signal
    import time

    if os.getpid() > 3:  # kill(-1) below must only ever reach the processes of this sandbox
        raise SystemExit("the fork server runs only as the first process of a PID namespace of its own")
    for name in PRELOADED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/mem for the function servers
    control = socket.socket(fileno=control_fd)
    child = 0

    def last_exit_code() -> int | None:
        deadline = time.monotonic() + 0.5  # a function server whose channel was closed exits at once
        while child:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(child, os.WNOHANG)
                if pid:
                    return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)
        return None

    def reset() -> None:
        """Kill every process of the sandbox but this one, and empty what a function server could leave for the next."""
        for _ in range(200):
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            if not [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]:
                break
            time.sleep(0.005)
        for place in ("/tmp", "/dev/shm", "/dev/mqueue"):
            _empty(place)
        _remove_ipc(libc)

    control.sendall(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 256, 1)
        except OSError:
            return
        if not message:
            return
        command, _, name = message.decode(errors="replace").partition(" ")
        code = last_exit_code()
        reset()
        if command == "fork" and fds and name.isidentifier():
            child = os.fork()
            if child == 0:
                control.close()
                os.chdir("/tmp")
                try:
                    serve(fds[0], os.path.join(cells, name))
                finally:
                    os._exit(0)
        else:
            child = 0
        for fd in fds:
            os.close(fd)
        control.sendall(f"ok {'' if code is None else code}".encode())


def _mounts_below(folder: str) -> set[str]:
    """The mount points below ``folder`` (from /proc/self/mounts; its octal escapes undone)."""
    try:
        with open("/proc/self/mounts", "rb") as fh:
            points = [line.split()[1].decode(errors="replace") for line in fh if len(line.split()) > 1]
    except OSError:
        return set()
    points = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p) for p in points]
    return {p for p in points if p.startswith(folder.rstrip("/") + "/")}


def _empty(folder: str, mounts: set[str] | None = None) -> None:
    """Delete everything in ``folder`` but the mounts below it: the read-only Python the sandbox binds under /tmp
    when the project lives there is neither deleted nor walked file by file (thousands of files, every grade
    cell)."""
    mounts = _mounts_below(folder) if mounts is None else mounts
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.path in mounts:
                    continue
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
                elif any(point.startswith(entry.path + "/") for point in mounts):
                    _empty(entry.path, mounts)  # as deep as the mounts: folders the sandbox made, not the function server
                else:
                    shutil.rmtree(entry.path, ignore_errors=True)


def _remove_ipc(libc) -> None:
    """Remove the System V shared memory, message queues and semaphores a function server left in the sandbox."""
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("msg", lambda i: libc.msgctl(i, 0, None)),
                         ("sem", lambda i: libc.semctl(i, 0, 0))):  # 0 is IPC_RMID
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/sysvipc/{kind}") as listing:
                for line in listing.readlines()[1:]:
                    remove(int(line.split()[1]))


def main() -> None:
    if sys.argv[1] == "--fork-server":
        fork_server(int(sys.argv[2]), sys.argv[3])
    else:
        serve(int(sys.argv[1]), os.getcwd() if len(sys.argv) < 3 else sys.argv[2])


if __name__ == "__main__":
    main()
