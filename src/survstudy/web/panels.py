"""The result panels of the app: summary boxes, survival of every endpoint, Table 1, Cox.

Each function takes the current :class:`~survstudy.web.pipeline.Outcome` (None while the
choices are incomplete or a run is going) and returns the HTML to show; nothing here computes
a statistic: tables and figures come ready-made from the report's document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from htmltools import Tag, TagList, tags
from shiny import ui

from survstudy.report.document import Paragraph, Table
from survstudy.report.format import (
    format_ci,
    format_count,
    format_exact_p,
    format_number,
    format_p,
    format_test_p,
    name_of_test,
)
from survstudy.web.pipeline import Outcome
from survstudy.web.render import figure_tag, table_tag

if TYPE_CHECKING:
    from survstudy.config.models import Analysis

__all__ = [
    "characteristics_table",
    "cox_tables",
    "figure_of",
    "km_figure",
    "logrank",
    "main_endpoint",
    "summary_boxes",
    "survival_table",
    "tables_of",
    "waiting",
]


def main_endpoint(o: Outcome) -> Any:
    """The endpoint the forms edit (the study's first)."""
    return o.results.endpoints[0] if o.results and o.results.endpoints else None


def summary_boxes(o: Outcome | None) -> Tag | None:
    ep = main_endpoint(o) if o else None
    if o is None or ep is None or o.study is None:
        return None
    curve = ep.overall.curves[0]
    median = curve.median
    unit = o.study.time_unit
    main = ep.main
    if main is None:
        test_box = ui.value_box("Groups compared", "None", "Choose groups in step 3")
    else:
        test = main.test
        exact = (
            format_exact_p(main.exact.p_value, main.exact.method)
            if main.exact is not None
            else f"{len(main.levels)} groups"
        )
        test_box = ui.value_box(
            f"{name_of_test(test.method)} test", format_p(test.p_value, prefix=True), exact
        )
    return ui.layout_columns(
        ui.value_box(
            "Patients analysed",
            format_count(curve.n),
            f"of {format_count(o.study.flow.n_registry)} in the registry",
        ),
        ui.value_box("Events", format_count(curve.events), ep.label),
        ui.value_box(
            f"Median survival, {unit}",
            format_number(median.estimate, 1, missing="not reached"),
            "95% CI " + format_ci(median.ci_lower, median.ci_upper, missing="NR"),
        ),
        test_box,
        fill=False,
        class_="summary-boxes",
    )


def logrank(o: Outcome | None) -> Tag | None:
    ep = main_endpoint(o) if o else None
    if ep is None:
        return waiting(o)
    main = ep.main
    if main is None:
        return tags.p(
            "All patients together: choose a grouping in step 3 to compare "
            "survival between groups.",
            class_="report-note",
        )
    text = format_test_p(main.test.method, main.test.p_value, main.test.df)
    extra = (
        f"; {format_exact_p(main.exact.p_value, main.exact.method)} (small groups)"
        if main.exact is not None
        else ""
    )
    return tags.p(tags.strong(text), extra, class_="fs-5 mb-2", id="logrank-text")


def waiting(o: Outcome | None) -> Tag:
    if o is not None and o.errors:
        return tags.p(
            "The results appear once the problems under Data checks are fixed.",
            class_="text-danger",
        )
    return tags.p("The results appear here once steps 1 and 2 are complete.", class_="report-note")


def figure_of(o: Outcome, ep: Any) -> Tag | None:
    assert o.document is not None
    figures = {f.id: f for f in o.document.figures()}
    main = ep.main
    wanted = f"{ep.name}-by-{main.variable}" if main else f"{ep.name}-overall"
    figure = figures.get(wanted) or figures.get(f"{ep.name}-overall")
    return figure_tag(figure) if figure else None


def tables_of(o: Outcome, ep: Any) -> list[Tag]:
    assert o.document is not None
    return [table_tag(t) for t in o.document.tables() if t.id == f"survival-{ep.name}"]


def km_figure(o: Outcome | None) -> Tag | None:
    ep = main_endpoint(o) if o else None
    if o is None or o.document is None or ep is None:
        return None
    return figure_of(o, ep)


def survival_table(o: Outcome | None) -> TagList | None:
    """The first endpoint's table, then every other endpoint: its test, figure and table."""
    ep = main_endpoint(o) if o else None
    if o is None or o.document is None or o.results is None or ep is None:
        return None
    out: list[Tag | None] = list(tables_of(o, ep))
    for other in o.results.endpoints[1:]:
        main = other.main
        test = (
            format_test_p(main.test.method, main.test.p_value, main.test.df)
            if main is not None
            else None
        )
        out += [
            tags.h3(other.label, class_="endpoint-heading", id=f"endpoint-{other.name}"),
            tags.p(tags.strong(test), class_="mb-2") if test else None,
            figure_of(o, other),
            *tables_of(o, other),
        ]
    return TagList(*out) if out else None


def characteristics_table(o: Outcome | None) -> Tag | TagList:
    return _tables_or_note(o, "characteristics", _characteristics_note)


def _characteristics_note(analysis: Analysis) -> str:
    if not analysis.characteristics:
        return "Choose the patient characteristics to describe in step 3."
    if not analysis.groups:
        return ("The characteristics table compares groups: choose them in step 3 "
                "(Compare survival between).")
    return ("No characteristics table for these choices; the characteristics are in "
            "the report's patient listing.")


def cox_tables(o: Outcome | None) -> Tag | TagList:
    return _tables_or_note(o, "prognostic", _cox_note)


def _cox_note(analysis: Analysis) -> str:
    if not analysis.covariates:
        return "Choose prognostic factors in step 3 for a Cox regression."
    return "No Cox model for these choices."


def _tables_or_note(o: Outcome | None, section: str,
                    note: Callable[[Analysis], str]) -> Tag | TagList:
    """The tables of the report section ``section``; without them, why not (the section's own
    notes, else ``note`` of the analysis choices), or the waiting note while there is no
    report."""
    if o is None or o.document is None:
        return waiting(o)
    found = [b for s in o.document.sections if s.id == section for b in s.blocks]
    tables = [table_tag(b) for b in found if isinstance(b, Table)]
    if tables:
        return TagList(*tables)
    notes = [b.text for b in found if isinstance(b, Paragraph)]
    return TagList(*(tags.p(text, class_="report-note")
                     for text in notes or [note(o.config.analysis)]))
