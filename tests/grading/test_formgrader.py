"""The instructor's day in a real browser: formgrader (nbgrader's JupyterLab extension) opens the course the
whole flow graded, lists its autograded submissions and shows a student's written answer; a score typed in
the browser lands in gradebook.db and in the exported tables with the whole handout's total; a hostile
submission's scripts run nowhere: formgrader, the feedback pages, JupyterLab."""

import csv
import re
import time
import warnings

import pytest

from grading.__main__ import main
from grading.course.paths import ASSIGNMENT
from grading.grader.result import load_result
from grading.sandbox import bwrap
from grading.selftest import samples
from lab_browser import click_menu, LabServer, screenshot, wait_for

STUDENT = "reference"  # every automatic point (77), no written answer graded before this test
CELL, SCORE = "q1_1", 2.5  # a written answer of 3 points

pytestmark = pytest.mark.skipif(bwrap.bubblewrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap.bubblewrap_problem()}")


def manual_score(root, student, grade_id):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")
        for notebook in gradebook.find_submission(ASSIGNMENT, student).notebooks:
            for grade in notebook.grades:
                if grade.name == grade_id:
                    return grade.manual_score
    raise LookupError(grade_id)


def _answer(root, student, grade_id):
    import nbformat

    notebook = nbformat.read(root / "submitted" / student / ASSIGNMENT / "01_theory.ipynb", as_version=4)
    return next(c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def click_link(driver, text):
    """Click the link or button of formgrader's page whose text is ``text`` (waiting for it to appear)."""
    link = wait_for(driver, "return Array.from(document.querySelectorAll('a, button')).find(a => "
                            f"a.textContent.trim() === {text!r})", 20, f"the link {text!r}")
    driver.execute_script("arguments[0].click()", link)


def test_a_manual_grade_entered_in_formgrader_reaches_the_grade_table(course_root, results, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    assert results[STUDENT].total == 77 and manual_score(course_root, STUDENT, CELL) is None
    graded = sorted(p.name for p in (course_root / "autograded").iterdir())
    server = LabServer(course_root, tmp_path / "lab", cwd=course_root)
    try:
        browser.get(server.page("lab"))
        wait_for(browser, "return !!(window.jupyterapp && document.querySelector('.lm-MenuBar-item'))", 60, "lab")
        click_menu(browser, "Nbgrader", "nbgrader:open-formgrader")
        browser.switch_to.frame(wait_for(browser, "return document.querySelector('iframe')", 30, "formgrader"))
        wait_for(browser, "return document.body && document.body.innerText.includes('Manage Assignments')", 30,
                 "formgrader's page")
        click_link(browser, "Manage Assignments")
        count = wait_for(browser, "return Array.from(document.querySelectorAll('a')).find(a => a.href.endsWith("
                                  f"'/formgrader/manage_submissions/{ASSIGNMENT}'))", 20, "the submissions count")
        assert count.text.strip() == str(len(graded))  # every autograded submission is listed
        click_link(browser, count.text.strip())
        listed = wait_for(browser, f"return document.body.innerText.includes({STUDENT!r}) && document.body.innerText",
                          20, "the submissions table")
        assert all(student in listed for student in graded)
        click_link(browser, "Manual Grading")
        click_link(browser, ASSIGNMENT)
        click_link(browser, "01_theory")
        wait_for(browser, "return document.body.innerText.includes('Submission #')", 20, "the notebook's submissions")
        click_link(browser, "Show All Names")
        search = wait_for(browser, "return document.querySelector('input[type=search]')", 20, "the search field")
        search.send_keys(STUDENT)  # the table shows ten submissions a page
        row = wait_for(browser, "return Array.from(document.querySelectorAll('tr')).find(r => r.innerText.includes("
                                f"{STUDENT!r}))", 20, f"{STUDENT}'s row")
        browser.execute_script("arguments[0].querySelector('a[href*=\"/formgrader/submissions/\"]').click()", row)
        answer = wait_for(browser, f"return document.getElementById({CELL!r}) && document.body.innerText", 30,
                          "the submission page")
        written = _answer(course_root, STUDENT, CELL)
        # the words outside the maths (MathJax typesets the maths, so its source is not the page's text)
        plain = max((line.strip() for part in re.split(r"\$\$.*?\$\$|\$.*?\$", written, flags=re.S)
                     for line in part.splitlines()), key=len)
        assert "Student's answer" in answer and len(plain) > 20 and plain in answer, plain
        deadline = time.monotonic() + 60
        while manual_score(course_root, STUDENT, CELL) != SCORE and time.monotonic() < deadline:
            box = browser.find_element(By.ID, CELL)  # typed again until saved: the page may still be loading
            box.clear()
            box.send_keys(str(SCORE), Keys.TAB)  # formgrader saves the score when the field loses focus
            for _ in range(20):
                if manual_score(course_root, STUDENT, CELL) == SCORE:
                    break
                time.sleep(0.25)
        browser.switch_to.default_content()
        screenshot(browser, "formgrader")
    finally:
        browser.switch_to.default_content()
        browser.get("about:blank")  # a page left open polls its stopped server for the rest of the suite
        server.stop()
    assert manual_score(course_root, STUDENT, CELL) == SCORE

    assert main(["--course", str(course_root), "export"]) == 0
    with open(course_root / "grades.csv", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["student"] == STUDENT)
    assert row["Q1.1 manual (of 3)"] == "2.5" and row["manual"] == "2.5" and row["automatic"] == "77"
    assert row["total"] == "79.5" and row["maximum"] == "127" and "q1_1" not in row["written answers waiting"]
    with open(course_root / "grades_lms.csv", newline="") as fh:
        assert [STUDENT, "79.5"] in list(csv.reader(fh))
    page = (course_root / "feedback" / STUDENT / ASSIGNMENT / "summary.html").read_text()
    assert "79.5 of 127" in page
    assert load_result(course_root, STUDENT).total == 77  # the automatic result itself is unchanged


HOSTILE = "hostile_page_scripts"  # scripts and handlers in a written answer, in outputs and in a stored output
NOTEBOOK = "01_theory"
PWNED = "return [window.hw5Pwned, window.top.hw5Pwned]"


def _submission_id(root, student, notebook):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")
        return gradebook.find_submission_notebook(notebook, ASSIGNMENT, student).id


def _nothing_ran(driver, where):
    """Click the sample's javascript: link where the page shows it, wait, and check no handler marked the page."""
    link = driver.execute_script("return Array.from(document.querySelectorAll('a')).find(a => "
                                 f"a.textContent.includes({samples.PAGE_CHECK_WORDS!r}))")
    if link is not None:
        driver.execute_script("arguments[0].click()", link)
    time.sleep(2)  # onerror, onload and scripts run as the page loads; give them time to show
    assert driver.execute_script(PWNED) == [None, None], where
    return link is not None


def test_a_hostile_submission_runs_nothing_in_formgrader_the_feedback_or_jupyterlab(course_root, results, browser,
                                                                                    tmp_path):
    """The issue's browser test: the hostile sample opened in formgrader's manual grading, in its feedback pages
    and in JupyterLab (autograded and submitted copies); no handler runs, nothing reaches the Jupyter API, and
    the written answer, its math and the figures still show."""
    import urllib.request

    result = results[HOSTILE]
    assert result.total == 77 and any("would run in the grader's browser" in s for s in result.stopped)
    server = LabServer(course_root, tmp_path / "lab", cwd=course_root, options=("--ServerApp.log_level=DEBUG",))
    clicked = []
    try:
        page = server.page(f"formgrader/submissions/{_submission_id(course_root, HOSTILE, NOTEBOOK)}/")
        with urllib.request.urlopen(page, timeout=30) as response:  # the policy of a submission's page
            policy = response.headers["Content-Security-Policy"]
            assert "script-src" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        # formgrader as the instructor opens it: inside JupyterLab, so the lab's session is the one at risk
        browser.get(server.page("lab"))
        wait_for(browser, "return !!(window.jupyterapp && document.querySelector('.lm-MenuBar-item'))", 60, "lab")
        click_menu(browser, "Nbgrader", "nbgrader:open-formgrader")
        frame = wait_for(browser, "return document.querySelector('iframe')", 30, "formgrader")
        browser.execute_script("arguments[0].src = arguments[1]", frame, page)
        browser.switch_to.frame(frame)
        shown = wait_for(browser, "return document.getElementById('q1_1') && document.body.innerText", 30,
                         "the hostile submission's page")
        assert "Student's answer" in shown and "multiplies every exponential" in shown
        wait_for(browser, "return document.querySelectorAll('.MathJax, .MathJax_CHTML, .MathJax_SVG').length > 10",
                 30, "MathJax to typeset the answers' math")
        assert browser.execute_script("return document.querySelectorAll('img[src^=\"data:image/png\"]').length") >= 1
        clicked.append(_nothing_ran(browser, "formgrader"))
        browser.switch_to.default_content()
        screenshot(browser, "formgrader_hostile")
        assert browser.execute_script(PWNED) == [None, None]

        # the feedback pages, opened from disk as a student or an instructor would
        feedback = course_root / "feedback" / HOSTILE / ASSIGNMENT
        for name in (f"{NOTEBOOK}.html", "summary.html"):
            browser.get((feedback / name).as_uri())
            text = wait_for(browser, "return document.body && document.body.innerText", 20, name)
            if name != "summary.html":
                assert "multiplies every exponential" in text and "$e^{c}" in browser.page_source
                assert browser.execute_script("return document.querySelectorAll('img[src^=\"data:image/png\"]')"
                                              ".length") >= 1
                clicked.append(_nothing_ran(browser, name))
            else:
                assert "would run in the grader's browser" in text
                _nothing_ran(browser, name)

        # JupyterLab: the autograded copy and the submitted one (with its stored script output), untrusted
        for folder in ("autograded", "submitted"):
            path = f"{folder}/{HOSTILE}/{ASSIGNMENT}/{NOTEBOOK}.ipynb"
            browser.get(server.page(f"lab/tree/{path}"))
            wait_for(browser, "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget; return w && "
                              f"w.context && w.context.path === {path!r} && "
                              "document.body.innerText.includes('multiplies every exponential')", 60,
                     f"{path} to open and show its answer")
            wait_for(browser, "return document.querySelectorAll('.jp-RenderedMarkdown mjx-container, "
                              ".jp-RenderedMarkdown .MathJax').length > 10", 30, "JupyterLab's math")
            clicked.append(_nothing_ran(browser, path))
        screenshot(browser, "lab_hostile")
    finally:
        browser.switch_to.default_content()
        browser.get("about:blank")
        server.stop()
    assert clicked == [True, True, True, True]  # the link was there (inert) in every page that shows the answer
    log = (tmp_path / "lab" / "lab.log").read_text(errors="replace")
    assert "/formgrader/submissions/" in log and "hw5-pwned" not in log  # the log shows requests; none was the attack's
    assert not list(course_root.rglob("pwned-*")), "a page wrote through the Jupyter API"
