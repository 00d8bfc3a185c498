"""The submissions the whole grading flow grades once per test session (``course_root`` in conftest.py)."""

from grading.grader.limits import Limits
from grading.selftest import samples

# the huge allocation touches 4 GB page by page; the disk filler is stopped after a quarter GiB
LIMITS = Limits(cell_timeout=20, submission_seconds=480, memory_gb=4, disk_gb=0.25)
SAMPLED = ["grad_W_transposed", "alternative_noisy", *[s.name for s in samples.HOSTILE]]
# attacks that reach past the worker (notebook kernels, processes, network, files): the whole flow here; the
# others, which act in the worker alone, are graded by the trusted grader in test_samples.py
WHOLE_FLOW_ATTACKS = ["attack_patches_checker_in_notebook", "attack_daemon", "attack_network", "attack_poisons_cache"]
MANUAL = {"q1_1", "q1_2_1", "q1_2_2", "q1_2_3", "q1_3", "q1_5", "q1_6_1", "q1_6_2"}
# the reference with 01_theory.ipynb cut short and 03_training.ipynb missing, under an id that looks like an
# option and holds a space, a quote and non-ASCII letters
BROKEN_ID = "-rf José's copy"
