"""Table 1 input: read the columns, turn values into group/level codes and numbers, and
report every problem at once (file, row as the user counts it, column, value, what to do)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import order_labels
from survstudy.errors import InputError, Problem
from survstudy.stats.characteristics.tests_common import (
    CATEGORICAL_TESTS,
    CONTINUOUS_TESTS,
    TEST_NAMES,
)

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.engine.sources import Source

__all__ = [
    "NOT_FINITE",
    "NOT_NUMBER",
    "ROWS_SHOWN",
    "Coded",
    "Table1Data",
    "check_request",
    "group_problems",
    "load_table1_data",
    "order_levels",
    "parse_tests",
    "relabel",
    "row_problems",
]

#: How many offending rows a message lists before summarising the rest.
ROWS_SHOWN = 5

#: What is wrong with a bad value of a continuous variable stored as numbers / as text.
NOT_FINITE = "value is not a finite number"
NOT_NUMBER = "value is not a number; a continuous variable needs numbers (or leave it empty)"


@dataclass(frozen=True)
class Coded:
    """A column as codes into ``labels`` (-1 where missing)."""

    labels: tuple[str, ...]
    codes: NDArray[np.int64]


@dataclass(frozen=True)
class Table1Data:
    """What the builder needs: group codes and each variable coded or as numbers."""

    source: str
    group: Coded
    categorical: dict[str, Coded]
    continuous: dict[str, NDArray[np.float64]]
    excluded: int  # rows left out because their group is missing


def parse_tests(items: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["age=welch", ...]`` or a mapping → {variable: test}; bad names raise ValueError."""
    if items is None:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        for item in items:
            variable, sep, test = item.rpartition("=")
            if not sep or not variable.strip() or not test.strip():
                raise ValueError(f"tests= entry {item!r}: write VARIABLE=TEST, e.g. age=welch")
            pairs.append((variable.strip(), test.strip()))
    out: dict[str, str] = {}
    for variable, test in pairs:
        if test not in TEST_NAMES:
            raise ValueError(
                f"test {test!r} for '{variable}' is not one of: {', '.join(TEST_NAMES)}"
            )
        out[variable] = test
    return out


def check_request(
    group: str, categorical: Sequence[str], continuous: Sequence[str], tests: Mapping[str, str]
) -> None:
    """Raise ValueError for a request that cannot be right whatever the data."""
    names = list(categorical) + list(continuous)
    if not names:
        raise ValueError("name at least one variable (categorical or continuous)")
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"variable '{name}' is listed twice")
        seen.add(name)
    if group in seen:
        raise ValueError(f"'{group}' is the group column; it cannot also be a variable")
    for variable, test in tests.items():
        if variable not in seen:
            raise ValueError(f"tests= names '{variable}', which is not among the variables")
        if variable in categorical and test not in CATEGORICAL_TESTS:
            raise ValueError(
                f"'{variable}' is categorical: use {', '.join(CATEGORICAL_TESTS)}, not {test}"
            )
        if variable in continuous and test not in CONTINUOUS_TESTS:
            raise ValueError(
                f"'{variable}' is continuous: use {', '.join(CONTINUOUS_TESTS)}, not {test}"
            )


def _label(value: Any) -> str:
    """Text label of one distinct value: whole numbers without '.0'."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return str(int(v)) if v.is_integer() else repr(v)
    return str(value)


def code_column(series: pd.Series, order: Sequence[str] | None = None) -> Coded:
    """Codes of a column's values in display order (numeric if all numbers, else text).

    ``order`` states the order instead; a value not in it raises ValueError.
    """
    import pandas as pd

    missing = pd.isna(series).to_numpy()
    known = series[~missing]
    if pd.api.types.is_numeric_dtype(known.dtype) and not pd.api.types.is_bool_dtype(known.dtype):
        uniques, inverse = np.unique(known.to_numpy(dtype=np.float64), return_inverse=True)
        texts = [_label(u) for u in uniques]
    else:
        uniques, inverse = np.unique(known.astype(str).to_numpy(), return_inverse=True)
        texts = [str(u) for u in uniques]
    # distinct values with the same text (1 and 1.0 as text) share one label
    labels = order_levels(texts, order, str(series.name))
    position = {label: i for i, label in enumerate(labels)}
    codes = np.full(series.size, -1, dtype=np.int64)
    codes[~missing] = np.array([position[t] for t in texts], dtype=np.int64)[inverse.ravel()]
    return Coded(labels, codes)


def order_levels(texts: Iterable[str], order: Sequence[str] | None, column: str) -> tuple[str, ...]:
    """Display order of a column's distinct labels ``texts``: ``order`` when stated (a value
    not in it raises ValueError), else numeric order if all are numbers, else text order."""
    present = sorted(set(texts))
    labels = [str(x) for x in order] if order is not None else order_labels(present)
    unknown = set(present) - set(labels)
    if unknown:
        raise ValueError(
            f"values {sorted(unknown)} of '{column}' are not in the stated order {labels}"
        )
    return tuple(labels)


def relabel(coded: Coded, column: str, labels: Mapping[str, Mapping[str, str]] | None) -> Coded:
    """``coded`` with its values renamed by ``labels[column]`` ({value: label}); values
    not named keep their text. Two values given one label raise ValueError."""
    names = (labels or {}).get(column)
    if not names:
        return coded
    renamed = tuple(str(names.get(v, v)) for v in coded.labels)
    if len(set(renamed)) < len(renamed):
        raise ValueError(f"labels= for '{column}' gives two values the same label: {renamed}")
    return Coded(renamed, coded.codes)


def group_problems(
    labels: Sequence[str], n: NDArray[np.int64], file: str, column: str
) -> list[Problem]:
    """Why the group column cannot define groups (``n`` rows per label), or nothing."""
    present = np.flatnonzero(n > 0)
    if present.size == 0:
        return [Problem("the group column has no values", file=file, column=column)]
    if present.size == 1:
        only = labels[int(present[0])]
        return [
            Problem(
                f"the group column has only one value ('{only}'); Table 1 compares two or "
                "more groups: choose another column",
                file=file,
                column=column,
            )
        ]
    return []


def row_problems(
    what: str, file: str, column: str, shown: Sequence[tuple[int, Any]], total: int
) -> list[Problem]:
    """One problem per shown (user row, value) of ``total`` bad rows, then a summary line."""
    problems = [
        Problem(what, file=file, row=row, column=column, value=value) for row, value in shown
    ]
    if total > len(shown):
        problems.append(
            Problem(f"{what} ({total - len(shown)} more rows like this)", file=file, column=column)
        )
    return problems


def _numbers(series: pd.Series, source: Source) -> tuple[NDArray[np.float64], list[Problem]]:
    """A continuous column as floats; every non-number (or infinite) value is a problem."""
    import pandas as pd

    missing = pd.isna(series).to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        bad = ~missing & ~np.isfinite(values)
        what = NOT_FINITE
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan, copy=True
        )
        bad = ~missing & ~np.isfinite(values)
        what = NOT_NUMBER
    rows = np.flatnonzero(bad)
    shown = [(source.user_row(int(i)), series.iloc[i]) for i in rows[:ROWS_SHOWN]]
    problems = row_problems(what, source.name, str(series.name), shown, int(rows.size))
    values[bad] = np.nan
    return values, problems


def load_table1_data(
    read: Callable[[Sequence[str]], tuple[pd.DataFrame, Source]],
    group: str,
    categorical: Sequence[str],
    continuous: Sequence[str],
    *,
    groups: Sequence[str] | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Table1Data:
    """Read (``read``: columns → rows and their source) and check the columns; raise
    :class:`InputError` listing every problem. ``labels`` renames the values of a column
    ({column: {value: label}}) after they are ordered."""
    frame, source = read([group, *categorical, *continuous])
    problems: list[Problem] = []
    coded_group = code_column(frame[group], groups)
    if frame.shape[0] == 0:
        raise InputError(Problem("the file has no data rows", file=source.name))
    keep = coded_group.codes >= 0
    n = np.bincount(coded_group.codes[keep], minlength=len(coded_group.labels))
    problems += group_problems(coded_group.labels, n, source.name, group)
    numbers = {}
    for name in continuous:
        values, found = _numbers(frame[name], source)
        problems += found
        numbers[name] = values[keep]
    if problems:
        raise InputError(problems)
    if groups is None:  # drop labels of groups with no rows
        used = np.unique(coded_group.codes[keep])
        kept = tuple(coded_group.labels[i] for i in used)
        remap = np.full(len(coded_group.labels), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        coded_group = Coded(kept, remap[coded_group.codes[keep]])
    else:
        coded_group = Coded(coded_group.labels, coded_group.codes[keep])
    cats = {}
    for name in categorical:
        order = None if levels is None else levels.get(name)
        coded = code_column(frame[name], order)
        cats[name] = relabel(Coded(coded.labels, coded.codes[keep]), name, labels)
    return Table1Data(
        source=source.name,
        group=relabel(coded_group, group, labels),
        categorical=cats,
        continuous=numbers,
        excluded=int((~keep).sum()),
    )
