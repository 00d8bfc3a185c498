"""The grade table (CSV, one column per handout question) and the students' feedback."""

from __future__ import annotations

import csv
from pathlib import Path

from grading.autograde import automatic_scores, load_results
from grading.points import question_of


GradeTable = tuple[list[str], dict[str, dict[str, float]], dict[str, float]]


def question_table(root: Path) -> GradeTable:
    """(questions, {student: {question: automatic score}}, {question: automatic maximum}) from the gradebook."""
    scores = automatic_scores(root)
    maxima: dict[str, float] = {}
    for gid, (_, maximum) in next(iter(scores.values()), {}).items():  # every student has the same cells
        maxima[question_of(gid)] = maxima.get(question_of(gid), 0.0) + maximum
    table: dict[str, dict[str, float]] = {}
    for student, cells in sorted(scores.items()):
        row = table.setdefault(student, {})
        for gid, (score, _) in cells.items():
            row[question_of(gid)] = row.get(question_of(gid), 0.0) + score
    questions = sorted(maxima, key=lambda q: [int(part) for part in q[1:].split(".")])
    return questions, table, maxima


def problems(root: Path) -> dict[str, str]:
    """{student: the reasons of their run} for the submissions whose grading met a problem."""
    return {student: "; ".join(result.reasons) for student, result in load_results(root).items() if result.reasons}


def write_csv(grades: GradeTable, path: Path, notes: dict[str, str] | None = None) -> Path:
    """Write the automatic grades per question and in total, one row per student, with any problems of the run."""
    questions, table, maxima = grades
    notes = notes or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *questions, "automatic total", "automatic maximum", "problems"])
        for student, row in table.items():
            writer.writerow([student, *(f"{row.get(q, 0.0):g}" for q in questions),
                             f"{sum(row.values()):g}", f"{sum(maxima.values()):g}", notes.get(student, "")])
    tmp.replace(path)
    return path


def format_table(grades: GradeTable) -> str:
    """The grade table as text for the terminal."""
    questions, table, maxima = grades
    head = f"{'student':<14}" + "".join(f"{q:>7}" for q in questions) + f"{'total':>9}"
    lines = [head, f"{'(maximum)':<14}" + "".join(f"{maxima[q]:>7g}" for q in questions) + f"{sum(maxima.values()):>9g}"]
    for student, row in table.items():
        lines.append(f"{student:<14}" + "".join(f"{row.get(q, 0.0):>7g}" for q in questions)
                     + f"{sum(row.values()):>9g}")
    return "\n".join(lines)
