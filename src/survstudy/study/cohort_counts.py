"""Count tables of an endpoint aggregated inside the study's engine (DuckDB or Spark).

One query for every estimator's input: the survival count table (status = event 0/1) and the
cause count table (status = cause 0/1/2) differ only in the status column's SQL and the
table they build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from survstudy.data.sql import q

if TYPE_CHECKING:
    from survstudy.study.load import Study

__all__ = ["cohort_counts"]

T = TypeVar("T")


def cohort_counts(study: Study, time: str, status: str, status_sql: str, group: str | None,
                  levels: Sequence[str], build: Callable[..., T]) -> T:
    """The count table of ``time``/``status`` (by ``group``, in the order of ``levels``)
    over the study's cohort: ``status_sql`` is the SQL of the status code given to ``build``
    (:func:`~survstudy.engine.counts.count_table` or
    :func:`~survstudy.engine.cause_counts.cause_count_table`). Rows missing the time, the
    status or the group are left out and counted as excluded."""
    from survstudy.study.load import COHORT

    g = study.text(group) if group is not None else "'all'"
    usable = f"{q(time)} IS NOT NULL AND {q(status)} IS NOT NULL AND {g} IS NOT NULL"
    rows = study.engine.sql(
        f"SELECT {g} AS g, {q(time)} AS t, {status_sql} AS s, count(*) AS n FROM {COHORT} "
        f"WHERE {usable} GROUP BY ALL"
    ).fetchnumpy()
    return build(
        rows["t"],
        rows["s"],
        None if group is None else rows["g"],
        weight=rows["n"],
        groups=list(levels) if group is not None else None,
        excluded=study.n - int(rows["n"].sum()),  # the cohort's rows left out
    )
