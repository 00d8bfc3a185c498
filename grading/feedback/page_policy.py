"""Content-Security-Policy for the pages that show a submission: the browser's own refusal to run anything the
page's template did not bring, behind the sanitised notebooks of ``grading.feedback.inert``.

A page's scripts are the template's: files from named folders (formgrader's static files, MathJax) and the
inline scripts and handlers of the part the template writes before the notebook, allowed by their SHA-256 each.
The submission's content comes after that part and gets no script, no inline handler, no ``javascript:`` link,
no frame, no plugin, no form target. Formgrader's pages load MathJax from this server (jupyter-server-mathjax)
instead of a CDN, so its math shows on a machine without the network.
``'unsafe-eval'`` stays: formgrader's own code compiles templates with ``new Function`` (underscore) and MathJax 2
evaluates its configuration block; it runs nothing a page did not already load.

Two places use it:
  - formgrader's submission pages, through the Jupyter server extension below (a response transform that adds
    the header), enabled for every Jupyter server of the project's environment by ``python -m
    grading.feedback.page_policy`` (``make`` runs it when it installs the environment);
  - the feedback pages, as a ``<meta http-equiv>`` at the top of their ``<head>``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

FEEDBACK_MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"  # nbconvert's default MathJax, by folder
CDN_MATHJAX_SCRIPT = FEEDBACK_MATHJAX + "latest.js?config=TeX-AMS_CHTML-full,Safe"  # as nbconvert's templates load it
FORMGRADER_PAGE = re.compile(r"^(?P<base>/(?:.*/)?)formgrader/submissions/[^/]+/?$")
LOCAL_MATHJAX = "static/jupyter_server_mathjax/"  # MathJax 2 served by jupyter-server-mathjax, under base_url
LOCAL_MATHJAX_SCRIPT = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
CONTENT_START = 'id="notebook-container"'  # where nbgrader's templates put the notebook; the template is before


class _TemplateScripts(HTMLParser):
    """The inline scripts and inline event handlers of a page's own part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [value for name, value in attrs if name.startswith("on") and value]
        if tag == "script" and not dict(attrs).get("src"):
            self._inside = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


def template_part(page: str) -> str:
    """The part of a page its template wrote: everything before the notebook's container (before ``<body``
    where there is none). A submission's content only ever comes after it."""
    for marker in (CONTENT_START, "<body"):
        cut = page.find(marker)
        if cut >= 0:
            return page[:cut]
    return ""


def _hash(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def template_script_hashes(page: str) -> list[str]:
    """CSP hash sources of the template's inline scripts and, after 'unsafe-hashes', of its inline handlers
    (formgrader's "show names" buttons); a submission's handler runs only if it is one of those, word for word."""
    parser = _TemplateScripts()
    parser.feed(template_part(page))
    parser.close()
    hashes = [_hash(text) for text in dict.fromkeys(parser.scripts)]
    if parser.handlers:
        hashes += ["'unsafe-hashes'"] + [_hash(text) for text in dict.fromkeys(parser.handlers)]
    return hashes


def policy(page: str, script_folders: list[str], frame_ancestors: bool = True) -> str:
    """The policy of one page: scripts from ``script_folders`` and the template's inline scripts and handlers,
    nothing else active; pictures from the page itself or data: addresses. ``frame_ancestors``: only the server's own pages
    may frame it (a header; a ``<meta>`` policy cannot say this)."""
    folders = " ".join(script_folders)
    parts = [
        "default-src 'none'",
        f"script-src {folders} {' '.join(template_script_hashes(page))} 'unsafe-eval'",
        f"style-src 'self' 'unsafe-inline' {folders}",
        f"font-src 'self' data: {folders}",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
        "frame-src 'none'",
    ]
    if frame_ancestors:
        parts.append("frame-ancestors 'self'")
    return "; ".join(" ".join(part.split()) for part in parts)


def with_meta_policy(page: str, script_folders: list[str] = (FEEDBACK_MATHJAX,)) -> str:
    """A standalone HTML page (a feedback page) with its policy as the first element of its ``<head>``."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(page, list(script_folders), False)}">'
    match = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    if match is None:
        return f"<!DOCTYPE html><html><head>{meta}</head>{page}</html>"
    return page[:match.end()] + meta + page[match.end():]


def _transform_class() -> type:
    from tornado.web import OutputTransform

    class SubmissionPagePolicy(OutputTransform):
        """Adds the policy to formgrader's pages of a submission (``/formgrader/submissions/<id>/``)."""

        def __init__(self, request) -> None:
            super().__init__(request)
            self.request = request

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            match = FORMGRADER_PAGE.match(self.request.path)
            if match and headers.get("Content-Type", "").startswith("text/html"):
                origin = f"{self.request.protocol}://{self.request.host}"
                base = origin + match["base"]
                page = chunk.decode("utf-8", "replace")
                template = template_part(page)  # MathJax from this server: math shows without the network
                local = base + LOCAL_MATHJAX + LOCAL_MATHJAX_SCRIPT
                page = template.replace(CDN_MATHJAX_SCRIPT, local) + page[len(template):]
                chunk = page.encode("utf-8")
                if "Content-Length" in headers:
                    headers["Content-Length"] = str(len(chunk))
                headers["Content-Security-Policy"] = policy(page, [base + "formgrader/static/", base + LOCAL_MATHJAX])
            return status_code, headers, chunk

    return SubmissionPagePolicy


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "grading.feedback.page_policy"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Jupyter server extension: every formgrader submission page gets its policy (before any compression)."""
    serverapp.web_app.transforms.insert(0, _transform_class())
    serverapp.log.info("hw5: formgrader's submission pages get a Content-Security-Policy (grading.feedback.page_policy)")


def enable() -> None:
    """Enable the extension for every Jupyter server of this environment (``make`` does this once per install)."""
    from jupyter_server.extension.serverextension import toggle_server_extension_python

    toggle_server_extension_python("grading.feedback.page_policy", enabled=True, sys_prefix=True)


if __name__ == "__main__":
    enable()
