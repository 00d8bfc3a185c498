"""The disk budget of a sandbox (grading.sandbox.disk_budget): what counts as used, and a writer stopped past it."""

import os
import subprocess
import sys
import time

from grading.sandbox import disk_budget

MiB = 2**20


def test_used_bytes_counts_blocks_once_per_file_and_every_entry(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"\1" * (3 * MiB))
    os.link(tmp_path / "a.bin", tmp_path / "same.bin")  # a hard link holds no more blocks
    (tmp_path / "sub").mkdir()
    for i in range(100):
        (tmp_path / "sub" / f"empty{i}").touch()  # empty files cost an inode each: counted a block each
    (tmp_path / "link").symlink_to("/usr")  # never followed
    used = disk_budget.used_bytes([tmp_path])
    assert 3 * MiB + 100 * 4096 <= used < 3 * MiB + 110 * 4096 + 64 * 1024


def test_a_sparse_file_counts_what_it_holds_not_its_length(tmp_path):
    with open(tmp_path / "sparse", "wb") as fh:
        fh.truncate(10 * 2**30)
    assert disk_budget.used_bytes([tmp_path]) < MiB


def test_a_writer_past_the_budget_is_stopped_and_the_disk_holds_little_more(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", f"""
import itertools
for i in itertools.count():
    with open({str(tmp_path)!r} + f'/f{{i}}', 'wb') as fh:
        fh.write(bytes(4 * 2**20))
"""], start_new_session=True)
    stopped = []
    watch = disk_budget.DiskWatch([tmp_path], 64 * MiB, lambda: (stopped.append(1), writer.kill()))
    with watch:
        code = writer.wait(timeout=60)
    assert watch.exceeded and stopped == [1] and code == -9
    # what got past the budget is what one look's interval lets a fast writer add
    assert 64 * MiB < disk_budget.used_bytes([tmp_path]) < 64 * MiB + 512 * MiB


def test_a_sandbox_within_its_budget_is_left_alone(tmp_path):
    (tmp_path / "before.bin").write_bytes(bytes(8 * MiB))  # what the folder holds at the start is not counted
    stopped = []
    with disk_budget.DiskWatch([tmp_path], 4 * MiB, lambda: stopped.append(1)) as watch:
        (tmp_path / "small.bin").write_bytes(bytes(MiB))
        time.sleep(5 * disk_budget.INTERVAL)
    assert not watch.exceeded and stopped == [] and MiB <= watch.peak < 2 * MiB


def test_the_limit_is_named_in_the_words_an_instructor_set():
    assert disk_budget.exceeded_message("the notebooks", 2 * 2**30) == (
        "the notebooks wrote more than 2 GiB: the disk limit (it was stopped)")
    assert disk_budget.limit_words(256 * MiB) == "256 MiB"
