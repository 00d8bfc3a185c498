"""``python -m grading``: the course's grading flow, one subcommand per step (``--help`` on each).

    build      write the nbgrader course folder (nbgrader_config.py, source/hw5)
    release    build, generate the student release, strip and verify it, write a zip
    collect    copy submissions from an LMS export (Canvas, Moodle, or a folder of per-student zips or folders);
               roster.csv keeps each student's name, LMS id and submission time
    late-policy set the due date and the late penalty (none, zero, or points per day up to a cap)
    autograde  grade the collected submissions on Dask (--scheduler ADDRESS, or a local cluster of --jobs workers):
               a trusted grader decides the points while the submission's code runs in a bubblewrap sandbox;
               nbgrader runs the notebooks (sandboxed too)
    export     write grades.csv (automatic and manual points per question, totals over the handout, lateness,
               written answers still waiting) and grades_lms.csv, print the table, update the summary pages;
               --lms canvas|moodle --roster FILE: a grade file that LMS imports as it is
    similarity compare the student files of every submission with the others', the reference's and an archive's
               (--archive FOLDER): similarity.csv and similarity.html, pairs to look at, never a verdict
    samples    add sample submissions (planted bugs, alternative solutions, hostile code)
    selftest   forecast the samples' grades without nbgrader: each bug must cost its own question only
    demo       all of it on two sample submissions: the reference solution and the blank release
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.batch import autograde, collect
from grading.batch.result_store import add_submission
from grading.course.build import build_course, release
from grading.course.paths import ASSIGNMENT
from grading.feedback import report
from grading.feedback.similarity import DEFAULT_THRESHOLD, similarity_report
from grading.grader import gradcheck
from grading.grader.limits import Limits
from grading.grader.result import load_results


def _export(root: Path, args: argparse.Namespace | None = None) -> None:
    table = report.grade_table(root)
    csv_path = report.write_csv(table, root / "grades.csv")
    lms_path = report.write_lms_csv(table, root / "grades_lms.csv")
    report.write_summaries(root, table)
    print(report.format_table(table))
    for student, problem in report.problems(root).items():
        print(f"  {student}: {problem}")
    print(f"\ngrades: {csv_path} (every point), {lms_path} (id and final points)\n"
          f"feedback: {root / 'feedback'}/<student>/{ASSIGNMENT}/summary.html and one page per notebook")
    if args is not None and getattr(args, "lms", None):
        _lms_export(root, table, args)


def _lms_export(root: Path, table: report.GradeTable, args: argparse.Namespace) -> None:
    from grading.course.roster import read_roster
    from grading.feedback import lms_grades

    if args.roster is None:
        raise ValueError(f"--lms {args.lms} needs --roster: the LMS's own export of its students (Canvas: the "
                         "gradebook's CSV export; Moodle: the assignment's grading worksheet)")
    totals = {student: row.final for student, row in table.rows.items()}
    out = root / f"grades_{args.lms}.csv"
    make = lms_grades.canvas_file if args.lms == "canvas" else lms_grades.moodle_file
    extra = {"column": args.column} if args.lms == "canvas" else {"key": args.key}
    written = make(args.roster, totals, read_roster(root), table.maximum, out, missing=args.missing, **extra)
    print(f"{args.lms}: {written.path} ({len(written.matched)} students with grades), to import as it is")
    if written.without_submission:
        print(f"  in the roster without a submission ({'0' if args.missing == 'zero' else 'left empty'}): "
              + "; ".join(written.without_submission))  # Canvas's names hold commas
    if written.not_in_roster:
        print(f"  graded but not in the roster (not in the file): {', '.join(written.not_in_roster)}", file=sys.stderr)


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(cell_timeout=args.cell_timeout, submission_seconds=args.time_limit,
                            memory_gb=args.memory_gb, disk_gb=args.disk_gb)


def _selftest(root: Path, jobs: int) -> int:
    from grading.selftest.forecast import selftest
    from grading.selftest.samples import ALTERNATIVES, PLANTED

    names = [sample.name for sample in PLANTED + ALTERNATIVES]  # hostile code and attacks: the sweep
    outcome = selftest(root, names, jobs=jobs)
    wrong = 0
    for name, (lost, expected, failures) in outcome.items():
        ok = lost == expected
        wrong += not ok
        print(f"{'ok ' if ok else 'BAD'} {name:<28} lost {sorted(lost) or '-'}"
              + ("" if ok else f"; expected {sorted(expected) or '-'}: {failures}"))
    return 1 if wrong else 0


def main(argv: list[str] | None = None) -> int:
    """Run one step of the grading flow."""
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=Path("build/course"), help="course folder (default: build/course)")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("build", help="write the course folder: nbgrader_config.py and source/hw5")
    steps.add_parser("release", help="build, generate the student release, strip and verify it, write a zip")
    collect_step = steps.add_parser("collect", help="copy submissions from an LMS export into submitted/ and record "
                                    "who and when in roster.csv")
    collect_step.add_argument("export", type=Path, help="the export: Canvas's or Moodle's zip (or the folder it "
                              "unpacks to), or a folder holding one zip or folder per student")
    late_step = steps.add_parser("late-policy", help="set the due date and the late penalty (late_policy.toml)")
    late_step.add_argument("--due", required=True, help="ISO 8601 with the UTC offset, e.g. 2026-12-01T23:59:00+01:00")
    late_step.add_argument("--penalty", choices=("none", "zero", "per-day"), default="per-day",
                           help="none: lateness shown only; zero: a late submission scores 0; per-day (default): "
                                "--per-day points per day or part of a day late, at most --cap")
    late_step.add_argument("--per-day", type=float, default=0.0, metavar="POINTS")
    late_step.add_argument("--cap", type=float, default=float("inf"), metavar="POINTS")
    late_step.add_argument("--grace-minutes", type=float, default=0.0, metavar="M")
    grade_step = steps.add_parser("autograde", help="grade the collected submissions (trusted grader, sandboxed code, nbgrader for the notebooks); "
                                  "a rerun grades only new or changed submissions")
    demo_step = steps.add_parser("demo", help="build, release, autograde the reference and the blank release, export")
    for step in (grade_step, demo_step):
        defaults = Limits()
        step.add_argument("--jobs", type=int, default=2, help="submissions graded at a time (default: 2)")
        step.add_argument("--force", action="store_true", help="grade again even where a current result exists")
        step.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout, metavar="S",
                          help=f"seconds one cell may run (default: {defaults.cell_timeout})")
        step.add_argument("--time-limit", type=int, default=defaults.submission_seconds, metavar="S",
                          help=f"seconds a whole submission may take (default: {defaults.submission_seconds})")
        step.add_argument("--memory-gb", type=float, default=defaults.memory_gb, metavar="GB",
                          help=f"address-space limit of a submission's processes (default: {defaults.memory_gb})")
        step.add_argument("--disk-gb", type=float, default=defaults.disk_gb, metavar="GB",
                          help=f"what each sandbox of a submission may write, in GiB (default: {defaults.disk_gb})")
        step.add_argument("--scheduler", metavar="ADDRESS",
                          help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786); by default "
                               "on a local cluster of --jobs workers")
        step.add_argument("--unsandboxed", action="store_true",
                          help="grade without bubblewrap where it cannot run (the submission's code then runs as you, "
                               "with the network and your files; recorded in every result)")
    grade_step.add_argument("--similarity", action="store_true",
                            help="after grading, write the similarity report (as the similarity step does)")
    similar_step = steps.add_parser("similarity", help="compare the submissions' student files with each other, the "
                                    "reference and an archive: similarity.csv and similarity.html (pairs to look at, "
                                    "not a verdict)")
    similar_step.add_argument("--archive", type=Path, metavar="FOLDER",
                              help="earlier years' submissions (<id>/hw5/... or <id>/... folders), compared with "
                                   "this year's only")
    similar_step.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SHARE",
                              help=f"list the pairs scoring at least this, 0 to 1 (default: {DEFAULT_THRESHOLD})")
    export_step = steps.add_parser("export", help="write grades.csv (every point) and grades_lms.csv (id, final "
                                   "points), print the table and update each student's summary.html")
    export_step.add_argument("--lms", choices=("canvas", "moodle"),
                             help="also write grades_<lms>.csv, which that LMS imports as it is (needs --roster)")
    export_step.add_argument("--roster", type=Path, metavar="CSV",
                             help="the LMS's export of its students: Canvas's gradebook CSV, Moodle's grading "
                                  "worksheet (or, with --key, any CSV of Moodle's participants)")
    export_step.add_argument("--column", help="Canvas: the assignment's column, 'title (id)' (default: the one "
                             "whose title holds hw5)")
    export_step.add_argument("--key", help="Moodle, for a CSV other than the grading worksheet: the identifier "
                             "column Moodle's import maps (e.g. 'Email address')")
    export_step.add_argument("--missing", choices=("zero", "empty"), default="zero",
                             help="what a roster row without a submission gets (default: zero)")
    sample_step = steps.add_parser("samples", help="add sample submissions (planted bugs, alternative solutions, "
                                   "hostile code) to submitted/ to test the autograder")
    sample_step.add_argument("names", nargs="*", help="sample names (default: all); see grading/selftest/samples.py")
    selftest_step = steps.add_parser("selftest", help="forecast every sample's grade without nbgrader (seconds "
                                     "each) and check each planted bug costs its own question only")
    selftest_step.add_argument("--jobs", type=int, default=2, help="samples checked at a time (default: 2)")
    args = parser.parse_args(argv)
    root = args.course
    try:
        if args.step == "demo":

            if gradcheck.print_demo_checks():
                raise RuntimeError("a backward pass of hw5lib.nn disagrees with central differences")
        if args.step in ("build", "release", "demo"):
            print(f"course source written: {build_course(root)}")
        if args.step in ("release", "demo"):
            print(f"release verified and zipped: {release(root)}")
        if args.step == "collect":
            result = collect.collect(args.export, root)
            print(f"collected {len(result.collected)}: {', '.join(result.collected) or '-'}")
            for name, problem in result.problems.items():
                print(f"  skipped {name}: {problem}", file=sys.stderr)
            if result.collected:
                print(f"who and when: {root / 'roster.csv'}")
        if args.step == "late-policy":
            from grading.course.late_policy import LatePolicy, parse_due, write_policy

            due = parse_due(args.due, f"--due {args.due!r}")
            if args.penalty == "per-day" and args.per_day <= 0:
                raise ValueError("--penalty per-day needs --per-day POINTS (the points a day late costs); "
                                 "--penalty none shows lateness without taking points")
            policy = LatePolicy(due, args.penalty, args.per_day, args.cap, args.grace_minutes)
            print(f"{write_policy(root, policy)}: {policy.describe()}")
        if args.step == "demo":
            add_submission(root, "reference", root / "source" / ASSIGNMENT)
            add_submission(root, "blank", root / "release" / ASSIGNMENT)
            print("autograding two sample submissions (the reference solution, the blank release)...")
        if args.step == "samples":
            from grading.selftest.samples import SAMPLES, add_samples

            print("added:", ", ".join(add_samples(root, args.names or list(SAMPLES))))
        if args.step == "selftest":
            return _selftest(root, args.jobs)
        if args.step in ("autograde", "demo"):
            if args.unsandboxed:
                print(f"WARNING: {autograde.sandbox.UNSANDBOXED_RISK}", file=sys.stderr)
            graded = autograde.autograde(root, jobs=args.jobs, force=args.force or args.step == "demo",
                                         limits=_limits(args), unsandboxed=args.unsandboxed, scheduler=args.scheduler)
            print(f"graded {len(graded)} submission(s); {len(autograde.submissions(root)) - len(graded)} "
                  "already had a current result" + ("" if args.force else " (use --force to grade them again)"))
        if args.step == "similarity" or (args.step == "autograde" and args.similarity):
            print(similarity_report(root, archive=getattr(args, "archive", None),
                                    threshold=getattr(args, "threshold", DEFAULT_THRESHOLD)))
        if args.step in ("export", "demo"):
            _export(root, args)
        if args.step == "demo":
            return _demo_verdict(root)
    except (RuntimeError, ValueError) as exc:
        print(f"{args.step} failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo_verdict(root: Path) -> int:
    """0 when the reference scores every automatic point and the blank release none, else 1 with the reason."""
    results = load_results(root)
    maximum = sum(m for _, m in results["reference"].scores.values())
    expected = {"reference": maximum, "blank": 0}
    wrong = [name for name, want in expected.items() if results[name].total != want]
    for name in wrong:
        print(f"demo: {name} scored {results[name].total:g} of {maximum:g} automatic points, expected "
              f"{expected[name]:g}; see {root / 'feedback' / name / ASSIGNMENT / 'summary.html'}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
