"""The count table: the one thing an engine must produce.

For each stratum (group) and each distinct time, the number of events and censorings, in
ascending time. Every nonparametric estimator (Kaplan-Meier, the log-rank family, reverse
Kaplan-Meier follow-up) is written once against this table, whichever engine (NumPy, DuckDB,
Spark) aggregated the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survstudy.arrays import FloatArray
from survstudy.arrays import IndexArray as IntArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CountTable",
    "StrataRows",
    "Stratum",
    "Totals",
    "at_risk",
    "count_codes",
    "count_table",
    "group_codes",
    "merge_near_ties",
    "order_labels",
    "stratum_bounds",
    "time_slots",
    "whole_counts",
]

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
    (a reverse cumulative sum of ``exits`` within each stratum, in place: one array at 10^7)."""
    result: FloatArray = np.array(exits, dtype=np.float64)
    for s, e in zip(starts, ends, strict=True):
        within = result[s:e][::-1]
        np.cumsum(within, out=within)
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
class StrataRows:
    """Rows sorted by stratum then time: what a count table and a cause count table share.

    ``groups`` holds the stratum labels in display order; ``stratum`` indexes into it. The
    number at risk (a field of the subclass) is computed from the rows that leave at each time.
    """

    groups: tuple[str, ...]
    stratum: IntArray
    time: FloatArray
    n_event: FloatArray

    def _exits(self) -> FloatArray:
        """Subjects leaving at each row (events, censorings and any other cause)."""
        raise NotImplementedError

    def __post_init__(self) -> None:
        starts, ends = stratum_bounds(self.stratum, len(self.groups))
        object.__setattr__(self, "n_risk", at_risk(self._exits(), starts, ends))

    def _strata(self) -> Iterator[tuple[str, slice]]:
        """Each stratum's label with its rows."""
        starts, ends = stratum_bounds(self.stratum, len(self.groups))
        for label, s, e in zip(self.groups, starts, ends, strict=True):
            yield label, slice(s, e)

    @property
    def n(self) -> float:
        return float(self._exits().sum())


@dataclass(frozen=True)
class CountTable(StrataRows):
    """Events and censorings per (stratum, distinct time), sorted by stratum then time.

    ``groups`` holds the stratum labels in display order; ``stratum`` indexes into it.
    ``ties_merged`` counts distinct input times that were merged into a near-tied neighbour
    (as R's ``aeqSurv``); ``excluded`` counts input rows left out for missing values.
    """

    n_censor: FloatArray
    ties_merged: int = 0
    excluded: int = 0
    n_risk: FloatArray = field(init=False, repr=False)

    def _exits(self) -> FloatArray:
        return self.n_event + self.n_censor

    def __iter__(self) -> Iterator[Stratum]:
        for label, rows in self._strata():
            yield Stratum(label, self.time[rows], self.n_event[rows], self.n_censor[rows],
                          self.n_risk[rows])

    def stratum_of(self, label: str) -> Stratum:
        for s in self:
            if s.label == label:
                return s
        raise KeyError(label)

    @property
    def events(self) -> float:
        return float(self.n_event.sum())

    def pooled(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Times of all strata together, with number at risk and events per group.

        Returns ``(time, n_risk, n_event)`` where ``n_risk`` and ``n_event`` have one row per
        distinct time and one column per group: the layout the log-rank family works on.
        """
        t = np.sort(self.time)
        new = np.r_[True, t[1:] != t[:-1]] if t.size else np.zeros(0, dtype=bool)
        times = t[new]
        del t, new
        # one row per group, contiguous, returned transposed: (time, group) views
        events = np.zeros((len(self.groups), times.size))
        exits = np.zeros((len(self.groups), times.size))
        starts, ends = stratum_bounds(self.stratum, len(self.groups))
        for j, (s, e) in enumerate(zip(starts, ends, strict=True)):
            at = np.searchsorted(times, self.time[s:e])
            events[j] = _sums(at, self.n_event[s:e], times.size)
            exits[j] = _sums(at, self.n_event[s:e] + self.n_censor[s:e], times.size)
        reverse = exits[:, ::-1]
        np.cumsum(reverse, axis=1, out=reverse)
        return times, exits.T, events.T

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


def _sums(slot: IntArray, weight: FloatArray, size: int) -> FloatArray:
    """Sum of ``weight`` per ``slot`` (0 to ``size`` - 1)."""
    return np.asarray(np.bincount(slot, weights=weight, minlength=size), dtype=np.float64)


def _near_tie_cuts(values: FloatArray, tolerance: float) -> tuple[NDArray[np.bool_], int]:
    """For sorted distinct finite ``values``: which start a run of near-tied values (R's
    ``aeqSurv``: gaps within ``tolerance`` absolutely or relative to the mean absolute value),
    and how many are merged into the value before them."""
    if values.size < 2:
        return np.ones(values.size, dtype=bool), 0
    gaps = np.diff(values)
    tied = (gaps <= tolerance) | (gaps / np.mean(np.abs(values)) <= tolerance)
    return np.r_[True, ~tied], int(tied.sum())


def merge_near_ties(time: FloatArray, tolerance: float = TIE_TOLERANCE) -> tuple[FloatArray, int]:
    """Map times that differ by floating-point noise onto one value, as R's ``aeqSurv``.

    Distinct values closer than ``tolerance`` (absolutely, or relative to the mean absolute
    distinct value) are replaced by the smallest value of their run. Returns the new times and
    how many distinct values were merged away. One sort, then one pass over the sorted values.
    """
    time = np.asarray(time, dtype=np.float64)
    order = np.argsort(time)
    merged_sorted, merged = _merge_sorted(time[order], tolerance)
    if not merged:
        return time, 0
    out = np.empty_like(time)
    out[order] = merged_sorted
    return out, merged


def _merge_sorted(ts: FloatArray, tolerance: float) -> tuple[FloatArray, int]:
    """:func:`merge_near_ties` on ascending ``ts`` (infinite and NaN values left as they are)."""
    lo = int(np.searchsorted(ts, -np.inf, side="right"))
    hi = lo + int(np.count_nonzero(np.isfinite(ts)))
    head = ts[lo:hi]
    new = np.r_[True, head[1:] != head[:-1]] if head.size else np.zeros(0, dtype=bool)
    values = head[new]
    cuts, merged = _near_tie_cuts(values, tolerance)
    if not merged:
        return ts, 0
    run = np.cumsum(cuts) - 1  # per distinct value: its run
    distinct = np.cumsum(new) - 1  # per sorted time: its distinct value
    out = ts.copy()
    out[lo:hi] = values[cuts][run[distinct]]
    return out, merged


#: Up to this many strata, unweighted rows are counted by sorting each (stratum, event) class
#: (each stratum is one pass over the rows).
MAX_CLASSES_SORTED = 64


def _runs(sorted_codes: IntArray) -> tuple[IntArray, FloatArray]:
    """The distinct values of ascending ``sorted_codes`` and how often each occurs."""
    if sorted_codes.size == 0:
        return sorted_codes, np.zeros(0)
    first = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    return sorted_codes[first], np.diff(np.r_[first, sorted_codes.size]).astype(np.float64)


def _count_by_class(
    time: FloatArray,
    event: NDArray[np.bool_],
    stratum: NDArray[np.signedinteger[Any]],
    groups: tuple[str, ...],
    excluded: int,
    tolerance: float,
) -> CountTable | None:
    """:func:`count_codes` for rows without weights, sorting values (never an argsort, which
    is several times slower than NumPy's vectorised sort): the distinct times of all rows give
    the runs of near ties, then each (stratum, event) class's sorted times are placed in those
    runs and counted. None when it does not apply (times not finite)."""
    ts = np.sort(time)
    if ts.size == 0 or not (np.isfinite(ts[0]) and np.isfinite(ts[-1])):
        return None
    new = np.empty(ts.size, dtype=bool)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    values = ts[new]
    del ts, new
    cuts, merged = _near_tie_cuts(values, tolerance)
    starts = values[cuts]  # each run of near ties is counted at its smallest time
    del values, cuts
    sizes, times, n_event, n_censor = [], [], [], []
    for j in range(len(groups)):
        in_stratum = stratum == j
        found = []
        for happened in (True, False):
            chosen = np.sort(time[in_stratum & (event == happened)])
            run = np.searchsorted(starts, chosen, side="right")
            del chosen
            run -= 1
            found.append(_runs(run))
        del in_stratum
        (d_at, d), (c_at, c) = found
        at = np.concatenate([d_at, c_at])
        at.sort()  # not np.union1d: NumPy's hash-based unique is far slower at 10^7 values
        at = at[np.r_[True, at[1:] != at[:-1]]] if at.size else at
        events, censored = np.zeros(at.size), np.zeros(at.size)
        events[np.searchsorted(at, d_at)] = d
        censored[np.searchsorted(at, c_at)] = c
        sizes.append(at.size)
        times.append(starts[at])
        n_event.append(events)
        n_censor.append(censored)
    del starts
    return CountTable(
        groups=groups,
        stratum=np.repeat(np.arange(len(groups), dtype=np.intp), sizes),
        time=_concatenate(times),
        n_event=_concatenate(n_event),
        n_censor=_concatenate(n_censor),
        ties_merged=merged,
        excluded=excluded,
    )


def _concatenate(parts: list[FloatArray]) -> FloatArray:
    """``np.concatenate`` that frees each part once copied (one array's worth of memory)."""
    out = np.empty(sum(p.size for p in parts))
    at = 0
    while parts:
        part = parts.pop(0)
        out[at : at + part.size] = part
        at += part.size
    return out


def count_codes(
    time: FloatArray,
    event: NDArray[np.bool_],
    stratum: NDArray[np.signedinteger[Any]],
    groups: tuple[str, ...],
    *,
    weight: FloatArray | None = None,
    excluded: int = 0,
    tolerance: float = TIE_TOLERANCE,
) -> CountTable:
    """The :class:`CountTable` of complete rows whose strata are codes into ``groups``.

    Sort-based and in arrays only: one sort by time (near ties merged in one pass over the
    sorted distinct times), then ``np.bincount`` over (stratum, distinct time) cells: per
    (stratum, event) class for unweighted rows and few strata, else after an argsort, dense
    for few strata or after a stable (radix) sort by stratum. ``weight`` (default 1 per row)
    counts the rows each entry stands for.
    """
    k = len(groups)
    if weight is None and k <= MAX_CLASSES_SORTED:
        table = _count_by_class(time, event, stratum, groups, excluded, tolerance)
        if table is not None:
            return table
    order = np.argsort(time)
    ts, merged = _merge_sorted(time[order], tolerance)
    new = np.empty(ts.size, dtype=bool)
    new[:1] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    m = int(np.count_nonzero(new))
    if k * m <= 4 * ts.size + 1024:  # few strata: dense (stratum, time) cells, no second sort
        values = ts[new]
        del ts
        cell = stratum[order].astype(np.int64) * m
        cell += np.cumsum(new) - 1
        del new
        e_sorted = event[order]
        rows = np.bincount(cell, minlength=k * m)
        if weight is None:
            events = np.bincount(cell[e_sorted], minlength=k * m).astype(np.float64)
            censored = rows - events
        else:
            w = np.asarray(weight, dtype=np.float64)[order]
            events = _sums(cell, w * e_sorted, k * m)
            censored = _sums(cell, w * ~e_sorted, k * m)
        del cell, order
        used = np.flatnonzero(rows)
        return CountTable(
            groups=groups,
            stratum=(used // m).astype(np.intp),
            time=values[used % m],
            n_event=events[used],
            n_censor=censored[used],
            ties_merged=merged,
            excluded=excluded,
        )
    small = np.int16 if k < 2**15 else np.intp
    by_stratum = np.argsort(stratum[order].astype(small), kind="stable")
    order = order[by_stratum]
    t_sorted = ts[by_stratum]
    del ts, by_stratum
    s_sorted = stratum[order]
    e_sorted = event[order]
    first = np.empty(t_sorted.size, dtype=bool)
    first[:1] = True
    np.not_equal(t_sorted[1:], t_sorted[:-1], out=first[1:])
    first[1:] |= s_sorted[1:] != s_sorted[:-1]
    slot = np.cumsum(first) - 1
    size = int(slot[-1]) + 1 if slot.size else 0
    if weight is None:
        n_event = np.bincount(slot[e_sorted], minlength=size).astype(np.float64)
        n_censor = np.bincount(slot, minlength=size) - n_event
    else:
        w = np.asarray(weight, dtype=np.float64)[order]
        n_event = _sums(slot, w * e_sorted, size)
        n_censor = _sums(slot, w * ~e_sorted, size)
    return CountTable(
        groups=groups,
        stratum=s_sorted[first].astype(np.intp),
        time=t_sorted[first].astype(np.float64),
        n_event=n_event.astype(np.float64),
        n_censor=n_censor.astype(np.float64),
        ties_merged=merged,
        excluded=excluded,
    )


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
    holds labels (turned into text). Vectorised (see :func:`count_codes`), no per-row Python
    loop. Rows must already be complete; validation and the count of excluded rows belong to
    the caller.
    """
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    labels, codes = group_codes(group, t.size, groups)
    return count_codes(t, e, codes, tuple(labels), weight=w, excluded=excluded)
