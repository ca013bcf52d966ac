"""Numbers into sentences: the Methods paragraph and the Results sentences.

Every number in the text is read from :class:`StudyResults` and formatted by ``format.py``;
every method named is the one the results record having used.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from survstudy.config.models import DAYS_PER_UNIT
from survstudy.report.format import (
    format_ci,
    format_count,
    format_exact_p,
    format_median,
    format_p,
    format_percent,
    name_of_test,
)
from survstudy.stats.survival.km import SurvivalCurve

if TYPE_CHECKING:
    from survstudy.study.analysis import Comparison, StudyResults

__all__ = [
    "column_label",
    "landmark_phrase",
    "lower_first",
    "methods_paragraphs",
    "results_sentences",
    "time_axis_label",
]

_CI_SCALE = {"log-log": "log-log", "log": "log", "plain": "linear (plain)"}


def column_label(results: StudyResults, column: str) -> str:
    """The label the study file gives a column, else the column name."""
    return results.study.labels.get(column, column)


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym or a name (HER2, Gehan)."""
    if text[:2].isupper() or text.split("-")[0] in ("Gehan", "Peto", "Tarone", "Fleming"):
        return text
    return text[:1].lower() + text[1:]


def _event_phrase(text: str) -> str:
    """"Date of death" → "death"; other labels lower-cased at the first letter."""
    for prefix in ("Date of ", "Date ", "date of "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text[:1].lower() + text[1:]


def time_axis_label(results: StudyResults, endpoint: str) -> str:
    """"Months after liver resection" from the unit and the endpoint's origin label."""
    unit = results.study.time_unit
    spec = results.study.config.endpoints[endpoint]
    if spec.origin_label:
        return f"{unit.capitalize()} after {spec.origin_label}"
    if spec.origin:
        return f"{unit.capitalize()} after {_event_phrase(column_label(results, spec.origin))}"
    return f"Time ({unit})"


def landmark_phrase(results: StudyResults) -> list[str]:
    """Landmark times as clinicians say them: "1-year", "3-year", "6-month"."""
    unit = results.study.time_unit
    out = []
    for t in results.endpoints[0].landmarks if results.endpoints else ():
        years = t * DAYS_PER_UNIT[unit] / DAYS_PER_UNIT["years"]
        if abs(years - round(years)) < 1e-9 and round(years) > 0:
            out.append(f"{round(years)}-year")
        else:
            out.append(f"{t:g}-{unit.removesuffix('s')}")
    return out


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _group_phrase(results: StudyResults, variable: str, level: str,
                  labels: Mapping[str, str]) -> str:
    if level in labels:
        text = labels[level]
        return "patients with " + lower_first(text)
    return f"patients with {lower_first(column_label(results, variable))} {level}"


def _rates(curve: SurvivalCurve, times: Sequence[float]) -> list[str]:
    out = []
    for read in curve.at(times):
        out.append("not estimable" if read.survival is None else format_percent(read.survival))
    return out


def _test_phrase(comparison: Comparison) -> str:
    test = comparison.test
    if test.df == 0:
        return ""
    text = f"{lower_first(name_of_test(test.method))} {format_p(test.p_value, prefix=True)}"
    if comparison.exact is not None:
        text += "; " + format_exact_p(comparison.exact.p_value, comparison.exact.method).lower()
    return text


def results_sentences(
    results: StudyResults, labels: Mapping[str, Mapping[str, str]], figures: Mapping[str, int]
) -> list[str]:
    """The Results paragraph, one sentence group per endpoint, in the seed paper's style.

    ``labels`` maps each grouping variable to its level labels; ``figures`` maps
    ``"ENDPOINT"`` and ``"ENDPOINT:VARIABLE"`` to figure numbers.
    """
    out = []
    phrases = landmark_phrase(results)
    unit = results.study.time_unit
    competing = {c.name for c in results.competing}  # told by report/competing.py
    for ep in (e for e in results.endpoints if e.name not in competing):
        overall = ep.overall.curves[0]
        n = int(overall.n)
        name = ep.label[:1].lower() + ep.label[1:]
        fu = ep.follow_up["all"]
        if phrases:
            rates = _rates(overall, ep.landmarks)
            fig = f" (Fig. {figures[ep.name]})" if ep.name in figures else ""
            respectively = ", respectively" if len(rates) > 1 else ""
            verb = "were" if len(rates) > 1 else "was"
            out.append(
                f"The {_and(phrases)} {name} rate{'s' if len(rates) > 1 else ''} of the "
                f"{format_count(n)} patients {verb} {_and(rates)}{respectively}{fig}."
            )
        median = overall.median
        out.append(
            f"Among the {format_count(n)} patients, {format_count(overall.events)} events were "
            "observed; the median "
            f"{name} was "
            f"{format_median(median.estimate)} {unit} (95% CI "
            f"{format_ci(median.ci_lower, median.ci_upper, missing='NR')}) and the median "
            f"follow-up, by the reverse Kaplan-Meier method, was "
            f"{format_median(fu.estimate)} {unit}."
        )
        for comparison in ep.comparisons if phrases else ():
            parts = []
            for curve in comparison.km:
                rates = _rates(curve, ep.landmarks)
                phrase = _group_phrase(results, comparison.variable, curve.label,
                                       labels.get(comparison.variable, {}))
                parts.append(f"{phrase} {'were' if len(rates) > 1 else 'was'} {_and(rates)}")
            tail = _test_phrase(comparison)
            key = f"{ep.name}:{comparison.variable}"
            fig = f" (Fig. {figures[key]})" if key in figures else ""
            first, *rest = parts
            body = first + (" and those of " + _and(rest) if rest else "")
            respectively = ", respectively" if len(ep.landmarks) > 1 else ""
            out.append(
                f"The {_and(phrases)} {name} rate{'s' if len(phrases) > 1 else ''} of {body}"
                f"{respectively}{f' ({tail})' if tail else ''}{fig}."
            )
    return out


def _endpoint_method(results: StudyResults, name: str) -> str:
    spec = results.study.config.endpoints[name]
    label = spec.label or name
    if spec.origin is None:
        return f"{label} was taken as recorded (time '{spec.time}', event '{spec.event}')."
    events = _and([_event_phrase(column_label(results, c)) for c in spec.events or []])
    origin = _event_phrase(column_label(results, spec.origin))
    return (
        f"{label} was measured from {origin} to {events or 'the event'}; patients without the "
        f"event were censored at their last contact or at the end of follow-up, whichever came "
        f"first."
    )


def _characteristics_method(results: StudyResults) -> str:
    """How Table 1 describes and compares, naming only the tests actually used."""
    table = results.characteristics
    assert table is not None
    used = {r.test.test for r in table.rows if r.test.test}
    parts = ["Categorical characteristics are given as counts and percentages of the patients "
             "with a known value, continuous ones as mean ± standard deviation, median "
             "(interquartile range) and range."]
    categorical = []
    if "chi-square" in used:
        categorical.append("Pearson's chi-square test (without continuity correction) when "
                           "every expected count was at least 5")
    if "fisher" in used:
        categorical.append("Fisher's exact test" + (" otherwise" if categorical else ""))
    if categorical:
        parts.append("Groups were compared with " + _and(categorical) + ";")
    continuous = []
    if used & {"t-test", "anova"}:
        continuous.append("Student's t-test (one-way ANOVA for more than two groups) when the "
                          "Shapiro-Wilk test did not reject normality in any group (p ≥ 0.05)")
    if used & {"mann-whitney", "kruskal-wallis"}:
        continuous.append("the Mann-Whitney U test (Kruskal-Wallis for more than two groups)"
                          + (" otherwise" if continuous else ""))
    if continuous:
        lead = "continuous characteristics with " if categorical else (
            "Continuous characteristics were compared with ")
        parts.append(lead + _and(continuous) + ".")
    elif categorical:
        parts[-1] = parts[-1].rstrip(";") + "."
    parts.append("The test used for each characteristic, and why, is named under its table.")
    return " ".join(parts)


def methods_paragraphs(results: StudyResults) -> list[str]:
    """The Methods section, stating what was actually done."""
    from survstudy._version import __version__

    study = results.study
    cfg = study.config
    unit = study.time_unit
    paragraphs = []
    cohort = f"The analysis included {format_count(study.flow.n_final)} patients"
    if cfg.follow_up.cutoff is not None:
        cohort += f"; follow-up ended on {cfg.follow_up.cutoff:%d %B %Y}".replace(" 0", " ")
    paragraphs.append(cohort + ".")
    endpoint_text = [_endpoint_method(results, ep.name) for ep in results.endpoints]
    scale = (
        f"Times are given in {unit}" + (
            f" (days divided by {DAYS_PER_UNIT[unit]:g})" if unit != "days" else "") + "."
    )
    paragraphs.append(" ".join([*endpoint_text, scale]))
    if results.endpoints:
        ep = results.endpoints[0]
        conf = ep.overall.conf_type
        level = round(ep.overall.conf_level * 100)
        km = (
            "Survival was estimated with the Kaplan-Meier method, with Greenwood's variance and "
            f"{level}% pointwise confidence intervals on the {_CI_SCALE[conf]} scale; medians "
            "are given with Brookmeyer-Crowley confidence intervals, and the median follow-up "
            "was estimated with the reverse Kaplan-Meier method."
        )
        if ep.main is not None:
            km += (" Survival curves were compared with the "
                   f"{lower_first(name_of_test(ep.main.test.method))} test.")
        exact = next((c.exact for e in results.endpoints for c in e.comparisons
                      if c.exact is not None), None)
        if exact is not None:
            below = cfg.report.exact_below
            how = (f"all {exact.n_relabelings:,} relabelings of patients with the group sizes "
                   "fixed" if exact.std_err == 0 else
                   f"{exact.n_draws:,} random relabelings (seed {exact.seed})")
            km += (f" Because a group had fewer than {below} patients, an exact p-value is also "
                   f"given: the share of {how} whose log-rank chi-square was at least the "
                   "observed one.")
        paragraphs.append(km)
    if results.characteristics is not None:
        paragraphs.append(_characteristics_method(results))
    if results.prognostic is not None:
        p = results.prognostic
        ties = "Efron" if p.ties == "efron" else "Breslow"
        cox = (f"Hazard ratios were estimated with Cox proportional hazards regression "
               f"({ties} method for tied times), first for each factor alone and then in a "
               f"multivariable model ({p.selection}).")
        if p.method == "firth":
            cox += (" Because of the small number of events, Firth's penalized partial "
                    "likelihood was used, with profile-likelihood confidence intervals.")
        paragraphs.append(cox)
    if results.claims:
        paragraphs.append(
            "Each published number was recomputed from the data and compared at its printed "
            "precision; one that differed was checked against the same quantity printed "
            "elsewhere in the paper, against GRIM (whether any whole count or sum gives it) and, "
            "for survival rates and log-rank p-values, against every pattern of deaths and "
            "censorings among the follow-up times that reproduces the paper's other reproduced "
            "rates.")
    from survstudy.report.adjusted import adjusted_methods
    from survstudy.report.competing import competing_methods

    paragraphs += competing_methods(results) + adjusted_methods(results)
    paragraphs.append(
        f"All tests were two-sided. Analyses were performed with survstudy {__version__} "
        f"(Python {platform.python_version()}); no number in this report was typed by hand."
    )
    return paragraphs
