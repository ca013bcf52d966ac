"""Comparing survival curves on count tables: the weighted log-rank family.

Mantel-Haenszel log-rank (R's ``survdiff``), Fleming-Harrington G(rho, gamma) including
Peto-Peto (rho = 1, gamma = 0: weights S(t-) of the pooled Kaplan-Meier, as R's
``survdiff(rho = 1)``), Tarone-Ware (weights sqrt(n)) and Gehan-Breslow (weights n, SPSS's
"Breslow"); the same tests stratified, a test for trend over ordered groups and pairwise tests
with a multiplicity adjustment. Each works on the score vector U (weighted observed minus
expected events per group) and its variance V, summed over the distinct event times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from survstudy.arrays import FloatArray
from survstudy.engine.counts import CountTable
from survstudy.jsonsafe import ListRecord, Record
from survstudy.stats.survival.curves import one_row_frame
from survstudy.stats.survival.distributions import chi2_sf
from survstudy.stats.survival.multiplicity import Adjust, adjust_p_values

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "METHODS",
    "Method",
    "PairwiseTest",
    "PairwiseTests",
    "SurvivalTest",
    "log_rank_weights",
    "pairwise_log_rank",
    "stratified_log_rank",
    "trend_test",
    "weighted_log_rank",
]

Method = Literal["log-rank", "peto-peto", "fleming-harrington", "tarone-ware", "gehan"]
METHODS: tuple[Method, ...] = (
    "log-rank",
    "peto-peto",
    "fleming-harrington",
    "tarone-ware",
    "gehan",
)


@dataclass(frozen=True)
class SurvivalTest(ListRecord):
    """A k-sample test: chi-square statistic on ``df`` degrees of freedom and its p-value.

    ``observed`` and ``expected`` are the (unweighted) event counts per group and their
    expectation under equal survival, in the order of ``groups``; ``o_minus_e`` is the weighted
    score U (R's ``survdiff`` ``obs - exp``, which R weights when rho > 0) and ``variance`` its
    variance matrix. ``weights`` says how event times were weighted, ``strata`` names the strata
    summed over (empty when unstratified) and ``trend_scores`` the group scores of a trend test
    (empty otherwise).
    """

    method: str
    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    weights: str
    o_minus_e: tuple[float, ...] = ()
    variance: tuple[tuple[float, ...], ...] = ()
    strata: tuple[str, ...] = ()
    trend_scores: tuple[float, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per group: observed and expected events, O - E, with the test repeated."""
        frame = one_row_frame(self.to_dict()).loc[[0] * len(self.groups)].reset_index(drop=True)
        frame.insert(0, "group", list(self.groups))
        frame["observed"] = list(self.observed)
        frame["expected"] = list(self.expected)
        if self.o_minus_e:
            frame["o_minus_e"] = list(self.o_minus_e)
        return frame


@dataclass(frozen=True)
class PairwiseTest(Record):
    """One pair of groups tested on their own data, with the raw and adjusted p-value."""

    group_a: str
    group_b: str
    statistic: float
    df: int
    p_value: float
    p_adjusted: float


@dataclass(frozen=True)
class PairwiseTests:
    """Every pair of groups compared with ``method``, p-values adjusted by ``adjust``."""

    method: str
    weights: str
    adjust: str
    groups: tuple[str, ...]
    pairs: tuple[PairwiseTest, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "weights": self.weights,
            "adjust": self.adjust,
            "groups": list(self.groups),
            "pairs": [p.to_dict() for p in self.pairs],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per pair of groups, with the method and the adjustment."""
        import pandas as pd

        frame = pd.DataFrame([p.to_dict() for p in self.pairs],
                             columns=["group_a", "group_b", "statistic", "df", "p_value",
                                      "p_adjusted"])
        return frame.assign(method=self.method, weights=self.weights, adjust=self.adjust)


@dataclass(frozen=True)
class _Score:
    """U, V and the event counts of one or more strata, on a common list of groups."""

    u: FloatArray
    v: FloatArray
    observed: FloatArray
    expected: FloatArray
    label: str


def _chi2_sf(x: float, df: int) -> float:
    return chi2_sf(x, df)


def _check_method(method: str, rho: float, gamma: float) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown test {method!r}; use one of {', '.join(METHODS)}")
    if method != "fleming-harrington" and (rho != 0 or gamma != 0):
        raise ValueError(
            f"rho and gamma apply to the fleming-harrington test only, not to {method!r}"
        )
    if not (np.isfinite(rho) and np.isfinite(gamma)) or gamma < 0:
        raise ValueError(f"rho must be finite and gamma >= 0 (got rho={rho}, gamma={gamma})")


def _test_name(method: str, rho: float, gamma: float) -> str:
    return method if method != "fleming-harrington" else f"fleming-harrington({rho:g},{gamma:g})"


def log_rank_weights(
    method: Method, n: FloatArray, d: FloatArray, rho: float = 0.0, gamma: float = 0.0
) -> tuple[FloatArray, str]:
    """Weight of each pooled distinct time (``n`` at risk, ``d`` events) and its description.

    G(rho, gamma) weights use the pooled Kaplan-Meier just before each time, S(t-), as R's
    ``survdiff`` does for rho; Peto-Peto is G(1, 0).
    """
    if method == "log-rank":
        return np.ones_like(n), "1 (log-rank)"
    if method == "tarone-ware":
        return np.sqrt(n), "sqrt(number at risk) (Tarone-Ware)"
    if method == "gehan":
        return n.copy(), "number at risk (Gehan-Breslow)"
    if method == "peto-peto":
        rho, gamma = 1.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1 - d / n, 1.0))
    before = np.r_[1.0, surv[:-1]]  # pooled Kaplan-Meier just before each time
    label = f"S(t-)^{rho:g} (1 - S(t-))^{gamma:g} from the pooled Kaplan-Meier"
    return before**rho * (1 - before) ** gamma, label


def _score(counts: CountTable, method: Method, rho: float, gamma: float) -> _Score:
    """U and V of one table, summed over its pooled distinct event times."""
    _, at_risk_tk, events_tk = counts.pooled()
    at_risk, events = at_risk_tk.T, events_tk.T  # (group, time): each group's row contiguous
    n = at_risk.sum(axis=0)
    d = events.sum(axis=0)
    w, label = log_rank_weights(method, n, d, rho, gamma)
    use = np.flatnonzero(d > 0)
    n, d, w = n[use], d[use], w[use]
    k = at_risk.shape[0]
    share = np.empty((k, use.size))
    u, expected, observed = np.zeros(k), np.zeros(k), np.zeros(k)
    for j in range(k):  # one group at a time: temporaries of one row, not of the matrix
        np.divide(at_risk[j, use], n, out=share[j])
        events_j = events[j, use]
        observed[j] = events_j.sum()
        expected_j = share[j] * d
        expected[j] = expected_j.sum()
        events_j -= expected_j
        u[j] = events_j @ w
    del at_risk, events, at_risk_tk, events_tk
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    # V_kl = sum_t factor * share_k (delta_kl - share_l)
    v = np.zeros((k, k))
    for j in range(k):
        weighted = share[j] * factor
        v[j] = -(share @ weighted)
        v[j, j] += weighted.sum()
    return _Score(u, v, observed, expected, label)


def _chi_square(score: _Score) -> tuple[float, int, float]:
    """U' V^- U over the groups with expected events, dropping the last of them (as R)."""
    present = score.expected > 0
    df = int(present.sum()) - 1
    if df < 1:
        return 0.0, 0, 1.0
    keep = np.flatnonzero(present)[:-1]
    sub = score.v[np.ix_(keep, keep)]
    statistic = float(score.u[keep] @ np.linalg.pinv(sub) @ score.u[keep])
    return statistic, df, _chi2_sf(statistic, df)


def _floats(x: ArrayLike) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(x, dtype=np.float64))


def _result(
    name: str,
    statistic: float,
    df: int,
    p_value: float,
    groups: tuple[str, ...],
    score: _Score,
    *,
    strata: tuple[str, ...] = (),
    trend_scores: tuple[float, ...] = (),
) -> SurvivalTest:
    return SurvivalTest(
        method=name,
        statistic=statistic,
        df=df,
        p_value=p_value,
        groups=groups,
        observed=_floats(score.observed),
        expected=_floats(score.expected),
        weights=score.label,
        o_minus_e=_floats(score.u),
        variance=tuple(_floats(row) for row in score.v),
        strata=strata,
        trend_scores=trend_scores,
    )


def weighted_log_rank(
    counts: CountTable,
    method: Method = "log-rank",
    *,
    rho: float = 0.0,
    gamma: float = 0.0,
) -> SurvivalTest:
    """Weighted log-rank test of equal survival across the groups of ``counts``.

    Groups with no expected events (never at risk at an event time) are left out of the
    chi-square and of its degrees of freedom, as R's ``survdiff``; with fewer than two such
    groups the result has ``df`` 0, statistic 0 and p-value 1.
    """
    _check_method(method, rho, gamma)
    score = _score(counts, method, rho, gamma)
    statistic, df, p_value = _chi_square(score)
    return _result(_test_name(method, rho, gamma), statistic, df, p_value, counts.groups, score)


def _common_groups(tables: Sequence[CountTable]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for table in tables:
        seen.update(dict.fromkeys(table.groups))
    return tuple(seen)


def stratified_log_rank(
    tables: Sequence[CountTable],
    method: Method = "log-rank",
    *,
    rho: float = 0.0,
    gamma: float = 0.0,
    strata: Sequence[str] | None = None,
) -> SurvivalTest:
    """Weighted log-rank test stratified by ``tables``: one count table per stratum.

    U and V are computed within each stratum (weights from that stratum's pooled Kaplan-Meier,
    as R's ``survdiff(... + strata(s))``) and summed. Groups are matched by label; a group
    missing from a stratum adds nothing there. The group order is the first table's, followed
    by labels first seen in later tables. ``strata`` names the tables (default "1", "2", ...).
    """
    _check_method(method, rho, gamma)
    if not tables:
        raise ValueError("stratified_log_rank needs at least one count table (stratum)")
    names = (
        tuple(str(s) for s in strata)
        if strata is not None
        else tuple(str(i + 1) for i in range(len(tables)))
    )
    if len(names) != len(tables):
        raise ValueError(f"{len(names)} stratum names given for {len(tables)} tables")
    groups = _common_groups(tables)
    k = len(groups)
    u, v = np.zeros(k), np.zeros((k, k))
    observed, expected = np.zeros(k), np.zeros(k)
    label = ""
    for table in tables:
        part = _score(table, method, rho, gamma)
        at = np.array([groups.index(g) for g in table.groups], dtype=np.intp)
        u[at] += part.u
        v[np.ix_(at, at)] += part.v
        observed[at] += part.observed
        expected[at] += part.expected
        label = part.label
    total = _Score(u, v, observed, expected, label + ", within each stratum")
    statistic, df, p_value = _chi_square(total)
    return _result(
        _test_name(method, rho, gamma), statistic, df, p_value, groups, total, strata=names
    )


def trend_test(
    counts: CountTable,
    scores: Sequence[float] | None = None,
    *,
    method: Method = "log-rank",
    rho: float = 0.0,
    gamma: float = 0.0,
) -> SurvivalTest:
    """Test for a trend in survival over ordered groups: (c'U)^2 / (c'Vc), chi-square on 1 df.

    ``scores`` c give each group's position (default 1, 2, ..., k in the order of
    ``counts.groups``); only their spacing matters. Needs two or more groups and scores that
    are not all equal. When c'Vc is 0 (no information, e.g. no events) the result has ``df``
    0, statistic 0 and p-value 1.
    """
    _check_method(method, rho, gamma)
    k = len(counts.groups)
    if k < 2:
        raise ValueError("a test for trend needs at least two ordered groups")
    c = np.arange(1.0, k + 1) if scores is None else np.asarray(scores, dtype=np.float64)
    if c.shape != (k,):
        raise ValueError(f"give one score per group: {k} groups, {c.size} scores")
    if not np.all(np.isfinite(c)) or np.ptp(c) == 0:
        raise ValueError("trend scores must be finite and not all equal")
    score = _score(counts, method, rho, gamma)
    numerator = float(c @ score.u)
    denominator = float(c @ score.v @ c)
    if denominator <= 0:
        statistic, df, p_value = 0.0, 0, 1.0
    else:
        statistic, df = numerator**2 / denominator, 1
        p_value = _chi2_sf(statistic, 1)
    return _result(
        _test_name(method, rho, gamma) + " trend",
        statistic,
        df,
        p_value,
        counts.groups,
        score,
        trend_scores=_floats(c),
    )


def _subset(counts: CountTable, labels: Sequence[str]) -> CountTable:
    """The rows of ``counts`` belonging to ``labels``, as a table with just those groups."""
    codes = np.array([counts.groups.index(g) for g in labels], dtype=np.intp)
    keep = np.isin(counts.stratum, codes)
    recode = np.full(len(counts.groups), -1, dtype=np.intp)
    recode[codes] = np.arange(codes.size)
    return CountTable(
        groups=tuple(labels),
        stratum=recode[counts.stratum[keep]],
        time=counts.time[keep],
        n_event=counts.n_event[keep],
        n_censor=counts.n_censor[keep],
        ties_merged=counts.ties_merged,
        excluded=counts.excluded,
    )


def pairwise_log_rank(
    counts: CountTable,
    method: Method = "log-rank",
    *,
    adjust: Adjust = "holm",
    rho: float = 0.0,
    gamma: float = 0.0,
) -> PairwiseTests:
    """Test every pair of groups on the two groups' own data, then adjust the p-values.

    Each pair is a two-group :func:`weighted_log_rank` on that pair's rows only (so weights
    come from the pair's pooled data, as survminer's ``pairwise_survdiff``). ``adjust`` is
    "holm", "bh" (Benjamini-Hochberg), "bonferroni" or "none", matching R's ``p.adjust``.
    Pairs are listed in group order: (1, 2), (1, 3), ..., (k-1, k).
    """
    _check_method(method, rho, gamma)
    if len(counts.groups) < 2:
        raise ValueError("pairwise comparisons need at least two groups")
    tests = [
        (a, b, weighted_log_rank(_subset(counts, (a, b)), method, rho=rho, gamma=gamma))
        for a, b in combinations(counts.groups, 2)
    ]
    adjusted = adjust_p_values([t.p_value for _, _, t in tests], adjust)
    pairs = tuple(
        PairwiseTest(a, b, t.statistic, t.df, t.p_value, float(p))
        for (a, b, t), p in zip(tests, adjusted, strict=True)
    )
    return PairwiseTests(
        method=_test_name(method, rho, gamma),
        weights=tests[0][2].weights,
        adjust=adjust,
        groups=counts.groups,
        pairs=pairs,
    )
