"""The competing-risks section of the report: per endpoint with competing events, the
cumulative incidence figure (curves rising from 0, numbers at risk, Gray's p), the table of
the CIF at the landmarks, and Fine-Gray beside cause-specific Cox hazard ratios.

The figure is drawn with the Kaplan-Meier figure's parts (:mod:`survstudy.report.figures`:
step curves with bands, the risk table, the text placer), only the curves rise from 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from survstudy.report.document import Cell, Figure, Paragraph, Section, Table
from survstudy.report.format import format_count, format_p, format_test_p, group_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from survstudy.stats.survival.cif import CumulativeIncidence, GrayTest, IncidenceCurve
    from survstudy.study.analysis import StudyResults
    from survstudy.study.competing import CompetingResult

__all__ = ["cif_figure", "competing_methods", "competing_results_sentences", "competing_sections"]

Render = Callable[["MplFigure", str, int, str, str], Figure]


def _steps(curve: IncidenceCurve, end: float) -> Any:
    """The curve as the KM figure's step points, from (0, 0), cut at the axis end."""
    from survstudy.report.figures import _step_points

    return _step_points(curve.time, curve.cif, curve.ci_lower, curve.ci_upper, curve.n_censor,
                        curve.last_time, end, start=0.0)


def cif_figure(
    cif: CumulativeIncidence,
    *,
    test: GrayTest | None = None,
    labels: Mapping[str, str] | None = None,
    time_unit: str = "months",
    xlabel: str | None = None,
    ylabel: str = "Cumulative incidence",
    tick_every: float | None = None,
) -> MplFigure:
    """Cumulative incidence curves of every group of ``cif`` (17 cm wide, numbers at risk
    under the plot, Gray's p in a free corner); the y axis ends above the highest band."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator

    from survstudy.report import figures as kmf
    from survstudy.report.figure_text import _add_block, _place_labels, _Placer, _text_block

    if len(cif) == 0:
        raise ValueError("no curve to draw: every group is empty")
    last = max(c.last_time for c in cif)
    ticks, end = kmf.time_ticks(last, time_unit, tick_every)
    names = [group_label(g, labels) for g in cif.groups]
    n = len(cif)
    colours = ["#000000"] if n == 1 else [kmf.OKABE_ITO[i % 7] for i in range(n)]
    ci = n <= kmf.MAX_CI_GROUPS
    steps = [_steps(c, end) for c in cif]
    top = max(float(np.nanmax(s.upper if ci else s.y)) for s in steps)
    ymax = min(1.0, max(0.1, np.ceil(top * 10 + 0.5) / 10))
    cm = kmf._CM
    main_h, row_h = 7.6 * cm, kmf._risk_row_height(names)
    with kmf._style():
        fig = MplFigure(figsize=(kmf.FIGURE_WIDTH_CM * cm, main_h + 2.8 * cm + n * row_h),
                        layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(2, 1, height_ratios=[main_h, n * row_h])
        ax = fig.add_subplot(gs[0])
        ax.set_label("cumulative incidence")
        risk = fig.add_subplot(gs[1], sharex=ax)
        for i, s in enumerate(steps):
            kmf._draw_curve(ax, s, colours[i], kmf.LINE_STYLES[i % len(kmf.LINE_STYLES)], ci, i,
                            gid=f"cif-curve:{i}")
        ax.set_xlim(0, end)
        ax.set_ylim(0, ymax)
        ax.xaxis.set_major_locator(FixedLocator(ticks.tolist()))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_major_locator(MultipleLocator(0.1 if ymax > 0.3 else 0.05))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
        ax.set_xlabel(xlabel or f"Time ({time_unit})")
        ax.set_ylabel(f"{ylabel} (%)")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_position(("outward", 4))
        kmf._risk_table(risk, cast(Any, cif), ticks, names, colours)
        fig.draw_without_rendering()
        placer = _Placer(ax, steps, ci, [], fig.canvas.get_renderer())  # type: ignore[attr-defined]
        lines = [] if test is None else [format_test_p("Gray's test", test.p_value, test.df)]
        if lines:
            _add_block(ax, placer, _text_block(lines), (0, 1, 2), force=True)
        if n > 1:
            _place_labels(ax, placer, steps, names, colours)
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    return fig


def _right(text: str) -> Cell:
    return Cell(text, align="right")


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _cif_table(results: StudyResults, cr: CompetingResult, number: int,
               labels: Mapping[str, str]) -> Table:
    from survstudy.report.format import format_estimate_ci
    from survstudy.report.text import landmark_phrase

    phrases = landmark_phrase(results)
    header = (Cell("Group"), _right("n"), _right("Events"), _right("Competing events"),
              *[_right(f"{p}, % (95% CI)") for p in phrases])

    def row(label: str, c: IncidenceCurve, bold: bool = False, indent: int = 0
            ) -> tuple[Cell, ...]:
        reads = c.at(cr.landmarks)
        return (Cell(label, bold=bold, indent=indent), _right(format_count(c.n)),
                _right(format_count(c.events)), _right(format_count(c.competing)),
                *[_right(format_estimate_ci(_pct(r.cif), _pct(r.ci_lower), _pct(r.ci_upper)))
                  for r in reads])

    rows = [row("All patients", cr.overall.curves[0], bold=True)] if len(cr.overall) else []
    if cr.by_group is not None:
        from survstudy.report.text import column_label, lower_first

        by = lower_first(column_label(results, cr.group or ""))
        test = ("" if cr.gray is None else
                " (" + format_test_p("Gray's test", cr.gray.p_value, cr.gray.df) + ")")
        rows.append((Cell(f"By {by}{test}", bold=True, colspan=len(header)),))
        rows += [row(group_label(c.label, labels), c, indent=1) for c in cr.by_group]
    level = round(cr.overall.conf_level * 100)
    notes = (f"Cumulative incidence of {cr.label.lower()} (event: {cr.event_label}) with "
             f"{cr.competing_label} as competing event, by the Aalen-Johansen method; {level}% "
             "pointwise confidence intervals on the log(−log) scale with the delta-method "
             "variance of Aalen (cmprsk). NE: not estimable (no patient followed that long).",)
    return Table(f"cif-{cr.name}", f"Table {number}. Cumulative incidence of {cr.label.lower()}",
                 (header,), tuple(rows), notes)


def _models_table(results: StudyResults, cr: CompetingResult, number: int) -> Table | None:
    """Fine-Gray subdistribution HRs beside cause-specific HRs, term by term."""
    from survstudy.report.cox_table import covariate_step
    from survstudy.report.cox_table import hr_text as _hr_text
    from survstudy.report.cox_table import term_level as _term_level
    from survstudy.report.text import column_label

    fg, cs = cr.fine_gray, cr.cause_specific
    if fg is None or cs is None:
        return None
    cfg = results.study.config
    by_term = {t.term: t for t in cs.terms}
    header = (Cell("Factor"), _right("Fine-Gray SHR (95% CI)"), _right("p"),
              _right("Cause-specific HR (95% CI)"), _right("p"))
    body: list[tuple[Cell, ...]] = []
    seen: set[str] = set()
    for t in fg.terms:
        c = by_term.get(t.term)
        var = cfg.variables.get(t.covariate)
        names = dict(var.labels or {}) if var is not None else {}
        level = _term_level(t.term)
        cells = (_right(_hr_text(t.hr, t.hr_ci, 0)), _right(format_p(t.p_value)),
                 _right("" if c is None else _hr_text(c.hr, c.hr_ci, c.infinite)),
                 _right("" if c is None else format_p(c.p_value)))
        if level is None:
            per = covariate_step(results, t.covariate, scaled=False)  # fitted per unit
            body.append((Cell(column_label(results, t.covariate) + per), *cells))
            continue
        if t.covariate not in seen:
            seen.add(t.covariate)
            body.append((Cell(column_label(results, t.covariate)), *[_right("")] * 4))
            ref = fg.reference.get(t.covariate, "")
            body.append((Cell(group_label(ref, names), indent=1), _right("1 (reference)"),
                         _right(""), _right("1 (reference)"), _right("")))
        body.append((Cell(group_label(level, names), indent=1), *cells))
    notes = [f"{format_count(fg.n)} patients, {format_count(fg.events)} events of "
             f"{cr.label.lower()}, {format_count(fg.competing)} competing events. SHR: "
             "subdistribution hazard ratio (Fine-Gray regression as R cmprsk crr, sandwich "
             "variance); cause-specific HR: Cox regression with competing events censored "
             f"({cs.ties.capitalize()} ties)."]
    if not fg.converged:
        notes.append("The Fine-Gray fit did not converge: its estimates are not reliable.")
    return Table(f"finegray-{cr.name}", f"Table {number}. {cr.label}: Fine-Gray and "
                 "cause-specific Cox regression", (header,), tuple(body), tuple(notes))


def competing_sections(results: StudyResults, table_no: int, fig_no: int,
                       labels: Mapping[str, Mapping[str, str]], render: Render
                       ) -> tuple[list[Section], int, int]:
    """One section per competing-risks endpoint; returns them and the next numbers."""
    from survstudy.report.text import column_label, lower_first, time_axis_label

    out: list[Section] = []
    cfg = results.study.config
    for cr in results.competing:
        names = labels.get(cr.group or "", {})
        cif = cr.by_group if cr.by_group is not None else cr.overall
        blocks: list[Any] = [_cif_table(results, cr, table_no, names)]
        table_no += 1
        fig = cif_figure(cif, test=cr.gray, labels=names if cr.by_group is not None else
                         {"all": "All patients"}, time_unit=results.study.time_unit,
                         xlabel=time_axis_label(results, cr.name),
                         ylabel=f"Cumulative incidence of {cr.label.lower()}",
                         tick_every=cfg.report.tick_every)
        by = (f" by {lower_first(column_label(results, cr.group))}"
              if cr.group is not None else "")
        blocks.append(render(
            fig, f"cif-{cr.name}", fig_no,
            f"Cumulative incidence of {cr.label.lower()}{by}, with {cr.competing_label} as "
            "competing event (Aalen-Johansen; bands: 95% pointwise confidence intervals"
            + ("; p: Gray's test" if cr.gray is not None else "") + ").",
            f"Cumulative incidence curves of {cr.label.lower()}{by}"))
        fig_no += 1
        models = _models_table(results, cr, table_no)
        if models is not None:
            blocks.append(models)
            table_no += 1
        elif cr.models_note:
            blocks.append(Paragraph(f"Fine-Gray and cause-specific Cox models were not fitted: "
                                    f"{cr.models_note}", kind="note"))
        out.append(Section(f"{cr.label}: competing risks", tuple(blocks),
                           id=f"competing-{cr.name}"))
    return out, table_no, fig_no



def competing_methods(results: StudyResults) -> list[str]:
    """Methods sentences of the competing-risks endpoints (empty without any)."""
    from survstudy.report.text import column_label

    out = []
    for cr in results.competing:
        text = (f"For {cr.label.lower()}, {cr.competing_label} was treated as a competing "
                "event (a patient with both on the same day was counted with the event): the "
                "cumulative incidence was estimated by the Aalen-Johansen method, with Aalen's "
                f"delta-method variance and {round(cr.overall.conf_level * 100)}% pointwise "
                "confidence intervals on the log(−log) scale (as R cmprsk and tidycmprsk), "
                "rather than as one minus a Kaplan-Meier estimate, which overstates it.")
        if cr.gray is not None:
            text += (" Cumulative incidence curves were compared with Gray's test "
                     f"(ρ = {cr.gray.rho:g}).")
        if cr.fine_gray is not None:
            covs = ", ".join(column_label(results, c).lower()
                             for c in results.study.config.analysis.covariates)
            text += (f" Covariates ({covs}) were related to it by Fine-Gray subdistribution "
                     "hazard regression (sandwich variance) and, for the cause-specific hazard, "
                     "by Cox regression with competing events censored.")
        out.append(text)
    return out


def competing_results_sentences(results: StudyResults) -> list[str]:
    """Results sentences: the cumulative incidence at the landmarks and Gray's p."""
    from survstudy.report.format import format_percent
    from survstudy.report.text import column_label, landmark_phrase, lower_first

    phrases = landmark_phrase(results)
    out = []
    for cr in results.competing:
        if not len(cr.overall) or not phrases:
            continue
        reads = ["not estimable" if r.cif is None else format_percent(r.cif)
                 for r in cr.overall.curves[0].at(cr.landmarks)]
        resp = ", respectively" if len(reads) > 1 else ""
        text = (f"With {cr.competing_label} as competing event, the {', '.join(phrases)} "
                f"cumulative incidence of {cr.label.lower()} was {', '.join(reads)}{resp}")
        if cr.gray is not None:
            by = lower_first(column_label(results, cr.group or ""))
            text += f" (Gray's test by {by}: {format_p(cr.gray.p_value, prefix=True)})"
        out.append(text + ".")
    return out
