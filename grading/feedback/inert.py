"""A submission's notebooks made inert before any page shows them: no script, event handler or active link is
left in their Markdown, raw cells or outputs, while text, tables, math and images stay.

The grading flow runs every executed notebook through ``inert_notebook`` before it lands in ``autograded/``
(which formgrader renders) and before nbgrader's feedback pages are made from it;
``inert_preprocessor.InertNotebook`` does the same in the instructor's formgrader (the course's nbgrader
configuration names it), for notebooks that reached ``autograded/`` another way. The sanitiser is ammonia (``nh3``)
with one allowlist:
    - Markdown is rendered as nbconvert renders it (mistune, math kept for MathJax); a cell whose rendering holds
      anything the allowlist refuses is replaced by the sanitised rendering, so the answer keeps its formatting
      and math, and every other cell keeps its source;
    - outputs keep the mime types a page can show inertly: text, HTML (sanitised), Markdown (as above), LaTeX,
      PNG, JPEG, GIF and SVG (sanitised); JavaScript, widget views and unknown types are dropped;
    - raw cells, which nbconvert copies verbatim into HTML, are sanitised like HTML; attachments other than
      images and the notebook's widget state are dropped.
What was removed is returned as plain words, so the feedback can name the attempt.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import nh3

HTML_TAGS = nh3.ALLOWED_TAGS | {"span", "div"}
SVG_TAGS = {"svg", "g", "path", "circle", "ellipse", "line", "polyline", "polygon", "rect", "text", "tspan", "defs",
            "clippath", "title", "desc", "use", "lineargradient", "radialgradient", "stop", "symbol", "marker",
            "pattern", "mask"}
TAGS = HTML_TAGS | SVG_TAGS
_SVG_ATTRIBUTES = {"viewbox", "width", "height", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "d",
                   "points", "transform", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
                   "opacity", "fill-opacity", "stroke-opacity", "clip-path", "font-size", "font-family",
                   "text-anchor", "dominant-baseline", "offset", "stop-color", "xmlns", "version",
                   "preserveaspectratio", "gradientunits", "id"}
ATTRIBUTES = {tag: set(nh3.ALLOWED_ATTRIBUTES.get(tag, ())) for tag in TAGS}
for _tag in SVG_TAGS:
    ATTRIBUTES[_tag] |= _SVG_ATTRIBUTES
ATTRIBUTES["use"] |= {"href", "xlink:href"}
GENERIC_ATTRIBUTES = {"class", "title", "style", "lang", "dir"}
STYLE_PROPERTIES = {"color", "background-color", "text-align", "vertical-align", "font-weight", "font-style",
                    "font-size", "font-family", "text-decoration", "width", "height", "max-width", "border",
                    "border-collapse", "padding", "margin", "white-space", "display", "fill", "stroke",
                    "stroke-width", "stroke-linecap", "stroke-linejoin", "opacity", "fill-opacity", "stroke-opacity"}
URL_SCHEMES = {"http", "https", "mailto", "data"}  # data: only ever reaches an <img> (a picture cannot run code)
URL_ATTRIBUTES = {"href", "src", "xlink:href", "cite", "action", "formaction", "background", "poster"}
KEPT_OUTPUTS = {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/gif",
                "image/svg+xml"}
KEPT_ATTACHMENTS = {"image/png", "image/jpeg", "image/gif"}
NOTE = "[removed by the grader: {what}]"


def clean_html(html: str) -> str:
    """``html`` with only the allowlist's tags, attributes, style properties and URL schemes left."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES | {"*": GENERIC_ATTRIBUTES}, url_schemes=URL_SCHEMES,
                     filter_style_properties=STYLE_PROPERTIES, strip_comments=True, link_rel="noopener noreferrer",
                     attribute_filter=_attribute_filter)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """data: URLs for pictures only, and a <use> refers within its own picture."""
    if attribute in URL_ATTRIBUTES and value.strip().lower().startswith("data:"):
        return value if tag == "img" and value.strip().lower().startswith("data:image/") else None
    if tag == "use" and attribute in {"href", "xlink:href"}:
        return value if value.startswith("#") else None
    return value


class _Refused(HTMLParser):
    """What of an HTML text the allowlist refuses: elements, attributes and URLs, in words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.found.append(f"<{tag}> element")
            return
        for name, value in attrs:
            allowed = name in ATTRIBUTES.get(tag, ()) or name in GENERIC_ATTRIBUTES
            if not allowed:
                self.found.append(f"{name} attribute of <{tag}>")
            elif name in URL_ATTRIBUTES and value is not None and _attribute_filter(tag, name, value) is None:
                self.found.append(f"{name} of <{tag}> to a data: address")
            elif name in URL_ATTRIBUTES and value and ":" in value.split("/")[0]:
                scheme = value.split(":", 1)[0].strip().lower()
                if scheme not in URL_SCHEMES:
                    self.found.append(f"{scheme}: link of <{tag}>")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        if "[if" in data or "<" in data:  # conditional comments and hidden markup; plain comments pass unnoticed
            self.found.append("markup inside a comment")


_TAG_NAME = re.compile(r"<\s*/?\s*([a-zA-Z][^\s/>]*)")
_ACTIVE = re.compile(r"\bon[a-z]+\s*=|javascript:|vbscript:|srcdoc|<!--|<!\[|<\?", re.IGNORECASE)


def refused(html: str) -> list[str]:
    """What ``clean_html`` would take out of ``html``, in words (empty: the HTML is inert as it is).

    Python's parser names what it sees; a browser may parse odd markup otherwise, so a conservative look at the
    raw text (every tag name, anything like an event handler or a script address) decides as well.
    """
    parser = _Refused()
    parser.feed(html)
    parser.close()
    found = parser.found
    suspicious = any(name.lower() not in TAGS for name in _TAG_NAME.findall(html)) or _ACTIVE.search(html)
    if suspicious and not found:
        found = ["markup the allowlist refuses"]
    return found


def _markdown_html(source: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


def inert_markdown(source: str) -> tuple[str, list[str]]:
    """Markdown that renders to nothing active: the source itself when it is inert, else its sanitised rendering.

    Raw HTML that mistune would pass through is what can act; a cell without any keeps its Markdown exactly.
    """
    if "<" not in source:
        return source, []
    rendered = _markdown_html(source)
    found = refused(rendered)
    if not found:
        return source, []
    return clean_html(rendered), found


def _inert_outputs(outputs: list, where: str, removed: list[str]) -> None:
    for output in outputs:
        data = output.get("data")
        if not isinstance(data, dict):
            continue
        for mime in list(data):
            value = data[mime]
            text = "".join(value) if isinstance(value, list) else value
            if mime not in KEPT_OUTPUTS or not isinstance(text, str):
                del data[mime]
                if mime != "application/vnd.jupyter.widget-view+json":  # a progress bar, not an attempt
                    removed.append(f"{where}: an output of type {mime}")
            elif mime in ("text/html", "image/svg+xml"):
                data[mime] = clean_html(text)  # always: an output has no source to keep
                removed.extend(f"{where}: {what} in a {mime} output" for what in refused(text))
            elif mime == "text/markdown":
                data[mime], found = inert_markdown(text)
                removed.extend(f"{where}: {what} in a Markdown output" for what in found)
        if not data:
            data["text/plain"] = NOTE.format(what="an output that a page could run")


def inert_notebook(notebook: dict) -> tuple[dict, list[str]]:
    """A copy of a notebook (nbformat 4, as a dict or NotebookNode) with nothing a page could run, and what was
    removed (e.g. "01 cell 4 (q1_1): onerror attribute of <img>")."""
    notebook = copy.deepcopy(notebook)
    removed: list[str] = []
    metadata = notebook.get("metadata", {})
    if isinstance(metadata, dict):
        metadata.pop("widgets", None)  # widget state: pages load a widget manager from the network for it
    for index, cell in enumerate(notebook.get("cells", [])):
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        where = f"cell {index}" + (f" ({grade_id})" if grade_id else "")
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            cell["source"], found = inert_markdown(source)
            removed.extend(f"{where}: {what}" for what in found)
        elif cell.get("cell_type") == "raw":
            found = refused(source)
            if found:
                cell["source"] = clean_html(source)
                removed.extend(f"{where}: {what} in a raw cell" for what in found)
        elif cell.get("cell_type") == "code":
            _inert_outputs(cell.get("outputs", []), where, removed)
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for name, bundle in list(attachments.items()):
                kept = {m: v for m, v in bundle.items() if m in KEPT_ATTACHMENTS} if isinstance(bundle, dict) else {}
                if len(kept) != (len(bundle) if isinstance(bundle, dict) else -1):
                    removed.append(f"{where}: attachment {name!r} of a kind a page could run")
                if kept:
                    attachments[name] = kept
                else:
                    del attachments[name]
    return notebook, removed


def inert_notebook_bytes(content: bytes, name: str) -> tuple[bytes, list[str]]:
    """``inert_notebook`` of a notebook file's bytes.

    Raises ValueError naming the file when the bytes are not a notebook (such a file is never shown).
    """
    import json

    import nbformat

    try:
        notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError, KeyError, ValueError) as exc:
        raise ValueError(f"{name} is not a notebook ({type(exc).__name__})") from exc
    clean, removed = inert_notebook(notebook)
    return nbformat.writes(nbformat.from_dict(clean)).encode("utf-8"), removed
