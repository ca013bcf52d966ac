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
from collections.abc import Sequence
from pathlib import Path

from survstudy.errors import InputError, Problem

__all__ = ["DELIMITERS", "check_shape", "header_fields", "ragged_rows"]

#: Delimiters a registry CSV may use (the sniffer's own candidates).
DELIMITERS = (",", ";", "\t", "|")

#: How many ragged rows are listed before the rest are counted.
ROWS_SHOWN = 20


def header_fields(path: Path) -> tuple[str, int]:
    """The delimiter that splits the header line into the most fields, and how many."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        line = f.readline()
    best = max(DELIMITERS, key=lambda d: len(next(csv.reader([line], delimiter=d), [])))
    return best, len(next(csv.reader([line], delimiter=best), []))


def ragged_rows(path: Path, name: str, delimiter: str) -> list[Problem]:
    """Rows (header = row 1; blank lines skipped, as the readers skip them) whose number of
    values is not the header's; the first :data:`ROWS_SHOWN`, then a count of the rest."""
    problems: list[Problem] = []
    more = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        width = len(next(reader, []))
        row = 1
        for values in reader:
            if not values:
                continue
            row += 1
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
    delimiter, width = header_fields(path)
    if width < 2:
        return
    if len(columns) == width and _last_line_fields(path, delimiter) in (None, width):
        return
    problems = ragged_rows(path, name, delimiter)
    if problems:
        raise InputError(problems)
