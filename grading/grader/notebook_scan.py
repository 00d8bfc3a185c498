"""Notebook cells that tamper with the grader: found by reading the submitted notebooks, never by running them.

A notebook cell can replace ``checks.check_backwards`` or ``np.allclose`` in its kernel; that changes nothing
(the grader checks in a process of its own), but the feedback says what was tried, and where.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

GUARDED = {"checks", "gradcheck", "np", "numpy", "hw5lib", "builtins", "testing"}
PATCHERS = {"setattr", "patch", "patch.object", "mock.patch", "mock.patch.object", "unittest.mock.patch",
            "unittest.mock.patch.object", "delattr"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def cell_tampering(source: str) -> list[str]:
    """What a cell's code does to the grader's modules: assignments to their attributes, setattr, mock.patch."""
    try:
        tree = ast.parse(source)
        nodes = list(ast.walk(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in nodes:
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        flat = []
        for target in targets:
            flat += target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        for target in flat:
            if isinstance(target, ast.Attribute) and _root_name(target) in GUARDED:
                found.append(f"{'deletes' if isinstance(node, ast.Delete) else 'replaces'} {_dotted(target)}")
        if isinstance(node, ast.Call) and _dotted(node.func) in PATCHERS and node.args:
            if _root_name(node.args[0]) in GUARDED or (
                    isinstance(node.args[0], ast.Constant) and str(node.args[0].value).split(".")[0] in GUARDED):
                found.append(f"patches {_dotted(node.args[0]) or node.args[0].value} with {_dotted(node.func)}")
    return found


def tampering(assignment: Path) -> list[str]:
    """One line per notebook cell of a submission that tampers with the grader, saying where."""
    lines = []
    for path in sorted(assignment.glob("*.ipynb")):
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > 64 * 2**20:
                continue
            cells = json.loads(path.read_text(errors="replace")).get("cells", [])
        except (ValueError, AttributeError, RecursionError, OSError):
            continue
        for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(map(str, source)) if isinstance(source, list) else str(source)
            for what in dict.fromkeys(cell_tampering(source)):
                lines.append(f"a cell of {path.name} (cell {number}) {what}: notebook cells do not decide points, "
                             "the grader checks your functions in a process of its own")
    return lines[:20]
