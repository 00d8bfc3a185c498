"""Content-Security-Policy for the pages that show a submission: the browser's own refusal to run anything the
page's template did not bring, behind the sanitised notebooks of ``grading.inert``.

A page's scripts are the template's: files from named folders (formgrader's static files, MathJax) and the
inline scripts of the page's ``<head>``, allowed by their SHA-256 each. The submission's content comes after
``<body>`` and gets no script, no inline handler, no ``javascript:`` link, no frame, no plugin, no form target.
``'unsafe-eval'`` stays: formgrader's own code compiles templates with ``new Function`` (underscore) and MathJax 2
evaluates its configuration block; it runs nothing a page did not already load.

Two places use it:
  - formgrader's submission pages, through the Jupyter server extension below (a response transform that adds
    the header), enabled for every Jupyter server of the project's environment by ``python -m
    grading.page_policy`` (``make`` runs it when it installs the environment);
  - the feedback pages, as a ``<meta http-equiv>`` at the top of their ``<head>``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

FEEDBACK_MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"  # nbconvert's default MathJax, by folder
FORMGRADER_PAGE = re.compile(r"^(?P<base>/(?:.*/)?)formgrader/submissions/[^/]+/?$")
LOCAL_MATHJAX = "static/jupyter_server_mathjax/"  # MathJax 2 served by jupyter-server-mathjax, under base_url


class _HeadScripts(HTMLParser):
    """The text of every inline script of a page's ``<head>`` (up to the first ``<body``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self._inside = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


def head_script_hashes(page: str) -> list[str]:
    """CSP hash sources ('sha256-...') of the inline scripts before the page's ``<body``."""
    cut = page.lower().find("<body")
    parser = _HeadScripts()
    parser.feed(page[:cut] if cut >= 0 else "")
    parser.close()
    return [f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
            for text in dict.fromkeys(parser.scripts)]


def policy(page: str, script_folders: list[str], frame_ancestors: bool = True) -> str:
    """The policy of one page: scripts from ``script_folders`` and the head's inline scripts, nothing else
    active; pictures from the page itself or data: addresses. ``frame_ancestors``: only the server's own pages
    may frame it (a header; a ``<meta>`` policy cannot say this)."""
    folders = " ".join(script_folders)
    parts = [
        "default-src 'none'",
        f"script-src {folders} {' '.join(head_script_hashes(page))} 'unsafe-eval'",
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
                folders = [base + "formgrader/static/", base + LOCAL_MATHJAX]
                headers["Content-Security-Policy"] = policy(chunk.decode("utf-8", "replace"), folders)
            return status_code, headers, chunk

    return SubmissionPagePolicy


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "grading.page_policy"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Jupyter server extension: every formgrader submission page gets its policy (before any compression)."""
    serverapp.web_app.transforms.insert(0, _transform_class())
    serverapp.log.info("hw5: formgrader's submission pages get a Content-Security-Policy (grading.page_policy)")


def enable() -> None:
    """Enable the extension for every Jupyter server of this environment (``make`` does this once per install)."""
    from jupyter_server.extension.serverextension import toggle_server_extension_python

    toggle_server_extension_python("grading.page_policy", enabled=True, sys_prefix=True)


if __name__ == "__main__":
    enable()
