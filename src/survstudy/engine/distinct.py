"""From an engine's distinct rows to a checked count table, the same for every SQL engine.

A SQL engine (DuckDB, Spark) scans the data once, grouping by (group label as text, time as a
number, whether the time was text that is not a number, event code as text) with a row count.
Those distinct rows are few, and they are enough both to check the data and to build the count
table, so this part is written once here. Naming the rows a user must fix needs a second scan,
which only the engine can do: it is passed in as ``locate`` and only called when a check fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import CountTable, count_table
from survstudy.engine.events import EventSpec
from survstudy.errors import InputError, Problem

__all__ = [
    "ROWS_SHOWN",
    "DistinctRows",
    "Finding",
    "FindingKind",
    "Locator",
    "distinct_counts",
]

#: How many offending rows a message lists before summarising the rest.
ROWS_SHOWN = 5

FindingKind = Literal["time_text", "time_negative", "time_infinite", "event_code"]


@dataclass(frozen=True)
class Finding:
    """One kind of bad value among the distinct rows: which column, what to say, how many rows.

    ``codes`` holds the unknown event codes (as the engine wrote them) for ``event_code``.
    An engine turns ``kind`` (and ``codes``) into its own predicate to find the rows.
    """

    kind: FindingKind
    column: str
    message: str
    rows: int
    codes: tuple[str, ...] = ()


#: Finds up to :data:`ROWS_SHOWN` rows of a finding, each a Problem with row and value set.
Locator = Callable[[Finding], Sequence[Problem]]


def _numpy(column: Any) -> Any:
    """A NumPy array from a NumPy (masked) array, a pyarrow array or a list."""
    if isinstance(column, np.ndarray):
        return column
    to_numpy = getattr(column, "to_numpy", None)
    if to_numpy is not None:
        try:
            return to_numpy(zero_copy_only=False)  # pyarrow
        except TypeError:
            return to_numpy()  # pandas
    return np.asarray(column, dtype=object)


def _objects(column: Any) -> NDArray[np.object_]:
    """Text values with None where missing (masked, None or NaN)."""
    values = _numpy(column)
    mask = np.ma.getmaskarray(values)
    out = np.asarray(np.ma.getdata(values), dtype=object).copy()
    missing = mask | np.fromiter(
        (v is None or (isinstance(v, float) and v != v) for v in out), dtype=bool, count=out.size
    )
    out[missing] = None
    return out


def _floats(column: Any) -> NDArray[np.float64]:
    values = _numpy(column)
    filled = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    return np.asarray(filled, dtype=np.float64)


@dataclass(frozen=True)
class DistinctRows:
    """The engine's ``GROUP BY`` result: one entry per distinct (group, time, bad, event).

    ``group`` and ``event`` are text with None where missing, ``time`` is NaN where missing
    (or not a number), ``bad`` is true where the time was text that is not a number, ``n``
    counts the input rows of each entry.
    """

    group: NDArray[np.object_]
    time: NDArray[np.float64]
    bad: NDArray[np.bool_]
    event: NDArray[np.object_]
    n: NDArray[np.float64]

    @classmethod
    def from_columns(cls, g: Any, t: Any, bad: Any, e: Any, n: Any) -> DistinctRows:
        """From the five fetched columns (NumPy masked arrays, pyarrow arrays or lists)."""
        return cls(
            group=_objects(g),
            time=_floats(t),
            bad=np.asarray(np.ma.filled(np.ma.asarray(_numpy(bad)), False), dtype=bool),
            event=_objects(e),
            n=_floats(n),
        )

    @classmethod
    def from_arrow(cls, table: Any) -> DistinctRows:
        """From a pyarrow Table with columns ``g, t, bad, e, n``."""
        return cls.from_columns(*(table.column(c) for c in ("g", "t", "bad", "e", "n")))


@dataclass(frozen=True)
class _Checked:
    findings: list[Finding]
    absent: list[Problem]
    verdict: dict[str, bool | None]
    usable_time: NDArray[np.bool_]


def _check(rows: DistinctRows, time: str, event: EventSpec, source: str | None) -> _Checked:
    t, n = rows.time, rows.n
    usable = ~rows.bad & ~np.isnan(t)
    findings: list[Finding] = []
    if rows.bad.any():
        findings.append(Finding("time_text", time, "time is not a number", int(n[rows.bad].sum())))
    negative = usable & (np.nan_to_num(t) < 0)
    if negative.any():
        findings.append(
            Finding(
                "time_negative",
                time,
                "time is negative; times count from the origin and cannot be below 0",
                int(n[negative].sum()),
            )
        )
    infinite = usable & np.isinf(t)
    if infinite.any():
        findings.append(
            Finding("time_infinite", time, "time is not finite", int(n[infinite].sum()))
        )
    present = rows.event[rows.event != None]  # noqa: E711 (elementwise on an object array)
    codes = sorted({str(v) for v in present})
    verdict = {c: event.classify(c) for c in codes}
    unknown = [c for c, v in verdict.items() if v is None]
    if unknown:
        listed = ", ".join(f"'{c}'" for c in unknown)
        affected = np.isin(rows.event.astype(str), unknown) & (rows.event != None)  # noqa: E711
        findings.append(
            Finding(
                "event_code",
                event.column,
                f"event value is not 0/1 or true/false (found {listed}); say which codes mean "
                f"the event, e.g. --event {event.column}=CODE",
                int(n[affected].sum()),
                tuple(unknown),
            )
        )
    absent: list[Problem] = []
    missing_codes = event.check_codes(codes)
    if missing_codes:
        seen = ", ".join(codes[:10]) + (" ..." if len(codes) > 10 else "")
        absent.append(
            Problem(
                f"event code {', '.join(missing_codes)} does not occur in the data "
                f"(values: {seen})",
                file=source,
                column=event.column,
            )
        )
    return _Checked(findings, absent, verdict, usable)


def _report(finding: Finding, source: str | None, locate: Locator | None) -> list[Problem]:
    found = list(locate(finding))[:ROWS_SHOWN] if locate is not None else []
    out = [
        Problem(
            finding.message, source if p.file is None else p.file, p.row, finding.column, p.value
        )
        for p in found
    ]
    if finding.rows > len(found):
        more = (
            f"{finding.rows - len(found)} more rows like this" if found else f"{finding.rows} rows"
        )
        out.append(Problem(f"{finding.message} ({more})", file=source, column=finding.column))
    return out


def distinct_counts(
    rows: DistinctRows,
    time: str,
    event: EventSpec,
    group: str | None = None,
    *,
    source: str | None = None,
    locate: Locator | None = None,
    groups: Sequence[str] | None = None,
) -> CountTable:
    """Check the distinct rows and aggregate them into a count table.

    Rows with a missing time, event or group are left out and counted in ``excluded``. Raises
    :class:`InputError` listing every problem, with up to :data:`ROWS_SHOWN` rows of each
    found by ``locate`` (without it, problems give the column and the number of rows).
    """
    n = rows.n
    if n.sum() == 0:
        raise InputError(Problem("the file has no data rows", file=source))
    checked = _check(rows, time, event, source)
    problems: list[Problem] = []
    for finding in checked.findings:
        problems += _report(finding, source, locate)
    problems += checked.absent
    if problems:
        raise InputError(problems)

    keep = checked.usable_time & (rows.event != None) & (rows.group != None)  # noqa: E711
    if not keep.any():
        what = "time, event or group" if group is not None else "time or event"
        raise InputError(
            Problem(f"every row has a missing {what}; there is nothing to analyse", file=source)
        )
    codes, inverse = np.unique(rows.event[keep].astype(str), return_inverse=True)
    is_event = np.array([bool(checked.verdict[str(c)]) for c in codes], dtype=bool)[inverse]
    return count_table(
        rows.time[keep],
        is_event,
        None if group is None else rows.group[keep].astype(str),
        weight=n[keep],
        groups=groups,
        excluded=int(n[~keep].sum()),
    )
