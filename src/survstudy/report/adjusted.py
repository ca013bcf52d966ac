"""The adjusted-comparison section of the report (``[adjustment]``, IPTW): the weights, the
balance table and love plot, the crude and the weighted Kaplan-Meier figures on one time axis,
and the adjusted hazard ratio."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from survstudy.report.document import Cell, Figure, Paragraph, Section, Table
from survstudy.report.format import (
    format_ci,
    format_count,
    format_number,
    format_p,
    group_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from survstudy.study.adjusted import AdjustedResult
    from survstudy.study.analysis import StudyResults

__all__ = [
    "ESTIMAND_NAMES",
    "adjusted_methods",
    "adjusted_results_sentences",
    "adjusted_section",
    "term_names",
]

Render = Callable[["MplFigure", str, int, str, str], Figure]

#: How each estimand reads in the text.
ESTIMAND_NAMES = {"ate": "average treatment effect (ATE)",
                  "att": "average treatment effect in the treated (ATT)"}


def _right(text: str) -> Cell:
    return Cell(text, align="right")


def _level_names(results: StudyResults, labels: Mapping[str, Mapping[str, str]],
                 column: str) -> Mapping[str, str]:
    """The names of ``column``'s levels: the report's, else the study file's."""
    var = results.study.config.variables.get(column)
    return labels.get(column) or (dict(var.labels or {}) if var is not None else {})


def term_names(results: StudyResults, adj: AdjustedResult,
               labels: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Each model term as a reader names it: ``grade[T.3]`` → "Grade: 3" (with the level's
    label when the study file gives one), a numeric covariate → its label."""
    from survstudy.report.cox_table import term_level
    from survstudy.report.text import column_label

    names = {}
    for r in adj.iptw.balance.rows:
        name = column_label(results, r.covariate)
        level = term_level(r.term)
        if level is not None:
            # "Grade 3" needs no "Grade: " before it
            shown = group_label(level, _level_names(results, labels, r.covariate))
            name = shown if shown.lower().startswith(name.lower()) else f"{name}: {shown}"
        names[r.term] = name
    return names


def _balance_table(adj: AdjustedResult, number: int, terms: Mapping[str, str]) -> Table:
    b = adj.iptw.balance
    header = (Cell("Term"), _right("Mean, treated"), _right("Mean, control"),
              _right("SMD before"), _right("Weighted mean, treated"),
              _right("Weighted mean, control"), _right("SMD after"))
    rows = tuple(
        (Cell(terms.get(r.term, r.term)), _right(format_number(r.mean_treated, 2)),
         _right(format_number(r.mean_control, 2)), _right(format_number(r.smd_before, 3)),
         _right(format_number(r.weighted_mean_treated, 2)),
         _right(format_number(r.weighted_mean_control, 2)),
         Cell(format_number(r.smd_after, 3), align="right", bold=abs(r.smd_after) > b.threshold))
        for r in b.rows)
    verdict = ("Every term is balanced after weighting" if b.balanced else
               "Not balanced after weighting: "
               + ", ".join(terms.get(t, t) for t in b.imbalanced))
    notes = (f"SMD: standardized mean difference (treated − control) over the pooled "
             f"unweighted standard deviation, {b.denominator}; |SMD| > {b.threshold:g} in bold. "
             f"{verdict} (largest |SMD| after: {format_number(b.max_abs_smd_after, 3)}).",)
    return Table("balance", f"Table {number}. Covariate balance before and after weighting",
                 (header,), rows, notes)


def _weights_table(adj: AdjustedResult, number: int, names: Mapping[str, str]) -> Table:
    header = (Cell("Arm"), _right("n"), _right("Sum of weights"), _right("Min"), _right("Max"),
              _right("Mean"), _right("Effective n"))
    rows = tuple((Cell(group_label(w.group, names)), _right(format_count(w.n)),
                  _right(format_number(w.sum, 1)), _right(format_number(w.min, 2)),
                  _right(format_number(w.max, 2)), _right(format_number(w.mean, 2)),
                  _right(format_number(w.ess, 1))) for w in adj.iptw.weight_summaries)
    return Table("weights", f"Table {number}. Inverse probability of treatment weights",
                 (header,), rows, ("Effective n: (Σw)² / Σw².",))


def _hr_table(adj: AdjustedResult, number: int, names: Mapping[str, str]) -> Table:
    from survstudy.report.cox_table import hr_text as _hr_text

    r = adj.iptw
    term = r.cox.terms[0]
    test = r.cox.tests["robust_score"]
    header = (Cell("Comparison"), _right("HR (95% CI)"), _right("p"),
              _right("Robust score test p"))
    treated = group_label(r.treated, names)
    control = group_label(r.control, names)
    rows = ((Cell(f"{treated} vs {control}"), _right(_hr_text(term.hr, term.hr_ci, 0)),
             _right(format_p(term.p_value)), _right(format_p(test.p_value))),)
    notes = (f"Cox regression of {adj.label.lower()} on the treatment, weighted by the IPTW "
             f"({r.estimand.upper()}) weights, with the robust (sandwich) variance; "
             f"{format_count(r.n)} patients, {format_count(r.cox.events)} events, "
             f"{r.cox.ties.capitalize()} ties.",)
    return Table("adjusted-hr", f"Table {number}. {adj.label}: IPTW-adjusted hazard ratio",
                 (header,), rows, notes)


def adjusted_section(results: StudyResults, table_no: int, fig_no: int,
                     labels: Mapping[str, Mapping[str, str]], render: Render
                     ) -> tuple[Section | None, int, int]:
    """The section, or None without ``[adjustment]``; and the next table and figure numbers."""
    from survstudy.report.figures import km_figure
    from survstudy.report.loveplot import love_plot
    from survstudy.report.text import column_label, time_axis_label

    adj = results.adjusted
    if adj is None:
        return None, table_no, fig_no
    r = adj.iptw
    names = _level_names(results, labels, r.treatment)
    terms = term_names(results, adj, labels)
    blocks: list[Any] = [_weights_table(adj, table_no, names),
                         _balance_table(adj, table_no + 1, terms)]
    table_no += 2
    blocks.append(render(love_plot(r.balance, names=terms), "love-plot", fig_no,
                         "Standardized mean differences before (circles) and after (diamonds) "
                         f"weighting; shaded: |SMD| ≤ {r.balance.threshold:g}.",
                         "Love plot of covariate balance"))
    fig_no += 1
    unit = results.study.time_unit
    xlabel = time_axis_label(results, adj.endpoint)
    end = max(c.last_time for c in adj.crude)
    by = column_label(results, r.treatment).lower()
    for km, kind, what in ((adj.crude, "crude", "unweighted"),
                           (r.km, "iptw", f"weighted by IPTW ({r.estimand.upper()})")):
        fig = km_figure(km, labels=names, time_unit=unit, xlabel=xlabel, ylabel=adj.label,
                        max_time=end, summary=False,
                        tick_every=results.study.config.report.tick_every,
                        title="Crude" if kind == "crude" else "IPTW-adjusted")
        blocks.append(render(fig, f"km-{kind}-{adj.endpoint}", fig_no,
                             f"{adj.label} by {by}, {what} Kaplan-Meier"
                             + ("; numbers at risk are weighted" if kind == "iptw" else "")
                             + ".", f"Kaplan-Meier curves of {adj.label.lower()} by {by}, "
                             f"{what}"))
        fig_no += 1
    blocks.append(_hr_table(adj, table_no, names))
    table_no += 1
    for w in r.warnings:
        if w.message.startswith("balance not reached"):  # said by the balance table, in words
            continue
        blocks.append(Paragraph(w.message, kind="note"))
    return (Section(f"Adjusted comparison by {by} (IPTW)", tuple(blocks), id="adjusted"),
            table_no, fig_no)


def adjusted_methods(results: StudyResults) -> list[str]:
    """Methods sentences of the IPTW comparison (empty without ``[adjustment]``)."""
    from survstudy.report.text import column_label

    adj = results.adjusted
    if adj is None:
        return []
    r = adj.iptw
    covs = ", ".join(column_label(results, c).lower() for c in r.covariates)
    how = " stabilized" if r.stabilized else ""
    if r.trim is not None:
        how += (f" and truncated at the {r.trim[0] * 100:g}th and {r.trim[1] * 100:g}th "
                "percentiles")
    return [f"To adjust the comparison by {column_label(results, r.treatment).lower()} for "
            "confounding, the probability of treatment (propensity score) was estimated by "
            f"logistic regression on {covs}, and patients were weighted by inverse probability "
            f"of treatment weights for the {ESTIMAND_NAMES[r.estimand]}{',' if how else ''}"
            f"{how}. Balance was judged by standardized mean differences over the pooled "
            f"unweighted standard deviation (balanced: |SMD| ≤ {r.balance.threshold:g}). "
            "Weighted Kaplan-Meier curves (infinitesimal-jackknife standard errors) and a "
            "weighted Cox model with the robust (sandwich) variance were estimated, with the "
            "robust score test as the adjusted test."]


def adjusted_results_sentences(results: StudyResults,
                               labels: Mapping[str, Mapping[str, str]] | None = None
                               ) -> list[str]:
    """Results sentences: balance reached or not, effective sizes, adjusted HR."""
    from survstudy.report.cox_table import hr_digits
    from survstudy.report.text import column_label, lower_first

    adj = results.adjusted
    if adj is None:
        return []
    labels = labels or {}
    r = adj.iptw
    b = r.balance
    terms = term_names(results, adj, labels)
    names = _level_names(results, labels, r.treatment)
    balance = (f"After weighting every covariate was balanced (largest |SMD| "
               f"{format_number(b.max_abs_smd_after, 3)})" if b.balanced else
               "After weighting, balance was not reached for "
               f"{', '.join(terms.get(t, t) for t in b.imbalanced)} "
               f"(largest |SMD| {format_number(b.max_abs_smd_after, 3)})")
    ess = ", ".join(f"{format_number(w.ess, 0)} ({group_label(w.group, names)})"
                    for w in r.weight_summaries)
    term = r.cox.terms[0]
    test = r.cox.tests["robust_score"]
    treated, control = (lower_first(group_label(g, names)) for g in (r.treated, r.control))
    if not names:  # bare codes ("1 versus 0") need the column's name
        treated = f"{lower_first(column_label(results, r.treatment))} {treated}"
    lo, hi = term.hr_ci if term.hr_ci is not None else (None, None)
    digits = hr_digits(term.hr, lo, hi) if term.hr is not None else 2
    ci = f", 95% CI {format_ci(lo, hi, digits)}" if lo is not None else ""
    return [f"{balance}; the effective sample sizes were {ess}. The IPTW-adjusted hazard ratio "
            f"of {lower_first(adj.label)} for {treated} versus {control} was "
            f"{format_number(term.hr, digits)}{ci} (robust score test "
            f"{format_p(test.p_value, prefix=True)})."]
