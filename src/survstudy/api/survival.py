"""The public survival functions: data in (a DataFrame or a file), immutable results out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from survstudy.api.inputs import Data, open_data, plain, typed_levels
from survstudy.engine.counts import CountTable, order_labels
from survstudy.engine.duckdb import duckdb_counts
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import numbered, open_source, read_frame
from survstudy.stats.survival.km import ConfType, KaplanMeier, kaplan_meier_counts
from survstudy.stats.survival.logrank import (
    Method,
    SurvivalTest,
    stratified_log_rank,
    weighted_log_rank,
)

if TYPE_CHECKING:
    pass

__all__ = ["ENGINES", "Engine", "compare_survival", "kaplan_meier", "survival_counts"]



def _event(event: str | EventSpec) -> EventSpec:
    return event if isinstance(event, EventSpec) else EventSpec.parse(event)


Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def survival_counts(
    data: Data,
    time: str,
    event: str | EventSpec,
    by: str | None = None,
    *,
    groups: Sequence[str] | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
) -> CountTable:
    """Check the survival columns of ``data`` and aggregate them into a count table.

    ``event`` is a 0/1 (or true/false) column name, or ``"column=code,..."`` naming the codes
    that mean the event. Rows with a missing time, event or group are left out and counted.
    ``engine`` says where the rows are aggregated: DuckDB (embedded, the default) or Spark (a
    local session, or the cluster at ``spark_master`` / ``SPARK_REMOTE``); both give the same
    table. Raises :class:`survstudy.InputError` listing every problem found.
    """
    if groups is None and by is not None:
        groups = typed_levels(data, [by]).get(by)
    if engine == "spark":
        from survstudy.engine.spark import spark_counts

        return spark_counts(plain(data), time, _event(event), by, master=spark_master,
                            groups=groups)
    if engine != "duckdb":
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return duckdb_counts(open_data(data), time, _event(event), by, groups=groups)


def kaplan_meier(
    data: Data,
    time: str,
    event: str | EventSpec,
    by: str | None = None,
    *,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    groups: Sequence[str] | None = None,
    weights: str | None = None,
) -> KaplanMeier:
    """Kaplan-Meier curves overall or per group of ``by`` (see :func:`survival_counts`).

    ``weights`` names a column of case weights (rows missing it are left out): the curves
    and numbers at risk are weighted, and the standard errors are Greenwood's when every
    weight is whole, else the infinitesimal jackknife, as R's ``survfit(weights=)``.
    """
    if groups is None and by is not None:
        groups = typed_levels(data, [by]).get(by)
    if weights is not None:
        return _weighted_km(data, time, _event(event), by, weights, conf_type, conf_level, groups)
    counts = survival_counts(data, time, event, by, groups=groups)
    return kaplan_meier_counts(counts, conf_type=conf_type, conf_level=conf_level)


def _weighted_km(
    data: Data,
    time: str,
    event: EventSpec,
    by: str | None,
    weights: str,
    conf_type: ConfType,
    conf_level: float,
    groups: Sequence[str] | None,
) -> KaplanMeier:
    """Row-level weighted Kaplan-Meier: the rows are checked as for a Cox model."""
    import numpy as np

    from survstudy.stats.regression.design import frame_model_data
    from survstudy.stats.survival.weighted_km import weighted_kaplan_meier

    source = open_data(data)
    wanted = list(dict.fromkeys([time, event.column, *([by] if by else []), weights]))
    frame = read_frame(source, wanted, as_text=True)
    with numbered(source):
        md = frame_model_data(frame, time, event, [], strata=by, weights=weights,
                              source=source.name, first_row=source.first_row)
    labels = None if md.stratum is None else np.asarray(md.strata_levels)[md.stratum]
    assert md.weights is not None
    return weighted_kaplan_meier(md.time, md.event, md.weights, labels,
                                 groups=groups or (md.strata_levels or None), conf_type=conf_type,
                                 conf_level=conf_level, excluded=md.excluded)


def compare_survival(
    data: Data,
    time: str,
    event: str | EventSpec,
    by: str,
    *,
    method: Method = "log-rank",
    strata: str | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
) -> SurvivalTest:
    """Test equal survival across the groups of ``by`` (k-1 df chi-square).

    ``method``: log-rank, peto-peto, fleming-harrington (with ``rho``, ``gamma``),
    tarone-ware or gehan. With ``strata``, the stratified test sums the per-stratum scores.
    For small groups see :func:`survstudy.exact_log_rank` on :func:`survival_counts`.
    """
    spec = _event(event)
    if strata is None:
        counts = survival_counts(data, time, spec, by)
        return weighted_log_rank(counts, method, rho=rho, gamma=gamma)
    source = open_data(data)
    frame = read_frame(source, [time, spec.column, by, strata])
    groups = order_labels(frame[by].dropna().astype(str).unique().tolist())
    tables, names = [], []
    for value, rows in frame.groupby(strata, dropna=True, sort=True):
        tables.append(duckdb_counts(open_source(rows), time, spec, by, groups=groups))
        names.append(str(value))
    return stratified_log_rank(tables, method, rho=rho, gamma=gamma, strata=names)
