"""A grading run's temp folders: marked when made, removed when done, and removed by the next run when a killed
run left them (recognised by name and marker only, never anything else)."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grading.batch import dask_runner, scratch


@pytest.fixture
def tmp(monkeypatch, tmp_path):
    """A temp folder of the test's own, as the grader's temp folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_folder_is_marked_with_its_maker_and_kept_while_the_maker_lives(tmp):
    folder = scratch.make("hw5-grade-")
    assert folder.parent == tmp and folder.name.startswith("hw5-grade-") and (folder / scratch.MARKER).is_file()
    assert scratch.left_behind() == []  # this process made it and is alive
    with pytest.raises(ValueError, match="starts with 'hw5-'"):
        scratch.make("other-")


def test_only_marked_folders_of_processes_that_are_gone_are_removed(tmp):
    import socket

    killed = scratch.make("hw5-grade-")
    (killed / scratch.MARKER).write_text(f"{_dead_pid()} {socket.gethostname()}\n")
    (killed / "trusted.log").write_text("a workspace's files")
    living = scratch.make("hw5-course-")
    unmarked = tmp / "hw5-grade-not-ours"
    unmarked.mkdir()
    elsewhere = scratch.make("hw5-failed-")
    (elsewhere / scratch.MARKER).write_text(f"{_dead_pid()} another-machine\n")  # a shared temp folder's neighbour
    linked = tmp / "hw5-link"
    linked.symlink_to(killed)

    assert scratch.remove_left_behind() == [killed]
    assert not killed.exists() and living.is_dir() and unmarked.is_dir() and elsewhere.is_dir()


def test_a_worker_removes_its_unpacked_course_when_told_and_when_a_newer_course_comes(tmp, tmp_path_factory):
    source = tmp_path_factory.mktemp("course")
    (source / "grader").mkdir()
    (source / "grader" / "public_gradebook.db").write_bytes(b"")
    first, second = dask_runner.pack(source), None
    (source / "grader" / "classifier.npz").write_bytes(b"new")
    second = dask_runner.pack(source)
    old = dask_runner._course_here(first, "first")
    assert old.is_dir() and (old / scratch.MARKER).is_file()
    new = dask_runner._course_here(second, "second")  # a newer course replaces the one the worker held
    assert not old.exists() and new.is_dir()
    assert dask_runner.remove_unpacked_courses() == 1 and not new.exists()
    assert sorted(Path(tmp).glob("hw5-*")) == []
