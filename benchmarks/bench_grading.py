"""Autograding speed: seconds per submission and the speed-up of --jobs 2 over serial, and the full sample sweep.

Run with `make sweep` (about 30 minutes on 2 cores). Builds and releases a course under build/sweep, then:
  1. grades N submissions (default 10: the reference, the blank release and planted bugs) serially and on a
     2-worker Dask cluster (local, or --scheduler ADDRESS), prints seconds per submission (goal: no slower than
     the in-process grader of before, about 18 s of wall time per submission at --jobs 2 on 2 cores in the hour
     it was measured; this machine's speed drifts, so compare_grading.py times both side by side) and the
     speed-up, and checks that both runs give the same grade table;
  2. grades every other sample of grading/selftest/samples.py (alternatives, hostile code, attacks) with --jobs 2 and
     prints, for each, the questions it lost next to the ones it should lose.
`--count 4 --no-sweep` measures step 1 alone on four submissions (about 6 minutes).
Exits non-zero when a sample is graded other than expected or the two tables differ.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from grading.batch import autograde
from grading.batch.result_store import add_submission
from grading.course import build
from grading.course.paths import ASSIGNMENT
from grading.course.points import question_of
from grading.grader.limits import Limits
from grading.grader.result import Result
from grading.selftest import samples

ROOT = Path("build/sweep")
LIMITS = Limits(cell_timeout=60, submission_seconds=480)


def lost(result: Result) -> set[str]:
    return {question_of(gid) for gid, (score, maximum) in result.scores.items() if score < maximum}


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux's /proc/stat), None elsewhere. Taken
    over a run, it counts every process of the grading: sandboxes, kernels and workers the run's own
    accounting (getrusage) misses."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def timed(jobs: int, students: list[str], scheduler: str | None = None
          ) -> tuple[float, float | None, dict[str, Result]]:
    """Wall time and machine CPU time of grading ``students`` on a local Dask cluster of ``jobs`` workers (its
    start included), or on the cluster at ``scheduler``."""
    start, cpu = time.perf_counter(), busy_cpu_seconds()
    results = autograde.autograde(ROOT, jobs=jobs, force=True, limits=LIMITS, students=students, scheduler=scheduler)
    used = busy_cpu_seconds()
    return time.perf_counter() - start, None if cpu is None or used is None else used - cpu, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="submissions timed serially and with --jobs 2")
    parser.add_argument("--no-sweep", action="store_true", help="skip grading the other samples")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="time the parallel run on this Dask cluster instead "
                        "of a local cluster of 2 workers")
    args = parser.parse_args()
    if ROOT.exists():
        shutil.rmtree(ROOT)
    build.build_course(ROOT)
    build.release(ROOT)
    add_submission(ROOT, "reference", ROOT / "source" / ASSIGNMENT)
    add_submission(ROOT, "blank", ROOT / "release" / ASSIGNMENT)
    samples.add_samples(ROOT, list(samples.SAMPLES))
    ten = (["reference", "blank"] + [s.name for s in samples.PLANTED])[:args.count]
    n = len(ten)
    serial_s, serial_cpu, serial = timed(1, ten)
    parallel_s, parallel_cpu, parallel = timed(2, ten, args.scheduler)
    same = all(serial[s].scores == parallel[s].scores for s in ten)
    where = args.scheduler or "a local 2-worker Dask cluster (--jobs 2)"
    print(f"\n{n} submissions: serial (1 worker) {serial_s:.0f} s ({serial_s / n:.1f} s per submission), on {where} "
          f"{parallel_s:.0f} s ({parallel_s / n:.1f} s of wall time per submission; goal: no slower than before, "
          f"18 s in the hour it was measured, see compare_grading.py): speed-up "
          f"{serial_s / parallel_s:.2f}x; tables {'identical' if same else 'DIFFERENT'}")
    if serial_cpu is not None and parallel_cpu is not None and not args.scheduler:
        cores = os.cpu_count() or 1
        print(f"machine CPU time per submission: serial {serial_cpu / n:.1f} s, --jobs 2 {parallel_cpu / n:.1f} s; "
              f"on {cores} cores no schedule grades faster than {parallel_cpu / n / cores:.1f} s per submission "
              f"(serial used {serial_cpu / serial_s / cores:.0%} of the cores, --jobs 2 "
              f"{parallel_cpu / parallel_s / cores:.0%})")
    for name in ten:
        print(f"  {name:<28} serial {serial[name].seconds:5.1f} s, with --jobs 2 {parallel[name].seconds:5.1f} s")
    if args.no_sweep:
        return 0 if same else 1
    rest = [name for name in samples.SAMPLES if name not in ten]
    rest_s, _, results = timed(2, rest)
    results.update(parallel)
    print(f"{len(rest)} more samples with --jobs 2 in {rest_s:.0f} s\n")
    wrong = 0 if same else 1
    for name, sample in samples.SAMPLES.items():
        result = results[name]
        got = lost(result)
        ok = got == set(sample.loses) or (sample.loses == ("*",) and result.total == 0)
        ok = ok and all(any(words in line for line in result.stopped) for words in sample.expected_stopped())
        wrong += not ok
        print(f"{'ok ' if ok else 'BAD'} {sample.kind:<11} {name:<28} {result.total:>4g}/77 in {result.seconds:5.1f} s, "
              f"lost {sorted(got) or '-'}" + ("" if ok else f", expected {list(sample.loses)}"))
    print(f"\nreference {results['reference'].total:g}/77, blank {results['blank'].total:g}/77")
    return 1 if wrong or results["reference"].total != 77 or results["blank"].total != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
