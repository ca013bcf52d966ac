"""Competing-risks numbers of a study: per endpoint that names ``competing`` events, the
cumulative incidence (Aalen-Johansen) overall and by the main group, Gray's test, and, with
``[analysis] covariates``, Fine-Gray and cause-specific Cox models.

The counts come from the cohort's ``NAME_cause`` column (0 censored, 1 event, 2 competing,
derived in :mod:`survstudy.data.endpoints`) aggregated inside DuckDB; the statistics are the
same pure functions as ``survstudy cif`` / ``finegray`` and :mod:`survstudy.api.competing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from survstudy.engine.cause_counts import CauseCountTable, cause_count_table
from survstudy.stats.survival.cif import (
    CumulativeIncidence,
    GrayTest,
    cumulative_incidence_counts,
    gray_test_counts,
)
from survstudy.study.cohort_counts import cohort_count_tables

if TYPE_CHECKING:
    from survstudy.stats.regression.cox_result import CoxResult
    from survstudy.stats.regression.finegray import FineGrayResult
    from survstudy.study.load import Study

__all__ = ["CompetingResult", "competing_endpoint", "competing_results"]


@dataclass(frozen=True)
class CompetingResult:
    """One competing-risks endpoint: CIF of the event overall and by ``group``, Gray's test,
    Fine-Gray and cause-specific Cox (None when not computed, with the reason)."""

    name: str
    label: str
    event_label: str
    competing_label: str
    landmarks: tuple[float, ...]
    overall: CumulativeIncidence
    group: str | None
    by_group: CumulativeIncidence | None
    gray: GrayTest | None
    fine_gray: FineGrayResult | None
    cause_specific: CoxResult | None
    models_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        at = self.landmarks
        return {
            "name": self.name,
            "label": self.label,
            "event": self.event_label,
            "competing": self.competing_label,
            "method": "Aalen-Johansen",
            "conf_level": self.overall.conf_level,
            "variance_method": self.overall.variance_method,
            "ci_method": self.overall.ci_method,
            "landmarks": list(at),
            "overall": self.overall.summary(at)[0] if len(self.overall) else None,
            "group": self.group,
            "groups": None if self.by_group is None else self.by_group.summary(at),
            "test": None if self.gray is None else self.gray.to_dict(),
            "fine_gray": None if self.fine_gray is None else self.fine_gray.to_dict(),
            "cause_specific_cox": None if self.cause_specific is None
            else self.cause_specific.to_dict(),
            "models_note": self.models_note,
        }


def _cause_counts(study: Study, time: str, cause: str, group: str | None,
                  levels: Sequence[str]) -> list[CauseCountTable]:
    """The cause count tables of an endpoint overall and (if ``group``) by ``group``, from
    one grouped query inside the engine."""
    from survstudy.data.sql import q

    by = [] if group is None else [group]
    return cohort_count_tables(study, time, cause, f"CAST({q(cause)} AS INTEGER)", [None, *by],
                               {} if group is None else {group: levels}, cause_count_table)


def _models(study: Study, time: str, cause: str
            ) -> tuple[FineGrayResult | None, CoxResult | None, str | None]:
    """Fine-Gray and cause-specific Cox on ``[analysis] covariates`` (complete cases), as
    :func:`survstudy.fine_gray` and :func:`survstudy.cause_specific_cox` compute them."""
    from survstudy.engine.events import EventSpec
    from survstudy.errors import InputError
    from survstudy.stats.regression.cox import fit_cox
    from survstudy.stats.regression.design import frame_model_data
    from survstudy.stats.regression.finegray import fine_gray_model

    cfg = study.config
    covariates = list(cfg.analysis.covariates)
    if not covariates:
        return None, None, None
    categorical = [c for c in covariates
                   if (v := cfg.variables.get(c)) is not None and v.type == "categorical"]
    reference = {c: str(lv[0]) for c in categorical if (lv := cfg.variables[c].levels)}
    frame = study.frame([time, cause, *covariates])
    frame[cause] = frame[cause].astype("Int8").astype("string")
    for c in categorical:
        frame[c] = frame[c].astype("string")
    try:
        md = frame_model_data(frame, time, EventSpec.parse(f"{cause}=1"), covariates,
                              categorical=categorical, reference=reference, strata=cause,
                              source="cohort")
    except InputError as e:
        return None, None, "; ".join(p.message for p in e.problems)
    assert md.stratum is not None
    competing = np.array([lv == "2" for lv in md.strata_levels], dtype=bool)[md.stratum]
    fg = fine_gray_model(md, competing)
    plain = replace(md, stratum=None, strata_levels=(), strata_column=None)
    return fg, fit_cox(plain, ties="efron"), None


def competing_endpoint(study: Study, name: str, group: str | None,
                       levels: Sequence[str]) -> CompetingResult:
    """The competing-risks result of endpoint ``name`` (it must name ``competing``)."""
    cfg = study.config
    spec = cfg.endpoints[name]
    time, cause = f"{name}_time", f"{name}_cause"
    grouped = group is not None and len(levels) > 1
    tables = _cause_counts(study, time, cause, group if grouped else None, levels)
    overall = cumulative_incidence_counts(tables[0])
    by_group = gray = None
    if grouped:
        counts = tables[1]
        by_group = cumulative_incidence_counts(counts)
        if sum(1 for s in counts if s.time.size) > 1:
            gray = gray_test_counts(counts)
    fg, cs, note = _models(study, time, cause)
    events = spec.events or ([spec.event] if spec.event else [])
    return CompetingResult(
        name=name,
        label=spec.label or name,
        event_label=", ".join(events),
        competing_label=", ".join(spec.competing or []),
        landmarks=study.landmarks,
        overall=overall,
        group=group if by_group is not None else None,
        by_group=by_group,
        gray=gray,
        fine_gray=fg,
        cause_specific=cs,
        models_note=note,
    )


def competing_results(study: Study, names: Sequence[str], group: str | None,
                      levels: Sequence[str]) -> tuple[CompetingResult, ...]:
    """Competing-risks results of every analysed endpoint that names competing events."""
    return tuple(competing_endpoint(study, n, group, levels) for n in names
                 if study.config.endpoints[n].competing)
