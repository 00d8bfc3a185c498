"""The student release: solution regions of the student-fillable .py files become stubs, then checks.

nbgrader strips the notebooks but copies other files verbatim, so ``strip_solutions`` does the same
for Python files: every ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region becomes a stub that
raises NotImplementedError naming the function, keeping the signature, the docstring and any given
code around it. ``verify_release`` then proves that nothing of the reference is left: no marker, no solution line,
no file that is not declared, and no provided code that computes a graded answer.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from grading import answer_scan
from grading.layout import SOLUTION_BEGIN, SOLUTION_END, provided_files, student_files

_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


def strip_solutions(source: str, where: str = "<file>") -> str:
    """``source`` with each solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    inside = False
    function = "this function"
    for number, line in enumerate(lines, start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
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
                raise ValueError(f"{where}:{number}: '### END SOLUTION' without a region to end")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: a solution region is never closed with '### END SOLUTION'")
    stripped = "".join(out)
    ast.parse(stripped, filename=where)  # the student's copy must still be valid Python
    return stripped


def solution_lines(sources: dict[str, str], min_length: int = 20) -> set[str]:
    """Lines that appear only inside solution regions of ``sources`` (path -> text), stripped of spaces."""
    inside_lines, outside_lines = set(), set()
    for text in sources.values():
        inside = False
        for line in text.splitlines():
            if _BEGIN.match(line) or _END.match(line):
                inside = bool(_BEGIN.match(line))
                continue
            (inside_lines if inside else outside_lines).add(line.strip())
    return {line for line in inside_lines - outside_lines if len(line) >= min_length and not line.startswith("#")}


def release_texts(folder: Path) -> dict[str, str]:
    """Every text a student receives: .py files and the sources of notebook cells, by relative path."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".py":
            texts[path.relative_to(folder).as_posix()] = path.read_text()
        elif path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            texts[path.relative_to(folder).as_posix()] = "\n".join(cell.source for cell in nb.cells)
    return texts


def undeclared_files(folder: Path) -> list[str]:
    """Files of a release folder that pyproject.toml declares neither student-fillable nor provided."""
    declared = set(student_files()) | set(provided_files())
    return sorted(rel for rel in (p.relative_to(folder).as_posix() for p in folder.rglob("*")
                                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
                  if rel not in declared)


def answer_key_findings(folder: Path) -> list[str]:
    """What the release's provided Python files compute that a graded function must compute (they must not)."""
    provided = [rel for rel in provided_files() if rel.endswith(".py") and (folder / rel).is_file()]
    return [str(finding) for finding in answer_scan.scan_files(folder, provided)]


def verify_release(folder: Path, secret_lines: set[str]) -> list[str]:
    """Problems found in a release folder (empty when it is fit to hand out)."""
    problems = [f"{rel} is not declared in pyproject.toml ([tool.hw5.student-files] or [tool.hw5.provided-files]): "
                "a release holds the declared files only" for rel in undeclared_files(folder)]
    problems += [f"{finding}: the release is no answer key (move it to grading/)" for finding in
                 answer_key_findings(folder)]
    for rel, text in release_texts(folder).items():
        for marker in (SOLUTION_BEGIN, SOLUTION_END, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            if marker in text:
                problems.append(f"{rel} still holds '{marker}'")
        stripped = {line.strip() for line in text.splitlines()}
        for line in sorted(secret_lines & stripped):
            problems.append(f"{rel} holds a reference solution line: {line!r}")
    for path in folder.glob("*.ipynb"):
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as exc:  # nbformat raises several kinds for broken notebooks
            problems.append(f"{path.name} does not open as a notebook: {exc}")
    probe = subprocess.run(
        [sys.executable, "-c", "import hw5lib.nn, hw5lib.train, hw5lib.ocr, hw5lib.autoencoder, hw5lib.metrics, "
         "hw5lib.theory, hw5lib.my_gradcheck, hw5lib.checks; print('ok')"],
        cwd=folder, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    if probe.returncode != 0 or "ok" not in probe.stdout:
        problems.append(f"hw5lib does not import from the release: {probe.stderr.strip()[-500:]}")
    return problems


def write_zip(folder: Path, archive: Path) -> Path:
    """Zip a release folder (without caches) for students."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zf.write(path, Path(folder.name) / path.relative_to(folder))
    return archive
