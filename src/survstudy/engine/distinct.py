"""From an engine's distinct rows to a checked count table, the same for every SQL engine.

A SQL engine (DuckDB, Spark) scans the data once, grouping by (group label as text, time as a
number, whether the time was text that is not a number, event code as text) with a row count.
Those distinct rows are few, and they are enough both to check the data and to build the count
table, so this part is written once here. When nearly every time is distinct an engine may skip
the grouping and pass every row (count 1): the same checks and table, in arrays throughout.
Naming the rows a user must fix needs a second scan, which only the engine can do: it is passed
in as ``locate`` and only called when a check fails.

Labels are held as small dictionaries with integer codes per row (-1 where missing), so no
step makes a Python object per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import CountTable, count_codes, order_labels
from survstudy.engine.events import EventSpec
from survstudy.errors import InputError, Problem

__all__ = [
    "ROWS_SHOWN",
    "CheckedRows",
    "DistinctRows",
    "Finding",
    "FindingKind",
    "Locator",
    "check_rows",
    "distinct_counts",
    "report_finding",
]

#: How many offending rows a message lists before summarising the rest.
ROWS_SHOWN = 5

FindingKind = Literal["time_text", "time_negative", "time_infinite", "event_code"]

IntArray = NDArray[np.signedinteger[Any]]


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


def _unify(
    labels: Sequence[Any], codes: IntArray, check_use: bool = True
) -> tuple[tuple[str, ...], IntArray]:
    """Labels as distinct text that occurs in ``codes``, sorted; codes remapped (-1 kept).

    ``check_use`` false says every label occurs (Arrow's own dictionary encoding).
    """
    text = [str(v) for v in labels]
    if check_use and text:
        used = np.bincount(codes[codes >= 0], minlength=len(text)) > 0
        kept = sorted({t for t, u in zip(text, used, strict=True) if u})
    else:
        kept = sorted(set(text))
    if kept == text:
        return tuple(kept), codes
    position = {t: i for i, t in enumerate(kept)}
    lookup = np.array([position.get(t, -1) for t in text] + [-1], dtype=codes.dtype)
    return tuple(kept), lookup[codes]  # code -1 reads the appended -1


def _encode_objects(column: Any) -> tuple[tuple[str, ...], IntArray]:
    values = _objects(column)
    present = values != None  # noqa: E711 (elementwise on an object array)
    codes = np.full(values.size, -1, dtype=np.int32)
    if not present.any():
        return (), codes
    labels, inverse = np.unique(values[present].astype(str), return_inverse=True)
    codes[present] = inverse
    return tuple(str(v) for v in labels), codes


def _single(column: Any) -> Any:
    """One pyarrow Array from an Array or a ChunkedArray."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def _valid(array: Any) -> NDArray[np.bool_] | None:
    """Where ``array`` holds a value (None when it has no nulls), from its validity bitmap."""
    if array.null_count == 0:
        return None
    bits = np.frombuffer(array.buffers()[0], dtype=np.uint8)
    start = array.offset
    return np.unpackbits(bits, bitorder="little")[start : start + len(array)].astype(bool)


def _fixed(array: Any, dtype: type[np.generic]) -> Any:
    """The values of a fixed-width pyarrow Array of ``dtype``, read from its buffer (read-only;
    what nulls hold is unspecified). Arrow's own ``to_numpy`` would import pandas."""
    if len(array) == 0:
        return np.zeros(0, dtype=dtype)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                         offset=array.offset * size)  # fmt: skip


def _encode_arrow(column: Any) -> tuple[tuple[str, ...], IntArray]:
    """Dictionary-encode a pyarrow (chunked) array: labels and codes, -1 where null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = _single(column)
    given = pa.types.is_dictionary(column.type)
    encoded = column if given else pc.dictionary_encode(column)
    indices = encoded.indices.cast(pa.int32())
    codes = _fixed(indices, np.int32)
    valid = _valid(indices)
    if valid is not None:
        codes = np.where(valid, codes, np.int32(-1))
    return _unify(encoded.dictionary.to_pylist(), codes, check_use=given)


def _floats(column: Any) -> NDArray[np.float64]:
    values = _numpy(column)
    filled = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    return np.asarray(filled, dtype=np.float64)


def _arrow_floats(column: Any) -> NDArray[np.float64]:
    """A pyarrow numeric column as float64, NaN where null."""
    import pyarrow as pa

    array = _single(column).cast(pa.float64())
    values = _fixed(array, np.float64)
    valid = _valid(array)
    return values if valid is None else np.where(valid, values, np.nan)


def _arrow_flags(column: Any) -> NDArray[np.bool_]:
    """A pyarrow boolean column as NumPy, false where null."""
    import pyarrow as pa

    array = _single(column)
    if pa.types.is_boolean(array.type):
        array = array.cast(pa.int8())
    flags: NDArray[np.bool_] = np.not_equal(_fixed(array, np.int8), 0)
    valid = _valid(array)
    return flags if valid is None else flags & valid


@dataclass(frozen=True)
class DistinctRows:
    """The engine's ``GROUP BY`` result: one entry per distinct (group, time, bad, event).

    ``group`` and ``event`` are codes into the text labels ``group_labels`` and
    ``event_labels`` (-1 where missing); ``time`` is NaN where missing (or not a number),
    ``bad`` is true where the time was text that is not a number, ``n`` counts the input rows
    of each entry (all 1 when the engine passed every row).
    """

    group: IntArray
    group_labels: tuple[str, ...]
    time: NDArray[np.float64]
    bad: NDArray[np.bool_]
    event: IntArray
    event_labels: tuple[str, ...]
    n: NDArray[np.float64]

    @classmethod
    def from_columns(cls, g: Any, t: Any, bad: Any, e: Any, n: Any) -> DistinctRows:
        """From the five fetched columns (NumPy masked arrays, pyarrow arrays or lists)."""
        group_labels, group = _encode_objects(g)
        event_labels, event = _encode_objects(e)
        return cls(
            group=group,
            group_labels=group_labels,
            time=_floats(t),
            bad=np.asarray(np.ma.filled(np.ma.asarray(_numpy(bad)), False), dtype=bool),
            event=event,
            event_labels=event_labels,
            n=_floats(n),
        )

    @classmethod
    def from_arrow(cls, table: Any) -> DistinctRows:
        """From a pyarrow Table with columns ``g, t, bad, e`` and ``n`` (1 per row if absent);
        the labels are dictionary-encoded by Arrow, never turned into Python objects per row."""
        group_labels, group = _encode_arrow(table.column("g"))
        event_labels, event = _encode_arrow(table.column("e"))
        bad = _arrow_flags(table.column("bad"))
        n = (
            _arrow_floats(table.column("n"))
            if "n" in table.column_names
            else np.broadcast_to(1.0, (table.num_rows,))  # every row once, no memory
        )
        return cls(
            group=group,
            group_labels=group_labels,
            time=_arrow_floats(table.column("t")),
            bad=np.asarray(bad, dtype=bool),
            event=event,
            event_labels=event_labels,
            n=n,
        )


@dataclass(frozen=True)
class CheckedRows:
    findings: list[Finding]
    absent: list[Problem]
    is_event: NDArray[np.bool_]  # per event label
    usable_time: NDArray[np.bool_]


def check_rows(rows: DistinctRows, time: str, event: EventSpec, source: str | None) -> CheckedRows:
    t, n = rows.time, rows.n
    with np.errstate(invalid="ignore"):
        usable = ~rows.bad & ~np.isnan(t)
        negative = usable & (t < 0)
        infinite = usable & np.isinf(t)
    findings: list[Finding] = []
    if rows.bad.any():
        findings.append(Finding("time_text", time, "time is not a number", int(n[rows.bad].sum())))
    if negative.any():
        findings.append(
            Finding(
                "time_negative",
                time,
                "time is negative; times count from the origin and cannot be below 0",
                int(n[negative].sum()),
            )
        )
    if infinite.any():
        findings.append(
            Finding("time_infinite", time, "time is not finite", int(n[infinite].sum()))
        )
    codes = list(rows.event_labels)  # sorted text of the codes present
    verdict = [event.classify(c) for c in codes]
    unknown = [c for c, v in zip(codes, verdict, strict=True) if v is None]
    if unknown:
        listed = ", ".join(f"'{c}'" for c in unknown)
        which = np.array([v is None for v in verdict] + [False], dtype=bool)
        affected = which[rows.event]  # code -1 (missing) reads the appended False
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
    is_event = np.array([bool(v) for v in verdict], dtype=bool)
    return CheckedRows(findings, absent, is_event, usable)


def report_finding(finding: Finding, source: str | None, locate: Locator | None) -> list[Problem]:
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
    checked = check_rows(rows, time, event, source)
    problems: list[Problem] = []
    for finding in checked.findings:
        problems += report_finding(finding, source, locate)
    problems += checked.absent
    if problems:
        raise InputError(problems)

    keep = checked.usable_time & (rows.event >= 0) & (rows.group >= 0)
    if not keep.any():
        what = "time, event or group" if group is not None else "time or event"
        raise InputError(
            Problem(f"every row has a missing {what}; there is nothing to analyse", file=source)
        )
    present = [rows.group_labels[i] for i in np.flatnonzero(np.bincount(
        rows.group[keep], minlength=len(rows.group_labels)))]  # fmt: skip
    if group is None:
        labels = ["all"]
        lookup = np.zeros(len(rows.group_labels) + 1, dtype=np.int32)
    else:
        labels = [str(g) for g in groups] if groups is not None else order_labels(present)
        missing = set(present) - set(labels)
        if missing:
            raise ValueError(f"groups {sorted(missing)} are not in the stated group order")
        position = {label: i for i, label in enumerate(labels)}
        lookup = np.array([position.get(g, -1) for g in rows.group_labels] + [-1], np.int32)
    all_ones = bool(n.size) and bool(np.all(n == 1.0))
    full = bool(keep.all())
    return count_codes(
        rows.time if full else rows.time[keep],
        checked.is_event[rows.event if full else rows.event[keep]],
        lookup[rows.group if full else rows.group[keep]],
        tuple(labels),
        weight=None if all_ones else (n if full else n[keep]),
        excluded=int(n[~keep].sum()),
    )
