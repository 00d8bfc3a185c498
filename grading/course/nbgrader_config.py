"""nbgrader's configuration, written in one place: the course's ``nbgrader_config.py`` (``course_config``),
the sandboxed notebook run's (the same, with outputs limited as they come in), and the feedback's (a traitlets
``Config`` for nbgrader's API in this process)."""

from __future__ import annotations

from grading.course.paths import ASSIGNMENT, IGNORED, student_files

_COURSE = '''\
# Written by `python -m grading build`; edit grading/ in the project instead.
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
# the release/collect exchange of a shared JupyterHub is not used: submissions come in with `collect`
c.Exchange.root = {root!r} + "/exchange"
c.CourseDirectory.ignore = {ignore!r}
# Student-fillable files stay the student's at autograde time; every other file is replaced by the
# instructor's copy (from pyproject.toml [tool.hw5.student-files]).
c.Autograde.exclude_overwriting = {{{assignment!r}: {student_files!r}}}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = {cell_timeout}  # seconds per cell
'''
# The instructor's formgrader only: what it renders of a submission is made inert first (grading.feedback.inert),
# with nbconvert's own sanitiser behind it.
_FORMGRADER = '''\
c.HTMLExporter.preprocessors = ["grading.feedback.inert_preprocessor.InertNotebook"]
c.HTMLExporter.sanitize_html = True
'''
COURSE_ID = "hw5"
IGNORE = [*IGNORED, "feedback"]  # what nbgrader never treats as part of a submission


def course_config(root: str, cell_timeout: int) -> str:
    """The course's ``nbgrader_config.py`` (formgrader's included)."""
    return _course(root, cell_timeout) + _FORMGRADER


def notebook_run_config(root: str, cell_timeout: int) -> str:
    """The ``nbgrader_config.py`` of a sandboxed notebook run: the course's, executing with
    ``output_limits.LimitedExecute`` (copied beside it, found on the path as the run starts in its course folder)
    in place of nbgrader's ``Execute``."""
    from nbgrader.converters.autograde import Autograde

    steps = [f"{step.__module__}.{step.__name__}" for step in Autograde.class_traits()["autograde_preprocessors"].default()]
    steps = ["output_limits.LimitedExecute" if step.endswith(".Execute") else step for step in steps]
    return (_course(root, cell_timeout) + "# outputs are limited as they come in (grading/sandbox/inside/output_limits.py)\n"
            f"c.Autograde.autograde_preprocessors = {steps!r}\n")


def feedback_config(root: str, exporter: type):
    """The traitlets ``Config`` with which nbgrader's API writes a student's feedback pages in this process."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = root
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.ignore = IGNORE
    config.GenerateFeedback.exporter_class = exporter
    config.HTMLExporter.sanitize_html = True  # behind grading.feedback.inert: nbconvert's own sanitiser of outputs
    return config


def _course(root: str, cell_timeout: int) -> str:
    return _COURSE.format(root=root, course_id=COURSE_ID, ignore=IGNORE, assignment=ASSIGNMENT,
                          student_files=student_files(), cell_timeout=cell_timeout)
