"""Ending a sandbox: every process that runs submission code is started as the leader of a process group of its
own (``start_new_session``), so that killing the group ends it and everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group ``process`` leads (nothing happens when it is gone already)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def end(process: subprocess.Popen) -> int | None:
    """Kill the group and wait for its leader; the exit code it had before (None: it was still running)."""
    code = process.poll()
    kill_group(process)
    process.wait()
    return code
