"""The report's Cox tables (univariable, multivariable) and the way every hazard ratio prints.

A title names the endpoint modelled. A continuous covariate's HR is per unit, or per the
number of units ``[report] hr_per`` chooses (per standard deviation with ``"sd"``). Beside
each factor stands its proportional-hazards p (R's ``cox.zph``); the global test is a note.

Hazard ratios print with 2 decimals. A row gets 3 when 2 would hide what the interval says:
both bounds print alike, or the interval excludes 1 but a number of the row prints as 1.00
(1.004 (1.000–1.008) rather than 1.00 (1.00–1.01)). Never more: a scale in ``hr_per`` is the
readable answer, and the note says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survstudy.report.document import Cell, Table
from survstudy.report.format import format_count, format_estimate_ci, format_number, format_p
from survstudy.report.format import group_label as label_of

if TYPE_CHECKING:
    from survstudy.stats.regression.prognostic import PrognosticRow
    from survstudy.stats.regression.zph import PHTest
    from survstudy.study.analysis import StudyResults

__all__ = [
    "covariate_step",
    "hr_digits",
    "hr_text",
    "per_phrase",
    "prognostic_tables",
    "term_level",
]


def _right(text: str) -> Cell:
    return Cell(text, align="right")


def hr_digits(hr: float, lo: float | None, hi: float | None) -> int:
    """2, or 3 when 2 decimals collapse the interval or print 1.00 for an interval without 1."""
    if lo is None or hi is None:
        return 2
    printed = [format_number(x, 2) for x in (hr, lo, hi)]
    excludes_one = lo > 1 or hi < 1
    if printed[1] == printed[2] or (excludes_one and "1.00" in printed):
        return 3
    return 2


def hr_text(hr: float | None, ci: tuple[float, float] | None, infinite: int) -> str:
    """HR (95% CI) with the decimals of :func:`hr_digits`."""
    if infinite:
        return "not estimable (monotone likelihood)"
    if hr is None:
        return "NA"
    lo, hi = ci if ci is not None else (None, None)
    return format_estimate_ci(hr, lo, hi, hr_digits(hr, lo, hi))


def term_level(term: str) -> str | None:
    """``"size[T.20-50]"`` → ``"20-50"``; a numeric term → None."""
    if "[T." in term and term.endswith("]"):
        return term.split("[T.", 1)[1][:-1]
    return None


def per_phrase(unit: str | None, k: float = 1.0, sd: bool = False) -> str:
    """" (per year)", " (per 100 fmol/l)", " (per SD, 291.3 fmol/l)"; "" without unit or scale."""
    if sd:
        return f" (per SD, {format_number(k, 1)}{f' {unit}' if unit else ''})"
    if k == 1:
        if not unit:
            return ""
        return f" (per {unit.removesuffix('s') if unit in ('years', 'nodes') else unit})"
    step = format_number(k, 0 if float(k).is_integer() else 2)
    return f" (per {step}{f' {unit}' if unit else ''})"


def covariate_step(results: StudyResults, covariate: str, *, scaled: bool = True) -> str:
    """" (per 10 years)": what one hazard-ratio step of a continuous covariate stands for, as
    ``[report] hr_per`` sets it for the Cox tables (per unit with ``scaled=False``)."""
    var = results.study.config.variables.get(covariate)
    unit = var.unit if var is not None and var.unit else None
    cox = results.cox if scaled else None
    k = cox.per.get(covariate, 1.0) if cox is not None else 1.0
    return per_phrase(unit, k, cox is not None and covariate in cox.per_sd)


def _ph_cell(test: PHTest | None) -> Cell:
    return _right("" if test is None else format_p(test.p_value))


def prognostic_tables(results: StudyResults, number: int) -> list[Table]:
    """Univariable and multivariable Cox tables, numbered from ``number``."""
    p = results.prognostic
    if p is None:
        return []
    cox = results.cox
    cfg = results.study.config
    endpoint = cox.endpoint if cox is not None else (
        results.endpoints[0].name if results.endpoints else "")
    ep_label = cfg.endpoints[endpoint].label if endpoint in cfg.endpoints else endpoint
    ep_label = ep_label or endpoint
    with_ph = cox is not None and p.method == "cox"
    out = []
    for kind, fitted in (("Univariable", p.univariable), ("Multivariable", p.multivariable)):
        if not fitted:
            continue
        rows: tuple[PrognosticRow, ...] = fitted
        ph: dict[str, PHTest] = {}
        if cox is not None:
            rows = cox.univariable if kind == "Univariable" else cox.multivariable
            if kind == "Univariable":
                ph = dict(cox.ph_univariable)
            elif cox.ph_multivariable is not None:
                ph = {t.term: t for t in cox.ph_multivariable.tests}
        header = (Cell("Factor"), _right("HR (95% CI)"), _right("p"),
                  *([_right("PH p")] if with_ph else []))
        body: list[tuple[Cell, ...]] = []
        seen: set[str] = set()
        three = False
        for r in rows:
            var = cfg.variables.get(r.covariate)
            names = dict(var.labels or {}) if var is not None else {}
            label = results.study.labels.get(r.covariate, r.covariate)
            level = term_level(r.term)
            if r.hr is not None and not r.infinite:
                lo, hi = r.hr_ci if r.hr_ci is not None else (None, None)
                three |= hr_digits(r.hr, lo, hi) == 3
            hr_cell = _right(hr_text(r.hr, r.hr_ci, r.infinite))
            ph_cell = [_ph_cell(ph.get(r.covariate))] if with_ph else []
            if level is None:
                body.append((Cell(label + covariate_step(results, r.covariate)), hr_cell,
                             _right(format_p(r.p_value)), *ph_cell))
                continue
            if r.covariate not in seen:
                seen.add(r.covariate)
                factor_p = "" if r.factor_p_value is None else format_p(r.factor_p_value)
                body.append((Cell(label), _right(""), _right(factor_p), *ph_cell))
                body.append((Cell(label_of(r.reference or "", names), indent=1),
                             _right("1 (reference)"), _right(""),
                             *([_right("")] if with_ph else [])))
            body.append((Cell(label_of(level, names), indent=1), hr_cell,
                         _right(format_p(r.p_value)), *([_right("")] if with_ph else [])))
        method = "Firth's penalized Cox regression" if p.method == "firth" else "Cox regression"
        sizes = {(r.n, r.events) for r in rows}
        counts = ""
        if len(sizes) == 1:
            n, events = sizes.pop()
            counts = f"{format_count(n)} patients, {format_count(events)} events. "
        notes = [f"HR: hazard ratio. {counts}Ties by the {p.ties.capitalize()} method. "
                 "A factor's p beside its name tests all its levels together."]
        if three:
            notes.append("Hazard ratios have 2 decimals, 3 where 2 would print an interval "
                         "that excludes 1 with a 1.00 in it, or both bounds alike.")
        if cox is not None and cox.per_sd:
            notes.append("SD: standard deviation among the analysed patients.")
        if kind == "Multivariable":
            notes.append(f"Factors in the model: {p.selection}.")
        notes += _ph_notes(results, kind, with_ph)
        if p.method == "firth":
            notes.append("Profile-likelihood confidence intervals and penalized likelihood-"
                         "ratio p-values (Firth).")
        out.append(Table(f"cox-{kind.lower()}",
                         f"Table {number}. {ep_label}: {kind.lower()} {method}",
                         (header,), tuple(body), tuple(notes)))
        number += 1
    return out


def _ph_notes(results: StudyResults, kind: str, with_ph: bool) -> list[str]:
    """What PH p is; the multivariable model's global test."""
    cox = results.cox
    if not with_ph or cox is None:
        return ["Proportional hazards were not tested (R's cox.zph is defined for the "
                "ordinary, unpenalized fit)."] if results.prognostic is not None and \
            results.prognostic.method == "firth" else []
    alone = " of the factor alone" if kind == "Univariable" else ""
    line = (f"PH p: test of proportional hazards{alone} (score test of a coefficient changing "
            "with Kaplan-Meier-transformed time, as R's cox.zph); a small p says the hazard "
            "ratio changes over follow-up.")
    g = cox.ph_global
    if kind == "Multivariable" and g is not None:
        line += (f" Global test of the model: chi-square {format_number(g.chisq, 2)}, "
                 f"{g.df} df, {format_p(g.p_value, prefix=True)}.")
    return [line]
