"""The sandbox every piece of submission code runs in: bubblewrap, or (by choice, with a warning) nothing.

A sandboxed process has its own PID namespace (nothing it starts outlives it), no network (a network
namespace of its own, with only a loopback of its own), its own user namespace as an unprivileged user with
no capabilities (so it cannot remount what is read-only, even when grading runs as root), a read-only view
of the system and of Python, none of the course (no reference code, source notebooks, gradebook or other
submissions), a private ``/tmp`` of limited size, and only the folders it is given writable. It dies with
its parent, and runs under an address-space and a file-size limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install "
                "bubblewrap`); where user namespaces are disabled, enable them "
                "(`sudo sysctl -w kernel.unprivileged_userns_clone=1`) or grade as root")
UNSANDBOXED_RISK = ("graded WITHOUT the sandbox (--unsandboxed): the submission's code ran as the grading user, "
                    "with the network and every file that user can reach")
# Environment passed into the sandbox from the grader's: OpenBLAS's processor settings where the machine needs them
# to compute correctly, and the locale.
KEPT_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")
# How every grading process computes (the trusted grader too): one BLAS thread, as gradings run side by side; and
# NumPy's large arrays on ordinary pages: NumPy asks for huge pages, which a busy kernel can be slow to provide for
# each fresh large array (benchmarks/README.md has the figures).
COMPUTE_SETTINGS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "NUMPY_MADVISE_HUGEPAGE": "0"}


TMP_BYTES = 2**30  # the private /tmp of a sandbox
FILE_BYTES = 2**30  # the largest file a sandboxed process may write


@dataclass(frozen=True)
class Mount:
    """A host folder seen at ``inside`` in the sandbox, read-only unless ``writable``."""

    host: Path
    inside: str
    writable: bool = False


def _python_mounts() -> list[Mount]:
    """The interpreter, its standard library and the environment's packages, read-only at their own paths."""
    seen: list[Mount] = []
    for prefix in dict.fromkeys((sys.base_prefix, sys.prefix, sys.exec_prefix)):
        path = Path(prefix)
        if not str(path).startswith("/usr/"):
            seen.append(Mount(path, str(path)))
    return seen


def bubblewrap_problem() -> str | None:
    """None when bubblewrap can build a sandbox here, else why not (and what to do)."""
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    probe = subprocess.run(command([sys.executable, "-c", "pass"], [], "/tmp", environment()),
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create a sandbox here ({probe.stderr.strip()[:200]}): {INSTALL_HINT}"
    return None


def command(argv: list[str], mounts: list[Mount], chdir: str, env: dict[str, str], mqueue: bool = False) -> list[str]:
    """The bwrap command line that runs ``argv`` in a sandbox with ``mounts`` (plus the system and Python);
    ``mqueue``: the sandbox's POSIX message queues visible at /dev/mqueue (so that they can be emptied)."""
    cmd = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
           "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "sbin", "lib", "lib64", "lib32"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    for etc in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
                "hosts", "fonts", "mime.types"):
        cmd += ["--ro-bind-try", f"/etc/{etc}", f"/etc/{etc}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    if mqueue:
        cmd += ["--mqueue", "/dev/mqueue"]
    for mount in _python_mounts() + mounts:
        cmd += ["--bind" if mount.writable else "--ro-bind", str(mount.host), mount.inside]
    cmd += ["--chdir", chdir, "--clearenv"]
    for name, value in env.items():
        cmd += ["--setenv", name, value]
    return cmd + ["--", *argv]


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a sandboxed process: a plain PATH, HOME in /tmp, ``COMPUTE_SETTINGS``, nothing else."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",
           "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
           **COMPUTE_SETTINGS}
    env.update({name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ})
    env.update(extra or {})
    return env


def limited(argv: list[str], gigabytes: float, file_bytes: int | None = FILE_BYTES, group=None) -> list[str]:
    """``argv`` under an address-space limit (and a file-size limit), inherited by everything it starts, and
    killed when the thread that started it ends (a Dask worker killed while grading leaves no orphan). With a
    ``cgroups.Group``, it and all it starts run in that group (limits on the whole process tree).

    Uses util-linux's ``setpriv`` and ``prlimit`` so that no Python code runs between fork and exec in a
    threaded parent.
    """
    missing = [tool for tool in ("setpriv", "prlimit") if shutil.which(tool) is None]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise RuntimeError(f"util-linux's {' and '.join(missing)} {verb} missing: install util-linux (it sets the "
                           "memory limit of the processes that run submission code and ends them with their parent)")
    limits = [f"--as={int(gigabytes * 2**30)}"] + ([f"--fsize={file_bytes}"] if file_bytes else [])
    return ["setpriv", "--pdeathsig", "KILL", "--", "prlimit", *limits, "--",
            *(group.command(argv) if group is not None else argv)]
