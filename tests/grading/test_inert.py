"""A submission's notebooks are made inert before a page shows them (grading.feedback.inert), and the pages that show
them carry a Content-Security-Policy (grading.feedback.page_policy): checked on the hostile sample's notebook, as the
formgrader's exporter and the feedback pages render it, without a browser (tests/grading/test_formgrader.py
opens the graded sample in one)."""

import copy
import re
from html.parser import HTMLParser

import nbformat
import pytest

from grading.course.paths import PROJECT_ROOT
from grading.feedback import inert, page_policy
from grading.selftest import samples

MARK = "hw5Pwned"


class ActiveParts(HTMLParser):
    """Every place of a page that a browser would run: inline scripts, event handlers, script addresses,
    frames' documents, and what SVG scripts hold."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.active: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self._script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name == "srcdoc" or value.strip().lower().startswith(("javascript:", "data:text")):
                self.active.append(f"{tag} {name}={value[:60]}")

    def handle_data(self, data):
        if self._script:
            self.active.append(f"script {data[:60]}")

    def handle_endtag(self, tag):
        self._script = False


def active_parts(page: str) -> list[str]:
    parser = ActiveParts()
    parser.feed(page)
    return parser.active


def hostile_notebook(tmp_path) -> nbformat.NotebookNode:
    """01_theory with the hostile sample's edits and the outputs its new cell gives when it runs."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "01_theory.ipynb").write_bytes((PROJECT_ROOT / "notebooks" / "01_theory.ipynb").read_bytes())
    sample = samples.SAMPLES["hostile_page_scripts"]
    samples.apply_edits(folder, samples.Sample(sample.name, sample.kind, (), sample.edits, sample.about))
    notebook = nbformat.read(folder / "01_theory.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "Javascript" in c.source)
    html = re.findall(r"display\(HTML\((.*)\)\)", cell.source)
    svg = re.search(r"display\(SVG\((.*)\)\)", cell.source).group(1)
    script = re.search(r"display\(Javascript\((.*)\)\)", cell.source).group(1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": eval(h), "text/plain": "HTML"})
                    for h in html]
    cell.outputs += [nbformat.v4.new_output("display_data", data={"application/javascript": eval(script)}),
                     nbformat.v4.new_output("display_data", data={"image/svg+xml": eval(svg), "text/plain": "SVG"})]
    return notebook


def test_the_hostile_sample_holds_every_kind_of_attack(tmp_path):
    notebook = hostile_notebook(tmp_path)
    text = nbformat.writes(notebook)
    for vector in samples.PAGE_VECTORS:
        assert f"pwned-{vector}" in text, vector
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_1")
    assert len(active_parts(answer.source)) == 4  # img onerror, svg onload, iframe srcdoc, javascript: link


def test_nothing_active_is_left_and_the_answer_keeps_its_text_and_math(tmp_path):
    notebook = hostile_notebook(tmp_path)
    clean, removed = inert.inert_notebook(notebook)
    for cell in clean.cells:
        shown = str(cell.outputs) if cell.cell_type == "code" else cell.source
        assert MARK not in shown, (cell.cell_type, shown[:300])
    answer = next(c for c in clean.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_1")
    original = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_1")
    plain = original.source.split("<img")[0].strip()
    assert "$e^{c}" in answer.source and "$c$" in answer.source  # the math is still there for MathJax
    words = [w for w in re.split(r"\$[^$]*\$", plain) if len(w.strip()) > 15]
    assert all(w.strip().split()[-1] in answer.source for w in words)
    assert "<svg" in answer.source and "<circle" in answer.source and "pwned-check</a>" in answer.source
    reported = " | ".join(removed)
    for what in ("onerror attribute of <img>", "onload attribute of <svg>", "<iframe> element", "javascript: link",
                 "an output of type application/javascript", "<script> element in a text/html output",
                 "<script> element in a image/svg+xml output"):
        assert what in reported, what
    outputs = next(c for c in clean.cells if c.cell_type == "code" and "Javascript" in c.source).outputs
    assert [sorted(o.data) for o in outputs] == [["text/html", "text/plain"], ["text/html", "text/plain"],
                                                 ["text/plain"], ["image/svg+xml", "text/plain"]]
    assert "<circle" in outputs[3].data["image/svg+xml"] and outputs[0].data["text/html"] == '<img src="y">'
    assert "removed by the grader" in outputs[2].data["text/plain"]


@pytest.mark.parametrize("name", sorted(p.name for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb")))
def test_an_ordinary_notebook_keeps_every_answer_and_figure(name):
    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / name, as_version=4)
    clean, removed = inert.inert_notebook(notebook)
    assert removed == []
    assert [c.source for c in clean.cells] == [c.source for c in notebook.cells]
    figures = [o.data["image/png"] for c in notebook.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    kept = [o.data["image/png"] for c in clean.cells if c.cell_type == "code" for o in c.outputs
            if "image/png" in o.get("data", {})]
    assert kept == figures
    assert "widgets" not in clean.metadata


def test_markdown_without_html_is_kept_exactly():
    source = "The loss falls: $a < b$ and `x<y`, **bold** and a [link](https://example.org)."
    assert inert.inert_markdown(source) == (source, [])
    html, found = inert.inert_markdown("ok <b>bold</b> <img/src=x/onerror=alert(1)>")
    assert found and active_parts(html) == []


def test_raw_cells_and_attachments_are_made_inert():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell("<script>hw5Pwned()</script><p>raw</p>"),
                                               nbformat.v4.new_markdown_cell("![a](attachment:a.svg)")])
    notebook.cells[1].attachments = {"a.svg": {"image/svg+xml": "<svg onload='x()'/>"}, "b.png": {"image/png": "AA"}}
    clean, removed = inert.inert_notebook(notebook)
    assert clean.cells[0].source == "<p>raw</p>" and list(clean.cells[1].attachments) == ["b.png"]
    assert any("raw cell" in r for r in removed) and any("attachment 'a.svg'" in r for r in removed)


def test_bytes_that_are_not_a_notebook_are_refused_with_the_name():
    with pytest.raises(ValueError, match="01_theory.ipynb is not a notebook"):
        inert.inert_notebook_bytes(b"{not json", "01_theory.ipynb")


def _formgrader_exporter(guarded: bool = True):
    """The HTML exporter as nbgrader's formgrader configures it, with the course's configuration."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    if guarded:
        config.HTMLExporter.preprocessors = ["grading.feedback.inert_preprocessor.InertNotebook"]
        config.HTMLExporter.sanitize_html = True
    return HTMLExporter(config=config)


def test_formgrader_renders_a_hostile_notebook_without_anything_active(tmp_path):
    notebook = hostile_notebook(tmp_path)
    resources = {"base_url": "", "index": 0, "total": 1, "submission_id": "s", "notebook_id": "01_theory",
                 "assignment_id": "hw5", "student": "x", "notebook_path": "x"}
    page, _ = _formgrader_exporter().from_notebook_node(copy.deepcopy(notebook), resources=resources)
    assert [part for part in active_parts(page) if MARK in part] == []
    assert "pwned-check" in page and "Student's answer" in page and "$e^{c}" in page
    # without the course's configuration, formgrader's template passes the written answer's HTML through
    unguarded, _ = _formgrader_exporter(guarded=False).from_notebook_node(copy.deepcopy(notebook),
                                                                         resources=resources)
    assert len([part for part in active_parts(unguarded) if MARK in part]) >= 4


def test_the_policy_allows_the_templates_scripts_only():
    page = ("<html><head><script>var a = 1;</script><script src='/x.js'></script></head>"
            "<body><script>hw5Pwned()</script></body></html>")
    hashes = page_policy.template_script_hashes(page)
    assert len(hashes) == 1 and hashes[0].startswith("'sha256-")
    header = page_policy.policy(page, ["http://h/formgrader/static/"])
    assert "script-src http://h/formgrader/static/ 'sha256-" in header
    assert "'unsafe-inline'" not in header.split("script-src")[1].split(";")[0]
    assert "default-src 'none'" in header and "frame-src 'none'" in header and "frame-ancestors 'self'" in header
    with_meta = page_policy.with_meta_policy(page)
    assert with_meta.index('http-equiv="Content-Security-Policy"') < with_meta.index("<script>var a")
    assert "frame-ancestors" not in with_meta  # a <meta> policy cannot hold it


def test_formgraders_submission_pages_get_the_policy_and_others_do_not():
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    transform = page_policy._transform_class()
    page = (f'<html><head><script src="{page_policy.CDN_MATHJAX_SCRIPT}"></script><script>var b = 2;</script>'
            f'</head><body><div id="notebook-container">{page_policy.CDN_MATHJAX_SCRIPT}</div></body></html>').encode()
    for path, expected in (("/formgrader/submissions/abc/", True), ("/base/formgrader/submissions/abc/", True),
                           ("/formgrader/manage_assignments", False), ("/lab", False)):
        request = HTTPServerRequest(start_line=RequestStartLine("GET", path, "HTTP/1.1"),
                                    headers=HTTPHeaders({"Host": "127.0.0.1:8888"}))
        headers = HTTPHeaders({"Content-Type": "text/html; charset=UTF-8", "Content-Length": str(len(page)),
                               "Content-Security-Policy": "frame-ancestors 'self'"})
        _, headers, chunk = transform(request).transform_first_chunk(200, headers, page, True)
        assert headers["Content-Length"] == str(len(chunk))
        policy = headers["Content-Security-Policy"]
        assert ("script-src" in policy) == expected, path
        if expected:
            base = "http://127.0.0.1:8888" + path.split("formgrader/")[0]
            assert f"{base}formgrader/static/" in policy and f"{base}{page_policy.LOCAL_MATHJAX}" in policy
            local = f'src="{base}{page_policy.LOCAL_MATHJAX}{page_policy.LOCAL_MATHJAX_SCRIPT}"'.encode()
            assert local in chunk and chunk.count(page_policy.CDN_MATHJAX_SCRIPT.encode()) == 1  # the page's own
        else:
            assert chunk == page
