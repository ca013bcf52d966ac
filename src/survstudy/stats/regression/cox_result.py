"""What a Cox fit returns: the model tests, the terms and the result, numbers only.

The fitting kernel (:mod:`.cox`) and Firth's method (:mod:`.firth`) both build these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from survstudy.arrays import FloatArray
from survstudy.errors import Problem
from survstudy.jsonsafe import ListRecord, Record
from survstudy.stats.regression.design import ModelData

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ChiSquareTest", "Concordance", "CoxResult", "CoxTerm", "Ties", "chi_square"]

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class Concordance(Record):
    """Harrell's C as R's ``concordance``: pairs ordered by risk score against survival.

    A pair is comparable when the shorter time is an event (a censoring at the same time
    counts as longer); ``tied_risk`` pairs count one half; pairs of events at the same time
    (``tied_time``) are not comparable.
    """

    concordance: float
    concordant: float
    discordant: float
    tied_risk: float
    tied_time: float


@dataclass(frozen=True)
class ChiSquareTest(Record):
    """A chi-square test of the model: statistic, degrees of freedom, p-value, which test."""

    statistic: float
    df: int
    p_value: float
    method: str


def chi_square(statistic: float, df: int, method: str) -> ChiSquareTest:
    # closed forms in `math` (scipy.special.chdtrc's values to 4e-14 relative) without
    # 0.5 s of SciPy import in every `survstudy cox`
    from survstudy.stats.survival.distributions import chi2_sf

    stat = max(float(statistic), 0.0)
    return ChiSquareTest(stat, df, chi2_sf(stat, df), method)


@dataclass(frozen=True)
class CoxTerm(ListRecord):
    """One coefficient. ``infinite`` is +1/-1 when it runs to infinity (then no Wald CI)."""

    term: str
    covariate: str
    coef: float | None
    se: float | None
    hr: float | None
    hr_ci: tuple[float, float] | None
    p_value: float | None
    infinite: int = 0


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: coefficients, tests and every choice made, numbers only.

    ``loglik`` is (null, fitted); for Firth's method both are penalized. ``ci_method`` and
    ``p_value_method`` say how intervals and per-term p-values were computed.
    """

    method: Literal["cox", "firth"]
    ties: Ties
    n: int
    events: int
    terms: tuple[CoxTerm, ...]
    loglik: tuple[float, float]
    tests: Mapping[str, ChiSquareTest]
    concordance: Concordance | None
    iterations: int
    converged: bool
    monotone: tuple[str, ...]
    ci_method: str
    p_value_method: str
    conf_level: float
    coef: FloatArray = field(repr=False)
    covariance: FloatArray = field(repr=False)
    warnings: tuple[Problem, ...] = ()
    data: ModelData | None = field(default=None, repr=False, compare=False)
    #: "model-based" (inverse information) or "robust" (sandwich, R's robust=TRUE)
    variance: str = "model-based"
    #: with case weights: their column (or "weights") and the model-based covariance
    weights: str | None = None
    naive_covariance: FloatArray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = self.data
        return {
            "n": self.n,
            "events": self.events,
            "ties": self.ties,
            "method": self.method,
            "coefficients": [t.to_dict() for t in self.terms],
            "loglik": list(self.loglik),
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
            "excluded": {
                "rows": 0 if data is None else data.excluded,
                "by_column": {} if data is None else dict(data.excluded_by),
            },
            "concordance": None if self.concordance is None else self.concordance.to_dict(),
            "convergence": {
                "iterations": self.iterations,
                "converged": self.converged,
                "criterion": "relative change in log-likelihood <= 1e-9"
                if self.method == "cox"
                else "max |step| and max |penalized score| <= 1e-9",
            },
            "monotone_likelihood": list(self.monotone),
            "ci_method": self.ci_method,
            "p_value_method": self.p_value_method,
            "conf_level": self.conf_level,
            "strata": None if data is None else data.strata_column,
            "reference": {} if data is None else dict(data.design.reference),
            "warnings": [w.to_dict() for w in self.warnings],
            "variance": self.variance,
            "weights": self.weights,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per term: coef, se, hr, CI bounds, p-value."""
        import pandas as pd

        rows = []
        for t in self.terms:
            lo, hi = t.hr_ci if t.hr_ci is not None else (None, None)
            rows.append(
                {
                    "term": t.term,
                    "covariate": t.covariate,
                    "coef": t.coef,
                    "se": t.se,
                    "hr": t.hr,
                    "hr_lower": lo,
                    "hr_upper": hi,
                    "p_value": t.p_value,
                    "infinite": t.infinite,
                }
            )
        return pd.DataFrame(rows)
