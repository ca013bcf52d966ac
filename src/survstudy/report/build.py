"""Assemble the report document from a study's results: sections, tables, figures, text.

Figures are rendered here (PNG and SVG bytes) so every output format carries the same images;
tables hold display text made by ``format.py`` from the numbers in :class:`StudyResults`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from survstudy.report.cox_table import prognostic_tables as _prognostic_tables
from survstudy.report.document import Cell, Document, Figure, Paragraph, Section, Table
from survstudy.report.format import (
    format_count,
    format_estimate_ci,
    format_exact_p,
    format_number,
    format_test_p,
    group_label,
)
from survstudy.report.text import (
    column_label,
    landmark_phrase,
    lower_first,
    methods_paragraphs,
    time_axis_label,
)
from survstudy.report.text_claims import claims_table
from survstudy.report.text_results import results_paragraphs

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from survstudy.study.analysis import EndpointResult, StudyResults

__all__ = ["build_document", "group_labels", "level_labels"]


def _render(fig: MplFigure, stem: str, number: int, caption: str, alt: str) -> Figure:
    from survstudy.report.figures import figure_style

    png, svg = io.BytesIO(), io.BytesIO()
    with figure_style():  # the fonts the text was placed with; SVG text kept editable
        fig.savefig(png, format="png", dpi=300, bbox_inches="tight", metadata={"Software": None})
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Figure(id=stem, caption=f"Figure {number}. {caption}", png=png.getvalue(),
                  svg=svg.getvalue(), alt=alt)


def level_labels(results: StudyResults, variable: str | None) -> dict[str, str]:
    """Display labels of a variable's levels from the study file (level → label)."""
    if variable is None:
        return {}
    var = results.study.config.variables.get(variable)
    return dict(var.labels or {}) if var is not None else {}


def group_labels(results: StudyResults) -> dict[str, dict[str, str]]:
    """Level labels of every grouping variable the endpoints are compared by."""
    variables = {c.variable for e in results.endpoints for c in e.comparisons}
    if results.group:
        variables.add(results.group)
    return {v: level_labels(results, v) for v in variables}


def _right(text: str) -> Cell:
    return Cell(text, align="right")


def _percent_ci(s: float | None, lo: float | None, hi: float | None) -> str:
    """Survival as "53.3 (6.8–86.3)" under a "%" header; NE where not estimable. A survival of
    100% before any event has no interval on the log-log scale (R prints 1–1 by convention):
    NE, as the 0% after the last patient died."""

    def pct(x: float | None) -> float | None:
        return None if x is None else 100 * x

    if s == 1.0 and lo == hi == 1.0:
        lo = hi = None
    return format_estimate_ci(pct(s), pct(lo), pct(hi))


def _survival_table(results: StudyResults, ep: EndpointResult, number: int,
                    labels: Mapping[str, Mapping[str, str]]) -> Table:
    unit = results.study.time_unit
    phrases = landmark_phrase(results)
    span = (Cell(""),) * 4
    header = (
        (*span, *[Cell(f"{p} survival", align="center", colspan=2) for p in phrases]),
        (Cell("Group"), _right("n"), _right("Events"), _right(f"Median, {unit} (95% CI)"),
         *[c for _ in phrases for c in (_right("% (95% CI)"), _right("At risk"))]),
    )
    ncols = len(header[1])

    def row(label: str, curve: Any, bold: bool = False, indent: int = 0) -> tuple[Cell, ...]:
        median = curve.median
        reads = curve.at(ep.landmarks)
        return (
            Cell(label, bold=bold, indent=indent),
            _right(format_count(curve.n)),
            _right(format_count(curve.events)),
            _right(format_estimate_ci(median.estimate, median.ci_lower, median.ci_upper,
                                      missing="NR", missing_estimate="NR")),
            *[c for r in reads for c in (_right(_percent_ci(r.survival, r.ci_lower, r.ci_upper)),
                                         _right(format_count(r.n_risk)))],
        )

    rows = [row("All patients", ep.overall.curves[0], bold=True)]
    notes = [
        f"CI: {round(ep.overall.conf_level * 100)}% confidence interval, "
        f"{ep.overall.conf_type} transform (Greenwood variance); median CI by "
        "Brookmeyer-Crowley. NR: not reached. NE: not estimable (no patient followed that "
        "long, or the interval is undefined). At risk: patients still followed at that "
        "time (R's n.risk).",
    ]
    fu = ep.follow_up["all"]
    notes.append(
        "Median follow-up (reverse Kaplan-Meier): "
        + format_estimate_ci(fu.estimate, fu.ci_lower, fu.ci_upper, missing="NR",
                             missing_estimate="NR")
        + f" {unit}."
    )
    for comparison in ep.comparisons:
        by = column_label(results, comparison.variable)
        test = comparison.test
        line = format_test_p(test.method, test.p_value, test.df)
        if test.df:
            line += f" (chi-square {format_number(test.statistic, 2)}, {test.df} df)"
        exact = comparison.exact
        if exact is not None:
            line += "; " + format_exact_p(exact.p_value, exact.method)
            if exact.std_err == 0:
                line += f" ({exact.n_extreme:,} of {exact.n_relabelings:,} relabelings)"
        rows.append((Cell(f"By {lower_first(by)}: {line}", bold=True, colspan=ncols),))  # no (…(…))
        names = labels.get(comparison.variable, {})
        rows += [row(group_label(c.label, names), c, indent=1) for c in comparison.km]
    if ep.not_derived:
        notes.append(f"{ep.not_derived} patients without a derivable {ep.label.lower()} time "
                     "are left out.")
    return Table(f"survival-{ep.name}", f"Table {number}. {ep.label}", header,
                 tuple(rows), tuple(notes))


def _km_figures(results: StudyResults, ep: EndpointResult, start: int,
                labels: Mapping[str, Mapping[str, str]]) -> dict[str, Figure]:
    """The overall figure (key: endpoint) and one per comparison (key: endpoint:variable)."""
    from survstudy.report.figures import km_figure, shows_censor_marks

    unit = results.study.time_unit
    xlabel = time_axis_label(results, ep.name)
    tick = results.study.config.report.tick_every
    out = {}
    fig = km_figure(ep.overall, labels={"all": "All patients"}, time_unit=unit, xlabel=xlabel,
                    ylabel=ep.label, tick_every=tick)
    n = int(ep.overall.curves[0].n)
    marks = "; | censored" if shows_censor_marks(ep.overall) else ""
    out[ep.name] = _render(fig, f"{ep.name}-overall", start,
                           f"{ep.label} of all {format_count(n)} patients (Kaplan-Meier "
                           f"estimate with 95% confidence band{marks}).",
                           f"Kaplan-Meier curve of {ep.label.lower()}, all patients")
    for i, c in enumerate(ep.comparisons, start=1):
        fig = km_figure(c.km, test=c.test, exact=c.exact, labels=labels.get(c.variable, {}),
                        time_unit=unit, xlabel=xlabel, ylabel=ep.label, tick_every=tick)
        by = lower_first(column_label(results, c.variable))
        out[f"{ep.name}:{c.variable}"] = _render(
            fig, f"{ep.name}-by-{c.variable}", start + i,
            f"{ep.label} by {by} (Kaplan-Meier"
            f"{'; | censored' if shows_censor_marks(c.km) else ''}; dashed lines: medians).",
            f"Kaplan-Meier curves of {ep.label.lower()} by {by}")
    return out


def _whole_numbers(column: Any) -> bool:
    """A numeric column whose values are all whole (ages stored as floats print as 44)."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    values = column.dropna().to_numpy(dtype=float)
    return bool(values.size) and bool((values == values.round()).all())


def _listing(results: StudyResults, number: int,
             labels: Mapping[str, Mapping[str, str]]) -> Table:
    study = results.study
    cfg = study.config
    columns = list(cfg.report.listing or [])
    if cfg.report.listing is None:
        columns = ([results.group] if results.group else []) + list(
            cfg.analysis.characteristics)
        for ep in results.endpoints:
            columns += list(study.endpoint_columns(ep.name))
    if cfg.report.show_ids and cfg.data.id not in columns:
        columns.insert(0, cfg.data.id)
    elif not cfg.report.show_ids:
        columns = [c for c in columns if c != cfg.data.id]
    columns = [c for c in columns if c in study.columns]
    group = [results.group] if results.group else []
    frame = study.frame(list(dict.fromkeys([*columns, *group])))
    if results.group:
        order = {v: i for i, v in enumerate(results.group_levels)}
        frame = frame.assign(_order=frame[results.group].astype(str).map(order)).sort_values(
            "_order", kind="stable")
    event_columns = {study.endpoint_columns(ep.name)[1] for ep in results.endpoints}
    whole = {c for c in columns if _whole_numbers(frame[c])}
    header = tuple(Cell(column_label(results, c)) for c in columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if v is None or (isinstance(v, float) and v != v) or str(v) in ("<NA>", "NaT"):
                text = ""
            elif c in event_columns:
                text = "event" if int(v) == 1 else "censored"
            elif c in labels:
                text = group_label(str(v), labels[c])
            elif isinstance(v, float):
                text = format_number(v, 0 if c in whole else 1)
            elif hasattr(v, "date"):
                text = v.date().isoformat()
            else:
                text = str(v)
            cells.append(Cell(text, align="right" if isinstance(v, (int, float)) and c not in
                              event_columns else "left"))
        rows.append(tuple(cells))
    note = ("Patient identifiers are shown because the study file asks for them."
            if cfg.report.show_ids else "Patient identifiers are left out.")
    return Table("patient-listing", f"Table {number}. Patient listing", (header,),
                 tuple(rows), (note,))


def _flow_section(results: StudyResults, fig_no: int) -> tuple[Section, int]:
    from survstudy.report.flow import flow_figure

    flow = results.study.flow
    blocks: list[Any] = []
    excluded_any = any(s.n_excluded for s in flow.steps)
    if excluded_any:  # a chart of 13 → 13 says nothing the sentence does not
        fig = _render(flow_figure(flow), "cohort-flow", fig_no,
                      "Cohort flow: patients at each inclusion step and those excluded.",
                      "Flow chart of patients included and excluded")
        blocks.append(fig)
        fig_no += 1
    steps = "; ".join(f"{s.step.lower()}: {format_count(s.n_after)} remaining, "
                      f"{format_count(s.n_excluded)} excluded "
                      f"({s.reason or s.rule})" for s in flow.steps)
    text = f"The registry held {format_count(flow.n_registry)} patients"
    text += f" (inclusion steps — {steps})" if steps else ""
    if flow.n_final == flow.n_registry:
        text += ", all of whom were analysed."
        if flow.steps and not excluded_any:
            text += " No patient was excluded, so no flow chart is drawn."
    else:
        text += f"; {format_count(flow.n_final)} of them were analysed."
        excluded = sum(s.n_excluded for s in flow.steps)
        text += (f" Every registry row is accounted for: {format_count(flow.n_final)} analysed"
                 f" and {format_count(excluded)} excluded by a named step make"
                 f" {format_count(flow.n_registry)}.")
    blocks.insert(0, Paragraph(text))
    return Section("Cohort", tuple(blocks), id="cohort"), fig_no


def _problems_section(results: StudyResults) -> Section:
    study = results.study
    blocks: list[Any] = []
    shown = [p for p in study.problems if p.severity != "error"]
    if shown:
        rows = tuple((Cell(p.severity), Cell(str(p.row or "")), Cell(p.column or ""),
                      Cell("" if p.value is None else str(p.value)), Cell(p.message))
                     for p in shown)
        blocks.append(Table("data-checks", "Warnings and notes from the data checks",
                            ((Cell("Kind"), Cell("Row"), Cell("Column"), Cell("Value"),
                              Cell("Message")),), rows))
    else:
        blocks.append(Paragraph("The data checks found no problem."))
    blocks.append(Paragraph(
        f"Every survival time can be audited in {study.log_name}: for each patient (by the "
        "registry row; the id too when the study file asks for identifiers) and endpoint, the "
        "origin "
        "date, the date that ended the time, event or censored, and why.",
        kind="note"))
    return Section("Data checks and derivation", tuple(blocks), id="checks")


def build_document(results: StudyResults, generated: dt.datetime | None = None) -> Document:
    """The whole report for ``results``: every section, numbered tables and figures."""
    from survstudy._version import __version__

    study = results.study
    cfg = study.config
    labels = group_labels(results)
    fig_no, table_no = 1, 1
    sections: list[Section] = []

    flow, fig_no = _flow_section(results, fig_no)
    sections.append(flow)

    characteristics = _characteristics(results, table_no, labels)
    if characteristics is not None:
        sections.append(Section("Patient characteristics", (characteristics,),
                                id="characteristics"))
        table_no += 1

    n_patients = study.n
    if cfg.report.listing != [] and n_patients > cfg.report.listing_max:
        sections.append(Section("Patient listing", (Paragraph(
            f"The listing of all {n_patients} patients is left out of the report (more than "
            f"listing_max = {cfg.report.listing_max}); {study.log_name} has one row per "
            "patient and endpoint.", kind="note"),), id="listing"))
    elif cfg.report.listing != []:
        sections.append(Section("Patient listing", (_listing(results, table_no, labels),),
                                id="listing"))
        table_no += 1

    figure_numbers: dict[str, int] = {}
    survival_blocks: list[Section] = []
    # a competing-risks endpoint is shown by its cumulative incidence (report/competing.py)
    for ep in (e for e in results.endpoints if not cfg.endpoints[e.name].competing):
        figures = _km_figures(results, ep, fig_no, labels)
        for key in figures:
            figure_numbers[key] = fig_no
            fig_no += 1
        table = _survival_table(results, ep, table_no, labels)
        table_no += 1
        survival_blocks.append(Section(ep.label, (table, *figures.values()),
                                       id=f"survival-{ep.name}"))
    if survival_blocks:
        sections.append(Section("Survival", tuple(survival_blocks), id="survival"))

    from survstudy.report.adjusted import adjusted_section
    from survstudy.report.competing import competing_sections

    competing, table_no, fig_no = competing_sections(results, table_no, fig_no, labels, _render)
    sections += competing
    adjusted, table_no, fig_no = adjusted_section(results, table_no, fig_no, labels, _render)
    sections += [adjusted] if adjusted is not None else []

    cox_tables = _prognostic_tables(results, table_no)
    if cox_tables:
        table_no += len(cox_tables)
        sections.append(Section("Prognostic factors", tuple(cox_tables), id="prognostic"))
    elif results.prognostic_note:
        sections.append(Section("Prognostic factors",
                                (Paragraph(results.prognostic_note, kind="note"),),
                                id="prognostic"))

    sections.append(Section("Methods", tuple(Paragraph(p) for p in methods_paragraphs(results)),
                            id="methods"))
    paragraphs = results_paragraphs(results, labels, figure_numbers)
    from survstudy.report.adjusted import adjusted_results_sentences
    from survstudy.report.competing import competing_results_sentences

    paragraphs += [" ".join(p) for p in (competing_results_sentences(results),
                                         adjusted_results_sentences(results, labels)) if p]
    sections.append(Section("Results", tuple(Paragraph(p) for p in paragraphs), id="results"))

    if results.claims:
        sections.append(Section("Reproducing the published analysis",
                                (claims_table(results, table_no),), id="published"))
        table_no += 1
    sections.append(_problems_section(results))

    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    n = study.flow.n_final
    cutoff = cfg.follow_up.cutoff
    subtitle = f"{format_count(n)} patients"
    subtitle += f" · follow-up until {cutoff.isoformat()}" if cutoff else ""
    subtitle += f" · times in {study.time_unit}"
    return Document(
        title=cfg.study.title,
        subtitle=subtitle,
        sections=tuple(sections),
        meta={"generated": when, "software": f"survstudy {__version__}",
              "study file": study.file.path.name},
    )


def _characteristics(results: StudyResults, number: int,
                     labels: Mapping[str, Mapping[str, str]]) -> Table | None:
    """Table 1, when the study lists characteristics to compare between groups."""
    from survstudy.report.characteristics import characteristics_block

    table = results.characteristics
    if table is None:
        return None
    cfg = results.study.config
    return characteristics_block(
        table, number,
        group_labels=labels.get(results.group or "", {}),
        variable_labels=dict(results.study.labels),
        level_labels={n: dict(v.labels or {}) for n, v in cfg.variables.items()},
        units={n: v.unit for n, v in cfg.variables.items() if v.unit},
        order=cfg.analysis.characteristics,
        odds_ratios=cfg.report.odds_ratios,
    )
