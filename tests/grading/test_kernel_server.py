"""Kernels forked from a warm server (grading.sandbox.inside.kernel_server), as nbgrader's run uses them: started, fed and
ended by jupyter_client like ordinary kernels, each in its notebook's folder with its own environment; an
interrupt, a kernel's exit and a killed client behave as with an ordinary kernel; without a server the client
starts an ordinary kernel."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

from grading.sandbox.inside import kernel_server

SERVER_START_SECONDS = 60


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """A kernel spec that asks a server at a private socket, found by jupyter_client through JUPYTER_PATH."""
    sockets = Path(tempfile.mkdtemp(prefix="hw5k-"))  # short: a socket's path has at most 107 bytes
    server = str(sockets / "kernels.sock")
    folder = kernel_server.write_kernel_spec(tmp_path / "kernels", str(tmp_path / "kernels"), server)
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    yield server
    shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
def server(spec, tmp_path):
    """The server, running beside a stand-in for nbgrader (a process that waits), both ended after the test."""
    nbgrader = [sys.executable, "-c", "import time; time.sleep(600)"]
    process = subprocess.Popen(kernel_server.server_command(str(tmp_path / "kernels"), nbgrader, spec),
                               start_new_session=True)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not os.path.exists(spec) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield spec
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _notebook(*sources: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _run(notebook, folder: Path, **options) -> nbformat.NotebookNode:
    options = {"timeout": 60, **options}
    NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(folder)}}, **options).execute()
    return notebook


def _stdout(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_a_forked_kernel_runs_a_notebook_in_its_folder_with_its_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_KERNEL_FORKS_TEST", "seen")
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # with it, ipykernel leaves the output of child processes alone
    (tmp_path / "localmodule.py").write_text("VALUE = 42\n")
    notebook = _run(_notebook(
        "import os, sys\nprint('pyplot preloaded:', 'matplotlib.pyplot' in sys.modules)",
        "print(os.getcwd())\nprint(os.environ['HW5_KERNEL_FORKS_TEST'])",
        "import localmodule\nprint(localmodule.VALUE)",
        "import sys\nprint('to stderr', file=sys.stderr)\nos.system('echo from a child process')",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()",
    ), tmp_path)
    cells = notebook.cells
    assert _stdout(cells[0]).strip() == "pyplot preloaded: True"  # the server's import, not the kernel's
    assert _stdout(cells[1]).split() == [str(tmp_path), "seen"]
    assert _stdout(cells[2]).strip() == "42"  # the notebook's folder comes first on the path
    streams = {output.name: output.text for output in cells[3].outputs if output.output_type == "stream"}
    assert "to stderr" in streams["stderr"] and "from a child process" in streams["stdout"]
    assert any("image/png" in output.get("data", {}) for output in cells[4].outputs)


def test_two_forked_kernels_do_not_share_numpy_random_numbers(server, tmp_path):
    cell = "import numpy as np\nprint(np.random.randint(0, 2**31))"
    first, second = (_stdout(_run(_notebook(cell), tmp_path).cells[0]) for _ in range(2))
    assert first != second


def test_an_interrupt_reaches_the_forked_kernel_and_it_runs_on(server, tmp_path):
    notebook = _notebook("import time\ntime.sleep(60)", "print('after the interrupt')")
    started = time.monotonic()
    with pytest.raises(CellExecutionError):
        _run(notebook, tmp_path, timeout=3, interrupt_on_timeout=True)
    assert time.monotonic() - started < 30
    assert any(output.get("ename") == "KeyboardInterrupt" for output in notebook.cells[0].outputs)
    notebook = _run(_notebook("import time\ntime.sleep(60)", "print('after the interrupt')"), tmp_path,
                    timeout=3, interrupt_on_timeout=True, allow_errors=True)
    assert _stdout(notebook.cells[1]).strip() == "after the interrupt"  # the same kernel ran on


def test_a_kernel_that_exits_is_seen_dead_and_its_status_passed_on(server, tmp_path):
    with pytest.raises(DeadKernelError):
        _run(_notebook("import os\nos._exit(3)", "print('never')"), tmp_path)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path))
    try:
        client = manager.blocking_client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        client.execute("import os; os._exit(7)")
        deadline = time.monotonic() + 30
        while manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert manager.provisioner.process.wait(timeout=5) == 7
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)


def test_killing_the_client_ends_its_forked_kernel(server, tmp_path):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.blocking_client()
    client.start_channels()
    printed = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("import os; print(os.getpid())", timeout=30, output_hook=printed.append)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
    kernel = int(next(m["content"]["text"] for m in printed if m["msg_type"] == "stream"))
    assert kernel != manager.provisioner.process.pid  # a fork of the server, not the client itself
    os.kill(manager.provisioner.process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{kernel}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{kernel}").exists()
    manager.shutdown_kernel(now=True)


def test_without_a_server_the_client_starts_an_ordinary_kernel(spec, tmp_path):
    notebook = _run(_notebook("import sys\nprint('pyplot preloaded:', 'matplotlib.pyplot' in sys.modules)",
                              "print(1 + 1)"), tmp_path)
    assert _stdout(notebook.cells[0]).strip() == "pyplot preloaded: False"
    assert _stdout(notebook.cells[1]).strip() == "2"
