"""The Results section: one paragraph per endpoint, then the Cox model, in clinical words.

Rates come with their 95% confidence intervals, events are named by what they are ("deaths",
"recurrences or deaths") and no column name or study-file key reaches the text. Numbers are
read from :class:`StudyResults` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from survstudy.report.format import (
    format_count,
    format_median,
    format_number,
    format_p,
    format_percent,
    group_label,
    name_of_test,
)
from survstudy.report.text import (
    column_label,
    endpoint_events,
    join_and,
    landmark_phrase,
    lower_first,
)
from survstudy.stats.survival.km import SurvivalCurve

if TYPE_CHECKING:
    from survstudy.stats.regression.prognostic import PrognosticRow
    from survstudy.study.analysis import Comparison, EndpointResult, StudyResults

__all__ = ["ci_phrase", "cox_paragraph", "endpoint_paragraph", "results_paragraphs"]


def ci_phrase(lo: float | None, hi: float | None, fmt: str = "time") -> str:
    """"95% CI 12.5–30.1"; an open upper bound "12.5 to not reached"; no bound, or an
    interval of zero width (a group of one, a rate of 100% with no one lost), "95% CI not
    estimable" — never "NR–NR"."""
    def show(x: float) -> str:  # a rate's bounds without "%": "91.1% (95% CI 90.0–92.1)"
        return format_percent(x).removesuffix("%") if fmt == "percent" else format_number(x, 1)

    if lo is None or (hi is not None and lo == hi):
        return "95% CI not estimable"
    if hi is None:
        return f"95% CI {show(lo)} to {'not reached' if fmt == 'time' else 'not estimable'}"
    return f"95% CI {show(lo)}–{show(hi)}"


def _rates(curve: SurvivalCurve, times: Sequence[float]) -> list[str]:
    """Each landmark rate with its interval: "91.7% (95% CI 53.9–98.8)"."""
    out = []
    for read in curve.at(times):
        if read.survival is None:
            out.append("not estimable")
        else:
            ci = ci_phrase(read.ci_lower, read.ci_upper, "percent")
            out.append(f"{format_percent(read.survival)} ({ci})")
    return out


def _count_of(n: int, nouns: tuple[str, str]) -> str:
    return f"{format_count(n)} {nouns[0] if n == 1 else nouns[1]}"


def _tests(comparison: Comparison, figure: int | None) -> str:
    """"log-rank p = 0.058, exact p = 0.071; Fig. 3" (no nested brackets)."""
    parts = []
    test = comparison.test
    if test.df:
        parts.append(f"{lower_first(name_of_test(test.method))} "
                     f"{format_p(test.p_value, prefix=True)}")
        if comparison.exact is not None:
            mc = ", Monte Carlo" if "monte carlo" in comparison.exact.method.lower() else ""
            parts.append(f"exact {format_p(comparison.exact.p_value, prefix=True)}{mc}")
    text = ", ".join(parts)
    if figure is not None:
        text += ("; " if text else "") + f"Fig. {figure}"
    return text


def _group_name(results: StudyResults, variable: str, level: str,
                labels: Mapping[str, str]) -> str:
    if level in labels:
        return "patients with " + lower_first(labels[level])
    return f"patients with {lower_first(column_label(results, variable))} {level}"


def endpoint_paragraph(results: StudyResults, ep: EndpointResult,
                       labels: Mapping[str, Mapping[str, str]],
                       figures: Mapping[str, int]) -> str:
    """Events, median and follow-up; landmark rates with CIs overall and by each variable."""
    phrases = landmark_phrase(results)
    unit = results.study.time_unit
    nouns = endpoint_events(results, ep.name)
    overall = ep.overall.curves[0]
    name = lower_first(ep.label)
    median = overall.median
    fu = ep.follow_up["all"]
    if median.estimate is None:
        med = f"the median {name} was not reached"
    else:
        med = (f"the median {name} was {format_median(median.estimate)} {unit} "
               f"({ci_phrase(median.ci_lower, median.ci_upper)})")
    out = [f"Among the {format_count(int(overall.n))} patients, "
           f"{_count_of(int(overall.events), nouns)} "
           f"{'was' if int(overall.events) == 1 else 'were'} observed; {med}, and the median "
           f"follow-up (reverse Kaplan-Meier) was {format_median(fu.estimate)} {unit}."]
    if phrases:
        many = len(phrases) > 1
        fig = f" (Fig. {figures[ep.name]})" if ep.name in figures else ""
        out.append(f"The {join_and(phrases)} {name} rate{'s were' if many else ' was'} "
                   f"{join_and(_rates(overall, ep.landmarks))}"
                   f"{', respectively' if many else ''}{fig}.")
        for comparison in ep.comparisons:
            parts = [f"{join_and(_rates(curve, ep.landmarks))} for "
                     + _group_name(results, comparison.variable, curve.label,
                                   labels.get(comparison.variable, {}))
                     for curve in comparison.km]
            tail = _tests(comparison, figures.get(f"{ep.name}:{comparison.variable}"))
            by = lower_first(column_label(results, comparison.variable))
            out.append(f"By {by}, the rate{'s were' if many else ' was'} "
                       f"{'; '.join(parts)}{f' ({tail})' if tail else ''}.")
    return " ".join(out)


def _hr(row: PrognosticRow) -> str:
    """"HR 1.40, 95% CI 1.21–1.62, p < 0.001", with the Cox tables' decimals
    (:func:`~survstudy.report.cox_table.hr_digits`)."""
    from survstudy.report.cox_table import hr_digits

    if row.infinite:
        return "HR not estimable (monotone likelihood)"
    if row.hr is None:
        return "HR not estimable"
    lo, hi = row.hr_ci if row.hr_ci is not None else (None, None)
    digits = hr_digits(row.hr, lo, hi)
    ci = (f", 95% CI {format_number(lo, digits)}–{format_number(hi, digits)}"
          if lo is not None and hi is not None else "")
    return f"HR {format_number(row.hr, digits)}{ci}, {format_p(row.p_value, prefix=True)}"


def _term(results: StudyResults, row: PrognosticRow) -> str:
    """"tumour size 20–50 mm versus ≤ 20 mm", "age (per 10 years)": the step of a continuous
    covariate as the Cox tables give it (``[report] hr_per``)."""
    from survstudy.report.cox_table import covariate_step

    var = results.study.config.variables.get(row.covariate)
    label = lower_first(column_label(results, row.covariate))
    names = dict(var.labels or {}) if var is not None else {}
    if "[T." in row.term and row.term.endswith("]"):
        level = lower_first(group_label(row.term.split("[T.", 1)[1][:-1], names))
        versus = f"{level} versus {lower_first(group_label(row.reference or '', names))}"
        return versus if level.lower().startswith(label.lower()) else f"{label} {versus}"
    return f"{label}{covariate_step(results, row.covariate)}"


def cox_paragraph(results: StudyResults) -> str | None:
    """The Cox model in one paragraph: each term of the multivariable model (the univariable
    ones when there is no multivariable model) with HR, 95% CI and p, as the Cox tables show
    them, and the proportional-hazards test of the model."""
    p = results.cox or results.prognostic
    if p is None or not results.endpoints:
        return None
    rows = p.multivariable or p.univariable
    if not rows:
        return None
    name = results.cox.endpoint if results.cox is not None else results.endpoints[0].name
    ep = next((e for e in results.endpoints if e.name == name), results.endpoints[0])
    nouns = endpoint_events(results, ep.name)
    kind = "multivariable" if p.multivariable else "univariable"
    method = results.prognostic.method if results.prognostic is not None else "cox"
    model = {"firth": "Firth's penalized Cox"}.get(method, "Cox")
    n, events = rows[0].n, rows[0].events
    same = all((r.n, r.events) == (n, events) for r in rows)
    counts = f" ({format_count(n)} patients, {_count_of(events, nouns)})" if same else ""
    terms = "; ".join(f"{_term(results, r)}, {_hr(r)}" for r in rows)
    models = "model" if kind == "multivariable" else "models, one factor at a time"
    text = (f"In the {kind} {model} {models} of {lower_first(ep.label)}{counts}, the hazard "
            f"ratios were: {terms}.")
    ph = results.cox.ph_global if results.cox is not None and p.multivariable else None
    if ph is not None:
        verdict = ("the assumption of proportional hazards was not rejected"
                   if ph.p_value >= 0.05 else
                   "the hazards were not proportional over time, so each hazard ratio is an "
                   "average over follow-up")
        text += (f" By the test of scaled Schoenfeld residuals (global chi-square "
                 f"{format_number(ph.chisq, 2)}, {ph.df:g} df, "
                 f"{format_p(ph.p_value, prefix=True)}), {verdict}.")
    return text


def results_paragraphs(
    results: StudyResults, labels: Mapping[str, Mapping[str, str]], figures: Mapping[str, int]
) -> list[str]:
    """The Results section: a paragraph per Kaplan-Meier endpoint, then the Cox model.

    ``labels`` maps each grouping variable to its level labels; ``figures`` maps
    ``"ENDPOINT"`` and ``"ENDPOINT:VARIABLE"`` to figure numbers.
    """
    competing = {c.name for c in results.competing}  # told by report/competing.py
    out = []
    for ep in results.endpoints:
        if ep.name in competing:
            continue
        text = endpoint_paragraph(results, ep, labels, figures)
        out.append(text if len(results.endpoints) == 1 else f"{ep.label}. {text}")
    cox = cox_paragraph(results)
    return out + ([cox] if cox else [])
