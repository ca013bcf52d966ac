"""The public competing-risks functions: data in (a DataFrame or a file), immutable results out.

``event`` names the codes of the cause of interest (``"status=1"``), ``competing`` those of
the competing causes (``"status=2"``, the same column or another); every other code is
censored, and rows with a missing value are left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from survstudy.api.inputs import Data, open_data
from survstudy.engine.cause_counts import CauseCountTable
from survstudy.engine.cause_scan import check_causes, duckdb_cause_counts
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import open_source, read_frame
from survstudy.errors import InputError, Problem
from survstudy.stats.regression.finegray import FineGrayResult, fine_gray_model
from survstudy.stats.survival.cif import (
    CumulativeIncidence,
    GrayTest,
    cumulative_incidence_counts,
    gray_test_counts,
)

if TYPE_CHECKING:

    from survstudy.stats.regression.cox_result import CoxResult

__all__ = [
    "cause_specific_cox",
    "competing_counts",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
]

def _spec(spec: str | EventSpec) -> EventSpec:
    return spec if isinstance(spec, EventSpec) else EventSpec.parse(spec)


def competing_counts(
    data: Data,
    time: str,
    event: str | EventSpec,
    competing: str | EventSpec,
    by: str | None = None,
    *,
    groups: Sequence[str] | None = None,
) -> CauseCountTable:
    """Check the columns of ``data`` and aggregate them into a cause count table (DuckDB).

    Raises :class:`survstudy.InputError` listing every problem found.
    """
    return duckdb_cause_counts(open_data(data), time, _spec(event), _spec(competing), by,
                               groups=groups)


def cumulative_incidence(
    data: Data,
    time: str,
    event: str | EventSpec,
    competing: str | EventSpec,
    by: str | None = None,
    *,
    conf_level: float = 0.95,
    groups: Sequence[str] | None = None,
) -> CumulativeIncidence:
    """Cumulative incidence of ``event`` with ``competing`` events, overall or per group."""
    counts = competing_counts(data, time, event, competing, by, groups=groups)
    return cumulative_incidence_counts(counts, conf_level=conf_level)


def gray_test(
    data: Data,
    time: str,
    event: str | EventSpec,
    competing: str | EventSpec,
    by: str,
    *,
    strata: str | None = None,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's test of equal cumulative incidence of ``event`` across the groups of ``by``.

    With ``strata``, the scores and variances of the strata are summed (cmprsk's ``strata``);
    rows with a missing stratum are left out. ``rho`` is the power of the weight (1 - F)^rho.
    """
    ev, comp = _spec(event), _spec(competing)
    counts = competing_counts(data, time, ev, comp, by)  # checks everything, rows named
    if strata is None:
        return gray_test_counts(counts, rho=rho)
    source = open_data(data)
    columns = list(dict.fromkeys([time, ev.column, comp.column, by, strata]))
    frame = read_frame(source, columns, as_text=True)
    tables, names = [], []
    for value, rows in frame.groupby(strata, dropna=True, sort=True):
        tables.append(duckdb_cause_counts(open_source(rows), time, ev, comp, by,
                                          groups=counts.groups))
        names.append(str(value))
    return gray_test_counts(tables, rho=rho, strata=names)


def fine_gray(
    data: Data,
    time: str,
    event: str | EventSpec,
    competing: str | EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> FineGrayResult:
    """Fine-Gray subdistribution hazard regression of ``event`` on ``covariates`` (cmprsk crr).

    Categorical covariates are dummy coded as in :func:`survstudy.cox_regression`. Complete
    cases; rows left out are counted per column.
    """
    from survstudy.api.regression import model_data

    ev, comp = _spec(event), _spec(competing)
    check_causes(ev, comp)
    # the competing column enters as a "stratum" only so that its value reaches us for the
    # kept rows (and rows missing it are left out and counted); no stratification is done
    prepared = model_data(data, time, ev, covariates, categorical=categorical,
                          reference=reference, strata=comp.column)
    assert prepared.stratum is not None
    verdict = [comp.classify(level) for level in prepared.strata_levels]
    unknown = [lv for lv, v in zip(prepared.strata_levels, verdict, strict=True) if v is None]
    if unknown:
        raise InputError(
            Problem(f"competing event value is not 0/1 or true/false (found "
                    f"{', '.join(repr(u) for u in unknown)}); say which codes mean the competing "
                    f'event, e.g. competing="{comp.column}=CODE"', file=prepared.source,
                    column=comp.column)
        )
    flags = np.array([bool(v) for v in verdict], dtype=bool)[prepared.stratum]
    both = flags & prepared.event
    if both.any():
        raise InputError(
            Problem(f"{int(both.sum())} rows have both the event ({ev}) and a competing event "
                    f"({comp}); a patient's follow-up ends with one cause",
                    file=prepared.source, column=comp.column)
        )
    return fine_gray_model(prepared, flags, conf_level=conf_level)


def cause_specific_cox(
    data: Data,
    time: str,
    event: str | EventSpec,
    competing: str | EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> CoxResult:
    """Cause-specific Cox regression: the existing Cox model with competing events censored.

    ``event`` must name codes when it shares a column with ``competing`` (every other code,
    the competing ones included, counts as censored); ``competing`` is only checked.
    """
    from survstudy.api.regression import cox_regression

    ev, comp = _spec(event), _spec(competing)
    check_causes(ev, comp)
    return cox_regression(data, time, ev, covariates, categorical=categorical,
                          reference=reference, conf_level=conf_level)
