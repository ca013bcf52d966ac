"""Cumulative incidence under competing risks, matching R's ``cmprsk::cuminc``.

The Aalen-Johansen estimate per group, F(t) = sum over event times s <= t of S(s-) d1/n
with S the Kaplan-Meier estimate of "no event of any cause"; its variance is cmprsk's (Aalen
1978 delta method, with cmprsk's correction for tied events, ``cinc`` in cincsub.f).
Pointwise intervals on the log(-log) scale as tidycmprsk computes them. Gray's (1988) test
of equal cumulative incidence across groups, optionally stratified, is cmprsk's ``crstm``.
Everything is written against a :class:`CauseCountTable` and vectorised over time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from survstudy.arrays import FloatArray
from survstudy.engine.cause_counts import CauseCountTable, CauseStratum
from survstudy.engine.counts import Totals
from survstudy.stats.survival.curves import (
    CurveSet,
    count_value,
    curve_columns,
    finite_or_none,
    one_row_frame,
)
from survstudy.stats.survival.distributions import chi2_sf

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CI_METHOD",
    "VARIANCE_METHOD",
    "CumulativeIncidence",
    "GrayTest",
    "IncidenceAt",
    "IncidenceCurve",
    "cumulative_incidence_counts",
    "gray_test_counts",
    "incidence_interval",
]

VARIANCE_METHOD = "Aalen (1978) delta method with cmprsk's tie correction (cuminc)"
CI_METHOD = "log(-log): F^exp(-/+ z se / (F log F)) (tidycmprsk)"


def _z(conf_level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - conf_level) / 2)


def incidence_interval(
    cif: FloatArray, std_err: FloatArray, conf_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Pointwise interval for F(t) on the log(-log) scale: ``F^exp(-/+ z se / (F log F))``.

    Since log F < 0, the exponent ``+z se / (F log F)`` gives the UPPER bound (tidycmprsk
    labels them the other way round; here lower <= F <= upper always). NaN where F is 0 or 1
    or the standard error is 0 at F = 0, as R.
    """
    z = _z(conf_level)
    f = np.asarray(cif, dtype=np.float64)
    se = np.asarray(std_err, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = z * se / (f * np.log(f))
        lower = f ** np.exp(-a)
        upper = f ** np.exp(a)
    bad = (f <= 0) | ~np.isfinite(a)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


@dataclass(frozen=True)
class IncidenceAt:
    """A cumulative incidence curve read at one time; None past the group's last time."""

    time: float
    n_risk: int | float
    cif: float | None
    std_err: float | None
    ci_lower: float | None
    ci_upper: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "time": self.time,
            "n_risk": count_value(self.n_risk),
            "cif": self.cif,
            "std_err": self.std_err,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
        }


@dataclass(frozen=True)
class IncidenceCurve(Totals):
    """The cumulative incidence of the cause of interest for one group, at its distinct times."""

    label: str
    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_competing: FloatArray
    n_censor: FloatArray
    cif: FloatArray
    variance: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    conf_level: float

    @property
    def competing(self) -> float:
        return float(self.n_competing.sum())

    @property
    def std_err(self) -> FloatArray:
        return np.sqrt(self.variance)

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if self.time.size else float("nan")

    def at(self, times: Iterable[float]) -> list[IncidenceAt]:
        """The step value at the last time <= t (0 before the first event); None past the
        group's last observed time (cmprsk's ``timepoints``)."""
        t = np.asarray(list(times), dtype=np.float64)
        index = np.searchsorted(self.time, t, side="right") - 1
        before = index < 0
        safe = np.clip(index, 0, None)
        cif = np.where(before, 0.0, self.cif[safe]) if self.time.size else np.zeros(t.size)
        var = np.where(before, 0.0, self.variance[safe]) if self.time.size else cif
        beyond = t > self.last_time if self.time.size else np.ones(t.size, dtype=bool)
        cif = np.where(beyond, np.nan, cif)
        se = np.sqrt(np.where(beyond, np.nan, var))
        lower, upper = incidence_interval(cif, se, self.conf_level)
        exits = self.n_event + self.n_competing + self.n_censor
        later = np.r_[np.cumsum(exits[::-1])[::-1], 0.0]
        n_risk = later[np.searchsorted(self.time, t, side="left")]
        return [
            IncidenceAt(
                float(ti),
                count_value(r),
                finite_or_none(c),
                finite_or_none(s),
                finite_or_none(lo),
                finite_or_none(hi),
            )
            for ti, r, c, s, lo, hi in zip(t, n_risk, cif, se, lower, upper, strict=True)
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            **curve_columns(
                self.label, self.time, n_risk=self.n_risk, n_event=self.n_event,
                n_competing=self.n_competing, n_censor=self.n_censor,
            ),
            "cif": self.cif.tolist(),
            "std_err": self.std_err.tolist(),
            "ci_lower": [finite_or_none(x) for x in self.ci_lower],
            "ci_upper": [finite_or_none(x) for x in self.ci_upper],
        }


def _curve(stratum: CauseStratum, conf_level: float) -> IncidenceCurve:
    """cmprsk's ``cinc`` on one group's counts, vectorised over the distinct times."""
    rs, d1, d2 = stratum.n_risk, stratum.n_event, stratum.n_competing
    with np.errstate(divide="ignore", invalid="ignore"):
        after = np.cumprod(1.0 - (d1 + d2) / rs)  # KM of "no event of any cause"
        fk = np.r_[1.0, after[:-1]]  # its value just before each time
        cif = np.cumsum(fk * d1 / rs)
        t3 = np.where(after > 0, 1.0 / after, 0.0)
        # competing events (only while the all-cause KM stays positive)
        tie2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        w2 = np.where((d2 > 0) & (after > 0), fk * fk * tie2 * d2 / (rs * rs), 0.0)
        u4 = cif * t3
        # events of the cause of interest
        tie1 = np.where(d1 > 1, 1.0 - (d1 - 1.0) / (rs - 1.0), 1.0)
        w1 = np.where(d1 > 0, fk * fk * tie1 * d1 / (rs * rs), 0.0)
        e4 = 1.0 + t3 * cif
    v1 = np.cumsum(u4 * u4 * w2 + e4 * e4 * w1)
    v2 = np.cumsum(t3 * u4 * w2 + t3 * e4 * w1)
    v3 = np.cumsum(t3 * t3 * w2 + t3 * t3 * w1)
    at_event = v1 + cif * cif * v3 - 2.0 * cif * v2
    # the variance is updated at events of the cause of interest only, then carried forward
    last = np.maximum.accumulate(np.where(d1 > 0, np.arange(d1.size), -1)) if d1.size else d1
    variance = np.where(last >= 0, at_event[np.clip(last, 0, None).astype(np.intp)], 0.0)
    variance = np.maximum(variance, 0.0)
    lower, upper = incidence_interval(cif, np.sqrt(variance), conf_level)
    return IncidenceCurve(
        label=stratum.label,
        time=stratum.time,
        n_risk=rs,
        n_event=d1,
        n_competing=d2,
        n_censor=stratum.n_censor,
        cif=cif.astype(np.float64),
        variance=variance.astype(np.float64),
        ci_lower=lower,
        ci_upper=upper,
        conf_level=conf_level,
    )


@dataclass(frozen=True)
class GrayTest:
    """Gray's k-sample test of equal cumulative incidence of the cause of interest.

    ``statistic`` is ``s' V^-1 s`` over the first k-1 groups (chi-square, k-1 df); None when
    V is singular (cmprsk prints -1). ``rho`` is the power of the weight (1 - F(t-))^rho.
    """

    statistic: float | None
    df: int
    p_value: float | None
    rho: float
    groups: tuple[str, ...]
    strata: tuple[str, ...]
    score: FloatArray
    variance: FloatArray

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "gray",
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "rho": self.rho,
            "groups": list(self.groups),
            "strata": list(self.strata),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row: the test's statistic, degrees of freedom and p-value."""
        return one_row_frame(self.to_dict())


def _gray_parts(table: CauseCountTable, rho: float) -> tuple[FloatArray, FloatArray]:
    """cmprsk's ``crst`` for one stratum: score and variance over all k groups.

    Vectorised over the distinct times (arrays time x group x group); only times with an
    event of some cause contribute, the states (KM, CIF, risk sets) run over all times.
    """
    _, rs, d1, d2 = table.pooled()
    active = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = np.cumprod(np.where(active, (rs - d1 - d2) / rs, 1.0), axis=0)
        skmm = np.vstack([np.ones((1, rs.shape[1])), skm[:-1]])
        f1 = np.cumsum(np.where(active, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack([np.zeros((1, rs.shape[1])), f1[:-1]])
        t1 = np.where(active, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = (t1 * (1.0 - f1m)).sum(axis=1)
        nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
        keep = (nd1 + nd2) > 0
        inc = np.where(keep, nd1 / tr, 0.0)
        f = np.cumsum(inc)
        fm = f - inc
        # only the times with events from here on
        rs, d1, d2, skm, skmm, f1m, t1, active = (
            x[keep] for x in (rs, d1, d2, skm, skmm, f1m, t1, active)
        )
        tr, tq, nd1, nd2, f, fm = (x[keep] for x in (tr, tq, nd1, nd2, f, fm))
        fb = (1.0 - fm) ** rho
        eye = np.eye(rs.shape[1])
        a = fb[:, None, None] * (
            t1[:, :, None] * eye - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
        )
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        score = np.where(
            active, fb[:, None] * (d1 - nd1[:, None] * t1 * (1.0 - f1m) / tq[:, None]), 0.0
        ).sum(axis=0)
        # events of the cause of interest
        has1 = (nd1 > 0)[:, None] & active
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where((nd1 > 1)[:, None], 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0),
                      1.0)
        t3 = np.where(has1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        e1 = a - t4[:, None, :] * c  # [time, i, k]
        # competing events
        has2 = (skm > 0) & (d2 > 0)
        u4 = np.where(has2, (1.0 - f[:, None]) / skm, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        u3 = np.where(has2, u5 * skmm**2 * d2 / rs**2, 0.0)
        e2 = u4[:, None, :] * c
    v3 = (np.where(has1, t4 * t4 * t3, 0.0) + u4 * u4 * u3).sum(axis=0)
    v2 = (e1 * (t4 * t3)[:, None, :] - e2 * (u4 * u3)[:, None, :]).sum(axis=0)
    v = np.einsum("tik,tjk,tk->ij", e1, e1, t3) + np.einsum("tik,tjk,tk->ij", e2, e2, u3)
    cf = c[-1] if c.shape[0] else np.zeros_like(v)
    v = v + (cf * v3) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, v


def gray_test_counts(
    tables: CauseCountTable | Sequence[CauseCountTable],
    *,
    rho: float = 0.0,
    strata: Sequence[str] = (),
) -> GrayTest:
    """Gray's test on one count table, or stratified: one table per stratum, same groups."""
    tables = [tables] if isinstance(tables, CauseCountTable) else list(tables)
    groups = tables[0].groups
    if any(t.groups != groups for t in tables):
        raise ValueError("every stratum's table must list the same groups")
    k = len(groups)
    if k < 2:
        raise ValueError("Gray's test compares at least two groups")
    score, var = np.zeros(k), np.zeros((k, k))
    for table in tables:
        s, v = _gray_parts(table, rho)
        score, var = score + s, var + v
    s, v = score[: k - 1], var[: k - 1, : k - 1]
    statistic: float | None = None
    p_value: float | None = None
    if np.all(np.isfinite(v)) and np.linalg.matrix_rank(v, tol=1e-7 * np.abs(v).max()) == k - 1:
        statistic = float(s @ np.linalg.solve(v, s))
        p_value = chi2_sf(statistic, k - 1)
    return GrayTest(statistic, k - 1, p_value, float(rho), groups, tuple(strata), score, var)


@dataclass(frozen=True)
class CumulativeIncidence(CurveSet[IncidenceCurve]):
    """Cumulative incidence curves of every group, with the count table they came from."""

    curves: tuple[IncidenceCurve, ...]
    counts: CauseCountTable
    conf_level: float
    variance_method: str = VARIANCE_METHOD
    ci_method: str = CI_METHOD

    def summary(self, at: Sequence[float] = ()) -> list[dict[str, Any]]:
        """Per group: n, events, competing events and the curve at ``at`` (plain numbers)."""
        return [
            {
                "group": c.label,
                "n": count_value(c.n),
                "events": count_value(c.events),
                "competing": count_value(c.competing),
                "at": [a.to_dict() for a in c.at(at)],
            }
            for c in self.curves
        ]


def cumulative_incidence_counts(
    counts: CauseCountTable, conf_level: float = 0.95
) -> CumulativeIncidence:
    """Cumulative incidence of the cause of interest for each stratum of ``counts``."""
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1")
    curves = tuple(_curve(s, conf_level) for s in counts if s.time.size)
    return CumulativeIncidence(curves, counts, conf_level)
