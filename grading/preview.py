"""A quick forecast of automatic points without nbgrader: run every grade cell's checks against a submission.

Grading-time checks depend only on hw5lib (``hw5lib.isolation`` swaps in the reference copies, and the
value checks retrain or use the reference networks), so running the grade cells of the course's source
notebooks in a fresh interpreter, in a copy of the submission with the reference copies beside it, predicts
which questions lose points in seconds instead of a minute per submission. ``python -m grading selftest``
uses it to confirm every sample of ``grading.samples`` before a real sweep.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grading.course import ASSIGNMENT
from grading.points import question_of
from hw5lib.isolation import REFERENCE_FOLDER

_RUNNER = '''
import json, sys
sys.path.insert(0, ".")
from hw5lib import checks, config
outcome = {}
for grade_id, source in json.load(open("grade_cells.json")).items():
    settings = config.q4_settings() if grade_id.startswith("q4") else config.q3_settings()
    names = {"checks": checks, "settings": settings, "history": {}, "validation_psnr": float("nan"), "params": {}}
    try:
        exec(compile(source, grade_id, "exec"), names)
        outcome[grade_id] = ""
    except BaseException as exc:
        outcome[grade_id] = f"{type(exc).__name__}: {exc}"[:300]
print("OUTCOME" + json.dumps(outcome))
'''


def grade_cells(source: Path) -> dict[str, str]:
    """{grade_id: source} of the automatically graded cells of the source notebooks (hidden tests included)."""
    import nbformat

    cells = {}
    for path in sorted(source.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                cells[meta["grade_id"]] = cell.source
    return cells


def preview(course: Path, submission: Path, timeout: int = 300) -> dict[str, str]:
    """{grade_id: '' if it passes, else the error} for one submission folder, in grading mode."""
    source = course / "source" / ASSIGNMENT
    with tempfile.TemporaryDirectory(prefix="hw5-preview-") as tmp:
        work = Path(tmp)
        shutil.copytree(submission / "hw5lib", work / "hw5lib", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(source / REFERENCE_FOLDER, work / REFERENCE_FOLDER)
        for name in _provided_names(source):  # provided files are the instructor's, as nbgrader makes them
            shutil.copy2(source / "hw5lib" / name, work / "hw5lib" / name)
        (work / "grade_cells.json").write_text(json.dumps(grade_cells(source)))
        (work / "run.py").write_text(_RUNNER)
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        try:
            run = subprocess.run([sys.executable, "run.py"], cwd=work, capture_output=True, text=True, env=env,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"*": f"timed out after {timeout} s"}
        lines = [line for line in run.stdout.splitlines() if line.startswith("OUTCOME")]
        if not lines:
            return {"*": f"the checks did not run: {run.stderr.strip()[-300:]}"}
        return json.loads(lines[-1][len("OUTCOME"):])


def _provided_names(source: Path) -> set[str]:
    from grading.layout import student_files

    own = {Path(rel).name for rel in student_files()}
    return {p.name for p in (source / "hw5lib").glob("*.py") if p.name not in own}


def lost_questions(outcome: dict[str, str]) -> set[str]:
    """The questions with a failing grade cell ('*' when nothing could run)."""
    return {"*" if gid == "*" else question_of(gid) for gid, error in outcome.items() if error}


def selftest(course: Path, names: list[str], jobs: int = 2) -> dict[str, tuple[set[str], set[str], dict[str, str]]]:
    """{sample: (questions lost, questions expected to be lost, failures)} for the named samples."""
    from grading.samples import SAMPLES, write_sample

    if not (course / "source" / ASSIGNMENT / REFERENCE_FOLDER).is_dir():
        raise RuntimeError(f"{course} holds no built course: run `python -m grading --course {course} build` first")

    def one(name: str):
        with tempfile.TemporaryDirectory(prefix="hw5-sample-") as tmp:
            folder = write_sample(course / "source" / ASSIGNMENT, SAMPLES[name], Path(tmp) / ASSIGNMENT)
            outcome = preview(course, folder)
        failures = {gid: error for gid, error in outcome.items() if error}
        return name, (lost_questions(outcome), set(SAMPLES[name].loses), failures)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(pool.map(one, names))
