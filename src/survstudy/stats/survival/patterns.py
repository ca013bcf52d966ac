"""Event/censoring patterns of two groups that reproduce a paper's printed survival rates,
and the range of another rate or of the log-rank p over those patterns.

The printed rates of a comparison (each group's, and the pooled cohort's) hold jointly. A
group's own rates depend only on its own pattern, so each group is enumerated alone up to the
last printed time, keeping only patterns that reproduce its printed rates, and the groups are
then paired. Every other quantity is a sum (log-rank score ``U``, its variance ``V``) or a
product (pooled Kaplan-Meier) of one term per distinct time; at a time where both groups have
patients the term depends on both counts, so those counts are kept until the pairing. After
the last printed time only ``U`` and ``V`` matter; that tail is enumerated once, jointly, and
added. States that agree on everything still needed are merged, with their pattern counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survstudy.arrays import FloatArray, IntArray
from survstudy.engine.counts import merge_near_ties
from survstudy.stats.survival.attainable import (
    EXACT_LIMIT,
    KEY_DECIMALS,
    Slots,
    merge_states,
    slots,
)

__all__ = ["LIST_LIMIT", "PatternRange", "PrintedRate", "band_of", "pattern_range"]


#: Up to this many (prefix, tail) combinations every p is computed; past it the extremes are
#: found by pruned search and "gives" falls back to the range.
LIST_LIMIT = 5_000_000
#: Pairs of the two groups' filtered patterns evaluated at once.
CHUNK = 1_000_000


@dataclass(frozen=True)
class PrintedRate:
    """A printed survival percentage of ``group`` (None: all patients) at time ``at``."""

    group: str | None
    at: float
    percent: float
    decimals: int

    @property
    def band(self) -> tuple[float, float]:
        return band_of(self.percent / 100, self.decimals + 2)


def band_of(value: float, decimals: int) -> tuple[float, float]:
    """The values that round half-up to ``value`` at ``decimals``: ``[low, high)`` (with a
    margin of 1e-12 for floating-point noise in the products)."""
    half = 0.5 * 10.0 ** (-decimals)
    return value - half - 1e-12, value + half - 1e-12


@dataclass(frozen=True)
class PatternRange:
    """What the patterns reproducing ``constraints`` give for one quantity.

    ``n_patterns`` counts single death/censoring assignments of the patients. ``values`` lists
    every distinct survival value (empty for a p). ``n_in_band`` counts the patterns whose
    value lies in ``band``; None when they were too many to list, and then only the extremes
    (exact) are known.
    """

    quantity: Literal["survival", "log_rank_p"]
    group: str | None
    at: float | None
    constraints: tuple[PrintedRate, ...]
    n_patterns: int
    minimum: float | None
    maximum: float | None
    values: tuple[float, ...]
    band: tuple[float, float] | None
    n_in_band: int | None

    def gives(self) -> bool:
        """Whether some pattern gives a value in ``band`` (within the range when not listed)."""
        if self.band is None or self.minimum is None or self.maximum is None:
            return False
        if self.n_in_band is not None:
            return self.n_in_band > 0
        return self.maximum >= self.band[0] and self.minimum < self.band[1]

    def to_dict(self) -> dict[str, object]:
        return {
            "quantity": self.quantity,
            "group": self.group,
            "at": self.at,
            "constraints": [c.__dict__ for c in self.constraints],
            "n_patterns": self.n_patterns,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "values": list(self.values),
            "band": None if self.band is None else list(self.band),
            "n_in_band": self.n_in_band,
        }


@dataclass(frozen=True)
class _Layout:
    """Both groups' slots, with pooled risk sets and the time after which only U, V matter."""

    groups: tuple[Slots, Slots]
    n_pool: tuple[FloatArray, FloatArray]
    n_other: tuple[FloatArray, FloatArray]
    shared: tuple[float, ...]  # times where both groups have patients (prefix only)
    last: float  # the last printed time: slots after it form the tail


def _at_risk(g: Slots, t: FloatArray) -> FloatArray:
    """Patients of ``g`` at risk (time >= t) at each ``t``."""
    i = np.searchsorted(g.time, t, side="left")
    out: FloatArray = np.r_[g.n_risk, 0][i].astype(np.float64)
    return out


def _v(n: FloatArray | float, na: FloatArray | float, nb: FloatArray | float,
       d: FloatArray) -> FloatArray:
    """Hypergeometric variance term of the log-rank at a time with ``d`` events."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = na * nb * d * (n - d) / (n * n * (n - 1))
    result: FloatArray = np.where(n > 1, out, 0.0)
    return result


def _merge(states: FloatArray, weights: IntArray) -> tuple[FloatArray, IntArray]:
    keys, inverse = np.unique(np.round(states, KEY_DECIMALS), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return keys, np.bincount(inverse, weights=weights, minlength=len(keys)).astype(np.int64)


def _prefix(
    lay: _Layout, k: int, own: Sequence[PrintedRate], pooled_at: Sequence[float],
    record: float | None, need_score: bool,
) -> tuple[FloatArray, IntArray]:
    """Group ``k``'s patterns over its times up to ``lay.last`` reproducing its rates ``own``.

    State columns: own survival, recorded own survival at ``record`` (or -1), the separable
    part of the pooled survival at each time of ``pooled_at``, U, V, then the event count at
    each shared time. ``U`` is the first group's observed minus expected events.
    """
    g, n_pool, n_other = lay.groups[k], lay.n_pool[k], lay.n_other[k]
    n_own = g.n_risk.astype(np.float64)
    q0, su = 2, 2 + len(pooled_at)
    width = su + 2 + len(lay.shared)
    states = np.zeros((1, width))
    states[0, 0] = 1.0
    states[0, 1] = -1.0
    states[0, q0:su] = 1.0
    weights = np.ones(1, dtype=np.int64)
    upto = int(np.searchsorted(g.time, lay.last, side="right"))
    sign = 1.0 if k == 0 else -1.0
    last_time = float(g.time[-1]) if g.time.size else -np.inf
    for i in range(-1, upto):
        if i >= 0:
            d, w = g.choices(i)
            df = d.astype(np.float64)
            new = np.repeat(states[None], d.size, axis=0)  # (choice, state, column)
            new[:, :, 0] *= (1 - df / n_own[i])[:, None]
            s = g.time[i]
            if s in lay.shared:
                new[:, :, su + 2 + lay.shared.index(s)] = df[:, None]
            else:
                factor = 1 - df / n_pool[i]
                for j, c in enumerate(pooled_at):
                    if s <= c:
                        new[:, :, q0 + j] *= factor[:, None]
                new[:, :, su + 1] += _v(n_pool[i], n_own[i], n_other[i], df)[:, None]
            # U = sum of d_A n_B / n - d_B n_A / n: linear, so separable even at shared times
            new[:, :, su] += (sign * df * n_other[i] / n_pool[i])[:, None]
            states = new.reshape(-1, width)
            weights = np.multiply.outer(w, weights).ravel()
        lo = g.time[i] if i >= 0 else -np.inf
        hi = g.time[i + 1] if i + 1 < g.time.size else np.inf
        keep = np.ones(len(states), dtype=bool)
        for r in own:
            if lo <= r.at < hi:
                low, high = r.band
                x = states[:, 0]
                keep &= (x >= low) & (x < high) & ((r.at <= last_time) | (x == 0))
        if record is not None and lo <= record < hi:
            x = states[:, 0]
            states[:, 1] = np.where((record <= last_time) | (x == 0), x, np.nan)
        states, weights = states[keep], weights[keep]
        if not need_score:
            states[:, su:su + 2] = 0.0
        if len(states):
            states, weights = _merge(np.nan_to_num(states, nan=-2.0), weights)
    return states, weights


def _tail(lay: _Layout) -> tuple[FloatArray, IntArray]:
    """(U, V) over every pattern of both groups' times after ``lay.last``, with counts."""
    a, b = lay.groups
    times = np.union1d(a.time[a.time > lay.last], b.time[b.time > lay.last])
    states = np.zeros((1, 2))
    weights = np.ones(1, dtype=np.int64)
    na_all, nb_all = _at_risk(a, times), _at_risk(b, times)
    for t, na, nb in zip(times, na_all, nb_all, strict=True):
        n = na + nb
        da, wa = _choices_at(a, t)
        db, wb = _choices_at(b, t)
        dd = np.add.outer(da, db).ravel().astype(np.float64)
        u = (np.multiply.outer(da * nb, np.ones_like(db)) - np.multiply.outer(
            np.ones_like(da), db * na)).ravel() / n
        v = _v(np.float64(n), np.float64(na), np.float64(nb), dd)
        w = np.multiply.outer(wa, wb).ravel()
        new = states[None, :, :] + np.stack([u, v], axis=1)[:, None, :]
        states, weights = _merge(new.reshape(-1, 2), np.multiply.outer(w, weights).ravel())
    return states, weights


def _choices_at(g: Slots, t: float) -> tuple[IntArray, IntArray]:
    i = int(np.searchsorted(g.time, t))
    if i < g.time.size and g.time[i] == t:
        return g.choices(i)
    return np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)


def _layout(time: FloatArray, in_a: NDArray[np.bool_], status: IntArray, weights: IntArray,
            last: float) -> _Layout:
    ga = slots(time[in_a], status[in_a], weights=weights[in_a])
    gb = slots(time[~in_a], status[~in_a], weights=weights[~in_a])
    n_pool = (_at_risk(ga, ga.time) + _at_risk(gb, ga.time),
              _at_risk(ga, gb.time) + _at_risk(gb, gb.time))
    n_other = (_at_risk(gb, ga.time), _at_risk(ga, gb.time))
    both = np.intersect1d(ga.time, gb.time)
    shared = tuple(float(t) for t in both[both <= last])
    return _Layout((ga, gb), n_pool, n_other, shared, last)


def pattern_range(
    time: ArrayLike,
    group: ArrayLike,
    groups: Sequence[str],
    constraints: Sequence[PrintedRate],
    *,
    at: float | None = None,
    of: str | None = None,
    printed: tuple[float, int] | None = None,
    status: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> PatternRange | None:
    """Range of the survival of group ``of`` (None: all patients) at ``at`` — or, with ``at``
    None, of the log-rank p between the two ``groups`` — over every event/censoring pattern
    that reproduces each printed rate in ``constraints`` (rounded half-up at its decimals).

    ``status`` fixes known statuses as in :func:`~survstudy.stats.survival.attainable.slots`
    (default: all unknown); ``weights`` counts the patients of each row (default 1: one row
    per patient), so a count table need not be repeated per patient. ``printed`` (value,
    decimals; a percentage for a survival) sets the band whose patterns are counted. None
    when a group has more than ``EXACT_LIMIT`` unknown statuses, or there are not exactly two
    groups with patients.
    """
    if len(groups) != 2:
        return None
    t = np.asarray(time, dtype=np.float64)
    w = np.ones(t.size, dtype=np.int64) if weights is None else np.asarray(weights, np.int64)
    labels = np.asarray(group).astype(str)
    s = (np.full(t.size, -1, dtype=np.int64) if status is None
         else np.asarray(status, dtype=np.int64))
    # the unknown statuses do not depend on merged times: too many, and nothing else is needed
    free = np.where(s == -1, w, 0)
    if max(int(free[labels == g].sum()) for g in groups) > EXACT_LIMIT:
        return None
    present = w > 0
    t, _ = merge_near_ties(t[present])
    labels, s, w = labels[present], s[present], w[present]
    keep = np.isin(labels, list(groups))
    t, labels, s, w = t[keep], labels[keep], s[keep], w[keep]
    in_a = labels == groups[0]
    if in_a.all() or not in_a.any():  # a group without patients: no log-rank, no pooled curve
        return None
    times = [c.at for c in constraints] + ([at] if at is not None else [])
    last = max(times) if times else -np.inf
    lay = _layout(t, in_a, s, w, last)
    pooled_at = sorted({c.at for c in constraints if c.group is None}
                       | ({at} if at is not None and of is None else set()))
    need_score = at is None
    parts = []
    for k, label in enumerate(groups):
        own = [c for c in constraints if c.group == label]
        record = at if at is not None and of == label else None
        parts.append(_prefix(lay, k, own, pooled_at, record, need_score))
    band = None
    if printed is not None:
        band = band_of(printed[0] / 100, printed[1] + 2) if at is not None else band_of(*printed)
    (sa, wa), (sb, wb) = parts
    quantity: Literal["survival", "log_rank_p"] = "survival" if at is not None else "log_rank_p"
    empty = PatternRange(quantity, of, at, tuple(constraints), 0, None, None, (), band, 0)
    if not len(sa) or not len(sb):
        return empty
    x, wx = _pairs(lay, sa, wa, sb, wb, constraints, pooled_at, at, of, groups)
    if not len(x):
        return empty
    if at is not None:  # a survival: the tail only multiplies the count
        tail_free = sum(int(g.free[g.time > last].sum()) for g in lay.groups)
        wx = wx * 2**tail_free
        v, counts = merge_states(x[:, 0], wx)
        n_in = None if band is None else int(counts[(v >= band[0]) & (v < band[1])].sum())
        return PatternRange(quantity, of, at, tuple(constraints), int(counts.sum()),
                            float(v.min()), float(v.max()), tuple(float(a) for a in v),
                            band, n_in)
    y, wy = _tail(lay)
    from survstudy.stats.survival.score_range import chi2_extremes, p_of, p_of_chi2

    total = int(wx.sum()) * int(wy.sum())
    if len(x) * len(y) <= LIST_LIMIT:
        u = np.add.outer(x[:, 0], y[:, 0]).ravel()
        var = np.add.outer(x[:, 1], y[:, 1]).ravel()
        w = np.multiply.outer(wx, wy).ravel()
        p = p_of(u, var)
        n_in = None if band is None else int(w[(p >= band[0]) & (p < band[1])].sum())
        return PatternRange(quantity, None, None, tuple(constraints), total,
                            float(p.min()), float(p.max()), (), band, n_in)
    lo, hi = chi2_extremes(x, y)
    return PatternRange(quantity, None, None, tuple(constraints), total,
                        float(p_of_chi2(np.array([hi]))[0]), float(p_of_chi2(np.array([lo]))[0]),
                        (), band, None)


def _pairs(
    lay: _Layout, sa: FloatArray, wa: IntArray, sb: FloatArray, wb: IntArray,
    constraints: Sequence[PrintedRate], pooled_at: Sequence[float], at: float | None,
    of: str | None, groups: Sequence[str],
) -> tuple[FloatArray, IntArray]:
    """Pairs of the groups' patterns that reproduce the pooled rates: the target survival (one
    column) or (U, V), merged, with pattern counts."""
    q0, su = 2, 2 + len(pooled_at)
    shared = np.asarray(lay.shared)
    a, b = lay.groups
    n_sh = _at_risk(a, shared) + _at_risk(b, shared)
    na_sh, nb_sh = _at_risk(a, shared), _at_risk(b, shared)
    pooled_last = max(float(a.time[-1]), float(b.time[-1]))
    out: list[FloatArray] = []
    out_w: list[IntArray] = []
    step = max(1, CHUNK // len(sb))
    for start in range(0, len(sa), step):
        ca, cw = sa[start:start + step], wa[start:start + step]
        ia = np.repeat(np.arange(len(ca)), len(sb))
        ib = np.tile(np.arange(len(sb)), len(ca))
        A, B = ca[ia], sb[ib]
        da, db = A[:, su + 2:], B[:, su + 2:]
        dd = da + db
        q = A[:, q0:su] * B[:, q0:su]
        keep = np.ones(len(ia), dtype=bool)
        for j, c in enumerate(pooled_at):
            factor = np.prod(np.where(shared <= c, 1 - dd / n_sh, 1.0), axis=1)
            q[:, j] *= factor
        for r in constraints:
            if r.group is None:
                x = q[:, pooled_at.index(r.at)]
                low, high = r.band
                keep &= (x >= low) & (x < high) & ((r.at <= pooled_last) | (x == 0))
        if at is not None:
            if of is None:
                x = q[:, pooled_at.index(at)]
                x = np.where((at <= pooled_last) | (x == 0), x, np.nan)
            else:
                x = (A if of == groups[0] else B)[:, 1]
            keep &= np.isfinite(x) & (x >= 0)
            cols = x[:, None]
        else:
            u = A[:, su] + B[:, su]
            v = A[:, su + 1] + B[:, su + 1] + _v(n_sh, na_sh, nb_sh, dd).sum(axis=1)
            cols = np.stack([u, v], axis=1)
        w = cw[ia] * wb[ib]
        out.append(cols[keep])
        out_w.append(w[keep])
    x_all = np.concatenate(out) if out else np.zeros((0, 1))
    w_all = np.concatenate(out_w) if out_w else np.zeros(0, dtype=np.int64)
    if not len(x_all):
        return x_all, w_all
    return _merge(x_all, w_all)
