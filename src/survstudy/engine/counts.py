"""The count table: the one thing an engine must produce.

For each stratum (group) and each distinct time, the number of events and censorings, in
ascending time. Every nonparametric estimator (Kaplan-Meier, the log-rank family, reverse
Kaplan-Meier follow-up) is written once against this table, whichever engine (NumPy, DuckDB,
Spark) aggregated the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CountTable",
    "Stratum",
    "Totals",
    "at_risk",
    "count_table",
    "group_codes",
    "merge_near_ties",
    "order_labels",
    "stratum_bounds",
    "time_slots",
    "whole_counts",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: R's ``all.equal`` tolerance, used by ``aeqSurv`` to merge near-tied times.
TIE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


class Totals:
    """Mixin for the counts of one group: subjects (at risk at the first time) and events."""

    n_risk: FloatArray
    n_event: FloatArray

    @property
    def n(self) -> float:
        """Number of subjects (the number at risk at the first time)."""
        return float(self.n_risk[0]) if self.n_risk.size else 0.0

    @property
    def events(self) -> float:
        return float(self.n_event.sum())


def stratum_bounds(stratum: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each of ``k`` strata in rows sorted by ``stratum``."""
    starts = np.searchsorted(stratum, np.arange(k)).astype(np.intp)
    return starts, np.r_[starts[1:], stratum.size].astype(np.intp)


def at_risk(exits: FloatArray, starts: IntArray, ends: IntArray) -> FloatArray:
    """Number at risk at each row: subjects of the row's stratum whose time is >= its time
    (a reverse cumulative sum of ``exits``, less the subjects of later strata)."""
    rev = np.cumsum(exits[::-1])[::-1]
    after = np.r_[rev, 0.0][ends]
    result: FloatArray = rev - np.repeat(after, ends - starts)
    return result


@dataclass(frozen=True)
class Stratum(Totals):
    """The counts of one group: distinct times ascending, with the number at risk."""

    label: str
    time: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    n_risk: FloatArray



@dataclass(frozen=True)
class CountTable:
    """Events and censorings per (stratum, distinct time), sorted by stratum then time.

    ``groups`` holds the stratum labels in display order; ``stratum`` indexes into it.
    ``ties_merged`` counts distinct input times that were merged into a near-tied neighbour
    (as R's ``aeqSurv``); ``excluded`` counts input rows left out for missing values.
    """

    groups: tuple[str, ...]
    stratum: IntArray
    time: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    ties_merged: int = 0
    excluded: int = 0
    n_risk: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts, ends = stratum_bounds(self.stratum, len(self.groups))
        object.__setattr__(self, "n_risk", at_risk(self.n_event + self.n_censor, starts, ends))

    def __iter__(self) -> Iterator[Stratum]:
        starts, ends = stratum_bounds(self.stratum, len(self.groups))
        for label, s, e in zip(self.groups, starts, ends, strict=True):
            yield Stratum(
                label,
                self.time[s:e],
                self.n_event[s:e],
                self.n_censor[s:e],
                self.n_risk[s:e],
            )

    def stratum_of(self, label: str) -> Stratum:
        for s in self:
            if s.label == label:
                return s
        raise KeyError(label)

    @property
    def n(self) -> float:
        return float((self.n_event + self.n_censor).sum())

    @property
    def events(self) -> float:
        return float(self.n_event.sum())

    def pooled(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Times of all strata together, with number at risk and events per group.

        Returns ``(time, n_risk, n_event)`` where ``n_risk`` and ``n_event`` have one row per
        distinct time and one column per group: the layout the log-rank family works on.
        """
        times, where = np.unique(self.time, return_inverse=True)
        k = len(self.groups)
        events = np.zeros((times.size, k))
        exits = np.zeros((times.size, k))
        np.add.at(events, (where, self.stratum), self.n_event)
        np.add.at(exits, (where, self.stratum), self.n_event + self.n_censor)
        at_risk = np.cumsum(exits[::-1], axis=0)[::-1]
        return times, at_risk, events

    def to_dict(self) -> dict[str, object]:
        return {
            "groups": list(self.groups),
            "stratum": self.stratum.tolist(),
            "time": self.time.tolist(),
            "n_event": whole_counts(self.n_event).tolist(),
            "n_censor": whole_counts(self.n_censor).tolist(),
            "n_risk": whole_counts(self.n_risk).tolist(),
            "ties_merged": self.ties_merged,
            "excluded": self.excluded,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per group and distinct time: n_risk, n_event, n_censor."""
        import pandas as pd

        return pd.DataFrame({
            "group": np.asarray(self.groups, dtype=object)[self.stratum],
            "time": self.time,
            "n_risk": whole_counts(self.n_risk),
            "n_event": whole_counts(self.n_event),
            "n_censor": whole_counts(self.n_censor),
        })


def whole_counts(values: FloatArray) -> NDArray[np.int64] | FloatArray:
    """Counts as integers when all are whole (unweighted data), else unchanged (weights)."""
    return values.astype(np.int64) if np.all(np.mod(values, 1) == 0) else values


def order_labels(labels: Sequence[str]) -> list[str]:
    """Display order of group labels: numeric order when all are numbers, else text order."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def merge_near_ties(time: FloatArray, tolerance: float = TIE_TOLERANCE) -> tuple[FloatArray, int]:
    """Map times that differ by floating-point noise onto one value, as R's ``aeqSurv``.

    Distinct values closer than ``tolerance`` (absolutely, or relative to the mean absolute
    distinct value) are replaced by the smallest value of their run. Returns the new times and
    how many distinct values were merged away.
    """
    values = np.unique(time[np.isfinite(time)])
    if values.size < 2:
        return time, 0
    gaps = np.diff(values)
    tied = (gaps <= tolerance) | (gaps / np.mean(np.abs(values)) <= tolerance)
    if not tied.any():
        return time, 0
    cuts = values[np.r_[True, ~tied]]
    index = np.searchsorted(cuts, time, side="right") - 1
    merged = np.where(np.isfinite(time), cuts[np.clip(index, 0, None)], time)
    return merged, int(tied.sum())


def group_codes(
    group: ArrayLike | None, size: int, groups: Sequence[str] | None
) -> tuple[list[str], IntArray]:
    """The group labels in display order (``groups`` when stated, else :func:`order_labels`)
    and each row's index into them; one group "all" when ``group`` is None."""
    if group is None:
        return ["all"], np.zeros(size, dtype=np.intp)
    uniques, inverse = np.unique(np.asarray(group).astype(str), return_inverse=True)
    present = [str(u) for u in uniques]
    labels = [str(g) for g in groups] if groups is not None else order_labels(present)
    missing = set(present) - set(labels)
    if missing:
        raise ValueError(f"groups {sorted(missing)} are not in the stated group order")
    position = {label: i for i, label in enumerate(labels)}
    return labels, np.array([position[p] for p in present], dtype=np.intp)[inverse]


def time_slots(time: FloatArray, codes: IntArray) -> tuple[IntArray, NDArray[np.bool_], IntArray]:
    """Rows sorted by (group, time): the sort ``order``, whether each sorted row is the
    ``first`` of its distinct (group, time) pair, and the pair's index (``slot``)."""
    order = np.lexsort((time, codes))
    t_sorted, s_sorted = time[order], codes[order]
    first = np.r_[True, (np.diff(s_sorted) != 0) | (np.diff(t_sorted) != 0)][: time.size]
    return order, first, np.cumsum(first) - 1


def count_table(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    weight: ArrayLike | None = None,
    groups: Sequence[str] | None = None,
    excluded: int = 0,
) -> CountTable:
    """Aggregate row data (or pre-aggregated rows with ``weight``) into a :class:`CountTable`.

    ``time`` is numeric and non-negative, ``event`` is true where the event happened, ``group``
    holds labels (turned into text). Vectorised: ``np.unique`` on (stratum, time) and
    ``np.bincount`` for the sums, no per-row Python loop. Rows must already be complete;
    validation and the count of excluded rows belong to the caller.
    """
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    w = np.ones(t.size) if weight is None else np.asarray(weight, dtype=np.float64)
    labels, codes = group_codes(group, t.size, groups)
    t, merged = merge_near_ties(t)
    order, first, slot = time_slots(t, codes)
    t_sorted, s_sorted = t[order], codes[order]
    weights = w[order]
    n_event = np.bincount(slot, weights=weights * e[order], minlength=int(first.sum()))
    n_censor = np.bincount(slot, weights=weights * ~e[order], minlength=int(first.sum()))
    return CountTable(
        groups=tuple(labels),
        stratum=s_sorted[first].astype(np.intp),
        time=t_sorted[first].astype(np.float64),
        n_event=n_event.astype(np.float64),
        n_censor=n_censor.astype(np.float64),
        ties_merged=merged,
        excluded=excluded,
    )
