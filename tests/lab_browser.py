"""JupyterLab in a real browser for the tests: a lab server on the loopback address and Debian's Chromium,
driven through chromium-driver with Selenium (nothing downloads a browser; ``make browser`` installs both).

A pytest plugin (``pytest_plugins`` in tests/conftest.py): the ``browser`` fixture, ``LabServer`` and the page
helpers the student and instructor tests share. Screenshots go to build/browser/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from grading.course.paths import PROJECT_ROOT

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOTS = PROJECT_ROOT / "build" / "browser"
TOKEN = "hw5-browser-tests"
# Lab settings of the tests' own: every cell stays in the page (no windowing), no news or update pop-ups
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                 "checkForUpdates": False}}


def browser_problem() -> str | None:
    """None when the browser tests can run here, else why not and what to do."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        return (f"{' and '.join(missing)} missing: run `make browser` as root, or `sudo apt-get install chromium "
                "chromium-driver`")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: run `make test` (it installs the test dependencies)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabServer:
    """``jupyter lab`` serving ``root`` on 127.0.0.1 (run from ``cwd``, which holds nbgrader_config.py for the
    instructor), with settings, runtime and workspace folders of its own under ``scratch``."""

    def __init__(self, root: Path, scratch: Path, cwd: Path | None = None, env: dict[str, str] | None = None,
                 options: tuple[str, ...] = (), python: Path = Path(sys.executable)) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = scratch / "settings"
        for rel, values in SETTINGS.items():
            (settings / rel).parent.mkdir(parents=True, exist_ok=True)
            (settings / rel).write_text(json.dumps(values))
        for name in ("config", "runtime", "workspaces"):
            (scratch / name).mkdir(parents=True, exist_ok=True)
        self.runtime = scratch / "runtime"  # kernels' connection files live here, so their command lines name it
        command = [str(python), "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
                   f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
                   f"--LabServerApp.user_settings_dir={settings}", f"--LabServerApp.workspaces_dir={scratch / 'workspaces'}"]
        command += options
        if os.geteuid() == 0:
            command.append("--allow-root")
        environ = dict(os.environ, JUPYTER_CONFIG_DIR=str(scratch / "config"),
                       JUPYTER_RUNTIME_DIR=str(scratch / "runtime"), **(env or {}))
        environ["PATH"] = f"{Path(python).parent}{os.pathsep}{environ.get('PATH', '')}"
        self.log = open(scratch / "lab.log", "wb")
        self.process = subprocess.Popen(command, cwd=cwd or root, env=environ, stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab stopped: {(scratch / 'lab.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("jupyter lab did not answer within 90 s")

    def page(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}{'&' if '?' in path else '?'}token={TOKEN}"

    def kernel_pids(self) -> set[int]:
        """Processes of this server's kernels (their command lines name the server's runtime folder)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if str(self.runtime).encode() in (entry / "cmdline").read_bytes():
                        found.add(int(entry.name))
                except OSError:
                    continue
        return found

    def stop(self) -> None:
        """Shut every kernel down, then the server; nothing it started is left running."""
        kernels = self.kernel_pids()
        try:
            listed = json.loads(urllib.request.urlopen(self.page("api/kernels"), timeout=10).read())
            for kernel in listed:
                request = urllib.request.Request(self.page(f"api/kernels/{kernel['id']}"), method="DELETE")
                urllib.request.urlopen(request, timeout=30).read()
        except OSError:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.log.close()
        deadline = time.monotonic() + 10
        while (kernels & self.kernel_pids()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in kernels & self.kernel_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Debian's) driven by chromium-driver; skipped with the reason where there is none."""
    problem = browser_problem()
    if problem:
        pytest.skip(f"no browser for the browser tests: {problem}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float, what: str, pause: float = 0.25):
    """Poll a JavaScript expression until it is truthy; its value (TimeoutError naming ``what`` otherwise)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(pause)
    raise TimeoutError(f"waited {timeout:g} s for {what}")


NOTEBOOK = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
KERNEL = f"{NOTEBOOK} && {NOTEBOOK}.sessionContext.session && {NOTEBOOK}.sessionContext.session.kernel"


def open_notebook(driver, server: LabServer, path: str, timeout: float = 60) -> None:
    """Open ``path`` (relative to the server's root) in JupyterLab and wait for its kernel to be idle."""
    driver.get(server.page(f"lab/tree/{path}"))
    wait_for(driver, f"return {KERNEL} && {NOTEBOOK}.context.path === {json.dumps(path)} "
                     f"&& {NOTEBOOK}.sessionContext.session.kernel.status === 'idle'", timeout, f"{path} to open")


def click_menu(driver, menu: str, command: str) -> None:
    """Open a menu of the menu bar by its label and click the item of ``command``."""
    from selenium.webdriver.common.by import By

    labels = driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
    next(label for label in labels if label.text.strip() == menu).click()
    wait_for(driver, f"return document.querySelector('.lm-Menu-item[data-command=\"{command}\"]')", 5,
             f"the {menu} menu")
    driver.find_element(By.CSS_SELECTOR, f'.lm-Menu-item[data-command="{command}"]').click()


_STATE = f"""const nb = {NOTEBOOK}; const code = nb.content.widgets.filter(c => c.model.type === 'code');
return {{status: nb.sessionContext.session.kernel.status,
        busy: Array.from(nb.node.querySelectorAll('.jp-InputArea-prompt')).filter(p => p.textContent.includes('*')).length,
        widgets: nb.node.querySelectorAll('.jp-OutputArea-output .widget-hprogress').length}};"""


def wait_until_run(driver, timeout: float) -> int:
    """Wait until no cell is queued or running and the kernel is idle; the most progress bars seen at once."""
    deadline, most, quiet_since = time.monotonic() + timeout, 0, None
    while time.monotonic() < deadline:
        state = driver.execute_script(_STATE)
        most = max(most, state["widgets"])
        if state["status"] == "idle" and state["busy"] == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 1.0:  # idle for a second: the queue is empty
                return most
        else:
            quiet_since = None
        time.sleep(0.2)
    raise TimeoutError(f"the notebook was still running after {timeout:g} s")


def outputs(driver) -> list[dict]:
    """Every output of the open notebook's code cells, as nbformat JSON, with the cell's index and source."""
    return driver.execute_script(f"""const out = [];
{NOTEBOOK}.content.widgets.forEach((cell, index) => {{
  if (cell.model.type !== 'code') return;
  const o = cell.model.outputs;
  for (let i = 0; i < o.length; i++) out.push(Object.assign({{cell: index, source: cell.model.sharedModel.getSource()}}, o.get(i).toJSON()));
}});
return out;""")


def run_cell(driver, index: int, timeout: float = 60) -> None:
    """Run the cell at ``index`` (as Shift+Enter would, without moving on) and wait for it."""
    driver.execute_script(f"const nb = {NOTEBOOK}; nb.content.activeCellIndex = {index}; "
                          "return window.jupyterapp.commands.execute('notebook:run-cell');")
    wait_until_run(driver, timeout)


def screenshot(driver, name: str) -> Path:
    """Save the browser window as build/browser/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def unpack_release(archive: Path, target: Path) -> Path:
    """Unpack the student release zip into ``target``; the assignment folder inside it."""
    shutil.unpack_archive(archive, target)
    return target / "hw5"
