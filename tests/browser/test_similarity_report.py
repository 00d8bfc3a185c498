"""The similarity report in a real browser: the ranked pairs open side by side with the matched lines marked, and
a submission's code shows as text, never runs (its pages hold no script and forbid any)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grading"))

from lab_browser import screenshot  # noqa: E402
from test_similarity import make_course, planted  # noqa: E402

from grading.feedback.similarity import similarity_report  # noqa: E402

ATTACK = "<script>window.hw5Pwned = 'script'</script><img src=x onerror=\"window.hw5Pwned = 'img'\">"


def test_the_report_reads_in_a_browser_and_no_submission_code_runs(browser, tmp_path):
    submissions = planted()
    rel = next(iter(submissions["ana"]))
    for student in ("ana", "ana_renamed"):  # a planted pair: the copy took the hostile lines along
        submissions[student][rel] += f"\n# {ATTACK}\nNOTE = {ATTACK!r}\n"
    summary = similarity_report(make_course(tmp_path, submissions), progress=False)

    browser.get(summary.html_path.as_uri())
    assert "Pairs to look at, not a verdict" in browser.find_element("tag name", "body").text
    links = browser.execute_script("return Array.from(document.querySelectorAll('a')).map(a => a.href)")
    pages = [href for href in links if "/similarity/pair-" in href]
    assert len(pages) >= 3  # the three planted copies at least
    screenshot(browser, "similarity-index")
    shown = []
    for href in pages:
        browser.get(href)
        assert browser.execute_script("return document.querySelectorAll('mark').length") > 0, href
        assert browser.execute_script("return window.hw5Pwned === undefined"), f"{href} ran a submission's code"
        text = browser.find_element("tag name", "body").text
        if "window.hw5Pwned" in text:
            shown.append(href)
            screenshot(browser, "similarity-pair")
    assert shown, "the pair holding the hostile lines shows them as text"
