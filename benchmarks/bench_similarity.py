"""The similarity report's speed on N synthetic submissions (default 300): seconds and pairs compared per second.

Builds a small course folder under build/bench-similarity (no nbgrader, no notebooks: release/hw5 holds the stubs
of the student files, source/hw5 the reference, submitted/<id>/hw5 the synthetic submissions), then runs
``similarity_report`` once and prints what it took. The submissions are made from the reference's solution
regions, each student with a share of regions of their own:
  - derived regions: the reference's with local variables renamed at random, comments added, spacing changed and
    now and then a line added or dropped;
  - own regions: random NumPy statements over the function's names (nothing like anyone else's code);
  - about 10% of the students are independent (every region their own) and about 5% hand in the blank release.
So most pairs are alike in part, the many comparisons a class where most students follow the reference would
need. Prints figures only; asserts nothing about time (the goal: 300 submissions in under 2 minutes on 2 cores).

    HW5_STANDIN=1 .venv/bin/python benchmarks/bench_similarity.py [--count 300] [--seed 5] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import time
from pathlib import Path

from grading.course.paths import ASSIGNMENT, PROJECT_ROOT, SOLUTION_BEGIN, SOLUTION_END, student_files
from grading.course.stubs import strip_solutions
from grading.feedback.similarity import similarity_report

ROOT = PROJECT_ROOT / "build" / "bench-similarity"
REGION = re.compile(rf"(?P<head>^[ \t]*{re.escape(SOLUTION_BEGIN)}[ \t]*\n)(?P<body>.*?)"
                    rf"(?P<tail>^[ \t]*{re.escape(SOLUTION_END)}[ \t]*$)", re.M | re.S)
ASSIGNED = re.compile(r"^\s*(\w+)(?:\s*,\s*(\w+))?\s*=[^=]", re.M)
SYLLABLES = ["al", "be", "co", "du", "ek", "fi", "go", "ha", "ix", "jo", "ka", "lu", "mo", "ne", "or", "pi", "qu",
             "ra", "si", "tu", "ul", "vo", "wa", "xe", "yo", "zu"]
CALLS = ["np.sum({0}, axis=0)", "np.mean({0})", "np.exp(-{0})", "np.maximum({0}, {1})", "{0}.reshape(-1)",
         "np.sqrt(np.abs({0}) + {2})", "np.clip({0}, -{2}, {2})", "np.where({0} > {2}, {0}, {1})",
         "np.concatenate([{0}, {1}])", "np.dot({0}, {1})", "{0}[::{3}]", "np.log1p(np.abs({1}))",
         "sorted({0}, key=len)", "len({0}) * {2}", "np.argmax({0}, axis=-1)", "np.cumsum({1})[-1]"]


def new_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(["", "_v", "2", "_tmp"])


def derived(body: str, rng: random.Random) -> str:
    """The reference's region with its local names renamed, comments and spacing changed, a line added or lost."""
    names = {n for found in ASSIGNED.findall(body) for n in found if n and n not in ("params",)}
    for name in names:
        if rng.random() < 0.7:
            body = re.sub(rf"\b{name}\b", new_name(rng), body)
    lines = body.splitlines()
    out = []
    for line in lines:
        indent = line[:len(line) - len(line.lstrip())]
        if rng.random() < 0.2:
            out.append(f"{indent}# {rng.choice(['step', 'see the handout', 'vectorised', 'careful'])}")
        if rng.random() < 0.3:
            line = re.sub(r" ([=+*/-]) ", r"\1", line)
        if rng.random() < 0.04 and not line.lstrip().startswith("return"):
            continue
        out.append(line)
        if rng.random() < 0.05:
            out.append(f"{indent}{new_name(rng)} = {rng.choice(CALLS).format('x', 'x', rng.randint(1, 9), 2)}")
    return "\n".join(out) + "\n"


def own(body: str, rng: random.Random) -> str:
    """Random statements over the region's names: code that matches no one else's."""
    indent = re.match(r"[ \t]*", body).group(0) if body.strip() else "    "
    names = [n for found in ASSIGNED.findall(body) for n in found if n] or ["x"]
    known = list(dict.fromkeys(names + ["x"]))
    out = []
    for _ in range(max(2, len(body.splitlines()) + rng.randint(-1, 3))):
        target = new_name(rng)
        call = rng.choice(CALLS).format(rng.choice(known), rng.choice(known), round(rng.uniform(0.1, 9), 2),
                                        rng.randint(1, 4))
        out.append(f"{indent}{target} = {call}")
        known.append(target)
    if "return" in body:
        out.append(f"{indent}return {rng.choice(known[-3:])}")
    return "\n".join(out) + "\n"


def submission(reference: dict[str, str], release: dict[str, str], rng: random.Random) -> dict[str, str]:
    kind = rng.random()
    if kind < 0.05:
        return dict(release)
    share = 0.0 if kind < 0.15 else rng.uniform(0.3, 1.0)  # of the regions derived from the reference
    files = {}
    for rel, text in reference.items():
        files[rel] = REGION.sub(lambda m: m["head"] + (derived if rng.random() < share else own)(m["body"], rng)
                                + m["tail"], text)
    return files


def build(count: int, seed: int) -> Path:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    rng = random.Random(seed)
    files = student_files()
    reference = {rel: (PROJECT_ROOT / rel).read_text() for rel in files}
    release = {rel: strip_solutions(text, rel) for rel, text in reference.items()}
    layout = {"source": reference, "release": release}
    layout.update({f"submitted/s{i:04d}": submission(reference, release, rng) for i in range(count)})
    for place, texts in layout.items():
        for rel, text in texts.items():
            path = ROOT / place / ASSIGNMENT / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="synthetic submissions (default 300)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=None, help="lexing processes (default: one per core)")
    args = parser.parse_args()
    started = time.perf_counter()
    root = build(args.count, args.seed)
    built = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    summary = similarity_report(root, workers=args.workers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    shown = sum(p.page is not None for p in summary.pairs)
    print(f"\n{args.count} submissions ({len(student_files())} student files each) on {os.cpu_count()} core(s); "
          f"built in {built:.1f} s")
    print(f"similarity report: {seconds:.1f} s wall ({cpu:.1f} s CPU in this process), {summary.compared} pairs "
          f"compared, {summary.compared / seconds:,.0f} pairs/s")
    print(f"pairs at or above {summary.threshold:.0%}: {len(summary.pairs)} (CSV, "
          f"{summary.csv_path.stat().st_size / 1e6:.1f} MB); {shown} with a page (HTML index "
          f"{summary.html_path.stat().st_size / 1e6:.1f} MB)")
    print("goal: 300 submissions in under 120 s on 2 cores (not asserted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
