"""The import graph of ``grading`` and ``hw5lib``: no circle, every room imports only the rooms below it, and the
files copied into a sandbox import no ``grading`` (every import counted, at module level or inside a function)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# grading's rooms from the ground up: a room may import its own modules and those of lower rooms only
ROOMS = ["grading.course", "grading.sandbox", "grading.grader", "grading.feedback", "grading.batch",
         "grading.selftest", "grading.__main__"]
INSIDE = ROOT / "grading" / "sandbox" / "inside"
# what a sandbox's Python offers the files copied into it, beyond the standard library
INSIDE_MAY_IMPORT = {"numpy", "IPython", "ipykernel", "jupyter_client", "matplotlib_inline", "nbformat", "nbgrader",
                     "traitlets", "zmq"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for top in ("grading", "hw5lib") for p in sorted((ROOT / top).rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path) -> list[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as a.b.c where that is a module)."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                      for alias in node.names]
    return found


def graph() -> dict[str, set[str]]:
    return {name: {m for m in imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _room(module: str) -> int | None:
    for level, room in enumerate(ROOMS):
        if module == room or module.startswith(room + "."):
            return level
    return None


def test_the_finder_sees_every_kind_of_import_and_a_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]
    assert "grading.batch.dask_runner" in imports(MODULES["grading.batch.autograde"])  # a module, not a package
    assert "grading.course.points" in imports(MODULES["grading.feedback.pages"])  # inside a function: counted too
    assert "grading.grader.trusted" not in imports(MODULES["grading.grader.handles"])  # for type checkers only


def test_no_module_of_grading_or_hw5lib_imports_itself_back_through_others():
    assert circles(graph()) == []


def test_each_room_of_grading_imports_only_itself_and_the_rooms_below():
    upward = []
    for module, targets in graph().items():
        here = _room(module)
        for target in targets:
            there = _room(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{module} -> {target}")
    assert upward == []


@pytest.mark.parametrize("path", sorted(INSIDE.glob("*.py")), ids=lambda p: p.name)
def test_what_is_copied_into_a_sandbox_imports_no_grading(path):
    siblings = {p.stem for p in INSIDE.glob("*.py")}
    allowed = set(sys.stdlib_module_names) | INSIDE_MAY_IMPORT | siblings
    tops = {name.split(".")[0] for name in imports(path)}
    assert "grading" not in tops and tops <= allowed, sorted(tops - allowed)


def test_the_stand_in_and_the_loader_share_the_format_without_a_circle():
    edges = graph()
    assert "hw5lib.nist36_format" in edges["hw5lib.standin.synth"]
    assert not any(target.startswith("hw5lib.standin") for target in edges["hw5lib.nist36_format"])
