"""What the trusted grader loads, once per grading: NIST36 (each check gets arrays of its own) and no module it
does not need."""

import subprocess
import sys

import numpy as np

from grading.grader import trusted
from hw5lib import data


def test_nist36_is_read_once_and_each_load_is_a_writable_copy_of_its_own(monkeypatch):
    reads = []

    def read(folder=None, standin=None, progress=True, quiet=False):
        reads.append((folder, standin, progress, quiet))
        rng = np.random.default_rng(0)
        arrays = {f"{split}_{kind}": rng.uniform(size=(4, 3)) for split in data.SPLITS for kind in ("data", "labels")}
        return data.Nist36(**arrays, source="stand-in here")

    load = trusted._read_once(read)
    first = load(progress=False, quiet=True)
    first.valid_data[...] = -1  # what a submission's in-place change, synced back, would do to a check's copy
    second = load()
    assert reads == [(None, None, False, True)]  # read once, quietly (the grader's stderr is no check's output)
    assert second.source == "stand-in here" and second.valid_data.flags.writeable
    assert np.all(second.valid_data >= 0) and not np.shares_memory(first.train_data, second.train_data)
    assert np.array_equal(second.train_labels, load().train_labels)
    load(standin=True)
    assert len(reads) == 2  # other arguments: another read


def test_the_trusted_grader_imports_no_nbformat():
    """nbformat (through jsonschema) takes about a second to import: the trusted grader's run needs none of it."""
    probe = ("import sys; from grading.grader import trusted; from grading.course.points import question_of; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nbformat', 'jsonschema', 'nbgrader')))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"
