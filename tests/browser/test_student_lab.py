"""The student's day in JupyterLab 4 and Chromium: the release unpacked and installed as the README says, each
notebook run from the Run menu with the reference files filled in, an edit picked up by autoreload, and the
blank release's first check naming what to write where. Screenshots: build/browser/<notebook>.png."""

import re
import shutil
import subprocess

import pytest

from grading.course.paths import ASSIGNMENT, student_files
from lab_browser import LabServer, click_menu, open_notebook, outputs, run_cell, screenshot, unpack_release, \
    wait_until_run

# what each notebook's check cells print when the reference is filled in (checked on the page itself)
MESSAGES = {
    "01_theory": ["[0.017663 0.196612 0.25", "largest slopes: 0.25 1.0"],
    "02_fully_connected": ["sigmoid at -1000, 0, 1000", "all positive: True", "8 batches of sizes [5, 5, 5, 5, 5",
                           "gradients match the reference: True"],
    "03_training": ["train_classifier records the curves as asked", "validation accuracy reaches the target: True",
                    "most confused pairs"],
    "04_autoencoder": ["parameters: 68704", "momentum_update matches two steps computed by hand",
                       "backward pass matches the reference gradients: True", "mean validation PSNR"],
    "05_ocr": ["44 boxes for 44 characters", "of the characters right"],
}
WITH_PROGRESS_BARS = {"03_training", "04_autoencoder"}


@pytest.fixture(scope="module")
def student(released_course, student_venv, tmp_path_factory, browser):
    """Two students' folders from the release zip: one with the reference files filled in, one blank; served by
    one JupyterLab of a fresh environment installed from the release's requirements.txt, as the README's student
    steps say (requirements, then the fonts)."""
    home = tmp_path_factory.mktemp("students")
    archive = released_course / "hw5_release.zip"
    folders = {name: unpack_release(archive, home / name) for name in ("reference", "blank")}
    for rel in student_files():
        shutil.copy2(released_course / "source" / ASSIGNMENT / rel, folders["reference"] / rel)
    done = subprocess.run([student_venv, "-m", "hw5lib.cli", "data", "fonts"], cwd=folders["reference"],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"the fonts step failed in the student's folder: {done.stderr[-2000:]}"
    server = LabServer(home, tmp_path_factory.mktemp("lab"), python=student_venv)
    yield server, folders
    browser.get("about:blank")  # a page left open polls its stopped server for the rest of the suite
    server.stop()


def _errors(cell_outputs):
    return [f"cell {o['cell']}: {o.get('ename')}: {o.get('evalue')}" for o in cell_outputs if o["output_type"] == "error"]


@pytest.mark.parametrize("notebook", sorted(MESSAGES))
def test_a_notebook_runs_from_the_menu_with_messages_figures_and_bars(student, browser, notebook):
    server, _ = student
    open_notebook(browser, server, f"reference/hw5/{notebook}.ipynb")
    click_menu(browser, "Run", "runmenu:run-all")
    bars = wait_until_run(browser, timeout=240)
    screenshot(browser, notebook)
    cell_outputs = outputs(browser)
    assert not _errors(cell_outputs), _errors(cell_outputs)
    page = browser.execute_script("return window.jupyterapp.shell.currentWidget.node.innerText")
    for message in MESSAGES[notebook]:
        assert message in page, f"{notebook}: {message!r} is not on the page"
    pictures = sum("image/png" in o.get("data", {}) for o in cell_outputs)
    shown = browser.execute_script("return Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll("
                                   "'.jp-RenderedImage img')).filter(i => i.complete && i.naturalWidth > 0).length")
    assert pictures > 0 and shown == pictures, f"{shown} of {pictures} figures shown as images"
    if notebook in WITH_PROGRESS_BARS:
        assert bars > 0, "no tqdm progress bar was shown as a widget while the notebook ran"


def test_an_edit_to_nn_py_changes_the_next_check_without_a_restart(student, browser):
    server, folders = student
    open_notebook(browser, server, "reference/hw5/02_fully_connected.ipynb")
    # the cells above the first check of sigmoid, then that check (the test above runs the whole notebook)
    check = browser.execute_script("return window.jupyterapp.shell.currentWidget.content.widgets.findIndex(c => "
                                   "c.model.sharedModel.getSource().startsWith('checks.check_sigmoid()'))")
    assert check > 0
    browser.execute_script("const nb = window.jupyterapp.shell.currentWidget; "
                           f"nb.content.activeCellIndex = {check}; "
                           "return window.jupyterapp.commands.execute('notebook:run-all-above');")
    wait_until_run(browser, timeout=120)
    run_cell(browser, check)
    assert not [o for o in outputs(browser) if o["output_type"] == "error"]
    kernel = browser.execute_script("return window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")
    nn = folders["reference"] / "hw5lib" / "nn.py"
    good = nn.read_text()
    body = re.search(r"def sigmoid\(.*?\n(?=def )", good, re.S).group(0)
    wrong = re.sub(r'(\n    """.*?"""\n).*', r'\1    return 1.0 / (1.0 + np.exp(x))\n\n\n', body, flags=re.S)
    try:
        nn.write_text(good.replace(body, wrong))  # saved while the kernel runs
        run_cell(browser, check)
        failed = [o for o in outputs(browser) if o["cell"] == check and o["output_type"] == "error"]
        assert failed and "sigmoid" in failed[0]["evalue"], failed
    finally:
        nn.write_text(good)
    run_cell(browser, check)
    assert not [o for o in outputs(browser) if o["cell"] == check and o["output_type"] == "error"]
    assert browser.execute_script(
        "return window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id") == kernel  # no restart


def test_the_blank_release_says_which_function_to_write_in_which_file(student, browser):
    server, _ = student
    open_notebook(browser, server, "blank/hw5/01_theory.ipynb")
    click_menu(browser, "Run", "runmenu:run-all")
    wait_until_run(browser, timeout=120)
    screenshot(browser, "01_theory_blank")
    errors = [o for o in outputs(browser) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "NotImplementedError"
    message = "write sigmoid_derivative in hw5lib/theory.py"
    assert message in errors[0]["evalue"]
    page = browser.execute_script("return window.jupyterapp.shell.currentWidget.node.innerText")
    assert message in page
