"""Every number of a study report, computed once from a loaded :class:`~survstudy.Study`.

The document (HTML, Word), the tables (CSV, XLSX), the figures and ``results.json`` are all
rendered from one :class:`StudyResults`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survstudy.config.models import DAYS_PER_UNIT, PublishedValue
from survstudy.stats.survival.exact_logrank import ExactLogRank, exact_log_rank
from survstudy.stats.survival.followup import FollowUp, reverse_km_follow_up
from survstudy.stats.survival.km import KaplanMeier, kaplan_meier_counts
from survstudy.stats.survival.logrank import SurvivalTest, weighted_log_rank
from survstudy.study.adjusted import adjusted_result
from survstudy.study.claims import ClaimCheck, check_claim
from survstudy.study.cohort_counts import cohort_count_tables
from survstudy.study.cohort_facts import described_values, present_levels
from survstudy.study.competing import competing_results

if TYPE_CHECKING:
    from pathlib import Path

    from survstudy.report.write import ReportFiles
    from survstudy.stats.characteristics.table import CharacteristicsTable
    from survstudy.stats.regression.prognostic import PrognosticTables
    from survstudy.study.adjusted import AdjustedResult
    from survstudy.study.competing import CompetingResult
    from survstudy.study.cox_summary import CoxSummary
    from survstudy.study.load import Study

__all__ = ["Comparison", "EndpointResult", "StudyResults", "analyse_study", "report_study"]


@dataclass(frozen=True)
class Comparison:
    """Survival of one endpoint compared across the levels of one variable."""

    variable: str
    levels: tuple[str, ...]
    km: KaplanMeier
    test: SurvivalTest
    exact: ExactLogRank | None
    follow_up: FollowUp

    def to_dict(self, landmarks: Sequence[float]) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "levels": list(self.levels),
            "curves": self.km.summary(at=landmarks, quantiles=(0.25, 0.5, 0.75)),
            "test": self.test.to_dict(),
            "exact_test": None if self.exact is None else self.exact.to_dict(),
            "follow_up": self.follow_up.to_dict(),
        }


@dataclass(frozen=True)
class EndpointResult:
    """One survival endpoint: overall, and compared by each grouping variable."""

    name: str
    label: str
    overall: KaplanMeier
    follow_up: FollowUp
    comparisons: tuple[Comparison, ...]
    landmarks: tuple[float, ...]
    not_derived: int

    @property
    def main(self) -> Comparison | None:
        """The comparison by the study's main grouping (``[analysis] groups``)."""
        return self.comparisons[0] if self.comparisons else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "conf_type": self.overall.conf_type,
            "conf_level": self.overall.conf_level,
            "landmarks": list(self.landmarks),
            "overall": self.overall.summary(at=self.landmarks, quantiles=(0.25, 0.5, 0.75)),
            "follow_up": self.follow_up.to_dict(),
            "comparisons": [c.to_dict(self.landmarks) for c in self.comparisons],
            "not_derived": self.not_derived,
        }


@dataclass(frozen=True)
class StudyResults:
    """All numbers of the report. ``characteristics`` and ``prognostic`` may be None."""

    study: Study
    group: str | None
    group_levels: tuple[str, ...]
    endpoints: tuple[EndpointResult, ...]
    characteristics: CharacteristicsTable | None
    prognostic: PrognosticTables | None
    claims: tuple[ClaimCheck, ...]
    competing: tuple[CompetingResult, ...] = ()  # endpoints with competing events
    adjusted: AdjustedResult | None = None  # [adjustment]: IPTW
    cox: CoxSummary | None = None  # the Cox tables as shown: endpoint, HR per unit, PH tests
    #: why the study's covariates have no Cox tables (None when they have them, or none asked)
    prognostic_note: str | None = None

    def endpoint(self, name: str) -> EndpointResult | None:
        return next((e for e in self.endpoints if e.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study.to_dict(),
            "group": self.group,
            "group_levels": list(self.group_levels),
            "endpoints": [e.to_dict() for e in self.endpoints],
            "characteristics": None
            if self.characteristics is None
            else self.characteristics.to_dict(),
            "prognostic": None if self.prognostic is None else self.prognostic.to_dict(),
            "prognostic_note": self.prognostic_note,
            "published": [c.to_dict() for c in self.claims],
            "competing_risks": [c.to_dict() for c in self.competing],
            "adjusted": None if self.adjusted is None else self.adjusted.to_dict(),
            "cox": None if self.cox is None else self.cox.to_dict(),
        }


def _levels(study: Study, column: str) -> tuple[str, ...]:
    """Group levels in the study file's order, then any others found in the data."""
    from survstudy.engine.counts import order_labels

    present = present_levels(study, [column])[column]
    declared = study.config.variables.get(column)
    stated = [str(v) for v in (declared.levels or [])] if declared else []
    return tuple([v for v in stated if v in present] + order_labels(
        [v for v in present if v not in stated]))


def _endpoint(study: Study, name: str, variables: Sequence[str]) -> EndpointResult:
    """The endpoint overall and by each of ``variables`` with two levels or more: all its
    count tables from one grouped query."""
    from survstudy.data.sql import q
    from survstudy.engine.counts import count_table

    cfg = study.config
    time, event = study.endpoint_columns(name)
    conf = cfg.report.conf_type
    levels = {v: lv for v in variables if len(lv := _levels(study, v)) >= 2}
    compared = list(levels)
    overall_counts, *by = cohort_count_tables(study, time, event, f"{q(event)} = 1",
                                              [None, *compared], levels, count_table)
    comparisons = []
    for variable, counts in zip(compared, by, strict=True):
        km = kaplan_meier_counts(counts, conf_type=conf)
        exact = None
        if len(km) > 1 and min(c.n for c in km) < cfg.report.exact_below:
            exact = exact_log_rank(counts)
        comparisons.append(Comparison(variable, levels[variable], km, weighted_log_rank(counts),
                                      exact, reverse_km_follow_up(counts, conf_type=conf)))
    return EndpointResult(
        name=name,
        label=cfg.endpoints[name].label or name,
        overall=kaplan_meier_counts(overall_counts, conf_type=conf),
        follow_up=reverse_km_follow_up(overall_counts, conf_type=conf),
        comparisons=tuple(comparisons),
        landmarks=study.landmarks,
        not_derived=overall_counts.excluded,
    )


#: Claim quantities read from the survival results (the others from the cohort's rows).
_FROM_CURVES = ("survival", "median", "log_rank_p")


def _claim_value(results: StudyResults, claim: PublishedValue) -> tuple[float | None, str]:
    """The value the data give for ``claim``, or None and the reason it cannot be computed."""
    study = results.study
    if claim.quantity in ("survival", "median", "log_rank_p"):
        ep = results.endpoint(claim.endpoint or "")
        if ep is None:
            return None, f"the study defines no endpoint '{claim.endpoint}'"
        main = ep.main
        if claim.quantity == "log_rank_p":
            return (None, "no groups to compare") if main is None else (main.test.p_value, "")
        km = ep.overall if claim.group in (None, "all") else (main.km if main else None)
        if km is None or (claim.group not in (None, "all") and claim.group not in km.groups):
            return None, f"no group '{claim.group}'"
        curve = km.curves[0] if claim.group in (None, "all") else km[str(claim.group)]
        if claim.quantity == "median":
            m = curve.median.estimate
            return (None, "the median was not reached") if m is None else (m, "")
        if claim.at_years is None:
            return None, "no time given (at_years)"
        t = claim.at_years * DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[study.time_unit]
        (read,) = curve.at([t])
        if read.survival is None:
            return None, "not estimable: no patient followed that long"
        return 100 * read.survival, ""
    return described_values(study, results.group, [claim])[0]


def _claim_checks(results: StudyResults) -> tuple[ClaimCheck, ...]:
    """Every ``[[published]]`` claim recomputed (its first verdict); the means, SDs, counts
    and percents of all claims from one query."""
    published = results.study.config.published
    rows = [c for c in published if c.quantity not in _FROM_CURVES]
    described = dict(zip(map(id, rows), described_values(results.study, results.group, rows),
                         strict=True))
    return tuple(check_claim(c, lambda c: described[id(c)] if id(c) in described
                             else _claim_value(results, c)) for c in published)


#: With "auto", Firth's method is used below this many events per model term (or when the
#: ordinary likelihood is monotone).
EVENTS_PER_TERM = 10


def _adjusted_endpoint(study: Study, names: Sequence[str]) -> str:
    """The endpoint of ``[adjustment]``: the first without competing events (its weighted curves
    are survival curves), else the first."""
    return next((n for n in names if not study.config.endpoints[n].competing), names[0])


def _no_cox(endpoint: EndpointResult) -> str | None:
    """Why no Cox model can be fitted on ``endpoint`` (None when one can): a study without
    an event still gets its report, with this said where the Cox tables would be."""
    from survstudy.report.text import lower_first
    from survstudy.stats.survival.curves import count_value

    curves = endpoint.overall.curves
    if sum(c.events for c in curves) > 0:
        return None
    n = count_value(sum(c.n for c in curves))
    return (f"No Cox model was fitted for {lower_first(endpoint.label)}: none of the {n} "
            "patients analysed had an event, and a Cox model needs at least one.")


def _prognostic(study: Study, endpoint: str) -> PrognosticTables | None:
    """Univariable and multivariable Cox tables for the study's covariates (None if none)."""
    from survstudy.engine.events import EventSpec
    from survstudy.engine.sources import open_source, read_frame
    from survstudy.stats.regression.design import parse_reference
    from survstudy.stats.regression.prognostic import prognostic_tables

    cfg = study.config
    covariates = list(cfg.analysis.covariates)
    if not covariates:
        return None
    time, event = study.endpoint_columns(endpoint)
    categorical = [c for c in covariates
                   if (v := cfg.variables.get(c)) is not None and v.type == "categorical"]
    reference = {c: str(levels[0]) for c in categorical
                 if (levels := cfg.variables[c].levels)}
    frame = study.frame([time, event, *covariates])
    frame[event] = frame[event].astype("float")
    for c in categorical:
        frame[c] = frame[c].astype("string")
    mode = cfg.report.firth

    def fit(firth: bool) -> PrognosticTables:
        src = open_source(frame)
        rows = read_frame(src, list(dict.fromkeys([time, event, *covariates])))
        return prognostic_tables(rows, time, EventSpec.parse(event), covariates,
                                 categorical=categorical, refs=parse_reference(reference),
                                 strata=None, ties="efron", firth=firth, select_p=None,
                                 conf_level=0.95, source=src.name, first_row=src.first_row)

    if mode != "auto":
        return fit(mode == "always")
    tables = fit(False)
    terms = max(len(tables.multivariable), 1)
    events = int(frame[event].sum())
    monotone = any(r.infinite for r in (*tables.univariable, *tables.multivariable))
    return fit(True) if monotone or events < EVENTS_PER_TERM * terms else tables


def _characteristics(study: Study, group: str | None) -> CharacteristicsTable | None:
    """Table 1 by the main group, with each variable typed as the study file says; categorical
    counts come from GROUP BY queries inside DuckDB."""
    from survstudy.data.sql import q
    from survstudy.stats.characteristics.table_sql import characteristics_table_sql
    from survstudy.study.load import COHORT

    cfg = study.config
    names = list(cfg.analysis.characteristics)
    if group is None or not names:
        return None
    categorical: list[str] = []
    continuous: list[str] = []
    for name in names:
        var = cfg.variables.get(name)
        kind = var.type if var is not None else None
        if kind is None:
            kind = "continuous" if study.is_numeric(name) else "categorical"
        (continuous if kind == "continuous" else categorical).append(name)
    select = [f"{study.text(c)} AS {q(c)}" for c in dict.fromkeys([group, *categorical])]
    select += [f"CAST({q(c)} AS DOUBLE) AS {q(c)}" for c in continuous if c != group]
    relation = f"(SELECT {', '.join(select)} FROM {COHORT})"
    levels = {n: [str(v) for v in lv] for n in categorical
              if (var := cfg.variables.get(n)) is not None and (lv := var.levels)}
    return characteristics_table_sql(study.engine, relation, group, categorical, continuous,
                                     groups=list(_levels(study, group)), levels=levels,
                                     source="cohort",
                                     continuous_rule=cfg.analysis.continuous_test)


def analyse_study(study: Study) -> StudyResults:
    """Compute every number of the report for ``study``."""
    cfg = study.config
    group = cfg.analysis.groups
    names = cfg.analysis.endpoints if cfg.analysis.endpoints is not None else list(cfg.endpoints)
    variables = ([group] if group else []) + [v for v in cfg.analysis.also_by if v != group]
    present_levels(study, variables)  # every grouping variable's levels in one query
    levels = _levels(study, group) if group else ()
    endpoints = tuple(_endpoint(study, n, variables) for n in names)
    note = _no_cox(endpoints[0]) if endpoints and cfg.analysis.covariates else None
    prognostic = _prognostic(study, names[0]) if names and note is None else None
    from survstudy.study.cox_summary import cox_summary

    cox = None if prognostic is None else cox_summary(study, names[0], prognostic)
    results = StudyResults(
        study=study,
        group=group,
        group_levels=levels,
        endpoints=endpoints,
        characteristics=_characteristics(study, group),
        prognostic=prognostic,
        claims=(),
        competing=competing_results(study, names, group, levels),
        adjusted=adjusted_result(study, _adjusted_endpoint(study, names)) if names else None,
        cox=cox,
        prognostic_note=note,
    )
    from survstudy.study.verdicts import judge_claims

    claims = judge_claims(results, _claim_checks(results))
    return StudyResults(**{**results.__dict__, "claims": claims})


def report_study(study_file: str | Path, out: str | Path) -> ReportFiles:
    """Load, check and analyse ``study_file`` and write its report folder to ``out``.

    Raises :class:`survstudy.InputError` (and writes nothing) when the study has errors.
    """
    from survstudy.report.write import write_report
    from survstudy.study.load import load_study

    return write_report(analyse_study(load_study(study_file)), out)
