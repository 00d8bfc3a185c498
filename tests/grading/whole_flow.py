"""The submissions the whole grading flow grades once per test session (``course_root`` in conftest.py), and
what the grading tests look for in the temp folder."""

import shutil
import tempfile
from pathlib import Path

from grading.batch import scratch
from grading.batch.result_store import add_submission
from grading.grader.limits import Limits
from grading.selftest import samples

# the disk filler is stopped after a quarter GiB
LIMITS = Limits(cell_timeout=20, submission_seconds=480, memory_gb=4, disk_gb=0.25)
# for runs whose grades do not matter, or are zero anyway (the blank release): stopped after a few seconds
SHORT = Limits(cell_timeout=4, submission_seconds=4, memory_gb=4, disk_gb=0.25)
# hostile samples whose harm is all in a function the trusted grader calls: test_samples.py grades them with the
# trusted grader alone (and a short cell timeout)
HOSTILE_IN_THE_GRADER = ["hostile_endless_loop", "hostile_huge_allocation"]
# hostile samples whose cost in the notebook run is tested there alone (test_notebooks_alone.py): acting in one
# notebook only, or in their code (what that costs in the trusted grader is tested by it alone, test_samples.py)
HOSTILE_IN_ONE_NOTEBOOK = ["hostile_fork_bomb", "hostile_huge_outputs"]
HOSTILE_IN_THE_CODE_AND_NOTEBOOKS = ["hostile_exit_at_import", "hostile_disk_filler"]
HOSTILE_IN_THE_NOTEBOOKS = HOSTILE_IN_ONE_NOTEBOOK + HOSTILE_IN_THE_CODE_AND_NOTEBOOKS
# the other hostile samples: a zero that the notebook run decides (changed provided files), and the pages that
# formgrader's test opens
SAMPLED = [s.name for s in samples.HOSTILE if s.name not in HOSTILE_IN_THE_GRADER + HOSTILE_IN_THE_NOTEBOOKS]
# attacks that reach past the worker (notebook kernels, processes, network, files): the whole flow here; the
# others, which act in the worker alone, are graded by the trusted grader in test_samples.py
WHOLE_FLOW_ATTACKS = ["attack_patches_checker_in_notebook", "attack_network", "attack_poisons_cache", "attack_daemon"]
# ... graded as one submission of the blank release with all their edits (the daemon's last: it forks), whose
# feedback must name each of them
ATTACKS_TOGETHER = samples.Sample(
    "attacks_together", "attack", ("*",),
    tuple(edit for name in WHOLE_FLOW_ATTACKS for edit in samples.SAMPLES[name].edits),
    "the blank release with the attacks of WHOLE_FLOW_ATTACKS at once", base="blank",
    stopped=tuple(words for name in WHOLE_FLOW_ATTACKS for words in samples.SAMPLES[name].stopped),
    limited=tuple(words for name in WHOLE_FLOW_ATTACKS for words in samples.SAMPLES[name].limited))
MANUAL = {"q1_1", "q1_2_1", "q1_2_2", "q1_2_3", "q1_3", "q1_5", "q1_6_1", "q1_6_2"}
# a student's messy submission: the planted bug PLANTED, 01_theory.ipynb cut short and 03_training.ipynb
# missing, under an id that looks like an option and holds a space, a quote and non-ASCII letters
BROKEN_ID = "-rf José's copy"
PLANTED = samples.SAMPLES["grad_W_transposed"]


def folders_the_grader_made() -> list[Path]:
    """The folders of the temp folder that a grading run made (marked by grading.batch.scratch)."""
    return [p for p in Path(tempfile.gettempdir()).glob(scratch.PREFIX + "*") if (p / scratch.MARKER).is_file()]


def course_with(course: Path, root: Path, submissions: dict[str, Path]) -> Path:
    """A copy of ``course`` at ``root`` without its submissions, results and grade files, holding
    ``submissions`` ({student: assignment folder}) instead."""
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "results",
                                                                "grades*.csv"))
    config = root / "nbgrader_config.py"  # names the course's folder: formgrader opens the copy's
    text, named = config.read_text(), repr(str(course.resolve()))
    assert named in text, "nbgrader_config.py no longer names the course's folder"
    config.write_text(text.replace(named, repr(str(root.resolve()))))
    for student, folder in submissions.items():
        add_submission(root, student, folder)
    return root
