"""Outputs limited while nbgrader runs a submission's notebooks, so a notebook that prints or displays hundreds
of MB is kept, with its outputs cut, instead of growing past what nbgrader, the grader and formgrader can hold.

``LimitedExecute`` takes the place of nbgrader's ``Execute`` in the sandboxed run (named in that run's
``nbgrader_config.py``; this file is copied beside it, as it imports nothing of ``grading``). As outputs come in:
- one output (a stream of a cell, a picture, an HTML page, an error) keeps at most ``OUTPUT_CHARS``;
- a notebook keeps at most ``NOTEBOOK_CHARS`` of outputs in all; past it, outputs are left out.
Every cut leaves a visible note (``note``) where it was made; ``cut_chars`` reads the notes back, so that the
grader can say which notebook lost how much. Text keeps its first ``KEPT_CHARS``; a picture is replaced by a note.
"""

from __future__ import annotations

import functools
import re

OUTPUT_CHARS = 2**20
NOTEBOOK_CHARS = 32 * 2**20
KEPT_CHARS = 10_000
NOTE = re.compile(r"\[cut by the grader: ([0-9,]+) characters of this output left out")


def note(cut: int, why: str) -> str:
    """The visible note that ``cut`` characters were left out, and why."""
    return f"\n[cut by the grader: {cut:,} characters of this output left out ({why})]\n"


def megabytes(chars: int) -> str:
    """Characters as the notes count them: "1.0 MB"."""
    return f"{chars / 1e6:,.1f} MB"


def cut_chars(text: str) -> int:
    """The characters the notes in ``text`` (a notebook's JSON) say were left out."""
    return sum(int(found.replace(",", "")) for found in NOTE.findall(text))


def _fields(output: dict) -> list[tuple[dict, str]]:
    """(holder, key) of each part of an output that can be large."""
    parts = [(output, key) for key in ("text", "evalue", "traceback") if key in output]
    data = output.get("data")
    return parts + ([(data, mime) for mime in list(data)] if isinstance(data, dict) else [])


def _length(value) -> int:
    if isinstance(value, list):
        return sum(len(item) for item in value if isinstance(item, str))
    return len(value) if isinstance(value, str) else 0


def cut_output(output: dict, limit: int, why: str) -> int:
    """Cut every part of ``output`` over ``limit`` characters in place (text: its start and a note; anything
    else: a note instead); the characters left out."""
    cut = 0
    for holder, key in _fields(output):
        value = holder[key]
        size = _length(value)
        if size <= limit:
            continue
        if key == "traceback":
            holder[key] = [line[:KEPT_CHARS] for line in value[:20]] + [note(size, why)]
        elif key in ("text", "evalue") or key.startswith("text/"):
            text = "".join(value) if isinstance(value, list) else value
            holder[key] = text[:min(limit, KEPT_CHARS)] + note(size - min(limit, KEPT_CHARS), why)
        else:
            del holder[key]
            holder["text/plain"] = note(size, f"{key}; {why}")
        cut += size
    return cut


def output_size(output: dict) -> int:
    return sum(_length(holder[key]) for holder, key in _fields(output))


def __getattr__(name: str):
    """``LimitedExecute``, made on first use: the grader's side imports this module for its notes and cuts only,
    without nbgrader (whose import takes seconds); nbgrader's run names the class and so makes it."""
    if name == "LimitedExecute":
        return _limited_execute()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _limited_execute() -> type:
    from nbgrader.preprocessors import Execute

    class LimitedExecute(Execute):
        """nbgrader's ``Execute`` with the outputs limited as they come in (see the module's docstring)."""

        def preprocess(self, nb, resources=None, km=None):
            self._kept = 0
            self._streams: dict[tuple[int, str], list] = {}  # (cell, stream) -> [characters, note output or None]
            nb, resources = super().preprocess(nb, resources, km)
            for cell in nb.cells:  # outputs replaced later by display updates are cut here
                for output in cell.get("outputs", []):
                    cut_output(output, OUTPUT_CHARS, f"one output may hold {megabytes(OUTPUT_CHARS)}")
            return nb, resources

        def output(self, outs, msg, display_id, cell_index):
            out = super().output(outs, msg, display_id, cell_index)
            if out is None or not outs or outs[-1] is not out:
                return out
            if out.get("output_type") == "stream":
                if self._stream_cut(outs, out, cell_index):
                    return None
            else:
                cut_output(out, OUTPUT_CHARS, f"one output may hold {megabytes(OUTPUT_CHARS)}")
            if self._kept + output_size(out) > NOTEBOOK_CHARS:
                cut_output(out, 0, f"a notebook's outputs may hold {megabytes(NOTEBOOK_CHARS)}")
            self._kept += output_size(out)
            return out

        def _stream_cut(self, outs, out, cell_index) -> bool:
            """Keep a cell's stream (stdout, stderr) to ``OUTPUT_CHARS``: the part past it is left out and counted on
            one note after it. True when ``out`` was left out whole."""
            from nbformat import from_dict

            why = f"a cell's stream may hold {megabytes(OUTPUT_CHARS)}"
            size = output_size(out)
            seen = self._streams.setdefault((cell_index, out.get("name", "")), [0, None])
            if seen[1] is not None and not any(kept is seen[1] for kept in outs):  # the cell cleared its output
                seen[:] = [0, None]
            seen[0] += size
            if seen[1] is not None:
                outs.pop()
                seen[1]["text"] = note(seen[0] - OUTPUT_CHARS, why)
                return True
            if seen[0] > OUTPUT_CHARS:
                out["text"] = out.get("text", "")[:max(0, OUTPUT_CHARS - (seen[0] - size))]
                seen[1] = from_dict({"output_type": "stream", "name": out.get("name", "stdout"),
                                     "text": note(seen[0] - OUTPUT_CHARS, why)})
                outs.append(seen[1])
            return False

    return LimitedExecute
