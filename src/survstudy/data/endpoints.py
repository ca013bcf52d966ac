"""Endpoints derived from dates, declaratively and with an audit trail.

An endpoint runs from its origin date (e.g. liver resection) to the first of its event dates
(death; recurrence or death), censored at the earlier of the last contact and the follow-up
cutoff. An event after the cutoff was not yet seen at the cutoff, so the patient is censored
there. Every patient gets a reason code saying which date ended the time, so the derivation log
can be audited row by row. Intervals (primary surgery → metastasis) are date differences with an
optional flag (synchronous = interval of at most N days). All of it is array arithmetic on day
numbers: no loop over patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.config import DAYS_PER_UNIT, Endpoint, Interval, StudyConfig

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REASONS",
    "DerivedEndpoint",
    "DerivedInterval",
    "cutoff_days",
    "derivation_log",
    "derive_endpoint",
    "derive_interval",
    "derive_ready_made",
]

FloatArray = NDArray[np.float64]

#: Why a patient's time ends where it does (index = reason code).
REASONS = (
    "event",
    "censored at last contact",
    "censored at the cutoff (followed beyond it)",
    "event after the cutoff: censored at the cutoff",
    "not derived: origin date missing",
    "not derived: no event date and no last contact date",
    "not derived: the end comes before the origin",
    "ready-made time and event",
    "not derived: time or event missing",
    "interval",
    "not derived: a date is missing",
)
(
    EVENT,
    AT_CONTACT,
    AT_CUTOFF,
    EVENT_AFTER_CUTOFF,
    NO_ORIGIN,
    NO_FOLLOW_UP,
    NEGATIVE,
    READY,
    READY_MISSING,
    INTERVAL,
    INTERVAL_MISSING,
) = range(len(REASONS))


@dataclass(frozen=True)
class DerivedEndpoint:
    """One endpoint for every registry row: origin and end day numbers, event, time, why.

    ``event`` is 1.0 / 0.0 (NaN when not derived); ``time`` is in the study's time unit;
    ``end_column`` names the column whose date ended the time per row ("cutoff" for the
    cutoff); ``reason`` indexes :data:`REASONS`.
    """

    name: str
    label: str
    unit: str
    origin_column: str | None
    origin: FloatArray
    end: FloatArray
    end_column: NDArray[np.object_]
    event: FloatArray
    time: FloatArray
    reason: NDArray[np.int8]

    @property
    def derived(self) -> NDArray[np.bool_]:
        return ~np.isnan(self.time)


@dataclass(frozen=True)
class DerivedInterval:
    """Time between two dates in the study unit, with the optional short-interval flag."""

    name: str
    label: str
    unit: str
    start_column: str
    end_column: str
    start: FloatArray
    end: FloatArray
    days: FloatArray
    time: FloatArray
    flag: NDArray[np.float64] | None  # 1.0 / 0.0 / NaN
    reason: NDArray[np.int8]


def cutoff_days(config: StudyConfig) -> float:
    """The cutoff as a day number (days since 1970-01-01); +inf when there is none."""
    c = config.follow_up.cutoff
    if c is None:
        return float("inf")
    import datetime as dt

    return float((c - dt.date(1970, 1, 1)).days)


def _first(columns: list[FloatArray], n: int) -> tuple[FloatArray, NDArray[np.intp]]:
    """Earliest date across ``columns`` per row (NaN if none) and which column it came from."""
    if not columns:
        return np.full(n, np.nan), np.zeros(n, dtype=np.intp)
    stacked = np.column_stack(columns)
    filled = np.where(np.isnan(stacked), np.inf, stacked)
    which = np.argmin(filled, axis=1)
    first = filled[np.arange(n), which]
    return np.where(np.isinf(first), np.nan, first), which


def derive_endpoint(
    name: str,
    spec: Endpoint,
    config: StudyConfig,
    dates: Mapping[str, FloatArray],
    n: int,
) -> DerivedEndpoint:
    """Derive a date-based endpoint (``spec.origin`` → first of ``spec.events``)."""
    assert spec.origin is not None
    assert spec.events
    unit = config.study.time_unit
    cutoff = cutoff_days(config)
    censor_col = spec.censor or config.follow_up.last_contact
    origin = dates[spec.origin]
    first, which = _first([dates[c] for c in spec.events], n)
    contact = dates[censor_col] if censor_col else np.full(n, np.nan)

    has_event = ~np.isnan(first)
    event_in = has_event & (first <= cutoff)
    event_after = has_event & (first > cutoff)
    beyond = ~has_event & (contact > cutoff)
    end = np.select(
        [event_in, event_after, beyond], [first, np.full(n, cutoff), np.full(n, cutoff)], contact
    )
    reason = np.select(
        [event_in, event_after, beyond], [EVENT, EVENT_AFTER_CUTOFF, AT_CUTOFF], AT_CONTACT
    ).astype(np.int8)
    events = np.array(spec.events, dtype=object)
    end_column = np.where(
        event_in, events[which], np.where(event_after | beyond, "cutoff", censor_col or "")
    )
    no_origin = np.isnan(origin)
    no_end = np.isnan(end)
    days = end - origin
    negative = ~no_origin & ~no_end & (days < 0)
    reason[no_end] = NO_FOLLOW_UP
    reason[negative] = NEGATIVE
    reason[no_origin] = NO_ORIGIN
    bad = no_origin | no_end | negative
    end_column[bad] = ""
    days[bad] = np.nan
    event = np.where(bad, np.nan, event_in.astype(np.float64))
    return DerivedEndpoint(
        name=name,
        label=spec.label or name,
        unit=unit,
        origin_column=spec.origin,
        origin=origin,
        end=np.where(bad, np.nan, end),
        end_column=end_column.astype(object),
        event=event,
        time=days / DAYS_PER_UNIT[unit],
        reason=reason,
    )


def derive_ready_made(
    name: str,
    spec: Endpoint,
    config: StudyConfig,
    time: FloatArray,
    event: FloatArray,
) -> DerivedEndpoint:
    """An endpoint whose time and event columns arrive ready; time converted to the study unit."""
    unit = config.study.time_unit
    factor = DAYS_PER_UNIT[spec.unit or unit] / DAYS_PER_UNIT[unit]
    bad = np.isnan(time) | np.isnan(event) | (time < 0)
    n = time.size
    return DerivedEndpoint(
        name=name,
        label=spec.label or name,
        unit=unit,
        origin_column=None,
        origin=np.full(n, np.nan),
        end=np.full(n, np.nan),
        end_column=np.full(n, "", dtype=object),
        event=np.where(bad, np.nan, event),
        time=np.where(bad, np.nan, time * factor),
        reason=np.where(bad, READY_MISSING, READY).astype(np.int8),
    )


def derive_interval(
    name: str, spec: Interval, config: StudyConfig, dates: Mapping[str, FloatArray]
) -> DerivedInterval:
    """Days from ``spec.start`` to ``spec.end`` (negative when the end comes first)."""
    unit = config.study.time_unit
    start, end = dates[spec.start], dates[spec.end]
    days = end - start
    missing = np.isnan(days)
    flag = None
    if spec.flag_within_days is not None:
        flag = np.where(missing, np.nan, (days <= spec.flag_within_days).astype(np.float64))
    return DerivedInterval(
        name=name,
        label=spec.label or name,
        unit=unit,
        start_column=spec.start,
        end_column=spec.end,
        start=start,
        end=end,
        days=days,
        time=days / DAYS_PER_UNIT[unit],
        flag=flag,
        reason=np.where(missing, INTERVAL_MISSING, INTERVAL).astype(np.int8),
    )


def _as_datetime(days: FloatArray) -> NDArray[np.datetime64]:
    nat = np.isnan(days)
    out = np.where(nat, 0, days).astype(np.int64).astype("datetime64[D]")
    out[nat] = np.datetime64("NaT")
    return out.astype("datetime64[s]")


def _int8(values: FloatArray) -> Any:
    """0/1 with NaN → a nullable integer array (missing shown empty, not as NaN)."""
    import pandas as pd

    return pd.array(values, dtype="Float64").astype("Int8")


def derivation_log(
    ids: NDArray[np.object_],
    endpoints: list[DerivedEndpoint],
    intervals: list[DerivedInterval],
) -> pd.DataFrame:
    """The per-patient audit trail: one row per patient and endpoint (then interval).

    Columns: id, endpoint, origin (column), origin_date, end (column or "cutoff"), end_date,
    event (1 event, 0 censored, empty when not derived), time, unit, reason.
    """
    import pandas as pd

    parts = []
    for ep in endpoints:
        parts.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "endpoint": ep.name,
                    "origin": ep.origin_column or "",
                    "origin_date": _as_datetime(ep.origin),
                    "end": ep.end_column,
                    "end_date": _as_datetime(ep.end),
                    "event": _int8(ep.event),
                    "time": ep.time,
                    "unit": ep.unit,
                    "reason": ep.reason,
                }
            )
        )
    for iv in intervals:
        parts.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "endpoint": iv.name,
                    "origin": iv.start_column,
                    "origin_date": _as_datetime(iv.start),
                    "end": iv.end_column,
                    "end_date": _as_datetime(iv.end),
                    "event": _int8(np.full(iv.days.size, np.nan)),
                    "time": iv.time,
                    "unit": iv.unit,
                    "reason": iv.reason,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[
                "id",
                "endpoint",
                "origin",
                "origin_date",
                "end",
                "end_date",
                "event",
                "time",
                "unit",
                "reason",
            ]
        )
    log = pd.concat(parts, ignore_index=True)
    log["reason"] = pd.Categorical.from_codes(
        log["reason"].to_numpy(dtype=np.int8), categories=pd.Index(REASONS)
    )
    log["endpoint"] = log["endpoint"].astype("category")
    return log
