"""IPTW on a frame already read: propensity score, weights, balance, weighted KM and Cox.

The pure core of :func:`survstudy.api.adjusted.iptw` (which reads the file) and of the study
report's ``[adjustment]`` section (which reads the cohort): both give the same
:class:`IPTWResult` from the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.engine.events import EventSpec
from survstudy.errors import InputError, Problem
from survstudy.stats.adjustment.balance import BalanceTable, balance_table
from survstudy.stats.adjustment.propensity import (
    Estimand,
    LogisticFit,
    WeightSummary,
    fit_logistic,
    iptw_weights,
    propensity_warnings,
    separation_error,
    weight_summary,
)
from survstudy.stats.regression.cox import fit_cox
from survstudy.stats.regression.cox_result import CoxResult
from survstudy.stats.regression.design import Design, frame_model_data
from survstudy.stats.survival.km import ConfType, KaplanMeier
from survstudy.stats.survival.weighted_km import weighted_kaplan_meier

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IPTWResult", "iptw_frame"]



@dataclass(frozen=True)
class IPTWResult:
    """An IPTW-adjusted comparison: propensity model, weights, balance, curves, Cox, test."""

    treatment: str
    treated: str
    control: str
    estimand: Estimand
    stabilized: bool
    trim: tuple[float, float] | None
    n: int
    excluded: int
    excluded_by: Mapping[str, int]
    covariates: tuple[str, ...]
    propensity: LogisticFit
    weight_summaries: tuple[WeightSummary, ...]
    balance: BalanceTable
    km: KaplanMeier
    cox: CoxResult
    at: tuple[float, ...]
    warnings: tuple[Problem, ...]
    weights: FloatArray = field(repr=False)
    is_treated: NDArray[np.bool_] = field(repr=False)
    time: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    event: NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, bool), repr=False)

    @property
    def propensity_score(self) -> FloatArray:
        return self.propensity.fitted

    def to_dict(self) -> dict[str, Any]:
        term = self.cox.terms[0]
        robust = self.cox.tests["robust_score"]
        naive = self.cox.naive_covariance
        return {
            "n": self.n,
            "estimand": self.estimand,
            "stabilized": self.stabilized,
            "trim": None if self.trim is None else list(self.trim),
            "treatment": self.treatment,
            "treated": self.treated,
            "control": self.control,
            "covariates": list(self.covariates),
            "excluded": {"rows": self.excluded, "by_column": dict(self.excluded_by)},
            "propensity": {"model": "logistic regression (R glm, binomial, logit)"}
            | self.propensity.to_dict(),
            "weights": [w.to_dict() for w in self.weight_summaries],
            "balance": [r.to_dict(self.balance.threshold) for r in self.balance.rows],
            "balance_summary": {
                "threshold": self.balance.threshold,
                "denominator": self.balance.denominator,
                "balanced": self.balance.balanced,
                "imbalanced_terms": list(self.balance.imbalanced),
                "max_abs_smd_after": self.balance.max_abs_smd_after,
            },
            "km": [
                {
                    "group": c.label,
                    "n": self.weight_summaries[i].n,
                    "weighted_n": c.n,
                    "at": [a.to_dict() for a in c.at(self.at)],
                }
                for i, c in enumerate(self.km)
            ],
            "km_variance": self.km.variance,
            "km_conf_type": self.km.conf_type,
            "cox": {
                "term": term.term,
                "coef": term.coef,
                "se_robust": term.se,
                "se_model": None if naive is None else float(np.sqrt(naive[0, 0])),
                "hr": term.hr,
                "hr_ci": None if term.hr_ci is None else list(term.hr_ci),
                "p_value": term.p_value,
                "ties": self.cox.ties,
                "events": self.cox.events,
                "conf_level": self.cox.conf_level,
            },
            "test": {
                "method": "robust score",
                "statistic": robust.statistic,
                "df": robust.df,
                "p_value": robust.p_value,
            },
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def to_frame(self) -> pd.DataFrame:
        """The balance table: one row per model term, means and SMD before and after."""
        return self.balance.to_frame()


def iptw_frame(
    frame: pd.DataFrame,
    column: str,
    code: str,
    covs: Sequence[str],
    time: str,
    spec: EventSpec,
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    estimand: Estimand = "ate",
    stabilize: bool = False,
    trim: tuple[float, float] | None = None,
    at: Sequence[float] = (),
    ties: str = "efron",
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    source: str = "data frame",
    first_row: int = 1,
) -> IPTWResult:
    """IPTW comparison of ``column`` (``code`` = treated) on rows of ``frame`` (values as
    text); arguments as :func:`survstudy.api.adjusted.iptw`, already checked there."""
    covs = list(covs)
    cats = list(categorical)
    md = frame_model_data(
        frame,
        time,
        spec,
        covs,
        categorical=cats,
        reference=reference,
        strata=column,
        source=source,
        first_row=first_row,
    )
    levels = md.strata_levels
    if code not in levels or len(levels) != 2 or md.stratum is None:
        why = (
            f"the treated code '{code}' does not occur"
            if code not in levels
            else f"it takes {len(levels)} values"
        )
        raise InputError(
            Problem(
                f"treatment must have exactly two values in the rows analysed, one of them the "
                f"treated code; {why} (values: {', '.join(levels)})",
                file=source,
                column=column,
                value=code,
            )
        )
    is_treated = md.stratum == levels.index(code)
    control = levels[1 - levels.index(code)]
    design = md.design
    x = np.column_stack([np.ones(md.n), design.matrix])
    fit = fit_logistic(x, is_treated.astype(np.float64), ("(Intercept)", *design.terms))
    error = separation_error(fit, x, is_treated, design.covariate_of, source)
    if error is not None:
        raise error
    ps = fit.fitted
    w = iptw_weights(ps, is_treated, estimand, stabilize=stabilize, trim=trim)
    summaries = tuple(
        weight_summary(w[is_treated == (lvl == code)], lvl) for lvl in levels
    )
    balance = balance_table(design.matrix, design.terms, design.covariate_of, is_treated, w)
    labels = np.where(is_treated, code, control)
    km = weighted_kaplan_meier(
        md.time,
        md.event,
        w,
        labels,
        groups=levels,
        conf_type=conf_type,
        conf_level=conf_level,
        variance="infinitesimal jackknife",
    )
    arm = Design((column,), (column,), is_treated.astype(np.float64)[:, None], {}, {})
    cox_data = replace(md, design=arm, stratum=None, strata_levels=(), strata_column=None)
    cox = fit_cox(
        cox_data,
        ties="breslow" if ties == "breslow" else "efron",
        conf_level=conf_level,
        with_concordance=False,
        weights=w,
        robust=True,
        weights_label=f"IPTW ({estimand})",
    )
    warnings = (*md.warnings, *propensity_warnings(ps, w, source), *cox.warnings)
    if not balance.balanced:
        warnings += (
            Problem(
                f"balance not reached: |SMD| after weighting is above {balance.threshold} for "
                f"{', '.join(balance.imbalanced)}",
                file=source,
                severity="warning",
            ),
        )
    return IPTWResult(
        treatment=column,
        treated=code,
        control=control,
        estimand=estimand,
        stabilized=stabilize,
        trim=None if trim is None else (float(trim[0]), float(trim[1])),
        n=md.n,
        excluded=md.excluded,
        excluded_by=md.excluded_by,
        covariates=tuple(covs),
        propensity=fit,
        weight_summaries=summaries,
        balance=balance,
        km=km,
        cox=cox,
        at=tuple(float(t) for t in at),
        warnings=tuple(dict.fromkeys(warnings)),
        weights=w,
        is_treated=is_treated,
        time=md.time,
        event=md.event,
    )
