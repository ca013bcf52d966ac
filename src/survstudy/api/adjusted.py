"""Adjusted comparison of two treatments by inverse probability of treatment weighting.

One call does what takes WeightIt + cobalt + survival in R: a logistic propensity score, ATE or
ATT weights (optionally stabilised and truncated), the balance of every model term before and
after weighting, weighted Kaplan-Meier curves with infinitesimal-jackknife standard errors,
and a weighted Cox model of the treatment with the robust (sandwich) variance and the robust
score test as the adjusted test. Every choice is recorded on the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from survstudy.api.inputs import Data, open_data
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import numbered, read_frame
from survstudy.stats.adjustment.iptw import IPTWResult, iptw_frame
from survstudy.stats.adjustment.propensity import Estimand
from survstudy.stats.regression.design import parse_reference
from survstudy.stats.survival.km import ConfType

if TYPE_CHECKING:
    pass

__all__ = ["IPTWResult", "iptw"]  # IPTWResult: from stats.adjustment.iptw


def _split_treatment(treatment: str, treated: str | None) -> tuple[str, str]:
    column, sep, code = treatment.partition("=")
    if sep:
        if treated is not None and treated != code.strip():
            raise ValueError(f"treatment {treatment!r} and treated={treated!r} disagree")
        treated = code.strip()
    if not column.strip() or not treated:
        raise ValueError(
            f"treatment {treatment!r}: write COLUMN=CODE (the code of the treated patients), "
            "e.g. hormon=1"
        )
    return column.strip(), str(treated)


def iptw(
    data: Data,
    treatment: str,
    covariates: Sequence[str],
    time: str,
    event: str | EventSpec,
    *,
    treated: str | None = None,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    estimand: Estimand = "ate",
    stabilize: bool = False,
    trim: tuple[float, float] | None = None,
    at: Sequence[float] = (),
    ties: str = "efron",
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
) -> IPTWResult:
    """Compare the arms of ``treatment`` on survival, adjusted by IPTW for ``covariates``.

    ``treatment="hormon=1"`` (or ``treatment="hormon", treated="1"``): patients whose value
    is the code are treated, the other value is the control (exactly two values). Categorical
    covariates are dummy coded as in :func:`cox_regression`; rows missing any needed value
    are left out and counted. ``trim=(0.01, 0.99)`` truncates each arm's weights at those
    quantiles. Raises :class:`InputError` for bad data and for separation (positivity).
    """
    if estimand not in ("ate", "att"):
        raise ValueError(f"estimand must be 'ate' or 'att', not {estimand!r}")
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    column, code = _split_treatment(treatment, treated)
    spec = event if isinstance(event, EventSpec) else EventSpec.parse(event)
    covs = [covariates] if isinstance(covariates, str) else list(dict.fromkeys(covariates))
    if not covs:
        raise ValueError("give at least one covariate for the propensity score")
    if column in covs:
        raise ValueError(f"the treatment '{column}' cannot also be a covariate")
    cats = [categorical] if isinstance(categorical, str) else list(categorical)
    src = open_data(data)
    wanted = list(dict.fromkeys([time, spec.column, column, *covs]))
    frame = read_frame(src, wanted, as_text=True)
    with numbered(src):
        return iptw_frame(frame, column, code, covs, time, spec, categorical=cats,
                          reference=parse_reference(reference), estimand=estimand,
                          stabilize=stabilize, trim=trim, at=at, ties=ties, conf_type=conf_type,
                          conf_level=conf_level, source=src.name, first_row=src.first_row)
