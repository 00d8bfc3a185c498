"""The autograder against an earlier revision, side by side on this machine: seconds and CPU per submission.

This machine's speed drifts by a third between hours (the same code graded in 19 s and in 25 s per
submission), so "no slower than before" is judged by alternating runs of both, not against a figure of
another day. The baseline (default: d411790, the last commit before the trusted grader) is checked out as a
git worktree under build/, each revision builds its own course with its own code, and both grade the same
submissions (the reference, the blank release and planted bugs both know) with --jobs 2, in turns.

    PYTHONPATH=. .venv/bin/python benchmarks/compare_grading.py [--baseline REV] [--rounds 2] [--count 9]

About 4 minutes per round and revision. Exits non-zero when the two give different totals.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_grading import busy_cpu_seconds

BASELINE = "d411790"
PROJECT = Path(__file__).resolve().parent.parent
# run in each revision's own tree: builds its course once (given no jobs), else grades the named submissions
DRIVER = """
import json, sys
from pathlib import Path
from grading import autograde, course, samples
from grading.course.build import ASSIGNMENT
root, jobs, wanted = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
if not (root / "gradebook.db").is_file():
    course.build_course(root)
    course.release(root)
    autograde.add_submission(root, "reference", root / "source" / ASSIGNMENT)
    autograde.add_submission(root, "blank", root / "release" / ASSIGNMENT)
    samples.add_samples(root, [name for name in wanted if name in samples.SAMPLES])
names = [name for name in wanted if (root / "submitted" / name).is_dir()]
results = {}
if jobs:
    limits = autograde.Limits(cell_timeout=60, submission_seconds=480)
    graded = autograde.autograde(root, jobs=jobs, force=True, limits=limits, students=names, progress=False)
    results = {name: result.total for name, result in graded.items()}
print("RESULT " + json.dumps({"names": names, "totals": results}))
"""


def drive(tree: Path, jobs: int, names: list[str]) -> tuple[dict, float, float | None]:
    """Run DRIVER in ``tree``: its output, wall seconds and machine CPU seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree), HW5_STANDIN="1")
    start, cpu = time.perf_counter(), busy_cpu_seconds()
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tree / "build" / "compare"), str(jobs), *names],
                          cwd=tree, env=env, capture_output=True, text=True)
    wall, used = time.perf_counter() - start, busy_cpu_seconds()
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"grading in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):]), wall, None if cpu is None or used is None else used - cpu


def baseline_tree(revision: str) -> Path:
    """A worktree of ``revision`` under build/ (made once)."""
    tree = PROJECT / "build" / f"baseline-{revision}"
    if not tree.is_dir():
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", str(tree), revision], check=True)
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="the earlier revision (a git commit)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each revision")
    parser.add_argument("--count", type=int, default=9, help="submissions graded in each run")
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    from grading.selftest import samples

    wanted = (["reference", "blank"] + [sample.name for sample in samples.PLANTED])
    trees = {"baseline " + args.baseline: baseline_tree(args.baseline), "this tree": PROJECT}
    for tree in trees.values():  # each builds its course; only submissions both have are graded
        known = drive(tree, 0, wanted)[0]["names"]
        wanted = [name for name in wanted if name in known]
    names = wanted[:args.count]
    print(f"{len(names)} submissions, --jobs 2: {', '.join(names)}")
    seconds: dict[str, list[float]] = {label: [] for label in trees}
    totals: dict[str, dict] = {}
    for round_ in range(1, args.rounds + 1):
        for label, tree in trees.items():
            out, wall, cpu = drive(tree, 2, names)
            totals[label] = out["totals"]
            seconds[label].append(wall / len(names))
            cpu_text = "" if cpu is None else f", {cpu / len(names):.1f} s of CPU"
            print(f"  round {round_}: {label:<20} {wall / len(names):5.1f} s per submission{cpu_text}", flush=True)
    old, new = (statistics.median(values) for values in seconds.values())
    same = len({json.dumps(t, sort_keys=True) for t in totals.values()}) == 1
    print(f"median: baseline {old:.1f} s, this tree {new:.1f} s per submission; ratio {new / old:.2f} "
          f"({'faster' if new < old else 'slower'}); totals {'identical' if same else 'DIFFERENT: ' + str(totals)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
