"""One locked set of packages: the locks in requirements/ agree with pyproject.toml and with each other, environment.yml
pins their versions, the release's requirements.txt is the students' lock, and .venv holds the locked versions."""

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from grading.course import locks
from grading.course.paths import PROJECT_ROOT

LOCKS = locks.Locks()


def test_the_locks_agree_with_pyproject_and_each_other():
    assert LOCKS.disagreements() == []


@pytest.fixture
def project(tmp_path):
    """A copy of the project's pyproject.toml, requirements/ and environment.yml to break."""
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", tmp_path)
    shutil.copy2(PROJECT_ROOT / "environment.yml", tmp_path)
    shutil.copytree(PROJECT_ROOT / "requirements", tmp_path / "requirements")
    return locks.Locks(tmp_path)


def test_a_range_the_lock_no_longer_meets_is_named(project):
    numpy = locks.pins(project.students)["numpy"]
    major = int(numpy.split(".")[0])
    text = project.pyproject.read_text().replace('"numpy>=1.26"', f'"numpy>={major + 1}"')
    project.pyproject.write_text(text)
    problems = project.disagreements()
    assert f"requirements/instructors.txt pins numpy=={numpy}, outside pyproject.toml's 'numpy>={major + 1}': " \
           "run `make lock`" in problems
    assert any("students.in is not pyproject.toml's dependencies" in p for p in problems)


def test_a_new_dependency_missing_from_the_lock_is_named(project):
    text = project.pyproject.read_text().replace('"rapidfuzz>=3.0",', '"rapidfuzz>=3.0",\n    "h5py>=3.0",')
    project.pyproject.write_text(text)
    problems = project.disagreements()
    for lock in ("instructors", "students"):
        assert f"h5py is declared in pyproject.toml but not pinned in requirements/{lock}.txt: run `make lock`" \
            in problems


def test_students_and_instructors_with_different_versions_are_named(project):
    tqdm = locks.pins(project.students)["tqdm"]
    project.students.write_text(project.students.read_text().replace(f"tqdm=={tqdm}", "tqdm==4.66.0"))
    assert f"the students' lock pins tqdm==4.66.0, the instructors' {tqdm}: run `make lock`" in project.disagreements()


def test_a_pin_without_hashes_and_a_package_pinned_twice_are_named(project):
    text = project.instructors.read_text()
    project.instructors.write_text(text + "tqdm==4.66.0 ; sys_platform == 'win32'\n")
    problems = project.disagreements()
    assert "requirements/instructors.txt pins tqdm more than once: one version for every platform is the rule; " \
           "run `make lock`" in problems
    assert "requirements/instructors.txt pins tqdm without hashes: run `make lock`" in problems


def test_environment_yml_pins_the_instructors_versions_of_every_declared_requirement():
    environment = yaml.safe_load(LOCKS.environment.read_text())
    assert environment["channels"] == ["conda-forge"]
    listed = {}
    for entry in environment["dependencies"]:
        for line in entry["pip"] if isinstance(entry, dict) else [entry]:
            if not line.startswith(("python", "pip")) or "==" in line:
                name, version = line.split("==")
                listed[locks.normalise(name.split("[")[0])] = version
    declared = {locks.normalise(r.split(">")[0].split("[")[0]) for r in LOCKS.declared(locks.INSTRUCTOR_EXTRAS)}
    assert set(listed) == declared
    pinned = locks.pins(LOCKS.instructors)
    assert {name: pinned[name] for name in listed} == listed


def test_one_lock_serves_every_platform_and_python_from_3_11():
    text = LOCKS.instructors.read_text()
    assert "colorama==" in text and "sys_platform == 'win32'" in text  # pytest's Windows-only dependency
    assert "appnope==" in text and "sys_platform == 'darwin'" in text  # and ipykernel's macOS-only one
    assert "python_full_version < '3.12'" in text  # backports the newer Pythons do without
    for lock in (LOCKS.instructors, LOCKS.students):
        assert "--hash=sha256:" in lock.read_text() and locks.pins(lock)


def test_the_release_installs_the_students_lock():
    text = locks.release_requirements()
    assert text.startswith("# The packages this homework was tested with")
    assert locks.pins(LOCKS.students) == {
        locks.normalise(n): v for n, v in (line.split(" ")[0].split("==") for line in text.splitlines()
                                           if "==" in line and not line.startswith((" ", "#")))}
    assert "nbgrader" not in locks.pins(LOCKS.students) and "dask" not in locks.pins(LOCKS.students)


@pytest.mark.skipif(Path(sys.prefix).resolve() != (PROJECT_ROOT / ".venv").resolve(),
                    reason="the lock describes the project's .venv (make test-latest runs newer versions on purpose)")
def test_the_project_environment_holds_the_locked_versions():
    assert locks.differences_from_the_lock() == {}, "run `make venv` (the lock changed since .venv was made)"
