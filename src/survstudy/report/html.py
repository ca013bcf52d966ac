"""The report as one self-contained HTML file: inline CSS, figures inlined, no scripts."""

from __future__ import annotations

import base64
from importlib.resources import files

from survstudy.report.document import Document

__all__ = ["render_html"]


def render_html(doc: Document) -> str:
    """HTML for ``doc``: readable on a phone, printable, nothing fetched from the network."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    source = files("survstudy.report").joinpath("templates/report.html.j2").read_text("utf-8")
    return env.from_string(source).render(doc=doc)
