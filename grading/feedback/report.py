"""The grade table: every point of the handout per student and question, automatic and manual.

Automatic points come from the trusted grader's results (an instructor's override of one in formgrader wins);
manual points are the written answers graded in formgrader, read from ``gradebook.db``. A written answer with
no manual score yet is *waiting* and counts zero until graded. The course's late policy
(``grading.course.late_policy``) takes its penalty from the total, by the submission time collect recorded in
roster.csv. ``export`` writes ``grades.csv`` (everything), ``grades_lms.csv`` (an id column and the final points,
for a learning-management system's gradebook import), prints the table and rewrites each student's
``summary.html`` with the same numbers.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from grading.course.late_policy import LatePolicy, read_policy
from grading.course.paths import ASSIGNMENT
from grading.course.points import question_of
from grading.course.roster import read_roster
from grading.feedback.pages import scrub_paths, summary_html
from grading.grader.result import load_results

LMS_COLUMN = "hw5"


@dataclass
class Row:
    """One student's points by question."""

    automatic: dict[str, float] = field(default_factory=dict)
    manual: dict[str, float] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # grade_ids of written answers no grader has scored yet
    problems: str = ""
    submitted_at: str = ""  # ISO 8601, from roster.csv ('' when unknown)
    days_late: int = 0
    penalty: float = 0.0  # points the late policy takes from the total

    @property
    def automatic_total(self) -> float:
        return sum(self.automatic.values())

    @property
    def manual_total(self) -> float:
        return sum(self.manual.values())

    @property
    def total(self) -> float:
        return self.automatic_total + self.manual_total

    @property
    def final(self) -> float:
        """The total after the late penalty."""
        return max(0.0, self.total - self.penalty)

    def points(self, question: str) -> float:
        return self.automatic.get(question, 0.0) + self.manual.get(question, 0.0)


@dataclass
class GradeTable:
    """The handout's questions in order, their automatic and manual maxima, and a row per graded student."""

    questions: list[str]
    automatic_max: dict[str, float]
    manual_max: dict[str, float]
    rows: dict[str, Row]
    policy: LatePolicy = field(default_factory=LatePolicy)

    @property
    def maximum(self) -> float:
        return sum(self.automatic_max.values()) + sum(self.manual_max.values())

    def question_max(self, question: str) -> float:
        return self.automatic_max.get(question, 0.0) + self.manual_max.get(question, 0.0)


def _order(question: str) -> list[int]:
    return [int(part) for part in question[1:].split(".")]


def grade_table(root: Path) -> GradeTable:
    """Every graded student's points per question from the results and the course gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    results = load_results(root)
    automatic_max: dict[str, float] = {}
    manual_max: dict[str, float] = {}
    rows: dict[str, Row] = {}
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy warns about nbgrader's own session use
        cells = [(cell.name, cell.cell_type == "code", float(cell.max_score))
                 for notebook in gradebook.find_assignment(ASSIGNMENT).notebooks for cell in notebook.grade_cells]
        for name, automatic, maximum in cells:
            maxima = automatic_max if automatic else manual_max
            maxima[question_of(name)] = maxima.get(question_of(name), 0.0) + maximum
        for student, result in sorted(results.items()):
            row = rows[student] = Row(problems="; ".join(result.reasons))
            try:
                submission = gradebook.find_submission(ASSIGNMENT, student)
                grades = {grade.name: grade for notebook in submission.notebooks for grade in notebook.grades}
            except MissingEntry:
                grades = {}
            for name, automatic, _ in cells:
                question, grade = question_of(name), grades.get(name)
                manual_score = None if grade is None else grade.manual_score
                if automatic:
                    score = float(manual_score) if manual_score is not None else result.scores.get(name, [0.0])[0]
                    row.automatic[question] = row.automatic.get(question, 0.0) + score
                elif manual_score is None:
                    row.waiting.append(name)
                else:
                    row.manual[question] = row.manual.get(question, 0.0) + float(manual_score)
    questions = sorted(set(automatic_max) | set(manual_max), key=_order)
    policy, roster = read_policy(root), read_roster(root)
    for student, row in rows.items():
        entry = roster.get(student)
        if entry is not None:
            row.submitted_at = entry.submitted_at
            row.days_late = policy.days_late(entry.submitted(), entry.lms_late == "yes")
            row.penalty = policy.penalty_for(row.days_late, row.total)
    return GradeTable(questions, automatic_max, manual_max, rows, policy)


def write_rows(path: Path, header: list[str], lines: list[list[str]]) -> Path:
    """A CSV file (UTF-8) written whole: a reader sees the old table or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(lines)
    tmp.replace(path)
    return path


def write_csv(table: GradeTable, path: Path) -> Path:
    """grades.csv: per question the automatic and the manual points, the totals, and what still waits."""
    columns = [(q, "automatic") for q in table.questions if q in table.automatic_max]
    columns += [(q, "manual") for q in table.questions if q in table.manual_max]
    columns.sort(key=lambda c: (_order(c[0]), c[1]))
    header = ["student", *(f"{q} {kind} (of {(table.automatic_max if kind == 'automatic' else table.manual_max)[q]:g})"
                           for q, kind in columns),
              "automatic", "manual", "total", "maximum", "submitted", "days late", "late penalty", "final",
              "written answers waiting", "problems"]
    lines = []
    for student, row in table.rows.items():
        values = [row.automatic.get(q, 0.0) if kind == "automatic" else row.manual.get(q, 0.0) for q, kind in columns]
        lines.append([student, *(f"{v:g}" for v in values), f"{row.automatic_total:g}", f"{row.manual_total:g}",
                      f"{row.total:g}", f"{table.maximum:g}", row.submitted_at, str(row.days_late),
                      f"{row.penalty:g}", f"{row.final:g}", " ".join(row.waiting), row.problems])
    return write_rows(path, header, lines)


def write_lms_csv(table: GradeTable, path: Path) -> Path:
    """grades_lms.csv: one row per student, the id and the whole handout's points after any late penalty."""
    return write_rows(path, ["student_id", LMS_COLUMN], [[s, f"{row.final:g}"] for s, row in table.rows.items()])


def format_table(table: GradeTable) -> str:
    """The table for the terminal: points per question (a * where a written answer waits), and the totals."""
    head = f"{'student':<14}" + "".join(f"{q:>8}" for q in table.questions)
    head += f"{'auto':>7}{'manual':>8}{'total':>8}{'late':>6}{'final':>7}  waiting"
    lines = [head, f"{'(maximum)':<14}" + "".join(f"{table.question_max(q):>8g}" for q in table.questions)
             + f"{sum(table.automatic_max.values()):>7g}{sum(table.manual_max.values()):>8g}{table.maximum:>8g}"
             + f"{'':>6}{table.maximum:>7g}"]
    for student, row in table.rows.items():
        waiting = {question_of(name) for name in row.waiting}
        cells = "".join(f"{f'{row.points(q):g}' + ('*' if q in waiting else ''):>8}" for q in table.questions)
        late = f"{row.days_late}d" if row.days_late else "-"
        lines.append(f"{student:<14}{cells}{row.automatic_total:>7g}{row.manual_total:>8g}{row.total:>8g}{late:>6}"
                     f"{row.final:>7g}  {len(row.waiting)}")
    lines.append("* a written answer of that question waits for a grader (formgrader); it counts 0 until graded")
    lines.append(f"late: days late; final: the total after the late policy ({table.policy.describe()})")
    return "\n".join(lines)


def write_summaries(root: Path, table: GradeTable) -> None:
    """Rewrite every student's summary.html with the table's numbers (manual grades included)."""
    results = load_results(root)
    for student, row in table.rows.items():
        folder = root / "feedback" / student / ASSIGNMENT
        if student in results and folder.is_dir():
            page = summary_html(results[student], table_part(table, row))
            tmp = folder / "summary.html.tmp"
            tmp.write_text(scrub_paths(page, root, root / "results"))
            tmp.replace(folder / "summary.html")


def table_part(table: GradeTable, row: Row) -> dict:
    """What summary.html shows of the table: per question automatic, manual and waiting, and the totals."""
    waiting = {question_of(name) for name in row.waiting}
    return {"questions": [(q, row.automatic.get(q) if q in table.automatic_max else None,
                           row.manual.get(q) if q in table.manual_max else None, q in waiting, table.question_max(q))
                          for q in table.questions],
            "automatic": row.automatic_total, "manual": row.manual_total, "total": row.total,
            "maximum": table.maximum, "waiting": len(row.waiting), "submitted": row.submitted_at,
            "days_late": row.days_late, "penalty": row.penalty, "final": row.final, "policy": table.policy.describe()}


def problems(root: Path) -> dict[str, str]:
    """{student: the reasons of their run} for the submissions whose grading met a problem."""
    return {student: "; ".join(result.reasons) for student, result in load_results(root).items() if result.reasons}
