"""The trusted grader: decides every automatic point of one submission and never runs its code.

Run as ``python -m grading.grader.trusted`` (by ``grading.batch.submission``) with the course's grading source
first on the path, so ``hw5lib`` here is the instructor's copy. It executes each grade cell of the source
notebooks (hidden tests included) with ``hw5lib.checks``; while a check runs, the functions it grades are proxies
that send each call, as plain data (``sandbox/inside/wire.py``), to a function server in the sandbox
(``sandbox/inside/function_server.py``) that imports the submission's ``hw5lib``. When the submission's function
calls another function of the handout's API, the call comes back here and runs the reference copy, so each mistake costs its own question only. The submission's
warnings and prints never cost a point: they are collected for the feedback, and a warning is raised here
again only so that a check that looks for one (an overflow in ``sigmoid``) sees it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from grading.course import reference_networks
from grading.course.paths import student_files
from grading.grader import grading_checks
from grading.grader.failures import CellTimeout, SubmissionFailure
from grading.grader.handles import exit_description, ForkServer, FunctionProcess
from grading.grader.limits import Limits
from grading.sandbox import disk_budget
from grading.sandbox.inside import wire

_WARNING_CLASSES = {c.__name__: c for c in (RuntimeWarning, DeprecationWarning, FutureWarning, UserWarning,
                                            PendingDeprecationWarning, SyntaxWarning, ImportWarning,
                                            UnicodeWarning, BytesWarning, ResourceWarning)}


MAX_NESTED_CALLS = 50  # calls of the submission inside the grader's callbacks inside calls of the submission ...
CELL_WALL_FACTOR = 4  # a grade cell's wall-clock limit: this many times its time limit (plus 15 s)
GRADER_EXTRA_CPU_SECONDS = 5  # the grader's CPU time per grade cell: the cell's time limit plus this


def _out_of_time(signum, frame) -> None:
    raise CellTimeout()


@dataclass
class Outcome:
    """What the trusted grader found: per grade_id '' (passed) or the failing check's message, and notes."""

    cells: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # the submission's warnings, one line each
    printed: list[str] = field(default_factory=list)  # what its functions printed (the first lines)
    stopped: list[str] = field(default_factory=list)  # what the sandbox and the grader stopped, where
    problems: list[str] = field(default_factory=list)  # hangs, crashes, time limits
    seconds: dict[str, float] = field(default_factory=dict)  # per grade_id


def api_functions() -> dict[str, object]:
    """{'nn.forward': function, ...}: every function of the student-fillable modules, from this process's copy."""
    functions = {}
    for rel in student_files():
        module = importlib.import_module("hw5lib." + Path(rel).stem)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                functions[f"{Path(rel).stem}.{name}"] = value
    return functions


def _recursion_message(calls: list[list]) -> str:
    """Words for calls that went back and forth between the submission and the grader without end."""
    function, callback = calls[-1][0], calls[-1][1] or "a function of the handout"
    short = lambda name: name.rsplit(".", 1)[-1]  # noqa: E731
    return (f"{short(function)} called {short(callback)}, which calls {short(function)} back: endless recursion "
            f"(stopped after {len(calls)} nested calls between your code and the grader's copies)")


class Grader:
    """The ``hw5lib.checks._common.GRADER`` of a grading run: proxies for the functions under test, reference networks."""

    def __init__(self, package: Path, networks: Path | None, limits: Limits, sandboxed: bool = True) -> None:
        self.package, self.networks, self.limits, self.sandboxed = package, networks, limits, sandboxed
        self.functions = api_functions()
        self.api = sorted(self.functions)
        self.names = {id(f): (f, n) for n, f in self.functions.items()}  # id -> (function, name)
        self.under_test: tuple[str, ...] = ()
        self.proxies: dict[str, object] = {}
        self.server: FunctionProcess | None = None
        self.fork_server: ForkServer | None = None
        self.cell = ""  # the grade cell being graded
        self.deadline = float("inf")
        self.forbid: list[list[str]] = []
        self.outcome = Outcome()
        self.calls: list[list] = []  # [submission function, the grader's function it called back] per nested call
        self.recursion: str | None = None  # why the nested calls were cut, while they unwind

    # -- the names the function server may use
    def name_of(self, value) -> str | None:
        entry = self.names.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def local(self, name: str):
        if name in self.proxies:
            return self.proxies[name]
        if name in self.functions:
            return self.functions[name]
        raise LookupError(f"the grader runs no function {name!r} for a submission")

    def on_call(self, name: str | None) -> None:
        if self.calls and name:
            self.calls[-1][1] = name
        if name in self.under_test:
            self._stopped(f"asked the grader to run its own copy of {name}, the function being graded: refused")
            raise PermissionError(f"the grader does not run its copy of {name} while {name} is graded")

    def served(self, seconds: float) -> None:
        """The grader spent ``seconds`` on the submission's calls (reference copies): not the submission's time."""
        self.deadline += seconds

    # -- hw5lib.checks._common.GRADER
    @contextlib.contextmanager
    def testing(self, under_test: tuple[str, ...]):
        """While the block runs, the functions ``under_test`` ('nn.forward', ...) are the submission's."""
        if self.under_test:  # a check inside a check keeps the outer choice
            yield
            return
        for name in under_test:
            if name not in self.functions:
                raise AssertionError(f"the handout has no function {name}")
        self.under_test = tuple(under_test)
        self.proxies = {name: self._proxy(name) for name in under_test}
        swapped = []
        for module_name, module in list(sys.modules.items()):
            if module is None or not module_name.startswith("hw5lib"):
                continue
            namespace = vars(module)
            for attr, value in list(namespace.items()):
                name = self.name_of(value)
                if name in self.proxies:
                    swapped.append((namespace, attr, value))
                    namespace[attr] = self.proxies[name]
        try:
            yield
        finally:
            for namespace, attr, value in reversed(swapped):
                namespace[attr] = value
            for proxy in self.proxies.values():
                del self.names[id(proxy)]
            self.under_test, self.proxies = (), {}
            self._collect_report()

    @contextlib.contextmanager
    def forbidding(self, name: str, message: str):
        """While the block runs, the submission's calls of ``name`` ('numpy.tanh') raise AssertionError(message)."""
        self.forbid.append([name, message])
        try:
            yield
        finally:
            self.forbid.pop()

    def reference_network(self, kind: str, settings: dict) -> dict:
        """The network the course build trained with the reference code, or one trained now."""
        from hw5lib import weights

        path = self.networks / f"{kind}.npz" if self.networks else None
        if path is not None and path.is_file():
            return {k: v for k, v in weights.load_params(path).items() if k[:1] in "Wb"}
        return reference_networks.train_reference_network(kind, settings)

    # -- calls into the submission
    def _proxy(self, name: str):
        def proxy(*args, **kwargs):
            return self.call(name, args, kwargs)

        proxy.__name__ = proxy.__qualname__ = name.rsplit(".", 1)[1]
        self.names[id(proxy)] = (proxy, name)
        return proxy

    def call(self, name: str, args: tuple, kwargs: dict):
        """Run the submission's ``name`` in the function server; its in-place changes, warnings and prints come back."""
        if time.monotonic() >= self.deadline:
            raise SubmissionFailure(f"not run: the time allowed for this check ran out before {name} was called")
        if len(self.calls) >= MAX_NESTED_CALLS:
            self.recursion = _recursion_message(self.calls)
            if self.recursion not in self.outcome.problems:
                self.outcome.problems.append(self.recursion)
            raise SubmissionFailure(self.recursion)
        if self.server is None:
            self.server = FunctionProcess(self)
        channel = self.server.channel
        self.calls.append([name, None])
        outer_deadline, channel.deadline = channel.deadline, self.deadline  # a call inside a callback keeps the
        try:                                                                # deadline of the call around it
            state = wire.generator_state()
            drawn = (state[0].tobytes(), state[1])
            reply = channel.call_remote("@run", None, (name, list(args), dict(kwargs), list(self.under_test), self.api,
                                                        list(self.forbid), state), {},
                                        fresh=True)
        except wire.ChannelTimeout:
            self._restart()
            message = f"{name} did not return in the time allowed (look for an endless loop or far too much work)"
            self.outcome.problems.append(message)
            raise SubmissionFailure(message) from None
        except wire.ChannelClosed:
            over_disk = self.fork_server is not None and self.fork_server.disk.exceeded
            code = self._restart()
            if over_disk:
                message = disk_budget.exceeded_message(f"{name} (grade cell {self.cell})", self.limits.disk_bytes)
                self._stopped(message)
            else:
                message = f"the submission's process ended while running {name}: {exit_description(code)}"
            self.outcome.problems.append(message)
            raise SubmissionFailure(message) from None
        except wire.RemoteError as exc:
            raise SubmissionFailure(self.recursion or str(exc)) from None
        except wire.WireError as exc:
            self._restart()
            raise SubmissionFailure(f"{name}: {exc}") from None
        finally:
            channel.deadline = outer_deadline
            self.calls.pop()
            recursion = self.recursion
            if not self.calls:
                self.recursion = None
        if not isinstance(reply, dict) or not isinstance(reply.get("final"), dict):
            raise SubmissionFailure(f"{name}: the function server's answer was not understood")
        for index, value in reply["final"].items():
            original = args[index] if isinstance(index, int) and 0 <= index < len(args) else kwargs.get(index)
            wire.sync(original, value)
        self._continue_generator(drawn, reply.get("rng"))
        self._note_output(name, reply)
        error = reply.get("error")
        if error:
            kind, message = (list(error) + ["", ""])[:2]
            raise SubmissionFailure(recursion or (f"{kind}: {message}" if message else str(kind)))
        return reply.get("result")

    @staticmethod
    def _continue_generator(drawn: tuple, state) -> None:
        """Take over the function server's NumPy generator state, unless the grader drew numbers itself meanwhile (its
        reference code called back): then the grader's own sequence goes on, so the run stays reproducible."""
        _, keys, pos, _, _ = np.random.get_state()
        if (keys.tobytes(), pos) != drawn:
            return
        try:
            wire.set_generator_state(state)
        except (TypeError, ValueError, OverflowError):
            raise SubmissionFailure("the function server's answer was not understood") from None

    def _note_output(self, name: str, reply: dict) -> None:
        for item in reply.get("warnings") or []:
            try:
                kind, message, filename, line = str(item[0]), str(item[1]), str(item[2]), int(item[3])
            except (TypeError, ValueError, IndexError):
                continue
            text = f"{kind} in {filename} line {line} (while running {name}): {message}"
            if text not in self.outcome.warnings and len(self.outcome.warnings) < 30:
                self.outcome.warnings.append(text)
            # raised here again so that a check watching for a warning sees it; recorded otherwise
            warnings.warn_explicit(message, _WARNING_CLASSES.get(kind, UserWarning), filename, line)
        printed = str(reply.get("printed") or "").strip()
        if printed and len(self.outcome.printed) < 10:
            self.outcome.printed.append(f"{name}: " + printed.splitlines()[0][:200]
                                        + (" ..." if len(printed.splitlines()) > 1 else ""))

    def _stopped(self, text: str) -> None:
        if text not in self.outcome.stopped and len(self.outcome.stopped) < 40:
            self.outcome.stopped.append(text)

    def _collect_report(self) -> None:
        """What the function server saw the submission try (files, processes, network, memory, patches)."""
        if self.server is None:
            return
        channel = self.server.channel
        channel.deadline = time.monotonic() + 10
        try:
            notes = channel.call_remote("@report", None, (), {})
        except wire.WireError:
            self._restart()
            return
        finally:
            channel.deadline = None
        if isinstance(notes, dict):
            for what, items in list(notes.items())[:20]:
                if isinstance(items, list):
                    self._stopped(f"{str(what)[:120]}: " + ", ".join(str(i)[:120] for i in items[:8]))

    def _restart(self) -> int | None:
        code = self.server.stop() if self.server is not None else None
        self.server = None
        return code

    def close(self) -> None:
        self._restart()
        if self.fork_server is not None:
            self.fork_server.stop()
            self.fork_server = None

    def fresh_server(self) -> None:
        """A new function server for the next grade cell: the previous one and all it started are killed and its copy of
        the submission and the sandbox's scratch places emptied, so nothing it computed or stored while one cell
        ran (say, answers of the reference copies it called) is there for the next."""
        self._restart()
        self.server = FunctionProcess(self)


def _read_once(load_nist36):
    """``hw5lib.data.load_nist36`` that reads the files once per grading (three checks load NIST36).
    Each call gets its own writable copy of the arrays, as a fresh load would give it: a submission's in-place
    change to an argument comes back to the grader's copy, and must not reach the next check."""
    kept: dict[tuple, object] = {}

    def load(folder=None, standin=None, progress=True, quiet=False):
        key = (None if folder is None else str(folder), standin)
        if key not in kept:
            kept[key] = load_nist36(folder, standin, progress=False, quiet=True)
        nist = kept[key]
        return replace(nist, **{f.name: getattr(nist, f.name).copy() for f in fields(nist) if f.name != "source"})

    load.__doc__ = load_nist36.__doc__
    return load


def grade_cells(source: Path) -> dict[str, str]:
    """{grade_id: source} of the automatically graded cells of the source notebooks (hidden tests included)."""
    cells = {}
    for path in sorted(source.glob("*.ipynb")):  # plain JSON: importing nbformat alone costs about a second
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and cell.get("cell_type") == "code":
                source_text = cell.get("source", "")
                cells[meta["grade_id"]] = "".join(source_text) if isinstance(source_text, list) else source_text
    return cells


def grade(source: Path, package: Path, limits: Limits, sandboxed: bool = True,
          networks: Path | None = None, questions: set[str] | None = None) -> Outcome:
    """Run every grade cell of ``source``'s notebooks (of the handout ``questions`` only, e.g. {"Q2.3"}, when
    given) against the submission whose ``hw5lib`` is in ``package``."""
    from grading.course.points import question_of
    from hw5lib import config, data
    from hw5lib.checks import _common

    cells = grade_cells(source)
    if questions is not None:
        graded = {question_of(grade_id) for grade_id in cells}
        if set(questions) - graded:
            raise ValueError(f"no grade cell belongs to {', '.join(sorted(set(questions) - graded))}; the graded "
                             f"questions are {', '.join(sorted(graded))}")
        cells = {grade_id: code for grade_id, code in cells.items() if question_of(grade_id) in questions}
    grader = Grader(package, networks, limits, sandboxed)
    _common.GRADER = grader
    load_nist36, data.load_nist36 = data.load_nist36, _read_once(data.load_nist36)
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.signal(signal.SIGPROF, _out_of_time)
    started = time.monotonic()
    try:
        for grade_id, code in cells.items():
            if time.monotonic() - started >= limits.submission_seconds:
                grader.outcome.cells[grade_id] = (f"not run: the time limit of {limits.submission_seconds:g} s for a "
                                                  "whole submission was reached")
                continue
            cell_started = time.monotonic()
            grader.deadline = min(cell_started + limits.cell_timeout, started + limits.submission_seconds)
            grader.fresh_server()  # reports what the sandbox's limits stopped in the cell before
            grader.cell = grade_id
            # The submission's time limit counts the time it takes itself, not the grader's work for its calls of
            # reference copies (a busy machine slows that work down; an honest submission must not pay for it).
            # That work is bounded by the grader's CPU time (the cell's limit plus a little), and the whole cell
            # by a wall-clock limit that no honest submission reaches on a busy machine.
            signal.setitimer(signal.ITIMER_PROF, limits.cell_timeout + GRADER_EXTRA_CPU_SECONDS)
            signal.setitimer(signal.ITIMER_REAL, max(1.0, grader.deadline - time.monotonic()) * CELL_WALL_FACTOR + 15)
            settings = config.q4_settings(fast=True) if grade_id.startswith("q4") else config.q3_settings(fast=True)
            names = {"checks": grading_checks, "settings": settings, "history": None, "validation_psnr": None,
                     "params": None}
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                try:
                    exec(compile(code, f"<grade cell {grade_id}>", "exec"), names)  # our own test code
                    grader.outcome.cells[grade_id] = ""
                except KeyboardInterrupt:
                    raise
                except SubmissionFailure as exc:
                    grader.outcome.cells[grade_id] = str(exc)[:500]
                except CellTimeout:
                    grader.outcome.cells[grade_id] = ("the check ran out of time while the grader worked for the "
                                                      "submission's calls (far too much work was asked of it)")
                except BaseException as exc:  # noqa: BLE001 - a failing check, whatever it raised
                    grader.outcome.cells[grade_id] = f"{type(exc).__name__}: {exc}"[:500]
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.setitimer(signal.ITIMER_PROF, 0)
            grader.outcome.seconds[grade_id] = round(time.monotonic() - cell_started, 2)
        if any("time limit" in message for message in grader.outcome.cells.values()):
            grader.outcome.problems.append(f"stopped after the time limit of {limits.submission_seconds:g} s for a "
                                           "whole submission: look for an endless loop or far too much work")
    finally:
        _common.GRADER, data.load_nist36 = None, load_nist36
        grader.close()
    return grader.outcome


def main(argv: list[str] | None = None) -> int:
    """Grade one submission: ``--source`` (notebooks with hidden tests), ``--package`` (its hw5lib's parent)."""
    parser = argparse.ArgumentParser(prog="python -m grading.grader.trusted", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--package", type=Path, required=True)
    parser.add_argument("--networks", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    parser.add_argument("--time-limit", type=float, default=Limits.submission_seconds)
    parser.add_argument("--memory-gb", type=float, default=Limits.memory_gb)
    parser.add_argument("--disk-gb", type=float, default=Limits.disk_gb)
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--question", action="append", help="grade this handout question only (e.g. Q2.3; repeatable)")
    args = parser.parse_args(argv)
    limits = Limits(args.cell_timeout, args.time_limit, args.memory_gb, args.disk_gb)
    questions = set(args.question) if args.question else None
    outcome = grade(args.source, args.package, limits, not args.unsandboxed, args.networks, questions)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(outcome.__dict__, indent=1))
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
