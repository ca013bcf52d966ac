"""Every number of a study report, computed once from a loaded :class:`~survstudy.Study`.

The document (HTML, Word), the tables (CSV, XLSX), the figures and ``results.json`` are all
rendered from one :class:`StudyResults`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survstudy.config import DAYS_PER_UNIT, PublishedValue
from survstudy.engine.counts import CountTable
from survstudy.report.claims import ClaimCheck, check_claim
from survstudy.stats.compare import SurvivalTest, weighted_log_rank
from survstudy.stats.exact_logrank import ExactLogRank, exact_log_rank
from survstudy.stats.followup import FollowUp, reverse_km_follow_up
from survstudy.stats.km import KaplanMeier, kaplan_meier_counts

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.study import Study

__all__ = ["EndpointResult", "StudyResults", "analyse_study"]


@dataclass(frozen=True)
class EndpointResult:
    """One survival endpoint: overall and by group, with tests and follow-up."""

    name: str
    label: str
    overall: KaplanMeier
    by_group: KaplanMeier | None
    test: SurvivalTest | None
    exact: ExactLogRank | None
    follow_up: FollowUp
    follow_up_by_group: FollowUp | None
    landmarks: tuple[float, ...]
    not_derived: int

    def to_dict(self) -> dict[str, Any]:
        def curves(km: KaplanMeier | None) -> list[dict[str, object]] | None:
            if km is None:
                return None
            return km.summary(at=self.landmarks, quantiles=(0.25, 0.5, 0.75))

        return {
            "name": self.name,
            "label": self.label,
            "conf_type": self.overall.conf_type,
            "conf_level": self.overall.conf_level,
            "landmarks": list(self.landmarks),
            "overall": curves(self.overall),
            "by_group": curves(self.by_group),
            "test": None if self.test is None else self.test.to_dict(),
            "exact_test": None if self.exact is None else self.exact.to_dict(),
            "follow_up": self.follow_up.to_dict(),
            "follow_up_by_group": None
            if self.follow_up_by_group is None
            else self.follow_up_by_group.to_dict(),
            "not_derived": self.not_derived,
        }


@dataclass(frozen=True)
class StudyResults:
    """All numbers of the report. ``characteristics`` and ``prognostic`` may be None."""

    study: Study
    group: str | None
    group_levels: tuple[str, ...]
    endpoints: tuple[EndpointResult, ...]
    characteristics: Any
    prognostic: Any
    claims: tuple[ClaimCheck, ...]

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
            "published": [c.to_dict() for c in self.claims],
        }


def _levels(study: Study, column: str) -> tuple[str, ...]:
    """Group levels in the study file's order, then any others found in the data."""
    from survstudy.engine.counts import order_labels

    present = [str(v) for v in study.data[column].dropna().astype(str).unique()]
    declared = study.config.variables.get(column)
    stated = [str(v) for v in (declared.levels or [])] if declared else []
    return tuple([v for v in stated if v in present] + order_labels(
        [v for v in present if v not in stated]))


def _counts(frame: pd.DataFrame, time: str, event: str, group: str | None,
            levels: Sequence[str]) -> CountTable:
    from survstudy.engine.counts import count_table

    keep = frame[time].notna() & frame[event].notna()
    if group is not None:
        keep &= frame[group].notna()
    rows = frame.loc[keep]
    return count_table(
        rows[time].to_numpy(float),
        rows[event].to_numpy(int) == 1,
        None if group is None else rows[group].astype(str).to_numpy(),
        groups=list(levels) if group is not None else None,
        excluded=int((~keep).sum()),
    )


def _endpoint(study: Study, name: str, group: str | None,
              levels: Sequence[str]) -> EndpointResult:
    cfg = study.config
    time, event = study.endpoint_columns(name)
    conf = cfg.report.conf_type
    overall_counts = _counts(study.data, time, event, None, ())
    overall = kaplan_meier_counts(overall_counts, conf_type=conf)
    by_group = test = exact = follow_groups = None
    if group is not None and len(levels) > 1:
        counts = _counts(study.data, time, event, group, levels)
        by_group = kaplan_meier_counts(counts, conf_type=conf)
        test = weighted_log_rank(counts)
        sizes = [c.n for c in by_group]
        if len(by_group) > 1 and min(sizes) < cfg.report.exact_below:
            exact = exact_log_rank(counts)
        follow_groups = reverse_km_follow_up(counts, conf_type=conf)
    endpoint = cfg.endpoints[name]
    return EndpointResult(
        name=name,
        label=endpoint.label or name,
        overall=overall,
        by_group=by_group,
        test=test,
        exact=exact,
        follow_up=reverse_km_follow_up(overall_counts, conf_type=conf),
        follow_up_by_group=follow_groups,
        landmarks=study.landmarks,
        not_derived=overall_counts.excluded,
    )


def _claim_value(results: StudyResults, claim: PublishedValue) -> tuple[float | None, str]:
    """The value the data give for ``claim``, or None and the reason it cannot be computed."""
    study = results.study
    if claim.quantity in ("survival", "median", "log_rank_p"):
        ep = results.endpoint(claim.endpoint or "")
        if ep is None:
            return None, f"the study defines no endpoint '{claim.endpoint}'"
        if claim.quantity == "log_rank_p":
            return (None, "no groups to compare") if ep.test is None else (ep.test.p_value, "")
        km = ep.overall if claim.group in (None, "all") else ep.by_group
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
    column = claim.variable or ""
    if column not in study.data:
        return None, f"no variable '{column}' in the data"
    values = study.data[column]
    if claim.group not in (None, "all") and results.group is not None:
        values = values[study.data[results.group].astype(str) == str(claim.group)]
    if claim.quantity in ("mean", "sd"):
        import pandas as pd

        numbers = pd.to_numeric(values, errors="coerce").dropna()
        if numbers.size < (1 if claim.quantity == "mean" else 2):
            return None, "too few values"
        return float(numbers.mean() if claim.quantity == "mean" else numbers.std(ddof=1)), ""
    present = values.dropna().astype(str)
    n = float((present == str(claim.level)).sum())
    if claim.quantity == "count":
        return n, ""
    return (100 * n / present.size, "") if present.size else (None, "no values")


def analyse_study(study: Study) -> StudyResults:
    """Compute every number of the report for ``study``."""
    cfg = study.config
    group = cfg.analysis.groups
    levels = _levels(study, group) if group else ()
    names = cfg.analysis.endpoints if cfg.analysis.endpoints is not None else list(cfg.endpoints)
    endpoints = tuple(_endpoint(study, n, group, levels) for n in names)
    results = StudyResults(
        study=study,
        group=group,
        group_levels=levels,
        endpoints=endpoints,
        characteristics=None,
        prognostic=None,
        claims=(),
    )
    claims = tuple(check_claim(c, lambda c: _claim_value(results, c)) for c in cfg.published)
    return StudyResults(**{**results.__dict__, "claims": claims})
