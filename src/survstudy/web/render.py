"""HTML pieces of the app: report tables, figures and the list of data-check problems.

Tables and figures come ready-made from the report's document model (the same text the Word
and HTML reports print); this module only lays them out. Figures are inlined as ``data:``
URLs, so the page never fetches anything from elsewhere.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from htmltools import Tag, TagList, tags

from survstudy.errors import Problem
from survstudy.report.document import Cell, Figure, Table

__all__ = ["MAX_PROBLEMS_SHOWN", "SEVERITY_WORDS", "figure_tag", "problems_tag", "table_tag"]

#: How many problems the checks list shows before summarising the rest.
MAX_PROBLEMS_SHOWN = 200

#: What each severity is called on screen, and the badge colour.
SEVERITY_WORDS = {
    "error": ("Must fix", "text-bg-danger"),
    "warning": ("Please check", "text-bg-warning"),
    "note": ("Note", "text-bg-secondary"),
}


def _cell(c: Cell, header: bool) -> Tag:
    attrs: dict[str, str] = {}
    if c.colspan > 1:
        attrs["colspan"] = str(c.colspan)
    classes = []
    if c.align == "right":
        classes.append("text-end")
    elif c.align == "center":
        classes.append("text-center")
    if c.bold:
        classes.append("fw-semibold")
    if c.indent:
        classes.append(f"ps-{min(5, 2 + 2 * c.indent)}")
    if classes:
        attrs["class"] = " ".join(classes)
    return (tags.th if header else tags.td)(c.text, **attrs)


def table_tag(table: Table, *, show_title: bool = True) -> Tag:
    """A report table as an HTML table with its title and footnotes."""
    head = tags.thead(*[tags.tr(*[_cell(c, True) for c in row]) for row in table.header])
    body = tags.tbody(*[tags.tr(*[_cell(c, False) for c in row]) for row in table.rows])
    return tags.figure(
        tags.figcaption(table.title, class_="report-table-title") if show_title else None,
        tags.div(
            tags.table(head, body, class_="table table-sm report-table"), class_="table-responsive"
        ),
        *[tags.p(note, class_="report-note") for note in table.footnotes],
        class_="report-table-block",
        id=f"table-{table.id}",
    )


def _data_url(kind: str, content: bytes) -> str:
    return f"data:{kind};base64," + base64.b64encode(content).decode("ascii")


def figure_tag(figure: Figure) -> Tag:
    """A report figure inlined as a PNG ``data:`` URL, with its caption and links saving
    this one figure as PNG (slides) or SVG (journals; editable text)."""
    png = _data_url("image/png", figure.png)
    links = [
        tags.a("PNG", href=png, download=f"{figure.id}.png", class_="figure-download"),
        tags.a(
            "SVG",
            href=_data_url("image/svg+xml", figure.svg),
            download=f"{figure.id}.svg",
            class_="figure-download",
        )
        if figure.svg
        else None,
    ]
    return tags.figure(
        tags.div(tags.img(src=png, alt=figure.alt, class_="report-figure"), class_="figure-wrap"),
        tags.figcaption(
            figure.caption,
            tags.span(" Save this figure: ", *links, class_="figure-links"),
            class_="report-note",
        ),
        id=f"figure-{figure.id}",
    )


def problems_tag(problems: Sequence[Problem]) -> Tag | TagList:
    """The problems the checks found, errors first, as a table a clinician can act on."""
    if not problems:
        return tags.p("The checks found no problem in the data.", class_="text-success fw-semibold")
    order = {"error": 0, "warning": 1, "note": 2}
    ranked = sorted(problems, key=lambda p: order.get(p.severity, 3))
    shown = ranked[:MAX_PROBLEMS_SHOWN]
    rows = []
    for p in shown:
        word, badge = SEVERITY_WORDS.get(p.severity, (p.severity, "text-bg-light"))
        in_settings = p.file is not None and p.file.startswith("the study settings")
        rows.append(
            tags.tr(
                tags.td(tags.span(word, class_=f"badge {badge}")),
                tags.td("" if p.row is None or in_settings else str(p.row), class_="text-end"),
                tags.td("" if in_settings else (p.column or "")),
                tags.td("" if p.value is None else str(p.value)),
                tags.td(p.message),
            )
        )
    more = len(ranked) - len(shown)
    return TagList(
        tags.div(
            tags.table(
                tags.thead(
                    tags.tr(
                        tags.th(""),
                        tags.th("Row", class_="text-end"),
                        tags.th("Column"),
                        tags.th("Value"),
                        tags.th("What the check found"),
                    )
                ),
                tags.tbody(*rows),
                class_="table table-sm align-middle checks-table",
            ),
            class_="table-responsive",
        ),
        tags.p(
            f"… and {more} more (all are in the report's data-check section).", class_="report-note"
        )
        if more > 0
        else None,
        tags.p("Rows are counted as in a spreadsheet: the header is row 1.", class_="report-note"),
    )
