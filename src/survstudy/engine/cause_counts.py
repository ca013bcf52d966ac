"""The count table extended with a cause: what every competing-risks estimator starts from.

For each stratum (group) and each distinct time, the events of the cause of interest, the
competing events and the censorings, in ascending time. Ties between causes stay exact (one
row holds both counts); near-tied times are merged as R's ``aeqSurv`` (see
:func:`survstudy.engine.counts.merge_near_ties`). The cumulative incidence, its variance and
Gray's test are written once against this table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from survstudy.arrays import FloatArray
from survstudy.engine.counts import (
    StrataRows,
    Totals,
    group_codes,
    merge_near_ties,
    time_slots,
)

__all__ = [
    "CENSORED",
    "COMPETING",
    "EVENT",
    "CauseCountTable",
    "CauseStratum",
    "cause_count_table",
]

#: Codes of the ``cause`` array given to :func:`cause_count_table`.
CENSORED, EVENT, COMPETING = 0, 1, 2


@dataclass(frozen=True)
class CauseStratum(Totals):
    """The counts of one group: distinct times ascending, with the number at risk."""

    label: str
    time: FloatArray
    n_event: FloatArray
    n_competing: FloatArray
    n_censor: FloatArray
    n_risk: FloatArray

    @property
    def competing(self) -> float:
        return float(self.n_competing.sum())


@dataclass(frozen=True)
class CauseCountTable(StrataRows):
    """Events of interest, competing events and censorings per (stratum, distinct time).

    Sorted by stratum then time; ``groups`` holds the stratum labels in display order and
    ``stratum`` indexes into it. ``ties_merged`` counts distinct input times merged into a
    near-tied neighbour; ``excluded`` counts input rows left out for missing values.
    """

    n_competing: FloatArray
    n_censor: FloatArray
    ties_merged: int = 0
    excluded: int = 0
    n_risk: FloatArray = field(init=False, repr=False)

    def _exits(self) -> FloatArray:
        return self.n_event + self.n_competing + self.n_censor

    def __iter__(self) -> Iterator[CauseStratum]:
        for label, rows in self._strata():
            yield CauseStratum(label, self.time[rows], self.n_event[rows],
                               self.n_competing[rows], self.n_censor[rows], self.n_risk[rows])

    def pooled(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Times of all strata together, with per-group counts: Gray's test's layout.

        Returns ``(time, n_risk, n_event, n_competing)``; the last three have one row per
        distinct time and one column per group.
        """
        times, where = np.unique(self.time, return_inverse=True)
        shape = (times.size, len(self.groups))
        event, competing, exits = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        np.add.at(event, (where, self.stratum), self.n_event)
        np.add.at(competing, (where, self.stratum), self.n_competing)
        np.add.at(exits, (where, self.stratum), self._exits())
        at_risk = np.cumsum(exits[::-1], axis=0)[::-1]
        return times, at_risk, event, competing

    def to_dict(self) -> dict[str, object]:
        return {
            "groups": list(self.groups),
            "stratum": self.stratum.tolist(),
            "time": self.time.tolist(),
            "n_event": self.n_event.tolist(),
            "n_competing": self.n_competing.tolist(),
            "n_censor": self.n_censor.tolist(),
            "n_risk": self.n_risk.tolist(),
            "ties_merged": self.ties_merged,
            "excluded": self.excluded,
        }


def cause_count_table(
    time: ArrayLike,
    cause: ArrayLike,
    group: ArrayLike | None = None,
    *,
    weight: ArrayLike | None = None,
    groups: Sequence[str] | None = None,
    excluded: int = 0,
) -> CauseCountTable:
    """Aggregate rows (or pre-aggregated rows with ``weight``) into a :class:`CauseCountTable`.

    ``cause`` is :data:`EVENT` (1), :data:`COMPETING` (2) or :data:`CENSORED` (0) per row.
    Vectorised: ``lexsort`` on (stratum, time) and ``bincount`` for the sums. Rows must be
    complete; validation belongs to the caller.
    """
    t = np.asarray(time, dtype=np.float64)
    c = np.asarray(cause, dtype=np.intp)
    if c.size and (c.min() < 0 or c.max() > 2):
        raise ValueError("cause must be 0 (censored), 1 (event) or 2 (competing event)")
    w = np.ones(t.size) if weight is None else np.asarray(weight, dtype=np.float64)
    labels, codes = group_codes(group, t.size, groups)
    t, merged = merge_near_ties(t)
    order, first, slot = time_slots(t, codes)
    t_sorted, s_sorted = t[order], codes[order]
    size = int(first.sum())
    # one bincount over (slot, cause) gives the three columns at once
    sums = np.bincount(slot * 3 + c[order], weights=w[order], minlength=3 * size)
    sums = sums.reshape(size, 3)
    return CauseCountTable(
        groups=tuple(labels),
        stratum=s_sorted[first].astype(np.intp),
        time=t_sorted[first].astype(np.float64),
        n_event=sums[:, EVENT].astype(np.float64),
        n_competing=sums[:, COMPETING].astype(np.float64),
        n_censor=sums[:, CENSORED].astype(np.float64),
        ties_merged=merged,
        excluded=excluded,
    )
