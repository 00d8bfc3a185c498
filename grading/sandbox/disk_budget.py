"""A disk budget for a sandbox: a watchdog that ends the sandbox when its writable folders grow past a size.

bubblewrap cannot give a bind-mounted host folder a size limit, and the per-file limit (``prlimit --fsize``)
does not bound a submission that writes many files. So a thread measures the folders a sandbox may write (the
blocks they hold, each file or folder counting at least one block, so that a million empty files count too)
several times a second, and when they hold more than the budget above what they held at the start, it calls
``stop`` (which kills the sandbox) and remembers why. Between two looks a fast writer can pass the budget by
what it writes in one interval; the per-file limit bounds each file on top.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

DEFAULT_GB = 2.0  # a sandbox's budget: the notebooks' outputs and whatever the submission writes
INTERVAL = 0.1  # seconds between two looks
MIN_ENTRY_BYTES = 4096  # what a file or folder counts at least (an inode and a block of a typical file system)


def used_bytes(folders: Iterable[Path]) -> int:
    """Bytes the folders hold on disk: allocated blocks, each entry at least ``MIN_ENTRY_BYTES``, links not
    followed, a file with several hard links counted once. Entries that vanish while counted are skipped."""
    total, seen = 0, set()
    stack = [str(folder) for folder in folders]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode):
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
            total += max(info.st_blocks * 512, MIN_ENTRY_BYTES)
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
    return total


def limit_words(budget_bytes: int) -> str:
    """'2 GiB' or '512 MiB': the budget as the feedback names it."""
    if budget_bytes >= 2**30 and budget_bytes % 2**28 == 0:
        return f"{budget_bytes / 2**30:g} GiB"
    return f"{budget_bytes / 2**20:,.0f} MiB"


def exceeded_message(what: str, budget_bytes: int) -> str:
    """The words of the feedback for a sandbox stopped at its disk budget."""
    return f"{what} wrote more than {limit_words(budget_bytes)}: the disk limit (it was stopped)"


class DiskWatch:
    """Watches ``folders`` while a sandbox runs; over ``budget_bytes`` of growth it calls ``stop`` once.

    Use as a context manager around the sandbox's run (or ``start`` and ``stop_watching`` around a sandbox that
    outlives a block); ``exceeded`` says afterwards whether it stopped it.
    ``baseline`` (bytes) replaces the folders' size at the start, so that several runs can share one budget.
    """

    def __init__(self, folders: Iterable[Path], budget_bytes: int, stop: Callable[[], None],
                 baseline: int | None = None, interval: float = INTERVAL) -> None:
        self.folders, self.budget, self.stop, self.interval = list(folders), budget_bytes, stop, interval
        self.baseline = used_bytes(self.folders) if baseline is None else baseline
        self.exceeded = False
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="disk-watch", daemon=True)

    def _watch(self) -> None:
        while not self._done.wait(self.interval):
            grown = used_bytes(self.folders) - self.baseline
            self.peak = max(self.peak, grown)
            if grown > self.budget:
                self.exceeded = True
                self.stop()
                return

    def start(self) -> DiskWatch:
        self._thread.start()
        return self

    def stop_watching(self) -> None:
        self._done.set()
        self._thread.join()

    def __enter__(self) -> DiskWatch:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop_watching()
