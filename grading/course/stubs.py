"""The stubs of the student release: each solution region of a student-fillable .py file becomes a stub.

nbgrader strips the notebooks but copies other files verbatim, so ``strip_solutions`` does the same for Python
files: every ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region becomes a stub that raises NotImplementedError
naming the function, keeping the signature, the docstring and any given code around it.
"""

from __future__ import annotations

import ast
import re

from grading.course.paths import SOLUTION_BEGIN, SOLUTION_END

BEGIN_LINE = re.compile(rf"^(\s*){re.escape(SOLUTION_BEGIN)}\s*$")
END_LINE = re.compile(rf"^\s*{re.escape(SOLUTION_END)}\s*$")
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


def strip_solutions(source: str, where: str = "<file>") -> str:
    """``source`` with each solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    inside = False
    function = "this function"
    for number, line in enumerate(lines, start=1):
        begin, end = BEGIN_LINE.match(line), END_LINE.match(line)
        if not inside and (found := _DEF.match(line)):
            function = found.group(1)
        if begin:
            if inside:
                raise ValueError(f"{where}:{number}: a solution region starts inside another one")
            inside = True
            indent = begin.group(1)
            out.append(f"{indent}# YOUR CODE HERE\n")
            place = f" in {where}" if where != "<file>" else ""
            out.append(f'{indent}raise NotImplementedError("write {function}{place}: see its docstring and the notebook")\n')
        elif end:
            if not inside:
                raise ValueError(f"{where}:{number}: '{SOLUTION_END}' without a region to end")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: a solution region is never closed with '{SOLUTION_END}'")
    stripped = "".join(out)
    ast.parse(stripped, filename=where)  # the student's copy must still be valid Python
    return stripped
