"""The nbgrader course folder: source built from notebooks/ and hw5lib/, and the student release."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from grading.course import expected_values, locks
from grading.course.nbgrader_config import course_config
from grading.course.paths import (
    ASSIGNMENT, GRADER_FOLDER, HIDDEN_BEGIN, HIDDEN_END, PROJECT_ROOT, ignored, provided_files, student_files)
from grading.course.reference_networks import train_reference_network
from grading.course.stubs import strip_solutions
from grading.course.verify import solution_lines, verify_release


def build_course(root: Path, cell_timeout: int = 120) -> Path:
    """Write root/nbgrader_config.py, root/source/hw5/ (the notebooks and hw5lib with the reference solutions)
    and root/grader/ (the networks the trusted grader reads pages and measures PSNR with)."""
    source = root / "source" / ASSIGNMENT
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for notebook in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, source / notebook.name)
    stale = expected_values.stale()
    if stale:
        raise RuntimeError("the public checks' stored values are out of date (" + "; ".join(stale[:3]) + "): run "
                           "`python -m grading.course.expected_values` and commit hw5lib/checks/expected_values.npz")
    declared = set(student_files()) | set(provided_files())
    shutil.copytree(PROJECT_ROOT / "hw5lib", source / "hw5lib", ignore=lambda folder, names: [
        name for name in names if name == "__pycache__" or (Path(folder) / name).is_file()
        and (Path(folder) / name).relative_to(PROJECT_ROOT).as_posix() not in declared])
    (source / "requirements.txt").write_text(locks.release_requirements())
    networks = root / GRADER_FOLDER
    networks.mkdir(parents=True, exist_ok=True)
    train_reference_networks(networks)
    (root / "nbgrader_config.py").write_text(course_config(str(root.resolve()), cell_timeout))
    return source


def train_reference_networks(folder: Path) -> None:
    """Train the Q3 classifier and the Q4 autoencoder once with the reference code, in the grading configuration.

    Grading reads the sample pages with the classifier and measures the student's PSNR on the autoencoder's
    output, so those checks do not depend on the student's other answers and do not retrain per submission.
    """
    from hw5lib import config, weights

    for kind, settings in (("classifier", config.q3_settings(fast=True)), ("autoencoder", config.q4_settings(fast=True))):
        weights.save_params(folder / f"{kind}.npz", train_reference_network(kind, settings))


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder with this interpreter's nbgrader (and its tools on PATH).

    Raises RuntimeError with the end of nbgrader's output when the command fails.
    """
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {args[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


def release(root: Path) -> Path:
    """Generate the student release, strip the .py solutions, verify it and zip it; return the zip's path."""
    result = nbgrader(root, "generate_assignment", ASSIGNMENT, "--force", "--create")
    released = root / "release" / ASSIGNMENT
    if not released.is_dir():
        raise RuntimeError(f"nbgrader generate_assignment wrote no {released}:\n{result.stdout[-2000:]}")
    for rel in student_files():
        path = released / rel
        path.write_text(strip_solutions(path.read_text(), rel))
    secrets = solution_lines({rel: (root / "source" / ASSIGNMENT / rel).read_text() for rel in student_files()})
    secrets |= _notebook_solution_lines(root / "source" / ASSIGNMENT)
    problems = verify_release(released, secrets)
    if problems:
        raise RuntimeError("the release is not fit to hand out:\n  " + "\n  ".join(problems))
    return write_zip(released, root / f"{ASSIGNMENT}_release.zip")


def _notebook_solution_lines(source: Path) -> set[str]:
    """Long lines of the reference answers in the notebooks (written answers and hidden tests)."""
    import nbformat

    secrets = set()
    for path in source.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "markdown":
                secrets |= {line.strip() for line in cell.source.splitlines() if len(line.strip()) >= 40}
            if HIDDEN_BEGIN in cell.source:
                hidden = cell.source.split(HIDDEN_BEGIN)[1].split(HIDDEN_END)[0]
                secrets |= {line.strip() for line in hidden.splitlines() if len(line.strip()) >= 25}
    return secrets


def write_zip(folder: Path, archive: Path) -> Path:
    """Zip a release folder (without caches) for students."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not ignored(path.relative_to(folder)):
                zf.write(path, Path(folder.name) / path.relative_to(folder))
    return archive
