"""The project's own files agree with each other: student files, the two commands (the dependencies: test_lock.py)."""

from grading.course.paths import (
    PROJECT_ROOT, SOLUTION_BEGIN, SOLUTION_END, provided_files, provided_sources, student_files)

ROOT = PROJECT_ROOT


def test_student_files_hold_balanced_solution_regions():
    declared = student_files()
    assert declared, "no student-fillable files declared"
    for rel in declared:
        lines = (ROOT / rel).read_text().splitlines()
        markers = [line.strip() for line in lines if line.strip() in (SOLUTION_BEGIN, SOLUTION_END)]
        assert markers, f"{rel} is declared student-fillable but has no solution region"
        assert markers == [SOLUTION_BEGIN, SOLUTION_END] * (len(markers) // 2), f"{rel}: unbalanced markers"


def test_provided_files_hold_no_solution_regions():
    for rel in provided_sources():
        if rel.endswith(".py"):
            text = (ROOT / rel).read_text()
            assert SOLUTION_BEGIN not in text and SOLUTION_END not in text, (
                f"{rel} has a solution region but is not declared in pyproject.toml [tool.hw5.student-files]")


def test_every_file_of_hw5lib_is_declared_student_or_provided_once():
    declared = student_files() + provided_sources()
    assert len(declared) == len(set(declared))
    present = {p.relative_to(ROOT).as_posix() for p in (ROOT / "hw5lib").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert present == set(declared), (f"undeclared: {sorted(present - set(declared))}; declared but missing: "
                                      f"{sorted(set(declared) - present)}")
    notebooks = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks | {"requirements.txt"} == set(provided_files()) - set(provided_sources())


def test_the_grading_checker_lives_apart_from_the_students_and_outside_the_release():
    assert "hw5lib/my_gradcheck.py" in student_files()
    assert not any("gradcheck" in rel for rel in provided_files()) and (ROOT / "grading" / "grader" / "gradcheck.py").is_file()


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    commands = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")
                and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]
