"""At grading time, run the student's function under test on trusted copies of everything else.

Provided file. A check grades one function, but that function calls others the student wrote (``train_epoch``
calls ``forward`` and ``backwards``; ``read_text`` calls ``findLetters``). So that a mistake costs the points
of its own question only, the grading course carries the instructor's copies of the student-fillable files in
``reference/`` beside ``hw5lib/`` (never in the student release). When that folder exists, ``isolated(...)``
swaps every student function except the ones under test for its reference copy while the check runs; the
student's own function under test then calls reference code, and reference code calls back into it.

Without ``reference/`` (what students have), nothing is swapped and checks run the student's code throughout.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

REFERENCE_FOLDER = "reference"
_loaded: dict[str, ModuleType] | None = None


def reference_folder() -> Path:
    """Where the grading course keeps the reference copies: ``reference/`` next to the ``hw5lib`` package."""
    import hw5lib

    return Path(hw5lib.__file__).resolve().parent.parent / REFERENCE_FOLDER


def grading_with_reference() -> bool:
    """True when the reference copies are present (an autograding run), False for students."""
    return reference_folder().is_dir()


def reference_modules() -> dict[str, ModuleType] | None:
    """{'hw5lib.nn': module, ...} loaded from ``reference/*.py`` (once per process), or None without the folder."""
    global _loaded
    if _loaded is None and grading_with_reference():
        _loaded = _load(sorted(reference_folder().glob("*.py")))
    return _loaded


def _load(paths: list[Path]) -> dict[str, ModuleType]:
    """Execute the reference files as modules that import each other, never the student's copies."""
    import hw5lib

    names = {f"hw5lib.{p.stem}": p for p in paths}
    saved_modules = {name: sys.modules.get(name) for name in names}
    saved_attrs = {name: vars(hw5lib).get(name.split(".")[1]) for name in names}
    loaded: dict[str, ModuleType] = {}
    try:
        for name in names:  # an import of a not-yet-loaded reference module fails, and is retried below
            sys.modules[name] = None  # type: ignore[assignment]
            vars(hw5lib).pop(name.split(".")[1], None)
        pending = list(names)
        while pending:
            before, problem = len(pending), None
            for name in list(pending):
                spec = importlib.util.spec_from_file_location(name, names[name])
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                setattr(hw5lib, name.split(".")[1], module)
                try:
                    spec.loader.exec_module(module)
                except ImportError as exc:
                    sys.modules[name] = None  # type: ignore[assignment]
                    vars(hw5lib).pop(name.split(".")[1], None)
                    problem = exc
                    continue
                loaded[name] = module
                pending.remove(name)
            if len(pending) == before:
                raise ImportError(f"the reference copies {pending} cannot be imported: {problem}")
    finally:
        for name in names:
            short = name.split(".")[1]
            if saved_modules[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved_modules[name]
            if saved_attrs[name] is None:
                vars(hw5lib).pop(short, None)
            else:
                setattr(hw5lib, short, saved_attrs[name])
    return loaded


def _defined_functions(module: ModuleType) -> dict[str, object]:
    return {name: value for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__}


@contextmanager
def isolated(*under_test: str):
    """While the block runs, student functions other than ``under_test`` ('nn.forward', ...) are the reference's.

    Does nothing when the reference copies are absent. Every hw5lib module and every reference module has
    its names rebound, so calls in either direction reach the chosen copy; the names are restored afterwards.
    """
    reference = reference_modules()
    if reference is None:
        yield
        return
    student: dict[str, ModuleType] = {}
    for item in under_test:  # the modules under test are imported now; the others when first used
        name = "hw5lib." + item.rsplit(".", 1)[0]
        student[name] = importlib.import_module(name)
    for name in reference:
        if sys.modules.get(name) is not None:
            student[name] = sys.modules[name]
    origin: dict[int, tuple[str, str]] = {}
    chosen: dict[tuple[str, str], object] = {}
    for name, module in reference.items():
        for attr, value in _defined_functions(module).items():
            origin[id(value)] = (name, attr)
            chosen[(name, attr)] = value
    for name, module in student.items():
        for attr, value in _defined_functions(module).items():
            origin[id(value)] = (name, attr)
    for item in under_test:
        name, attr = "hw5lib." + item.rsplit(".", 1)[0], item.rsplit(".", 1)[1]
        if not inspect.isfunction(getattr(student[name], attr, None)):
            raise AssertionError(f"{name} has no function {attr}: keep the handout's function names")
        chosen[(name, attr)] = getattr(student[name], attr)
    swapped: list[tuple[dict, str, object]] = []

    def rebind(namespace: dict) -> None:
        for attr, value in list(namespace.items()):
            key = origin.get(id(value))
            if key is not None and chosen.get(key, value) is not value:
                swapped.append((namespace, attr, value))
                namespace[attr] = chosen[key]

    def adopt(module: ModuleType) -> None:  # a student module imported while the check runs
        for attr, value in _defined_functions(module).items():
            origin[id(value)] = (module.__name__, attr)
        rebind(vars(module))

    for module in list(reference.values()) + [m for k, m in list(sys.modules.items())
                                              if k.startswith("hw5lib.") and m is not None]:
        rebind(vars(module))
    finder = _AdoptOnImport(set(reference) - set(student), adopt)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for namespace, attr, value in reversed(swapped):
            namespace[attr] = value


class _AdoptOnImport(importlib.abc.MetaPathFinder):
    """Import hook: a student module first imported inside ``isolated`` is rebound right after it loads.

    Importing every student module up front would let one that hangs or fails at import spoil every check.
    """

    def __init__(self, names: set[str], adopt) -> None:
        self.names, self.adopt = names, adopt

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        load, adopt = spec.loader.exec_module, self.adopt

        def exec_module(module: ModuleType) -> None:
            load(module)
            adopt(module)

        spec.loader.exec_module = exec_module
        return spec


def grades(*under_test: str):
    """Decorator for a check: run it ``isolated(*under_test)``; the names are kept on ``check.under_test``."""
    def decorate(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            with isolated(*under_test):
                return check(*args, **kwargs)

        run.under_test = under_test
        return run

    return decorate
