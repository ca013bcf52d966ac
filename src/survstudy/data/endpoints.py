"""Endpoints derived from dates, declaratively and with an audit trail.

An endpoint runs from its origin date (e.g. liver resection) to the first of its event dates
(death; recurrence or death), censored at the earlier of the last contact and the follow-up
cutoff. An event after the cutoff was not yet seen at the cutoff, so the patient is censored
there. Every patient gets a reason code saying which date ended the time, so the derivation log
can be audited row by row. Intervals (primary surgery → metastasis) are date differences with an
optional flag (synchronous = interval of at most N days). All of it is SQL arithmetic on day
numbers, run where the registry is (DuckDB): no loop over patients, no rows in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from survstudy.config.models import DAYS_PER_UNIT, Endpoint, Interval, StudyConfig
from survstudy.data.sql import lit, q

__all__ = [
    "LOG_COLUMNS",
    "REASONS",
    "Derived",
    "cutoff_days",
    "derivation_log_sql",
    "derive_select",
    "endpoint_sql",
    "interval_sql",
    "ready_made_sql",
]

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
    "competing event",
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
    COMPETING_EVENT,
) = range(len(REASONS))


@dataclass(frozen=True)
class Derived:
    """SQL for one endpoint or interval, evaluated over the typed registry.

    ``stages`` are lists of (column, SQL) computed one after another (a later stage may use an
    earlier one's columns). The final columns are ``time`` (in the study unit), ``event``
    (1 event, 0 censored, NULL when not derived; absent for an interval), for a competing-risks
    endpoint ``cause`` (0 censored, 1 event, 2 competing event: whichever came first, the event
    when both fall on one day; its ``event`` is 1 for the event only), and for the
    derivation log ``NAME#origin`` / ``NAME#end`` (day numbers), ``NAME#endcol`` (which column
    ended the time, or "cutoff") and ``NAME#reason`` (index of :data:`REASONS`).
    """

    name: str
    label: str
    unit: str
    origin_column: str
    time: str
    event: str | None
    stages: tuple[tuple[tuple[str, str], ...], ...]

    @property
    def cause(self) -> str | None:
        """The cause column of a competing-risks endpoint (None for an ordinary one)."""
        cause = f"{self.name}_cause"
        return cause if any(c == cause for stage in self.stages for c, _ in stage) else None


def cutoff_days(config: StudyConfig) -> float:
    """The cutoff as a day number (days since 1970-01-01); +inf when there is none."""
    c = config.follow_up.cutoff
    if c is None:
        return float("inf")
    import datetime as dt

    return float((c - dt.date(1970, 1, 1)).days)


def _d(column: str) -> str:
    return q(f"{column}#d")


def _c(name: str, part: str) -> str:
    return q(f"{name}#{part}")


def endpoint_sql(name: str, spec: Endpoint, config: StudyConfig) -> Derived:
    """A date-based endpoint: ``spec.origin`` → first of ``spec.events``, censored at the
    earlier of the last contact and the cutoff (an event after the cutoff is censored there)."""
    assert spec.origin is not None
    assert spec.events
    unit = config.study.time_unit
    cutoff = cutoff_days(config)
    cut = "NULL" if cutoff == float("inf") else lit(cutoff)
    censor_col = spec.censor or config.follow_up.last_contact
    contact = _d(censor_col) if censor_col else "CAST(NULL AS DOUBLE)"
    ends = [*spec.events, *(spec.competing or [])]  # events first: a tie goes to the event
    events = [_d(c) for c in ends]
    first = events[0] if len(events) == 1 else f"least({', '.join(events)})"
    which = (
        "CASE "
        + " ".join(
            f"WHEN {e} = {_c(name, 'first')} THEN {lit(c)}"
            for e, c in zip(events, ends, strict=True)
        )
        + " END"
    )
    competing = [lit(c) for c in spec.competing or []]
    f = _c(name, "first")
    within = f"{f} <= {cut}" if cutoff != float("inf") else "TRUE"
    event_in = f"({f} IS NOT NULL AND {within})"
    event_after = f"({f} IS NOT NULL AND {f} > {cut})"
    beyond = f"({f} IS NULL AND {contact} > {cut})"
    end = (
        f"CASE WHEN {event_in} THEN {f} WHEN {event_after} OR {beyond} THEN {cut} "
        f"ELSE {contact} END"
    )
    origin, e0 = _d(spec.origin), _c(name, "end0")
    reason = (
        f"CASE WHEN {origin} IS NULL THEN {NO_ORIGIN} WHEN {e0} IS NULL THEN {NO_FOLLOW_UP} "
        f"WHEN {e0} < {origin} THEN {NEGATIVE} "
        + (f"WHEN {event_in} AND {_c(name, 'which')} IN ({', '.join(competing)}) "
           f"THEN {COMPETING_EVENT} " if competing else "")
        + f"WHEN {event_in} THEN {EVENT} "
        f"WHEN {event_after} THEN {EVENT_AFTER_CUTOFF} WHEN {beyond} THEN {AT_CUTOFF} "
        f"ELSE {AT_CONTACT} END"
    )
    r = _c(name, "reason")
    bad = f"{r} IN ({NO_ORIGIN}, {NO_FOLLOW_UP}, {NEGATIVE})"
    end_column = (
        f"CASE WHEN {bad} THEN '' WHEN {r} IN ({EVENT}, {COMPETING_EVENT}) "
        f"THEN {_c(name, 'which')} "
        f"WHEN {r} IN ({EVENT_AFTER_CUTOFF}, {AT_CUTOFF}) THEN 'cutoff' "
        f"ELSE {lit(censor_col or '')} END"
    )
    time, event = f"{name}_time", f"{name}_event"
    return Derived(
        name=name,
        label=spec.label or name,
        unit=unit,
        origin_column=spec.origin,
        time=time,
        event=event,
        stages=(
            ((f"{name}#first", first),),
            ((f"{name}#which", which), (f"{name}#end0", end)),
            ((f"{name}#reason", reason),),
            (
                (
                    time,
                    f"CASE WHEN {bad} THEN NULL ELSE ({e0} - {origin}) / "
                    f"{lit(DAYS_PER_UNIT[unit])} END",
                ),
                (event, f"CASE WHEN {bad} THEN NULL WHEN {r} = {EVENT} THEN 1 ELSE 0 END"),
                *_cause(name, spec, f"CASE WHEN {bad} THEN NULL WHEN {r} = {EVENT} THEN 1 "
                        f"WHEN {r} = {COMPETING_EVENT} THEN 2 ELSE 0 END"),
                (f"{name}#origin", origin),
                (f"{name}#end", f"CASE WHEN {bad} THEN NULL ELSE {e0} END"),
                (f"{name}#endcol", end_column),
            ),
        ),
    )


def _cause(name: str, spec: Endpoint, sql: str) -> tuple[tuple[str, str], ...]:
    """The ``NAME_cause`` column (0 censored, 1 event, 2 competing) of a competing-risks
    endpoint; nothing for an ordinary one."""
    return ((f"{name}_cause", sql),) if spec.competing else ()


def ready_made_sql(
    name: str, spec: Endpoint, config: StudyConfig, time: str, event: str,
    competing: Sequence[str] = (),
) -> Derived:
    """An endpoint whose time (SQL ``time``, in ``spec.unit``) and event (SQL ``event``:
    1, 0 or NULL) arrive ready; the time is converted to the study unit. ``competing``: SQL of
    each competing-event flag (1, 0 or NULL); the event wins when both are 1."""
    unit = config.study.time_unit
    factor = DAYS_PER_UNIT[spec.unit or unit] / DAYS_PER_UNIT[unit]
    missing = "".join(f" OR {c} IS NULL" for c in competing)
    bad = f"({time} IS NULL OR {event} IS NULL OR {time} < 0{missing})"
    t, e = f"{name}_time", f"{name}_event"
    other = " OR ".join(f"{c} = 1" for c in competing) or "FALSE"
    return Derived(
        name=name,
        label=spec.label or name,
        unit=unit,
        origin_column="",
        time=t,
        event=e,
        stages=(
            (
                (t, f"CASE WHEN {bad} THEN NULL ELSE {time} * {lit(factor)} END"),
                (e, f"CASE WHEN {bad} THEN NULL ELSE {event} END"),
                *_cause(name, spec, f"CASE WHEN {bad} THEN NULL WHEN {event} = 1 THEN 1 "
                        f"WHEN {other} THEN 2 ELSE 0 END"),
                (f"{name}#origin", "CAST(NULL AS DOUBLE)"),
                (f"{name}#end", "CAST(NULL AS DOUBLE)"),
                (f"{name}#endcol", "''"),
                (f"{name}#reason", f"CASE WHEN {bad} THEN {READY_MISSING} ELSE {READY} END"),
            ),
        ),
    )


def interval_sql(name: str, spec: Interval, config: StudyConfig) -> Derived:
    """Days from ``spec.start`` to ``spec.end`` in the study unit (negative when the end comes
    first), with the optional flag column ("yes" when at most ``flag_within_days``)."""
    unit = config.study.time_unit
    start, end = _d(spec.start), _d(spec.end)
    days = f"({end} - {start})"
    columns = [
        (name, f"{days} / {lit(DAYS_PER_UNIT[unit])}"),
        (f"{name}#origin", start),
        (f"{name}#end", end),
        (f"{name}#endcol", lit(spec.end)),
        (f"{name}#reason", f"CASE WHEN {days} IS NULL THEN {INTERVAL_MISSING} ELSE {INTERVAL} END"),
    ]
    if spec.flag_within_days is not None and spec.flag:
        columns.append(
            (
                spec.flag,
                f"CASE WHEN {days} IS NULL THEN NULL WHEN {days} <= "
                f"{lit(float(spec.flag_within_days))} THEN 'yes' ELSE 'no' END",
            )
        )
    return Derived(name, spec.label or name, unit, spec.start, name, None, (tuple(columns),))


def derive_select(derived: Sequence[Derived], source: str) -> str:
    """SQL selecting every column of ``source`` plus the columns of ``derived``, stage by stage
    (``source`` needs the ``c#d`` day-number column of every date the endpoints use)."""
    stages: list[list[tuple[str, str]]] = []
    for d in derived:
        for i, stage in enumerate(d.stages):
            while len(stages) <= i:
                stages.append([])
            stages[i] += list(stage)
    sql = f"SELECT * FROM {source}"
    for columns in stages:
        cols = ", ".join(f"{expr} AS {q(name)}" for name, expr in columns)
        sql = f"SELECT *, {cols} FROM ({sql})"
    return sql


#: Columns of the derivation log, in order.
LOG_COLUMNS = (
    "row",
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
)


def _date(days: str) -> str:
    return f"CAST(DATE '1970-01-01' + CAST({days} AS INTEGER) AS DATE)"


def derivation_log_sql(derived: list[Derived], table: str, row: str, id_column: str) -> str:
    """SQL of the per-patient audit trail over ``table``: one row per patient and endpoint
    (then interval), patients in registry order within each; ``row`` is SQL of the user's row.

    Columns: :data:`LOG_COLUMNS` (event empty when not derived; reason in words). The rows are
    sorted as numbers (part, row, day numbers, codes) and only then given their texts (names,
    dates, reasons): sorting tens of millions of rows costs much less without the texts.
    """
    if not derived:
        return (
            "SELECT "
            + ", ".join(f"CAST(NULL AS VARCHAR) AS {q(c)}" for c in LOG_COLUMNS)
            + " WHERE FALSE"
        )
    parts = []
    for k, d in enumerate(derived):
        # a competing-risks endpoint logs its cause: 1 event, 2 competing event, 0 censored
        event = q(d.cause) if d.cause else q(d.event) if d.event else "CAST(NULL AS INTEGER)"
        parts.append(
            f"SELECT {k} AS __part, __row, {row} AS row, {q(id_column)} AS id, "
            f'{_c(d.name, "origin")} AS __origin, {_c(d.name, "endcol")} AS "end", '
            f"{_c(d.name, 'end')} AS __end, CAST({event} AS INTEGER) AS event, "
            f"{q(d.time)} AS time, {_c(d.name, 'reason')} AS __reason FROM {table}"
        )

    def by_part(values: Sequence[str]) -> str:
        return "CASE __part " + " ".join(f"WHEN {k} THEN {v}" for k, v in enumerate(values)) + (
            " END"
        )

    reason = "CASE " + " ".join(f"WHEN __reason = {i} THEN {lit(r)}" for i, r in enumerate(REASONS))
    columns = {
        "row": "row",
        "id": "id",
        "endpoint": by_part([lit(d.name) for d in derived]),
        "origin": by_part([lit(d.origin_column) for d in derived]),
        "origin_date": _date("__origin"),
        "end": '"end"',
        "end_date": _date("__end"),
        "event": "event",
        "time": "time",
        "unit": by_part([lit(d.unit) for d in derived]),
        "reason": reason + " END",
    }
    assert tuple(columns) == LOG_COLUMNS
    select = ", ".join(f"{v} AS {q(c)}" for c, v in columns.items())
    # a projection keeps the order of the sorted rows beneath it
    return f"SELECT {select} FROM ({' UNION ALL '.join(parts)} ORDER BY __part, __row)"
