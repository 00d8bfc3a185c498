"""A released course folder shared by the grading tests (built once per session, about 15 s)."""

import pytest

from grading import course


@pytest.fixture(scope="session")
def released_course(tmp_path_factory, full_standin):
    """A course folder with source (reference copies and networks included), release and gradebook."""
    root = tmp_path_factory.mktemp("course")
    course.build_course(root)
    course.release(root)
    return root
