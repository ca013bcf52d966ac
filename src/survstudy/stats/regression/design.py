"""Regression inputs from a table: survival columns, a design matrix, complete cases.

Numeric covariates enter as they are; categorical ones are dummy coded against a reference
level (R's treatment contrasts, term names like ``grade[T.3]``). Rows missing the time, the
event, a covariate or the stratum are left out (complete-case analysis) and counted per
column. Problems a model cannot survive (a covariate that is constant, covariates that are
linear combinations of each other, no events) raise :class:`InputError` naming the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import BoolArray, FloatArray
from survstudy.engine.counts import merge_near_ties
from survstudy.engine.events import EventSpec
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Design",
    "ModelData",
    "design_matrix",
    "frame_model_data",
    "parse_reference",
]

#: How many offending rows a message lists before summarising the rest.
ROWS_SHOWN = 5


@dataclass(frozen=True)
class Design:
    """Columns of the model: ``matrix`` has one column per term, rows are the kept rows."""

    terms: tuple[str, ...]
    covariate_of: tuple[str, ...]
    matrix: FloatArray = field(repr=False)
    levels: Mapping[str, tuple[str, ...]]
    reference: Mapping[str, str]
    warnings: tuple[Problem, ...] = ()

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.covariate_of))


@dataclass(frozen=True)
class ModelData:
    """Complete cases ready for a survival regression, with what was left out and why."""

    time: FloatArray = field(repr=False)
    event: BoolArray = field(repr=False)
    stratum: NDArray[np.intp] | None = field(repr=False)
    strata_levels: tuple[str, ...]
    design: Design
    rows_read: int
    excluded: int
    excluded_by: Mapping[str, int]
    time_column: str
    event_spec: str
    strata_column: str | None
    source: str
    warnings: tuple[Problem, ...] = ()
    #: case weights of the kept rows, when a weights column was named
    weights: FloatArray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.time.size)

    @property
    def events(self) -> int:
        return int(self.event.sum())


def parse_reference(items: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["grade=1", "site=liver"]`` → ``{"grade": "1", "site": "liver"}``."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    out = {}
    for item in items:
        column, sep, level = item.partition("=")
        if not sep or not column.strip() or not level.strip():
            raise ValueError(f"reference {item!r}: write COLUMN=LEVEL, e.g. grade=1")
        out[column.strip()] = level.strip()
    return out


def _located(
    source: str, first_row: int, column: str, values: Any, bad: BoolArray, message: str
) -> list[Problem]:
    """One problem per offending row (the first few), then a count of the rest."""
    idx = np.flatnonzero(bad)
    out = [
        Problem(
            message, file=source, row=int(i) + first_row, column=column, value=_plain(values[i])
        )
        for i in idx[:ROWS_SHOWN]
    ]
    if idx.size > ROWS_SHOWN:
        out.append(
            Problem(
                f"{message} ({idx.size - ROWS_SHOWN} more rows like this)",
                file=source,
                column=column,
            )
        )
    return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _missing(series: pd.Series) -> BoolArray:
    import pandas as pd

    miss = np.array(series.isna(), dtype=bool)  # a copy: pandas 3 hands out read-only views
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype("string").str.strip()
        miss |= np.asarray(text.isna() | (text == ""), dtype=bool)
    return miss


def _numeric(series: pd.Series) -> tuple[FloatArray, BoolArray]:
    """Values as floats and a mask of non-missing values that are not numbers."""
    import pandas as pd

    if series.dtype == bool:
        return series.to_numpy(dtype=np.float64), np.zeros(len(series), dtype=bool)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~_missing(series)
    return values, bad


def _label(value: Any) -> str:
    """A level as the user wrote it: ``3.0`` read by a CSV reader becomes ``"3"``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _labels(series: pd.Series) -> NDArray[np.object_]:
    """:func:`_label` of every row, computed once per distinct value."""
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    labelled = np.array([_label(v) for v in np.asarray(uniques, dtype=object)], dtype=object)
    return labelled[codes]


def _sorted_levels(labels: Sequence[str]) -> list[str]:
    """Numeric levels in numeric order, others alphabetically (R's factor order)."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def _categorical(
    series: pd.Series, keep: BoolArray
) -> tuple[NDArray[np.object_], list[str], list[str]]:
    """Labels of every row, the levels present in kept rows, declared levels never seen."""
    import pandas as pd

    labels = _labels(series)
    present = _sorted_levels(list(dict.fromkeys(labels[keep].tolist())))
    declared: list[str] = []
    if isinstance(series.dtype, pd.CategoricalDtype):
        declared = [_label(c) for c in series.cat.categories]
        if series.cat.ordered or not all(_is_number(c) for c in declared):
            present = [c for c in declared if c in set(present)]
    empty = [c for c in declared if c not in set(present)]
    return labels, present, empty


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def design_matrix(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    keep: BoolArray,
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    source: str = "data",
) -> Design:
    """The design matrix of ``covariates`` over the rows where ``keep`` is true.

    ``keep`` must already exclude rows with a missing covariate. Raises :class:`InputError`
    for an unknown reference level, a constant covariate or collinear covariates.
    """
    reference = dict(reference or {})
    problems: list[Problem] = []
    warnings: list[Problem] = []
    columns: list[FloatArray] = []
    terms: list[str] = []
    owner: list[str] = []
    levels: dict[str, tuple[str, ...]] = {}
    chosen: dict[str, str] = {}
    n_kept = int(keep.sum())
    for column in covariates:
        series = frame[column]
        if column in categorical:
            labels, present, empty = _categorical(series, keep)
            for level in empty:
                warnings.append(
                    Problem(
                        f"level '{level}' has no patients in the rows analysed; it is left out "
                        "of the model",
                        file=source,
                        column=column,
                        severity="warning",
                    )
                )
            everywhere = {_label(v) for v in series.dropna().to_numpy(dtype=object)}
            ref = reference.get(column, present[0] if present else "")
            if column in reference and ref not in present:
                why = (
                    "has no patients once rows with missing values are left out"
                    if ref in everywhere
                    else "does not occur in the column"
                )
                problems.append(
                    Problem(
                        f"reference level '{ref}' {why}; levels are: {', '.join(present)}",
                        file=source,
                        column=column,
                        value=ref,
                    )
                )
                continue
            if len(present) < 2:
                problems.append(
                    Problem(
                        f"takes a single value ('{present[0] if present else ''}') in all {n_kept} "
                        "rows analysed; a constant cannot be estimated: remove it from the model",
                        file=source,
                        column=column,
                    )
                )
                continue
            levels[column] = tuple(present)
            chosen[column] = ref
            kept = labels[keep]
            for level in present:
                if level != ref:
                    columns.append((kept == level).astype(np.float64))
                    terms.append(f"{column}[T.{level}]")
                    owner.append(column)
        else:
            values, _ = _numeric(series)
            kept_values = values[keep]
            if kept_values.size and np.all(kept_values == kept_values[0]):
                problems.append(
                    Problem(
                        f"takes a single value ({_label(kept_values[0])}) in all {n_kept} rows "
                        "analysed; a constant cannot be estimated: remove it from the model",
                        file=source,
                        column=column,
                    )
                )
                continue
            columns.append(kept_values)
            terms.append(column)
            owner.append(column)
    for column in reference:
        if column not in categorical:
            problems.append(
                Problem(
                    "a reference level is given but the column is not categorical; add it to the "
                    "categorical covariates",
                    file=source,
                    column=column,
                )
            )
    if problems:
        raise InputError(problems)
    matrix = np.column_stack(columns) if columns else np.empty((n_kept, 0))
    _check_collinear(matrix, terms, owner, source)
    return Design(tuple(terms), tuple(owner), matrix, levels, chosen, tuple(warnings))


#: |R[k, k]| of the unit-scaled centred columns below this: term k is collinear.
COLLINEAR = 1e-8
#: The crossproduct's Cholesky gives |R[k, k]| to about 1e-12 absolute here (its squares
#: carry ~1e-16 rounding); above this bound the verdict "not collinear" is certain.
CLEARLY_INDEPENDENT = 1e-5


def _check_collinear(matrix: FloatArray, terms: list[str], owner: list[str], source: str) -> None:
    """Raise when a term is (numerically) a linear combination of earlier terms.

    The verdict is the QR's of the centred, unit-scaled n x p columns (``|R[k, k]| <
    1e-8``). ``R'R`` is their p x p correlation matrix, so its Cholesky factor has the same
    diagonal: when every diagonal entry is clearly above the threshold the columns pass on
    that alone (one crossproduct instead of a QR of the n x p matrix); otherwise the QR
    decides, as before.
    """
    if matrix.shape[1] == 0:
        return
    mean = matrix.mean(axis=0)
    if _clearly_independent(matrix, mean):
        return
    _check_collinear_qr(matrix - mean, terms, owner, source)


#: Rows per block of the centred crossproduct (a block stays in cache).
BLOCK = 1 << 15


def _clearly_independent(matrix: FloatArray, mean: FloatArray) -> bool:
    """Whether the Cholesky of the columns' correlation matrix has every ``|R[k, k]|``
    above :data:`CLEARLY_INDEPENDENT` (False when it fails or any is not)."""
    p = matrix.shape[1]
    gram = np.zeros((p, p))
    for start in range(0, matrix.shape[0], BLOCK):  # centred block by block: no n x p copy
        block = matrix[start : start + BLOCK] - mean
        gram += block.T @ block
    scale = np.sqrt(np.diag(gram))
    if not np.all(scale > 0) or not np.all(np.isfinite(gram)):
        return False
    try:
        factor = np.linalg.cholesky(gram / np.outer(scale, scale))
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.diag(factor) > CLEARLY_INDEPENDENT))


def _check_collinear_qr(
    centred: FloatArray, terms: list[str], owner: list[str], source: str
) -> None:
    """The exact verdict: ``|R[k, k]|`` of a QR of the unit-scaled n x p columns."""
    scale = np.sqrt((centred**2).sum(axis=0))
    scale[scale == 0] = 1.0
    q = centred / scale
    r = np.linalg.qr(q, mode="r")
    diag = np.abs(np.diag(r))
    problems = []
    for k in np.flatnonzero(diag < COLLINEAR):
        earlier = [j for j in range(k) if diag[j] >= COLLINEAR]
        coef = np.linalg.lstsq(q[:, earlier], q[:, k], rcond=None)[0] if earlier else []
        used = [terms[j] for j, c in zip(earlier, coef, strict=True) if abs(c) > 1e-6]
        names = ", ".join(f"'{t}'" for t in used) or "a constant"
        problems.append(
            Problem(
                f"term '{terms[k]}' is a linear combination of {names} in the rows analysed; "
                "their effects cannot be separated: remove one of these covariates",
                file=source,
                column=owner[k],
            )
        )
    if problems:
        raise InputError(problems)


def _event_flags(
    series: pd.Series, spec: EventSpec, source: str, first_row: int
) -> tuple[BoolArray, BoolArray]:
    """Event indicator and missing mask; unknown codes raise with their rows."""
    import pandas as pd

    missing = _missing(series)
    # labels of the distinct values only (a missing row is the code ""): one hash pass over
    # the rows, not a sort of a million strings
    ids, uniques = pd.factorize(series, use_na_sentinel=False)
    ids = np.where(missing, len(uniques), ids)
    used = np.bincount(ids, minlength=len(uniques) + 1) > 0
    labels = np.array([*(_label(v) for v in np.asarray(uniques, dtype=object)), ""], dtype=object)
    codes, position = np.unique(labels[used].astype(str), return_inverse=True)
    slot = np.zeros(used.size, dtype=np.intp)
    slot[used] = position.ravel()
    inverse = slot[ids]
    verdict = [None if c == "" else spec.classify(c) for c in codes]
    unknown = np.array([v is None for v in verdict]) & (codes != "")
    bad = unknown[inverse] & ~missing
    if bad.any():
        listed = ", ".join(f"'{c}'" for c in codes[unknown][:10])
        raise InputError(
            _located(
                source,
                first_row,
                spec.column,
                series.to_numpy(dtype=object),
                bad,
                f"event value is not 0/1 or true/false (found {listed}); say which codes mean the "
                f'event, e.g. event="{spec.column}=CODE"',
            )
        )
    absent = spec.check_codes([str(c) for c in codes[codes != ""]])
    if absent:
        raise InputError(
            Problem(
                f"event code {', '.join(absent)} does not occur in the data",
                file=source,
                column=spec.column,
            )
        )
    flags = np.array([bool(v) for v in verdict], dtype=bool)[inverse]
    return flags & ~missing, missing


def frame_model_data(
    frame: pd.DataFrame,
    time: str,
    event: EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    strata: str | None = None,
    source: str = "data frame",
    first_row: int = 1,
    weights: str | None = None,
) -> ModelData:
    """:func:`model_data` on a frame already read (``first_row``: user row of frame row 0)."""
    reference = reference or {}
    problems: list[Problem] = []
    w = None
    if weights is not None:
        w, w_bad = _numeric(frame[weights])
        w_bad |= ~np.isnan(w) & ~((w >= 0) & np.isfinite(w))
        if w_bad.any():
            problems += _located(source, first_row, weights, frame[weights].to_numpy(dtype=object),
                                 w_bad, "case weight is not a finite number >= 0")
    t, t_bad = _numeric(frame[time])
    if t_bad.any():
        problems += _located(
            source,
            first_row,
            time,
            frame[time].to_numpy(dtype=object),
            t_bad,
            "time is not a number",
        )
    negative = ~np.isnan(t) & (t < 0)
    infinite = np.isinf(t)
    if negative.any() or infinite.any():
        written = frame[time].to_numpy(dtype=object)  # values shown as written: -3, not -3.0
    if negative.any():
        problems += _located(
            source,
            first_row,
            time,
            written,
            negative,
            "time is negative; times count from the origin and cannot be below 0",
        )
    if infinite.any():
        problems += _located(source, first_row, time, written, infinite, "time is not finite")
    for column in covariates:
        if column in categorical:
            continue
        x, bad = _numeric(frame[column])
        if bad.any():
            problems += _located(
                source,
                first_row,
                column,
                frame[column].to_numpy(dtype=object),
                bad,
                "covariate value is not a number; if this column holds categories, declare it "
                f'categorical (categorical=["{column}"])',
            )
        if np.isinf(x).any():
            problems += _located(source, first_row, column, frame[column].to_numpy(dtype=object),
                                 np.isinf(x), "covariate value is not finite")
    try:  # every problem at once: the event column's too
        status, e_missing = _event_flags(frame[event.column], event, source, first_row)
    except InputError as e:
        raise InputError([*problems, *e.problems]) from None
    if problems:
        raise InputError(problems)
    missing = {time: np.isnan(t), event.column: e_missing}
    if w is not None and weights is not None:
        missing[weights] = missing.get(weights, np.zeros(len(frame), dtype=bool)) | np.isnan(w)
    for column in [*covariates, *([strata] if strata else [])]:
        missing[column] = missing.get(column, np.zeros(len(frame), dtype=bool)) | _missing(
            frame[column]
        )
    keep = ~np.logical_or.reduce(list(missing.values()))
    excluded_by = {c: int(m.sum()) for c, m in missing.items() if m.any()}
    if not keep.any():
        raise InputError(
            Problem(
                f"no row has every value needed ({', '.join(missing)}); rows with a missing value "
                "are left out",
                file=source,
            )
        )
    design = design_matrix(
        frame, covariates, keep, categorical=categorical, reference=reference, source=source
    )
    stratum = None
    strata_levels: tuple[str, ...] = ()
    if strata:
        labels = np.array([_label(v) for v in frame[strata].to_numpy(dtype=object)[keep]])
        distinct, inverse = np.unique(labels.astype(str), return_inverse=True)
        strata_levels = tuple(_sorted_levels(distinct.tolist()))
        position = {v: i for i, v in enumerate(strata_levels)}
        stratum = np.array([position[v] for v in distinct.tolist()], dtype=np.intp)[inverse]
    times, _ = merge_near_ties(t[keep])
    events = status[keep]
    if not events.any():
        raise InputError(
            Problem(
                f"no events among the {int(keep.sum())} rows analysed: a Cox model needs at least "
                "one event; check the event column and its codes",
                file=source,
                column=event.column,
            )
        )
    return ModelData(
        time=times,
        event=events,
        stratum=stratum,
        strata_levels=strata_levels,
        design=design,
        rows_read=len(frame),
        excluded=int((~keep).sum()),
        excluded_by=excluded_by,
        time_column=time,
        event_spec=str(event),
        strata_column=strata,
        source=source,
        warnings=design.warnings,
        weights=None if w is None else w[keep],
    )


