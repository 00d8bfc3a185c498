"""Outputs limited while a notebook runs (grading.sandbox.inside.output_limits.LimitedExecute, nbgrader's Execute in the
sandboxed run), with small limits so that a real kernel sends past them in a second."""

import json

import nbformat
import pytest

from grading.sandbox.inside import output_limits


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(output_limits, "OUTPUT_CHARS", 10_000)
    monkeypatch.setattr(output_limits, "NOTEBOOK_CHARS", 60_000)


def _run(*sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    executor = output_limits.LimitedExecute(timeout=60, kernel_name="python3")
    notebook, _ = executor.preprocess(notebook, {"metadata": {"path": "."}})
    return notebook


def test_streams_pictures_html_and_errors_are_cut_as_they_come_with_notes(small_limits):
    notebook = _run("for i in range(2000):\n    print('line', i, 'x' * 50)",  # 120 kB in many small messages
                    "from IPython.display import HTML, display\ndisplay(HTML('<p>' + 'y' * 50_000))",
                    "print('small')",
                    "raise ValueError('e' * 30_000)")
    stream, html, small, error = (cell.outputs for cell in notebook.cells)
    text = "".join(o.text for o in stream)
    assert text.startswith("line 0 ") and len(text) < 10_200
    assert "characters of this output left out (a cell's stream may hold 0.0 MB)]" in text
    assert len(html[0].data["text/html"]) < 10_200 and "of this output left out" in html[0].data["text/html"]
    assert small[0].text == "small\n"  # untouched
    assert error[0].ename == "ValueError" and len(error[0].evalue) < 10_200
    assert output_limits.cut_chars(json.dumps(notebook)) >= 150_000


def test_a_notebook_keeps_its_outputs_up_to_its_own_limit_then_notes_what_is_left_out(small_limits):
    notebook = _run("from IPython.display import HTML, display\nfor i in range(12):\n"
                    "    display(HTML(f'<b>{i}</b>' + 'z' * 9_000))", "print('after')")
    shown, after = (cell.outputs for cell in notebook.cells)
    sizes = [output_limits.output_size(o) for o in shown]
    assert len(shown) == 12 and sum(sizes) <= 60_000 + 12 * 200
    assert all("<b>" in o.data["text/html"] for o in shown[:6])
    assert all("a notebook's outputs may hold" in o.data["text/html"] for o in shown[7:])
    assert after[0].text == "after\n"  # what still fits is kept


def test_a_cut_picture_becomes_a_note(small_limits):
    output = nbformat.v4.new_output("display_data", data={"image/png": "A" * 50_000, "text/plain": "<Figure>"})
    assert output_limits.cut_output(output, 10_000, "why") == 50_000
    assert list(output.data) == ["text/plain"] and "50,000 characters of this output left out (image/png; why)" in \
        output.data["text/plain"]
