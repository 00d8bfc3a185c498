"""Autograding speed: seconds per submission and the speed-up of --jobs 2 over serial, and the full sample sweep.

Run with `make sweep` (about 20 minutes on 2 cores). Builds and releases a course under build/sweep, then:
  1. grades 10 submissions (the reference, the blank release and eight planted bugs) serially and with
     --jobs 2, prints seconds per submission (goal: at most 60 s in the fast configuration) and the speed-up,
     and checks that both runs give the same grade table;
  2. grades every other sample of grading/samples.py with --jobs 2 and prints, for each, the questions
     it lost next to the ones it should lose.
Exits non-zero when a sample is graded other than expected or the two tables differ.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from grading import autograde, course, samples
from grading.course import ASSIGNMENT
from grading.points import question_of

ROOT = Path("build/sweep")
LIMITS = autograde.Limits(cell_timeout=60, submission_seconds=480)


def lost(result: autograde.Result) -> set[str]:
    return {question_of(gid) for gid, (score, maximum) in result.scores.items() if score < maximum}


def timed(jobs: int, students: list[str]) -> tuple[float, dict[str, autograde.Result]]:
    start = time.perf_counter()
    results = autograde.autograde(ROOT, jobs=jobs, force=True, limits=LIMITS, students=students)
    return time.perf_counter() - start, results


def main() -> int:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    course.build_course(ROOT)
    course.release(ROOT)
    autograde.add_submission(ROOT, "reference", ROOT / "source" / ASSIGNMENT)
    autograde.add_submission(ROOT, "blank", ROOT / "release" / ASSIGNMENT)
    samples.add_samples(ROOT, list(samples.SAMPLES))
    ten = ["reference", "blank"] + [s.name for s in samples.PLANTED[:8]]
    serial_s, serial = timed(1, ten)
    parallel_s, parallel = timed(2, ten)
    same = all(serial[s].scores == parallel[s].scores for s in ten)
    print(f"\n10 submissions: serial {serial_s:.0f} s ({serial_s / 10:.1f} s per submission, goal <= 60), "
          f"--jobs 2 {parallel_s:.0f} s ({parallel_s / 10:.1f} s per submission): speed-up {serial_s / parallel_s:.2f}x; "
          f"tables {'identical' if same else 'DIFFERENT'}")
    rest = [name for name in samples.SAMPLES if name not in ten]
    rest_s, results = timed(2, rest)
    results.update(parallel)
    print(f"{len(rest)} more samples with --jobs 2 in {rest_s:.0f} s\n")
    wrong = 0 if same else 1
    for name, sample in samples.SAMPLES.items():
        result = results[name]
        got = lost(result)
        ok = got == set(sample.loses) or (sample.loses == ("*",) and result.total == 0)
        wrong += not ok
        print(f"{'ok ' if ok else 'BAD'} {sample.kind:<11} {name:<28} {result.total:>4g}/77 in {result.seconds:5.1f} s, "
              f"lost {sorted(got) or '-'}" + ("" if ok else f", expected {list(sample.loses)}"))
    print(f"\nreference {results['reference'].total:g}/77, blank {results['blank'].total:g}/77")
    return 1 if wrong or results["reference"].total != 77 or results["blank"].total != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
