"""``python -m grading``: build the nbgrader course folder and release the assignment to students."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.course import build_course, release


def main(argv: list[str] | None = None) -> int:
    """Entry point with one subcommand per step of the grading flow."""
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    parser.add_argument("--course", type=Path, default=Path("build/course"), help="course folder (default: build/course)")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("build", help="write the course folder: nbgrader_config.py and source/hw5")
    steps.add_parser("release", help="build, generate the student release, strip and verify it, write a zip")
    args = parser.parse_args(argv)
    source = build_course(args.course)
    print(f"course source written: {source}")
    if args.step == "release":
        try:
            archive = release(args.course)
        except RuntimeError as exc:
            print(f"release failed: {exc}", file=sys.stderr)
            return 1
        print(f"release verified and zipped: {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
