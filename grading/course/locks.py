"""The locked package versions everyone installs, in requirements/.

- ``students.txt``: the students' set, pyproject.toml's dependencies; the release's requirements.txt is this file.
- ``instructors.txt``: adds the extras "grading" and "test"; ``.venv`` (`make test`, `make demo`), CI and Dask workers.

Both are made by uv for Python 3.11 and newer on Linux, macOS and Windows: exact versions with the hashes of every
file, one version of each package for all of them, the students' versions those of the instructors'. environment.yml
pins the same versions for conda-forge. ``python -m grading.course.locks`` makes all of them again after a change of
pyproject.toml, keeping the versions it can; ``--upgrade`` (`make lock`) moves every package to its newest allowed
version. ``disagreements`` lists what no longer agrees (tests/test_lock.py).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as normalise  # PEP 503: 'Scikit_Image' -> 'scikit-image'

from grading.course.paths import PROJECT_ROOT

OLDEST_PYTHON = "3.11"
INSTRUCTOR_EXTRAS = ("grading", "test")
# packages environment.yml installs with pip: not on conda-forge under the same name (dask[distributed] stays with
# pip so that its extra means what it means on PyPI)
PIP_ONLY = {"hershey-fonts", "dask", "copydetect"}
# a pin of uv's output: ``name[extras]==version ; marker``, then `` \`` when hash lines follow
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)"
                 r"(?: ;(?P<marker>[^\\\n]*))?(?P<hashes>\s*\\)?$", re.M)
UV_OPTIONS = ("--universal", "--python-version", OLDEST_PYTHON, "--fork-strategy", "fewest", "--generate-hashes",
              "--custom-compile-command", "make lock", "--quiet")


class Locks:
    """The files of one project: pyproject.toml, requirements/ and environment.yml."""

    def __init__(self, root: Path = PROJECT_ROOT) -> None:
        self.root = root
        self.pyproject = root / "pyproject.toml"
        self.folder = root / "requirements"
        self.instructors = self.folder / "instructors.txt"
        self.students = self.folder / "students.txt"
        self.students_in = self.folder / "students.in"
        self.environment = root / "environment.yml"

    def declared(self, extras: tuple[str, ...] = ()) -> list[str]:
        """pyproject.toml's requirements: the dependencies and those of ``extras``."""
        with open(self.pyproject, "rb") as fh:
            project = tomllib.load(fh)["project"]
        return list(project["dependencies"]) + [r for extra in extras for r in project["optional-dependencies"][extra]]

    def students_input(self) -> str:
        """What uv reads for the students' set (requirements/students.in)."""
        return ("# The students' packages: pyproject.toml's dependencies (written by `make lock`; do not edit)\n"
                + "\n".join(self.declared()) + "\n")

    def environment_yml(self) -> str:
        """environment.yml: conda-forge with the instructors' versions of every requirement pyproject.toml declares."""
        pinned = pins(self.instructors)
        conda, pip = [], []
        for requirement in map(Requirement, self.declared(INSTRUCTOR_EXTRAS)):
            name = normalise(requirement.name)
            version = pinned.get(name, "missing-from-the-lock")
            if name in PIP_ONLY:
                extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
                pip.append(f"{name}{extras}=={version}")
            else:
                conda.append(f"{name}=={version}")
        lines = ["# Conda environment for the hw5 bundle: the versions of requirements/instructors.txt (written by",
                 "# `make lock`; tests/test_lock.py checks that they agree).",
                 "#   conda env create -f environment.yml && conda activate hw5 && pip install --no-deps -e .",
                 "name: hw5", "channels:", "  - conda-forge", "dependencies:",
                 f"  - python>={OLDEST_PYTHON}", *[f"  - {line}" for line in conda], "  - pip", "  - pip:",
                 *[f"      - {line}" for line in pip]]
        return "\n".join(lines) + "\n"

    def disagreements(self) -> list[str]:
        """What does not agree: a declared requirement missing from its lock or pinned outside its range, a
        students' version that is not the instructors', a package pinned twice, environment.yml or students.in
        behind pyproject.toml, a pin without hashes. Each says to run `make lock`."""
        problems = []
        for lock, extras in ((self.instructors, INSTRUCTOR_EXTRAS), (self.students, ())):
            if not lock.is_file():
                return [f"{self._rel(lock)} is missing: run `make lock`"]
            pinned, lines = pins(lock), list(_pin_lines(lock))
            for text in self.declared(extras):
                requirement = Requirement(text)
                name = normalise(requirement.name)
                if name not in pinned:
                    problems.append(f"{name} is declared in pyproject.toml but not pinned in {self._rel(lock)}: "
                                    "run `make lock`")
                elif not requirement.specifier.contains(pinned[name], prereleases=True):
                    problems.append(f"{self._rel(lock)} pins {name}=={pinned[name]}, outside pyproject.toml's "
                                    f"{text.split(';')[0].strip()!r}: run `make lock`")
            names = [normalise(line["name"]) for line in lines]
            for name in sorted({name for name in names if names.count(name) > 1}):
                problems.append(f"{self._rel(lock)} pins {name} more than once: one version for every platform is "
                                "the rule; run `make lock`")
            unhashed = [line["name"] for line in lines if not line["hashes"]]
            if unhashed:
                problems.append(f"{self._rel(lock)} pins {', '.join(unhashed)} without hashes: run `make lock`")
        if not problems:
            teachers = pins(self.instructors)
            for name, version in pins(self.students).items():
                if teachers.get(name) != version:
                    problems.append(f"the students' lock pins {name}=={version}, the instructors' "
                                    f"{teachers.get(name, 'nothing')}: run `make lock`")
        if not self.students_in.is_file() or self.students_in.read_text() != self.students_input():
            problems.append("requirements/students.in is not pyproject.toml's dependencies: run `make lock`")
        if not self.environment.is_file() or self.environment.read_text() != self.environment_yml():
            problems.append("environment.yml does not pin the instructors' lock: run `make lock`")
        return problems

    def make(self, upgrade: bool = False) -> None:
        """Write both locks, students.in and environment.yml (uv needs the package index, or its cache)."""
        self.folder.mkdir(exist_ok=True)
        self.students_in.write_text(self.students_input())
        more = ["--upgrade"] if upgrade else []
        extras = [option for extra in INSTRUCTOR_EXTRAS for option in ("--extra", extra)]
        self._uv("pip", "compile", "pyproject.toml", *extras, *UV_OPTIONS, *more, "-o", self._rel(self.instructors))
        self._uv("pip", "compile", self._rel(self.students_in), "--constraint", self._rel(self.instructors),
                 *UV_OPTIONS, *more, "-o", self._rel(self.students))
        self.environment.write_text(self.environment_yml())

    def _uv(self, *args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "uv", *args], cwd=self.root)
        if done.returncode != 0:
            raise SystemExit(f"uv {' '.join(args[:2])} failed (exit {done.returncode}); see its message above")

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def pins(lock: Path) -> dict[str, str]:
    """{normalised package name: version} of a lock file (uv's ``name==version ; marker \\`` lines)."""
    return {normalise(line["name"]): line["version"] for line in _pin_lines(lock)}


def _pin_lines(lock: Path) -> Iterator[re.Match]:
    return PIN.finditer(lock.read_text())


def release_requirements(locks: Locks | None = None) -> str:
    """The release's requirements.txt: the students' lock, with how to install it."""
    locks = locks or Locks()
    body = [line for line in locks.students.read_text().splitlines(keepends=True)
            if not line.startswith(("# This file was autogenerated", "#    make lock"))]
    return ("# The packages this homework was tested with, exact versions with hashes (Python 3.11 or newer):\n"
            "#   pip install -r requirements.txt\n"
            "# then once: python -m hw5lib.cli data fonts  (the handwriting fonts of the offline data, from the npm "
            "registry)\n" + "".join(body))


def differences_from_the_lock(lock: Path | None = None) -> dict[str, tuple[str, str | None]]:
    """{package: (locked version, installed version or None)} for the lock's packages this interpreter has in
    another version (or lacks, where the lock's markers say this platform needs it)."""
    from importlib import metadata

    from packaging.markers import Marker

    lock = lock or Locks().instructors
    found = {}
    for line in _pin_lines(lock):
        name, version, marker = normalise(line["name"]), line["version"], line["marker"]
        if marker and not Marker(marker.strip()).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            found[name] = (version, installed)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.course.locks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--upgrade", action="store_true", help="move every package to its newest allowed version")
    parser.add_argument("--compare", action="store_true",
                        help="only list the packages this interpreter has in versions other than the lock's")
    args = parser.parse_args(argv)
    locks = Locks()
    if args.compare:
        differences = differences_from_the_lock(locks.instructors)
        for name, (locked, installed) in sorted(differences.items()):
            print(f"  {name}: {locked} in the lock, {installed or 'not installed'} here")
        print(f"{len(differences)} of {len(pins(locks.instructors))} packages differ from {locks._rel(locks.instructors)}")
        return 0
    locks.make(upgrade=args.upgrade)
    problems = locks.disagreements()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{locks._rel(locks.instructors)}: {len(pins(locks.instructors))} packages; "
          f"{locks._rel(locks.students)}: {len(pins(locks.students))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
