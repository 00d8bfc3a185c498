"""The release's verification: ``verify_release`` proves that nothing of the reference is left in the student
release: no marker, no solution line, no file that is not declared, and no provided code that computes a graded
answer (``answer_scan``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from grading.course import answer_scan
from grading.course.paths import (
    HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END, ignored, provided_files, student_files)
from grading.course.stubs import BEGIN_LINE, END_LINE


def solution_lines(sources: dict[str, str], min_length: int = 20) -> set[str]:
    """Lines that appear only inside solution regions of ``sources`` (path -> text), stripped of spaces."""
    inside_lines, outside_lines = set(), set()
    for text in sources.values():
        inside = False
        for line in text.splitlines():
            if BEGIN_LINE.match(line) or END_LINE.match(line):
                inside = bool(BEGIN_LINE.match(line))
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
                                  if p.is_file() and not ignored(p.relative_to(folder)))
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
        # the hidden-test markers in any spelling of the comment around them
        for marker in (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN.lstrip("# "), HIDDEN_END.lstrip("# ")):
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


