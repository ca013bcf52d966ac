"""Numbers into sentences: the Methods paragraphs (the Results are in ``text_results.py``).

Methods speak in the study's labels (variables, endpoints), never in column names or
study-file keys.

Every number in the text is read from :class:`StudyResults` and formatted by ``format.py``;
every method named is the one the results record having used.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import TYPE_CHECKING

from survstudy.config.models import DAYS_PER_UNIT
from survstudy.report.format import format_count, format_number, name_of_test

if TYPE_CHECKING:
    from survstudy.study.analysis import StudyResults

__all__ = [
    "column_label",
    "endpoint_events",
    "join_and",
    "landmark_phrase",
    "lower_first",
    "methods_paragraphs",
    "time_axis_label",
]

_CI_SCALE = {"log-log": "log-log", "log": "log", "plain": "linear (plain)"}


def column_label(results: StudyResults, column: str) -> str:
    """The label the study file gives a column, else the column name."""
    return results.study.labels.get(column, column)


def _unit_of(results: StudyResults, column: str) -> str | None:
    var = results.study.config.variables.get(column)
    return var.unit if var is not None and var.unit else None


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


def join_and(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: What an endpoint counts, from its label when its events are not dates: (one, many).
_EVENTS_BY_LABEL = (
    ("overall survival", ("death", "deaths")),
    ("disease-specific", ("death from the disease", "deaths from the disease")),
    ("cancer-specific", ("death from cancer", "deaths from cancer")),
    ("recurrence-free", ("recurrence or death", "recurrences or deaths")),
    ("relapse-free", ("relapse or death", "relapses or deaths")),
    ("disease-free", ("recurrence or death", "recurrences or deaths")),
    ("progression-free", ("progression or death", "progressions or deaths")),
    ("metastasis-free", ("metastasis or death", "metastases or deaths")),
)


def _plural(noun: str) -> str:
    return noun[:-2] + "es" if noun.endswith("is") else noun + "s"


def endpoint_events(results: StudyResults, name: str) -> tuple[str, str]:
    """What the endpoint's events are, singular and plural: ("death", "deaths"),
    ("recurrence or death", "recurrences or deaths"); from its event dates' labels ("Date of
    death"), else from its label ("Overall survival"), else ("event", "events")."""
    spec = results.study.config.endpoints[name]
    if spec.events:
        words = [lower_first(_event_phrase(column_label(results, c))) for c in spec.events]
        if all(" " not in w for w in words):
            return " or ".join(words), " or ".join(_plural(w) for w in words)
    label = (spec.label or name).lower()
    for key, nouns in _EVENTS_BY_LABEL:
        if key in label:
            return nouns
    return "event", "events"


def _endpoint_method(results: StudyResults, name: str) -> str:
    spec = results.study.config.endpoints[name]
    label = spec.label or name
    event, _ = endpoint_events(results, name)
    unit = f", in {spec.unit}" if spec.unit else ""
    free = "still alive" if event == "death" else f"without {event}"
    if spec.origin is None:
        return (f"{label} (time to {event}) was taken as recorded in the registry{unit}; "
                f"patients {free} were censored at their last follow-up.")
    events = join_and([_event_phrase(column_label(results, c)) for c in spec.events or []])
    origin = _event_phrase(column_label(results, spec.origin))
    return (
        f"{label} was measured from {origin} to {events or 'the event'}; patients {free} were "
        "censored at their last contact or at the end of follow-up, whichever came first."
    )


#: How each ``[analysis] continuous_test`` rule is told in Methods (two groups, more).
_CONTINUOUS_RULE_TEXT = {
    "auto": ("Student's t test if both groups passed a Shapiro-Wilk test of normality at 0.05, "
             "otherwise with the Mann-Whitney U test{exact}",
             "one-way ANOVA if every group passed a Shapiro-Wilk test of normality at 0.05, "
             "otherwise with the Kruskal-Wallis test"),
    "nonparametric": ("the Mann-Whitney U test{exact}, which assumes no normal distribution",
                      "the Kruskal-Wallis test, which assumes no normal distribution"),
    "parametric": ("Student's t test, assuming normally distributed values in each group",
                   "one-way ANOVA, assuming normally distributed values in each group"),
}


def _continuous_method(results: StudyResults) -> str:
    """Which rule chose the continuous tests, and why, in a sentence."""
    table = results.characteristics
    assert table is not None
    two, more = _CONTINUOUS_RULE_TEXT[table.continuous_rule]
    text = (two if len(table.groups) == 2 else more).format(
        exact=" (exact when both groups had under 50 values and no ties, otherwise by the "
              "normal approximation)")
    why = {"auto": "",
           "nonparametric": " Rank tests were used for every continuous characteristic, "
                            "without a normality pre-test, which has little power in small "
                            "groups.",
           "parametric": " The same parametric test was used for every continuous "
                         "characteristic, without a normality pre-test."}[table.continuous_rule]
    return f"Continuous characteristics were compared with {text}.{why}"


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
        parts.append("Categorical characteristics were compared with " + join_and(categorical)
                     + ".")
    if used & {"t-test", "anova", "mann-whitney", "kruskal-wallis", "welch"}:
        parts.append(_continuous_method(results))
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
        chosen = ("every factor" if p.selection == "all covariates" else
                  p.selection.replace("covariates with", "the factors with"))
        cox = (f"Hazard ratios were estimated with Cox proportional hazards regression "
               f"({ties} method for tied times), first for each factor alone and then in a "
               f"multivariable model including {chosen}.")
        if p.method == "firth":
            cox += (" Because of the small number of events, Firth's penalized partial "
                    "likelihood was used, with profile-likelihood confidence intervals.")
        elif results.cox is not None and results.cox.ph_multivariable is not None:
            cox += (" The proportional-hazards assumption was tested with scaled Schoenfeld "
                    "residuals against the Kaplan-Meier transform of time (per term and "
                    "globally).")
        if results.cox is not None and results.cox.per:
            steps = [f"{lower_first(column_label(results, c))} per "
                     + ("standard deviation" if c in results.cox.per_sd else
                        f"{format_number(k, 0 if float(k).is_integer() else 2)}"
                        f"{f' {u}' if (u := _unit_of(results, c)) else ''}")
                     for c, k in results.cox.per.items()]
            cox += f" Hazard ratios are given for {', '.join(steps)}."
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
