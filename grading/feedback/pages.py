"""The feedback a student gets: nbgrader's pages of the executed notebooks (made inert first) and our
``summary.html``, with the grading machine's folders named generically."""

from __future__ import annotations

import functools
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from grading.course.gradebook import merge_into_gradebook
from grading.course.nbgrader_config import feedback_config
from grading.course.paths import ASSIGNMENT, GRADER_FOLDER, PROJECT_ROOT, PUBLIC_GRADEBOOK
from grading.feedback import inert
from grading.grader.result import Result
from grading.sandbox import notebook_run

_FEEDBACK_LOCK = threading.Lock()  # nbgrader's converter changes the working directory while it writes


_FEEDBACK_LOCK = threading.Lock()  # nbgrader's converter changes the working directory while it writes


def write_feedback(root: Path, workspace: Path, result: Result) -> None:
    """nbgrader's pages from the executed notebooks (in a folder the sandbox never saw) and our summary."""
    student = result.student
    notebooks, problems = notebook_run.executed_notebooks(
        workspace / "notebooks", student, sorted(p.name for p in (root / "release" / ASSIGNMENT).glob("*.ipynb")))
    result.reasons += problems
    folder = workspace / "feedback-course"
    graded = folder / "autograded" / student / ASSIGNMENT
    graded.mkdir(parents=True)
    notebooks = made_inert(notebooks, result)
    for name, content in notebooks.items():
        (graded / name).write_bytes(content)
    shutil.copytree(root / "release" / ASSIGNMENT, folder / "source" / ASSIGNMENT)
    shutil.copy2(root / GRADER_FOLDER / PUBLIC_GRADEBOOK, folder / "gradebook.db")
    if notebooks:
        merge_into_gradebook(folder / "gradebook.db", result.student, result.scores)
        problem = generate_feedback(folder, student)
        if problem:
            result.reasons.append(f"no notebook feedback could be written: {problem}")
    elif not any("could not" in r for r in result.reasons):
        result.reasons.append("nbgrader wrote no executed notebook for this submission (see the problems above)")


def made_inert(notebooks: dict[str, bytes], result: Result) -> dict[str, bytes]:
    """The executed notebooks with nothing a page could run (``grading.feedback.inert``): what formgrader, the feedback
    pages and JupyterLab will show. What was removed is named among the stopped attempts."""
    kept = {}
    for name, content in notebooks.items():
        try:
            kept[name], removed = inert.inert_notebook_bytes(content, name)
        except ValueError as exc:
            result.reasons.append(f"{exc}: its executed copy is left out")
            continue
        if removed:
            shown = "; ".join(removed[:8]) + (f"; and {len(removed) - 8} more" if len(removed) > 8 else "")
            result.stopped.append(f"content that would run in the grader's browser was removed from {name} "
                                  f"({shown})")
    return kept


def generate_feedback(folder: Path, student: str) -> str | None:
    """``nbgrader generate_feedback`` of one student in the course ``folder``, run in this process (no new
    interpreter to start per submission); None when it worked, else the last line of its error."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = feedback_config(str(folder.resolve()), feedback_exporter())
    with _FEEDBACK_LOCK:
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        outcome = api.generate_feedback(ASSIGNMENT, student, force=True)
    if outcome.get("success"):
        return None
    return (outcome.get("error") or outcome.get("log") or "unknown error").strip().splitlines()[-1][:300]


@functools.cache
def feedback_exporter() -> type:
    """nbconvert's HTML exporter whose Jinja templates are compiled once per process, not once per submission."""
    import jinja2
    from nbconvert.exporters import HTMLExporter

    class CompiledTemplates(jinja2.BytecodeCache):
        """Compiled templates in memory, by Jinja's key (the template's name and a checksum of its source)."""

        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    compiled = CompiledTemplates()

    class FeedbackExporter(HTMLExporter):
        def _create_environment(self):
            environment = super()._create_environment()
            environment.bytecode_cache = compiled
            return environment

    return FeedbackExporter


def scrub_paths(text: str, root: Path, workspace: Path) -> str:
    """``text`` with the grading machine's folders (workspace, course, Python, home, temp) named generically."""
    places = {str(workspace): "<workspace>", str(root.resolve()): "<course>", str(PROJECT_ROOT): "<project>",
              sys.prefix: "<python>", sys.base_prefix: "<python>", tempfile.gettempdir(): "<tmp>",
              str(Path.home()): "<home>"}
    for path, name in sorted(places.items(), key=lambda item: -len(item[0])):
        if len(path) > 1:
            text = text.replace(path, name)
    return text


def summary_html(result: Result, table: dict | None = None) -> str:
    """The student's page: points per question, every failing check's message, warnings, prints, what was stopped.

    ``table``: the export's part for this student (``grading.feedback.report.table_part``): the written answers' manual
    points and which still wait for a grader, and the whole handout's total.
    """
    from html import escape

    from grading.course.points import question_of

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    if table is None:
        per_question: dict[str, list[float]] = {}
        for gid, (score, maximum) in result.scores.items():
            row = per_question.setdefault(question_of(gid), [0.0, 0.0])
            row[0] += score
            row[1] += maximum
        rows = "".join(f"<tr><td>{q}</td><td>{s:g} / {m:g}</td></tr>" for q, (s, m) in
                       sorted(per_question.items(), key=lambda item: [int(x) for x in item[0][1:].split(".")]))
        rows = f"<table><tr><th>question</th><th>points</th></tr>{rows}</table>"
        overview = (f"<p>Automatic points: {result.total:g} of {sum(m for _, m in result.scores.values()):g}. "
                    "Written answers are graded by hand.</p>")
    else:
        rows = "".join(f"<tr><td>{q}</td><td>{number(auto)}</td><td>"
                       f"{'waiting for a grader' if waiting else number(manual)}</td><td>{number((auto or 0) + (manual or 0))}"
                       f" / {maximum:g}</td></tr>" for q, auto, manual, waiting, maximum in table["questions"])
        rows = ("<table><tr><th>question</th><th>automatic</th><th>written (by hand)</th><th>points</th></tr>"
                f"{rows}</table>")
        overview = (f"<p>Points: {table['total']:g} of {table['maximum']:g} (automatic {table['automatic']:g}, "
                    f"written answers {table['manual']:g}"
                    + (f"; {table['waiting']} written answer(s) still wait for a grader and count 0 until then"
                       if table["waiting"] else "") + ").</p>")
        if table.get("submitted") or table.get("days_late"):
            when = f"Submitted {escape(table['submitted'])}" if table.get("submitted") else "Submitted"
            late = (f", {table['days_late']} day(s) late: {table['penalty']:g} points taken off, "
                    f"{table['final']:g} of {table['maximum']:g} count" if table.get("days_late") else ", on time")
            overview += f"<p>{when}{late} ({escape(table['policy'])}).</p>"

    def items(values: list[str], empty: str = "none") -> str:
        return "".join(f"<li>{escape(v)}</li>" for v in values) or f"<li>{empty}</li>"

    failed = "".join(f"<li><code>{escape(g)}</code>: {escape(e)}</li>" for g, e in sorted(result.failed_cells.items()))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta http-equiv='Content-Security-Policy' "
            f"content=\"default-src 'none'\"><title>hw5: {escape(result.student)}</title></head>"
            f"<body><h1>hw5 grading: {escape(result.student)}</h1>{overview}{rows}"
            f"<h2>Checks that failed</h2><ul>{failed or '<li>none</li>'}</ul>"
            f"<h2>Problems with the run</h2><ul>{items(result.reasons)}</ul>"
            "<h2>Warnings your code raised</h2><p>They cost no points; fix them before the libraries change."
            f"</p><ul>{items(result.warnings)}</ul>"
            f"<h2>What your functions printed</h2><p>Printing costs no points.</p><ul>{items(result.printed)}</ul>"
            "<h2>Attempts on the grader that were stopped</h2><p>Your code runs in a sandbox and the points are "
            f"decided outside it, so these had no effect.</p><ul>{items(result.stopped)}</ul>"
            "<p>The notebooks' own feedback pages beside this one show your executed notebooks.</p></body></html>")
