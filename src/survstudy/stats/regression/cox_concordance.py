"""Harrell's concordance of a Cox model's risk score, counted in O(n log n) array passes.

For each death, the comparable rows are those of its stratum still at risk after it: later
times and rows censored at its time. Walking rows by (stratum, time descending, censored
first), they are the positions ``[b, q)`` before the death's time group. Concordant pairs are
those with a lower risk rank there, tied-risk pairs those with an equal rank.

Lower-rank counts are dominance counts over (position, rank): a bottom-up merge sort keeps,
level by level, the ranks of each block of ``2^k`` positions sorted (each level merges two
sorted halves, one linear pass), and a query ``positions < q`` adds the block that bit ``k``
of ``q`` selects (one ``searchsorted`` into that level). Equal ranks are counted once, from
the rows sorted by (rank, position), so the levels answer one query per death (two with
strata), not four.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import IndexArray as IntArray
from survstudy.stats.regression.cox_result import Concordance

__all__ = ["concordance"]



def _count_lower(rank_at: NDArray[np.int64], q: NDArray[np.int64],
                 s: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each query, how many positions ``< q`` hold a rank ``< s`` (ranks < 2^31).

    Queries are kept sorted by (block, s) level by level too, so that each ``searchsorted``
    walks the level in order instead of jumping about it.
    """
    n = rank_at.size
    out = np.zeros(q.size, dtype=np.int64)
    levels = max(int(n - 1).bit_length(), 1)
    size = 1 << levels
    # padding ranks sit in positions >= n, beyond every query (q <= n): never counted
    level = np.full(size, np.iinfo(np.int64).max >> 33, dtype=np.int64)
    level[:n] = rank_at
    blocks = np.arange(size, dtype=np.int64)
    perm = np.argsort((q << 32) | s, kind="stable")
    qs, ss = q[perm], s[perm]
    for k in range(levels + 1):
        if k:
            level = np.sort(level.reshape(-1, 1 << k), axis=1, kind="stable").ravel()
            again = np.argsort(((qs >> k) << 32) | ss, kind="stable")
            qs, ss, perm = qs[again], ss[again], perm[again]
        sel = ((qs >> k) & 1).astype(bool)
        if not sel.any():
            continue
        keys = ((blocks >> k) << 32) | level
        block = (qs[sel] >> k) - 1
        out[perm[sel]] += np.searchsorted(keys, (block << 32) | ss[sel]) - (block << k)
    return out


def _walk_order(
    time: NDArray[np.float64], ev: NDArray[np.bool_], stratum: IntArray | None,
    ascending: IntArray | None,
) -> IntArray:
    """Rows by (stratum, time descending, censored first); from the fit's stable
    (stratum, time) order when given (reversed, then censored rows moved first within each
    time: one sort of packed integers), else by stable sorts."""
    n = time.size
    if ascending is None:
        # the order of np.lexsort((event, -time, stratum)) by stable sorts, faster
        order = np.argsort(ev.view(np.int8), kind="stable")
        order = order[np.argsort(-time[order], kind="stable")]
        if stratum is not None:
            order = order[np.argsort(stratum[order], kind="stable")]
        return order
    order = ascending[::-1]
    t = time[order]
    new_group = np.r_[True, t[1:] != t[:-1]]
    if stratum is not None:
        st = stratum[order]
        new_group[1:] |= st[1:] != st[:-1]
    key = (np.cumsum(new_group, dtype=np.int64) - 1) * 2 + ev[order]
    bits = max(int(n).bit_length(), 1)
    if 2 * bits + 1 > 62:  # too many rows to pack: stable sort by (group, event)
        return np.asarray(order[np.argsort(key, kind="stable")], dtype=np.intp)
    # a plain sort of (key, position) packed in one integer is the stable argsort, faster
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    return np.asarray(order[packed & ((1 << bits) - 1)], dtype=np.intp)


def concordance(
    time: NDArray[np.float64],
    event: NDArray[np.bool_],
    risk: NDArray[np.float64],
    stratum: IntArray | None = None,
    order: IntArray | None = None,
) -> Concordance:
    """Concordance of ``risk`` (higher = shorter survival) within strata, in O(n log n).

    ``order``: the rows sorted stably by (stratum, time), when the caller has it (the fit's
    risk sets), to save sorting them again; the counts do not depend on it.
    """
    n = time.size
    ev = event.astype(bool)
    order = _walk_order(time, ev, stratum, order)
    s = np.zeros(n, dtype=np.intp) if stratum is None else stratum[order]
    t, e = time[order], ev[order]
    _, rank = np.unique(risk[order], return_inverse=True)
    rank = rank.astype(np.int64).ravel()
    new_group = np.r_[True, (t[1:] != t[:-1]) | (s[1:] != s[:-1])]
    new_stratum = np.r_[True, s[1:] != s[:-1]]
    positions = np.arange(n)
    group_id = np.cumsum(new_group) - 1
    # first death of each (stratum, time) group: censored rows come first within a group
    group_first_death = np.full(int(group_id[-1]) + 1, n)
    np.minimum.at(group_first_death, group_id, np.where(e, positions, n))
    deaths = np.flatnonzero(e)
    q = group_first_death[group_id[deaths]].astype(np.int64)
    r = rank[deaths]
    strata = bool(new_stratum[1:].any())
    if strata:
        b = np.maximum.accumulate(np.where(new_stratum, positions, 0))[deaths].astype(np.int64)
        counts = _count_lower(rank, np.r_[q, b], np.r_[r, r]).reshape(2, -1)
        less = counts[0] - counts[1]
    else:
        b = np.zeros(deaths.size, dtype=np.int64)
        less = _count_lower(rank, q, r)
    equal = _count_equal(rank, r, b, q)
    total = q - b
    conc, tied = float(less.sum()), float(equal.sum())
    disc = float((total - less - equal).sum())
    per_group = np.bincount(group_id[deaths])
    tied_time = float((per_group * (per_group - 1) / 2).sum())
    denom = conc + disc + tied
    value = (conc + tied / 2) / denom if denom > 0 else 0.5
    return Concordance(value, conc, disc, tied, tied_time)


def _count_equal(rank: NDArray[np.int64], r: NDArray[np.int64], b: NDArray[np.int64],
                 q: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each death (rank ``r``), the positions in ``[b, q)`` holding its rank: found in
    the rows sorted by (rank, position), among the ranks held by more than one row only
    (a rank held once is the death's own, never in its range)."""
    n = rank.size
    equal = np.zeros(r.size, dtype=np.int64)
    shared = np.bincount(rank) > 1
    rows = np.flatnonzero(shared[rank])
    asked = np.flatnonzero(shared[r])
    if not asked.size:
        return equal
    by_rank = np.sort(rank[rows] * n + rows)
    ra = r[asked]
    for bound, sign in ((ra * n + q[asked], 1), (ra * n + b[asked], -1)):
        needles = np.argsort(bound, kind="stable")  # sorted needles: an in-order walk
        equal[asked[needles]] += sign * np.searchsorted(by_rank, bound[needles])
    return equal
