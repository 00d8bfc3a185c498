"""The limits of one submission's grading, one definition for the trusted grader, the notebook run and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from grading.sandbox import disk_budget


@dataclass
class Limits:
    """Per-submission limits: seconds per grade cell (and notebook cell), seconds for each of the two runs of a
    submission (the trusted grading, the notebooks), memory in GiB of each sandboxed process tree, and the disk
    budget in GiB of each sandbox (what it may write). A grade cell's seconds count the submission's own time,
    not the grader's work for its calls of reference copies."""

    cell_timeout: float = 120
    submission_seconds: float = 900
    memory_gb: float = 6.0
    disk_gb: float = disk_budget.DEFAULT_GB

    @property
    def disk_bytes(self) -> int:
        return int(self.disk_gb * 2**30)
