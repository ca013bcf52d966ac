"""A CSV row with more or fewer values than the header has (a stray delimiter, an unquoted
value holding the delimiter, a cut-off line), named by its row.

DuckDB's dialect sniffer, meeting such a row within its sample, does not fail: it falls back
to reading each whole line as one column, or takes the ragged row as the header and skips the
lines above it, and every column the study asks for is then "not found" — a message about the
wrong thing. :func:`check_shape` notices that the columns read are not the header line's and
scans the file, only then, for the rows whose count of values differs from the header's. A
ragged row past the sample makes DuckDB itself fail with the line number, which the readers
already report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from survstudy.errors import InputError, Problem

__all__ = [
    "DELIMITERS",
    "blank_lines",
    "check_shape",
    "header_fields",
    "nul_values",
    "ragged_rows",
    "row_sql",
]

#: Delimiters a registry CSV may use (the sniffer's own candidates).
DELIMITERS = (",", ";", "\t", "|")

#: How many ragged rows are listed before the rest are counted.
ROWS_SHOWN = 20

#: Bytes read at a time when a file is searched for a byte sequence.
_BLOCK = 1 << 24


def header_fields(path: Path) -> tuple[str, int]:
    """The delimiter that splits the header line into the most fields, and how many."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        line = f.readline()
    best = max(DELIMITERS, key=lambda d: len(next(csv.reader([line], delimiter=d), [])))
    return best, len(next(csv.reader([line], delimiter=best), []))


def _holds(path: Path, *needles: bytes) -> bool:
    """Whether the file's bytes hold any of ``needles`` (a memchr-fast find in each block, no
    parsing). Read in blocks, not mapped: every mapped page of a file of gigabytes would count
    in the process's resident memory."""
    overlap = max(len(n) for n in needles) - 1  # a needle may straddle two blocks
    with path.open("rb") as f:
        carried = b""
        while block := f.read(_BLOCK):
            chunk = carried + block
            if any(chunk.find(n) != -1 for n in needles):
                return True
            carried = chunk[len(chunk) - overlap:]
    return False


def blank_lines(path: Path) -> tuple[int, ...]:
    """For each blank line between data rows, the 0-based index of the data row after it.

    The readers skip blank lines, but a spreadsheet shows each as a row: a message names the
    row a spreadsheet shows (header = row 1, a blank line counted) by adding the blank lines
    before it (:func:`row_sql`). Empty, after one fast scan, when there is none.
    """
    if not _holds(path, b"\n\n", b"\n\r\n", b"\r\r"):
        return ()
    found: list[int] = []
    pending: list[int] = []
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=header_fields(path)[0])
        next(reader, None)
        index = 0
        for values in reader:
            if not values:
                pending.append(index)
                continue
            found += pending
            pending = []
            index += 1
    return tuple(found)


def row_sql(index: str, first_row: int, blanks: Sequence[int]) -> str:
    """SQL for the user's row number of the data row at 0-based ``index`` (SQL), the blank
    lines before it counted."""
    if not blanks:
        return f"({index} + {first_row})"
    steps = sorted({b: blanks.count(b) for b in blanks}.items())
    cases, total = [], 0
    for at, n in steps:
        total += n
        cases.append((at, total))
    whens = " ".join(f"WHEN {index} >= {at} THEN {n}" for at, n in reversed(cases))
    return f"({index} + {first_row} + CASE {whens} ELSE 0 END)"


def _records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each data row with its number as a spreadsheet shows it (header = row 1, a blank line
    is a row)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        yield 1, next(reader, [])
        row = 1
        for values in reader:
            row += 1
            if values:
                yield row, values


def nul_values(path: Path, name: str) -> list[Problem]:
    """Values holding a NUL byte (a damaged file, or one padded with zero bytes): shown as
    nothing, "F\\x00" would pass for "F" in every table and figure. Empty after one fast scan
    when there is none."""
    if not _holds(path, b"\x00"):
        return []
    records = _records(path, header_fields(path)[0])
    header = next(records)[1]
    problems: list[Problem] = []
    for row, values in records:
        for i, value in enumerate(values):
            if "\x00" in value and len(problems) < ROWS_SHOWN:
                problems.append(Problem(
                    "a NUL (zero) byte in a value: the file is damaged or was padded with zero "
                    "bytes; remove it", file=name, row=row,
                    column=header[i] if i < len(header) else None, value=value,
                ))
    return problems


def ragged_rows(path: Path, name: str, delimiter: str) -> list[Problem]:
    """Rows (header = row 1; a blank line is a row, as a spreadsheet shows it) whose number of
    values is not the header's; the first :data:`ROWS_SHOWN`, then a count of the rest."""
    problems: list[Problem] = []
    more = 0
    records = _records(path, delimiter)
    width = len(next(records)[1])
    for row, values in records:
        if len(values) == width:
            continue
        if len(problems) == ROWS_SHOWN:
            more += 1
            continue
        what = "more" if len(values) > width else "fewer"
        problems.append(
            Problem(
                f"this row has {len(values)} values but the header has {width} columns "
                f"({what}): a stray '{_shown(delimiter)}', a value holding "
                f"'{_shown(delimiter)}' without quotes, or a cut-off line",
                file=name,
                row=row,
            )
        )
    if more:
        problems.append(Problem(f"and {more} more row(s) with the wrong number of values",
                                file=name))
    return problems


def _shown(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


def _last_line_fields(path: Path, delimiter: str) -> int | None:
    """How many values the file's last non-blank line holds (None when that line may be part
    of a quoted value spanning lines). DuckDB drops a trailing empty value there silently."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 65536))
        tail = f.read().decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    if len(lines) < 2 or '"' in lines[-1]:
        return None
    return len(next(csv.reader([lines[-1]], delimiter=delimiter), []))


def check_shape(path: Path, name: str, columns: Sequence[str]) -> None:
    """Raise the ragged rows of a CSV file that was read as ``columns`` when their number is
    not the header line's (the sniffer fell back) or its last line's is not; else return."""
    if nul := nul_values(path, name):
        raise InputError(nul)
    delimiter, width = header_fields(path)
    if width < 2:
        return
    if len(columns) == width and _last_line_fields(path, delimiter) in (None, width):
        return
    problems = ragged_rows(path, name, delimiter)
    if problems:
        raise InputError(problems)
