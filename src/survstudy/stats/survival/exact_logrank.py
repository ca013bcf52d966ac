"""Exact log-rank test for small samples: the permutation distribution of the chi-square.

This is the permutation test of the Mantel-Haenszel (``survdiff``) chi-square: for every
relabeling of the subjects among the groups, with the group sizes fixed, both the score U and
its variance V are recomputed from the relabeled risk sets, and p is the share of relabelings
whose chi-square is at least the observed one. It is *not* R coin's ``logrank_test(...,
distribution = "exact")``, which permutes a linear rank statistic standardised by its
permutation variance; the two orderings, and so the p-values, can differ.

Relabelings are enumerated while their number (a multinomial coefficient) is at most
``max_relabelings`` (10^6 by default); beyond that, random relabelings are drawn with a seed
and the Monte Carlo standard error is reported. Statistics are computed in NumPy batches: per
subject, U is a sum of fixed scores; per event time, the group's number at risk is a count
over the subjects sorted by time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray, IntArray
from survstudy.engine.counts import CountTable
from survstudy.jsonsafe import ListRecord
from survstudy.stats.survival.curves import one_row_frame
from survstudy.stats.survival.logrank import Method, log_rank_weights, weighted_log_rank

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ABSOLUTE_TOLERANCE",
    "MAX_RELABELINGS",
    "RELATIVE_TOLERANCE",
    "ExactLogRank",
    "exact_log_rank",
]

Labels = NDArray[np.int16]

#: Enumerate every relabeling up to this many; draw at random beyond.
MAX_RELABELINGS = 1_000_000
#: A relabeling's chi-square counts as "at least the observed" when it is no smaller than
#: observed * (1 - RELATIVE_TOLERANCE): ties of the statistic survive rounding (as R's
#: ``fisher.test`` does with 1e-7).
RELATIVE_TOLERANCE = 1e-7
#: Below this a chi-square is rounding noise (an observed 1e-32 is 0): every relabeling of
#: an observed statistic of about 0 is "at least as extreme", whatever its own noise.
ABSOLUTE_TOLERANCE = 1e-9
#: Cells (relabelings x subjects x groups) handled per NumPy batch.
_BATCH_CELLS = 1 << 21


@dataclass(frozen=True)
class ExactLogRank(ListRecord):
    """Permutation p-value of a weighted log-rank chi-square.

    ``method`` is "exact permutation" (every relabeling evaluated) or "Monte Carlo" (``n_draws``
    random relabelings from ``seed``; ``std_err`` is the binomial standard error of p, 0 when
    exact). ``n_relabelings`` is the number of distinct relabelings of the subjects with the
    group sizes fixed; ``n_extreme`` how many of those evaluated had a chi-square at least the
    observed ``statistic`` (within ``tolerance``, relative). ``asymptotic_p_value`` is the
    chi-square p on ``df`` degrees of freedom, for comparison.
    """

    method: Literal["exact permutation", "Monte Carlo"]
    test: str
    weights: str
    statistic: float
    df: int
    p_value: float
    std_err: float
    n_relabelings: int
    n_extreme: int
    n_draws: int | None
    seed: int | None
    asymptotic_p_value: float
    groups: tuple[str, ...]
    group_sizes: tuple[int, ...]
    tolerance: float = RELATIVE_TOLERANCE
    statistic_kind: str = "Mantel-Haenszel chi-square recomputed for each relabeling"

    def to_frame(self) -> pd.DataFrame:
        """One row: the permutation test's numbers (groups and sizes in ``to_dict``)."""
        return one_row_frame(self.to_dict())


@dataclass(frozen=True)
class _Plan:
    """What a relabeling's statistic needs, fixed by the pooled data.

    Subjects are sorted by time. ``score``: each subject's contribution to its group's U.
    ``block``: 0 for subjects before the first event time, else 1 + the index of the last
    event time at or before the subject's time (so a group's number at risk at event time j
    counts its subjects in blocks > j). ``n_risk`` and ``factor`` (w^2 d (n - d) / (n - 1))
    per event time.
    """

    labels: Labels
    sizes: tuple[int, ...]
    score: FloatArray
    block: IntArray
    n_risk: FloatArray
    factor: FloatArray

    @property
    def k(self) -> int:
        return len(self.sizes)


def _whole(values: FloatArray) -> IntArray:
    rounded = np.round(values)
    if np.any(rounded < 0) or not np.allclose(values, rounded, rtol=0, atol=1e-9):
        raise ValueError(
            "the exact log-rank test needs whole-number counts of subjects (no fractional "
            "case weights)"
        )
    return rounded.astype(np.int64)


def _plan(counts: CountTable, method: Method, rho: float, gamma: float) -> _Plan:
    n_event, n_censor = _whole(counts.n_event), _whole(counts.n_censor)
    per_row = n_event + n_censor
    time = np.repeat(counts.time, per_row)
    labels = np.repeat(counts.stratum, per_row).astype(np.int16)
    # within each (group, time) row: its events first, then its censorings
    first = np.repeat(np.cumsum(per_row) - per_row, per_row)
    status = (np.arange(time.size) - first) < np.repeat(n_event, per_row)
    order = np.argsort(time, kind="stable")
    time, labels, status = time[order], labels[order], status[order]

    times, at_risk, events = counts.pooled()
    n, d = at_risk.sum(axis=1), events.sum(axis=1)
    w, _ = log_rank_weights(method, n, d, rho, gamma)
    used = d > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(used, w * d / n, 0.0)
        factor = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    where = np.searchsorted(times, time)
    score = w[where] * status - np.cumsum(hazard)[where]
    event_index = np.cumsum(used)  # 1 + index among event times of the last at or before
    sizes = tuple(int(s) for s in np.bincount(labels, minlength=len(counts.groups)))
    return _Plan(
        labels=labels,
        sizes=sizes,
        score=score,
        block=event_index[where].astype(np.int64),
        n_risk=n[used],
        factor=factor[used],
    )


def _statistics(plan: _Plan, labels: Labels) -> FloatArray:
    """Chi-square of each relabeling (one row of ``labels`` per relabeling)."""
    b, n_subjects = labels.shape
    k, t = plan.k, plan.n_risk.size
    rows = np.arange(b, dtype=np.int64)[:, None]
    u = np.bincount(
        (rows * k + labels).ravel(),
        weights=np.broadcast_to(plan.score, (b, n_subjects)).ravel(),
        minlength=b * k,
    ).reshape(b, k)
    cells = np.bincount(
        ((rows * (t + 1) + plan.block) * k + labels).ravel(), minlength=b * (t + 1) * k
    ).reshape(b, t + 1, k)
    at_risk = np.cumsum(cells[:, :0:-1, :], axis=1)[:, ::-1, :]  # (b, t, k)
    share = at_risk / plan.n_risk[None, :, None]
    present = at_risk[:, 0, :] > 0
    if k == 2:
        v = np.einsum("bt,t->b", share[:, :, 0] * (1 - share[:, :, 0]), plan.factor)
        ok = present.all(axis=1) & (v > 0)
        return np.where(ok, u[:, 0] ** 2 / np.where(ok, v, 1.0), 0.0)
    var = -np.einsum("btk,t,btl->bkl", share, plan.factor, share)
    diagonal = np.einsum("btk,t->bk", share * (1 - share), plan.factor)
    var[:, np.arange(k), np.arange(k)] = diagonal
    # as weighted_log_rank: drop groups without expected events, then the last one left
    out = np.zeros(b)
    pattern = present @ (1 << np.arange(k, dtype=np.int64))
    for code in np.unique(pattern):
        keep = np.flatnonzero((int(code) >> np.arange(k)) & 1)[:-1]
        if keep.size == 0:
            continue
        sel = np.flatnonzero(pattern == code)
        uu = u[np.ix_(sel, keep)]
        vv = var[np.ix_(sel, keep, keep)]
        out[sel] = np.einsum("bi,bij,bj->b", uu, np.linalg.pinv(vv), uu)
    return out


def _multinomial(sizes: tuple[int, ...]) -> int:
    total, left = 1, sum(sizes)
    for size in sizes:
        total *= math.comb(left, size)
        left -= size
    return total


def _batch_size(plan: _Plan) -> int:
    return max(1, _BATCH_CELLS // (max(plan.labels.size, 1) * max(plan.k, 2)))


def _enumerate(plan: _Plan) -> Iterator[Labels]:
    """Every relabeling with the group sizes fixed, in batches of label rows.

    The groups but the largest choose their subjects in turn among those left (combinations
    in lexicographic order); the largest takes the rest. A batch is a range of the flat index
    over these choices, decoded digit by digit.
    """
    n_subjects = plan.labels.size
    order = sorted(range(plan.k), key=lambda g: plan.sizes[g])
    fill, staged = order[-1], order[:-1]
    choices: list[NDArray[np.int32]] = []
    left = n_subjects
    for g in staged:
        m = plan.sizes[g]
        c = math.comb(left, m)
        flat = chain.from_iterable(combinations(range(left), m))
        choices.append(np.fromiter(flat, dtype=np.int32, count=c * m).reshape(c, m))
        left -= m
    radix = [c.shape[0] for c in choices]
    strides = [math.prod(radix[j + 1 :]) for j in range(len(radix))]
    total = math.prod(radix)
    step = _batch_size(plan)
    for start in range(0, total, step):
        index = np.arange(start, min(start + step, total), dtype=np.int64)
        b = index.size
        labels = np.full((b, n_subjects), fill, dtype=np.int16)
        remaining = np.broadcast_to(np.arange(n_subjects, dtype=np.int32), (b, n_subjects))
        rows = np.arange(b)[:, None]
        for g, options, radix_j, stride in zip(staged, choices, radix, strides, strict=True):
            slots = options[(index // stride) % radix_j]
            labels[rows, np.take_along_axis(remaining, slots, axis=1)] = g
            keep = np.ones(remaining.shape, dtype=bool)
            keep[rows, slots] = False
            remaining = remaining[keep].reshape(b, -1)
        yield labels


def _draw(plan: _Plan, n_draws: int, seed: int) -> Iterator[Labels]:
    """``n_draws`` uniformly random relabelings, in batches, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    step = _batch_size(plan)
    for start in range(0, n_draws, step):
        b = min(step, n_draws - start)
        yield rng.permuted(np.tile(plan.labels, (b, 1)), axis=1)


def exact_log_rank(
    counts: CountTable,
    method: Method = "log-rank",
    *,
    rho: float = 0.0,
    gamma: float = 0.0,
    max_relabelings: int = MAX_RELABELINGS,
    n_draws: int = 100_000,
    seed: int = 1,
) -> ExactLogRank:
    """Permutation p-value of the weighted log-rank chi-square of ``counts``.

    Subjects are the table's whole-number counts. Enumerates all relabelings while there are
    at most ``max_relabelings``; otherwise draws ``n_draws`` at random from ``seed`` and p is
    the share of draws at least as extreme (an unbiased estimate of the exact p). The
    weights (``method``, ``rho``, ``gamma`` as :func:`weighted_log_rank`) depend on the pooled
    data only, so they are the same for every relabeling.
    """
    if max_relabelings < 1 or n_draws < 1:
        raise ValueError("max_relabelings and n_draws must be at least 1")
    observed = weighted_log_rank(counts, method, rho=rho, gamma=gamma)
    plan = _plan(counts, method, rho, gamma)
    if plan.labels.size == 0:
        raise ValueError("the exact log-rank test needs at least one subject")
    total = _multinomial(plan.sizes)
    exact = total <= max_relabelings or plan.n_risk.size == 0
    if plan.n_risk.size == 0:  # no events: every relabeling gives 0
        extreme, evaluated = total, total
    else:
        # the observed statistic through the same arithmetic as the relabelings
        reference = float(_statistics(plan, plan.labels[None, :])[0])
        threshold = reference * (1 - RELATIVE_TOLERANCE) - ABSOLUTE_TOLERANCE
        batches = _enumerate(plan) if exact else _draw(plan, n_draws, seed)
        extreme, evaluated = 0, 0
        for labels in batches:
            extreme += int(np.count_nonzero(_statistics(plan, labels) >= threshold))
            evaluated += labels.shape[0]
    p_value = extreme / evaluated
    return ExactLogRank(
        method="exact permutation" if exact else "Monte Carlo",
        test=observed.method,
        weights=observed.weights,
        statistic=observed.statistic,
        df=observed.df,
        p_value=p_value,
        std_err=0.0 if exact else math.sqrt(p_value * (1 - p_value) / evaluated),
        n_relabelings=total,
        n_extreme=extreme,
        n_draws=None if exact else evaluated,
        seed=None if exact else seed,
        asymptotic_p_value=observed.p_value,
        groups=counts.groups,
        group_sizes=plan.sizes,
    )
