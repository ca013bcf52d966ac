"""Regression inputs from plain numeric arrays, without pandas (the fast path of ``cox``).

A typed file (Parquet) whose time, event and covariate columns are numeric and complete
needs none of :func:`~survstudy.stats.regression.design.frame_model_data`'s text handling:
this builds the same :class:`ModelData` from the arrays (and the same collinearity check).
It decides only the clean case: anything to report or leave out (a missing value, a
negative or infinite time, an unknown event code, a constant covariate, no events) returns
None, and the caller takes the frame path, which words the problem with its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import merge_near_ties
from survstudy.engine.events import EventSpec
from survstudy.stats.regression.design import Design, ModelData, _check_collinear, _label

__all__ = ["array_model_data"]

#: An event column with more distinct values than this takes the frame path.
MAX_EVENT_CODES = 16


def _plain_numeric(values: object) -> NDArray[np.generic] | None:
    """The column when it is an unmasked numeric or boolean array, else None."""
    if type(values) is not np.ndarray or values.dtype.kind not in "fiub":
        return None
    return values


def _event_flags(values: NDArray[np.generic], spec: EventSpec) -> NDArray[np.bool_] | None:
    """Event flags from the column's few distinct values, labelled as the frame path does."""
    distinct = np.unique(values)
    if distinct.size > MAX_EVENT_CODES or (distinct.dtype.kind == "f" and np.isnan(distinct).any()):
        return None
    labels = [_label(v) for v in distinct]
    verdict = [spec.classify(c) for c in labels]
    if any(v is None for v in verdict) or spec.check_codes(labels):
        return None
    flags = np.zeros(values.size, dtype=bool)
    for value, is_event in zip(distinct, verdict, strict=True):
        if is_event:
            flags |= values == value
    return flags


def array_model_data(
    columns: Mapping[str, object],
    time: str,
    event: EventSpec,
    covariates: Sequence[str],
    *,
    source: str,
) -> ModelData | None:
    """:class:`ModelData` of complete numeric columns (numeric covariates only, no strata or
    weights), equal to the frame path's; None when the frame path must decide."""
    arrays = {c: _plain_numeric(columns[c]) for c in dict.fromkeys([time, event.column,
                                                                   *covariates])}
    if any(a is None for a in arrays.values()):
        return None
    t = np.asarray(arrays[time], dtype=np.float64)
    if not np.all(np.isfinite(t)) or bool((t < 0).any()):
        return None
    matrix = np.empty((t.size, len(covariates)))
    for j, column in enumerate(covariates):
        x = np.asarray(arrays[column], dtype=np.float64)
        if not np.all(np.isfinite(x)) or (x.size and bool(np.all(x == x[0]))):
            return None
        matrix[:, j] = x
    raw_event = arrays[event.column]
    assert raw_event is not None
    flags = _event_flags(raw_event, event)
    if flags is None or not flags.any():
        return None
    terms = tuple(covariates)
    _check_collinear(matrix, list(terms), list(terms), source)
    times, _ = merge_near_ties(t)
    return ModelData(
        time=times,
        event=flags,
        stratum=None,
        strata_levels=(),
        design=Design(terms, terms, matrix, {}, {}),
        rows_read=int(t.size),
        excluded=0,
        excluded_by={},
        time_column=time,
        event_spec=str(event),
        strata_column=None,
        source=source,
        warnings=(),
    )
