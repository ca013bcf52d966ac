"""Result panels of the further analyses: competing risks and the adjusted comparison.

As in :mod:`survstudy.web.panels`, nothing here computes a statistic: the panels show the
report's own sections (``competing-NAME`` from :mod:`survstudy.report.competing`, ``adjusted``
from :mod:`survstudy.report.adjusted`), block by block, as the Word and HTML reports print them.
"""

from __future__ import annotations

from htmltools import Tag, TagList, tags
from shiny import ui

from survstudy.report.document import Figure, Paragraph, Section, Table
from survstudy.report.format import format_count, format_p
from survstudy.web.panels import waiting
from survstudy.web.pipeline import Outcome
from survstudy.web.render import figure_tag, table_tag

__all__ = ["adjusted", "competing", "competing_boxes", "is_competing", "section_blocks"]


def section_blocks(section: Section) -> list[Tag]:
    """A report section's tables, figures and notes as HTML, in the report's order."""
    out: list[Tag] = []
    for block in section.blocks:
        if isinstance(block, Table):
            out.append(table_tag(block))
        elif isinstance(block, Figure):
            out.append(figure_tag(block))
        elif isinstance(block, Paragraph):
            out.append(tags.p(block.text, class_="report-note"))
        elif isinstance(block, Section):
            out += [tags.h3(block.title, class_="endpoint-heading"), *section_blocks(block)]
    return out


def is_competing(o: Outcome | None) -> bool:
    """Whether the endpoint the forms edit has a competing event."""
    if o is None or not o.config.analysis_endpoints:
        return False
    ep = o.config.endpoints.get(o.config.analysis_endpoints[0])
    return ep is not None and bool(ep.competing)


def competing_boxes(o: Outcome | None) -> Tag | None:
    """The summary boxes of a competing-risks endpoint: patients, events, competing events
    and Gray's test (a median survival and a log-rank test would describe 1 - KM, which is
    not what the figure shows)."""
    if o is None or o.results is None or o.study is None or not o.results.competing:
        return None
    cr = o.results.competing[0]
    curve = cr.overall.curves[0]
    gray = cr.gray
    test = (
        ui.value_box("Gray's test", format_p(gray.p_value, prefix=True), cr.label)
        if gray is not None and gray.p_value is not None
        else ui.value_box("Groups compared", "None", "Choose groups in step 3")
    )
    n = f"of {format_count(o.study.flow.n_registry)} in the registry"
    return ui.layout_columns(
        ui.value_box("Patients analysed", format_count(curve.n), n),
        ui.value_box("Events", format_count(curve.events), cr.label),
        ui.value_box("Competing events", format_count(curve.competing), cr.competing_label),
        test,
        fill=False,
        class_="summary-boxes",
    )


def competing(o: Outcome | None) -> TagList | None:
    """The cumulative incidence of every competing-risks endpoint: figure with Gray's p, the
    table at the landmarks, and the Fine-Gray and cause-specific Cox table (with covariates)."""
    if o is None or o.document is None:
        return None
    found = [s for s in o.document.sections if s.id.startswith("competing-")]
    out: list[Tag] = []
    for section in found:
        out += [
            tags.h3(section.title, class_="endpoint-heading", id=f"section-{section.id}"),
            *section_blocks(section),
        ]
    return TagList(*out) if out else None


def adjusted(o: Outcome | None) -> Tag | TagList:
    """The IPTW-adjusted comparison: weights, balance table, love plot, crude and weighted
    Kaplan-Meier figures and the adjusted hazard ratio."""
    if o is None or o.document is None:
        return waiting(o)
    found = [s for s in o.document.sections if s.id == "adjusted"]
    if found:
        return TagList(
            tags.h3(found[0].title, class_="endpoint-heading"), *section_blocks(found[0])
        )
    return tags.p(
        "Choose a treatment, the value meaning treated and the confounders in step 4 for "
        "a comparison adjusted by inverse probability of treatment weighting.",
        class_="report-note",
    )
