"""``python -m grading``: the course's grading flow, one subcommand per step (``--help`` on each).

    build      write the nbgrader course folder (nbgrader_config.py, source/hw5)
    release    build, generate the student release, strip and verify it, write a zip
    collect    copy submissions from an LMS export (a folder of per-student zips or folders)
    autograde  autograde every collected submission with nbgrader
    export     write grades.csv (automatic points per question) and HTML feedback, print the table
    demo       all of it on two sample submissions: the reference solution and the blank release
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading import autograde, collect, report
from grading.course import ASSIGNMENT, build_course, release


def _export(root: Path) -> None:
    grades = report.question_table(root)
    csv_path = report.write_csv(grades, root / "grades.csv")
    feedback = report.generate_feedback(root)
    print(report.format_table(grades))
    print(f"\ngrades: {csv_path}\nfeedback: {feedback}/<student>/{ASSIGNMENT}/*.html")


def main(argv: list[str] | None = None) -> int:
    """Run one step of the grading flow."""
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=Path("build/course"), help="course folder (default: build/course)")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("build", help="write the course folder: nbgrader_config.py and source/hw5")
    steps.add_parser("release", help="build, generate the student release, strip and verify it, write a zip")
    collect_step = steps.add_parser("collect", help="copy submissions from an LMS export into submitted/")
    collect_step.add_argument("export", type=Path, help="folder holding one zip or folder per student")
    steps.add_parser("autograde", help="autograde every collected submission with nbgrader")
    steps.add_parser("export", help="write grades.csv and HTML feedback, print the table")
    steps.add_parser("demo", help="build, release, autograde the reference and the blank release, export")
    args = parser.parse_args(argv)
    root = args.course
    try:
        if args.step in ("build", "release", "demo"):
            print(f"course source written: {build_course(root)}")
        if args.step in ("release", "demo"):
            print(f"release verified and zipped: {release(root)}")
        if args.step == "collect":
            result = collect.collect(args.export, root)
            print(f"collected {len(result.collected)}: {', '.join(result.collected) or '-'}")
            for name, problem in result.problems.items():
                print(f"  skipped {name}: {problem}", file=sys.stderr)
        if args.step == "demo":
            autograde.add_submission(root, "reference", root / "source" / ASSIGNMENT)
            autograde.add_submission(root, "blank", root / "release" / ASSIGNMENT)
            print("autograding two sample submissions (the reference solution, the blank release)...")
        if args.step in ("autograde", "demo"):
            autograde.autograde(root)
        if args.step in ("export", "demo"):
            _export(root)
    except RuntimeError as exc:
        print(f"{args.step} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
