"""Which Kaplan-Meier survival values a cohort's follow-up times allow, over every pattern of
events and censorings among them.

A paper that prints survival times but not who died still fixes a lot: the numbers at risk at
every time. The Kaplan-Meier estimate at ``t`` is the product, over the distinct times
``s <= t``, of ``1 - d(s) / n(s)``, where the number at risk ``n(s)`` does not depend on who
died and ``d(s)`` may be anything from the known events at ``s`` to all patients whose time is
``s``. So the attainable values are the products of one factor per distinct time: enumerated
exactly by dynamic programming over the sorted times on the set of reachable products (not by
visiting the ``2^n`` patterns), and bounded in any case by choosing every factor's extreme.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from numpy.typing import ArrayLike

from survstudy.arrays import FloatArray, IntArray
from survstudy.engine.counts import merge_near_ties
from survstudy.jsonsafe import ListRecord

__all__ = [
    "EXACT_LIMIT",
    "FREE",
    "AttainableSurvival",
    "Slots",
    "attainable_survival",
    "slots",
]

#: Groups with at most this many patients of unknown status are enumerated exactly; larger
#: ones get the bounds that the numbers at risk impose.
EXACT_LIMIT = 25
#: ``status`` code of a patient whose event/censoring is unknown (free to be either).
FREE = -1
#: Products equal to this many decimals are the same value (they are ratios of small integers).
KEY_DECIMALS = 12
#: Products this close (relatively) are the same ratio reached in a different order.
RELATIVE_TIE = 1e-11


@dataclass(frozen=True)
class Slots:
    """A group's distinct follow-up times, ascending, with what is fixed at each.

    ``n_risk`` counts the patients whose time is at least the slot's; ``events`` and
    ``censored`` count the patients known to have had the event or to be censored there, and
    ``free`` those whose status is unknown.
    """

    time: FloatArray
    n_risk: IntArray
    events: IntArray
    censored: IntArray
    free: IntArray

    @property
    def n(self) -> int:
        return int(self.n_risk[0]) if self.n_risk.size else 0

    def choices(self, i: int) -> tuple[IntArray, IntArray]:
        """The possible event counts at slot ``i`` and how many patterns give each."""
        f = int(self.free[i])
        d = int(self.events[i]) + np.arange(f + 1, dtype=np.int64)
        return d, np.array([comb(f, k) for k in range(f + 1)], dtype=np.int64)


def slots(time: ArrayLike, status: ArrayLike | None = None, *,
          weights: ArrayLike | None = None) -> Slots:
    """:class:`Slots` of one group: ``status`` is 1 (event), 0 (censored) or ``FREE``
    (unknown) per patient; None means every status is unknown. Near-tied times are merged as
    R's ``aeqSurv`` (and :func:`~survstudy.engine.counts.count_table`) merges them.

    ``weights`` counts the patients of each row (default 1), so a count table's distinct times
    stand for their patients without being repeated per patient; rows of weight 0 are none."""
    t = np.asarray(time, dtype=np.float64)
    s = np.full(t.size, FREE, dtype=np.int64) if status is None else np.asarray(status, np.int64)
    if t.shape != s.shape:
        raise ValueError("time and status must have the same length")
    w = None if weights is None else np.asarray(weights, dtype=np.int64)
    if w is not None:
        if w.shape != t.shape:
            raise ValueError("time and weights must have the same length")
        if np.any(w < 0):
            raise ValueError("weights must be non-negative patient counts")
        t, s, w = t[w > 0], s[w > 0], w[w > 0]
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("follow-up times must be finite and non-negative")
    if not np.all(np.isin(s, (0, 1, FREE))):
        raise ValueError(f"status must be 1 (event), 0 (censored) or {FREE} (unknown)")
    t, _ = merge_near_ties(t)
    values, where = np.unique(t, return_inverse=True)
    k = values.size
    events = np.bincount(where, weights=_count(s == 1, w), minlength=k).astype(np.int64)
    censored = np.bincount(where, weights=_count(s == 0, w), minlength=k).astype(np.int64)
    free = np.bincount(where, weights=_count(s == FREE, w), minlength=k).astype(np.int64)
    exits = events + censored + free
    n_risk = np.cumsum(exits[::-1])[::-1].astype(np.int64)
    return Slots(values, n_risk, events, censored, free)


def _count(which: np.ndarray, weights: IntArray | None) -> np.ndarray:
    """Patients per row that ``which`` selects (``weights`` of them, or one)."""
    return which if weights is None else np.where(which, weights, 0)


@dataclass(frozen=True)
class AttainableSurvival(ListRecord):
    """The Kaplan-Meier survival values at ``at`` that some pattern of the unknown statuses
    gives (proportions, ascending) and how many patterns give each.

    ``exact`` is False when the group had more than ``EXACT_LIMIT`` unknown statuses: then
    ``values`` is empty and only ``lower``/``upper`` (always exact) are known. A value past the
    last follow-up time is estimable only when the curve has reached 0 there, so such
    patterns give no value and are not counted (``n_patterns`` counts those that do).
    """

    at: float
    n: int
    n_free: int
    exact: bool
    values: tuple[float, ...]
    patterns: tuple[int, ...]
    lower: float | None
    upper: float | None

    @property
    def n_patterns(self) -> int:
        return sum(self.patterns)

    def gives(self, low: float, high: float) -> bool:
        """Whether some pattern gives a value in ``[low, high)`` (the bounds alone when not
        exact)."""
        if self.lower is None or self.upper is None:
            return False
        if not self.exact:
            return self.upper >= low and self.lower < high
        v = np.asarray(self.values)
        return bool(np.any((v >= low) & (v < high)))


def merge_states(values: FloatArray, weights: IntArray) -> tuple[FloatArray, IntArray]:
    """Equal products as one state, ascending, their pattern counts summed.

    Values within ``RELATIVE_TIE`` of their sorted neighbour are one value (the same ratio
    reached by different products differs in the last bits). The inputs are a few sorted
    runs, which a stable sort merges in linear time.
    """
    order = np.argsort(values, kind="stable")
    v = values[order]
    first = np.flatnonzero(np.r_[True, np.diff(v) > RELATIVE_TIE * np.abs(v[1:])])
    return v[first], np.add.reduceat(weights[order], first).astype(np.int64)


def _products(groups: Slots, upto: int) -> tuple[FloatArray, IntArray]:
    """Every product of the first ``upto`` slots' factors, with its number of patterns."""
    values = np.ones(1)
    weights = np.ones(1, dtype=np.int64)
    for i in range(upto):
        d, w = groups.choices(i)
        factor = 1.0 - d / float(groups.n_risk[i])
        # one sorted run per choice (factor-major), so the merge stays linear
        values, weights = merge_states(
            np.multiply.outer(factor, values).ravel(), np.multiply.outer(w, weights).ravel()
        )
    return values, weights


def attainable_survival(
    time: ArrayLike | Slots,
    at: float,
    status: ArrayLike | None = None,
    *,
    exact_limit: int = EXACT_LIMIT,
    weights: ArrayLike | None = None,
) -> AttainableSurvival:
    """Kaplan-Meier survival values at ``at`` attainable over the unknown statuses of a group.

    ``time`` holds the follow-up times (or is a :class:`Slots`); ``status`` as for
    :func:`slots`, as is ``weights`` (patients per row). Only the times up to ``at`` matter,
    and the products are merged as they are built, so the work grows with the number of
    distinct products, not with ``2^n``.
    """
    g = time if isinstance(time, Slots) else slots(time, status, weights=weights)
    upto = int(np.searchsorted(g.time, at, side="right"))
    n_free = int(g.free.sum())
    past_end = g.time.size == 0 or at > g.time[-1]
    # the extremes: every unknown status an event (lowest) or a censoring (highest)
    low = float(np.prod(1.0 - (g.events + g.free)[:upto] / g.n_risk[:upto]))
    high = float(np.prod(1.0 - g.events[:upto] / g.n_risk[:upto]))
    if past_end:  # estimable only where the curve reaches 0
        low, high = (0.0, 0.0) if low == 0 else (np.nan, np.nan)
    lower = None if np.isnan(low) else low
    upper = None if np.isnan(high) else high
    if g.free[:upto].sum() > exact_limit:
        return AttainableSurvival(float(at), g.n, n_free, False, (), (), lower, upper)
    values, counts = _products(g, upto)
    # the patients after ``at`` are free either way: each pattern there counts
    later = 2 ** int(g.free[upto:].sum())
    if past_end:
        keep = values == 0
        values, counts = values[keep], counts[keep]
    return AttainableSurvival(
        float(at), g.n, n_free, True, tuple(float(v) for v in values),
        tuple(int(w) * later for w in counts), lower, upper,
    )
