"""Count tables of an endpoint aggregated inside the study's engine (DuckDB or Spark).

One query for every estimator's input: the survival count table (status = event 0/1) and the
cause count table (status = cause 0/1/2) differ only in the status column's SQL and the
table they build. The overall table and the tables by each grouping variable come from one
query (rows counted by every key once, then ``GROUPING SETS`` over those counts): one scan of
the cohort, not one per table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from survstudy.data.sql import q

if TYPE_CHECKING:
    from survstudy.study.load import Study

__all__ = ["cohort_count_tables"]

T = TypeVar("T")


def cohort_count_tables(study: Study, time: str, status: str, status_sql: str,
                        groups: Sequence[str | None], levels: Mapping[str, Sequence[str]],
                        build: Callable[..., T]) -> list[T]:
    """The count tables of ``time``/``status`` over the study's cohort, one per entry of
    ``groups`` (None: all rows; a column: by its levels, in the order of ``levels[column]``),
    from one grouped query. ``status_sql`` is the SQL of the status code given to ``build``
    (:func:`~survstudy.engine.counts.count_table` or
    :func:`~survstudy.engine.cause_counts.cause_count_table`). Rows missing the time, the
    status or the group are left out of a table and counted as its excluded rows."""
    from survstudy.study.load import COHORT

    columns = list(dict.fromkeys(g for g in groups if g is not None))
    keys = [*(f"g{i}" for i in range(len(columns))), "t", "s"]
    select = [*(f"{study.text(c)} AS g{i}" for i, c in enumerate(columns)), f"{q(time)} AS t",
              f"{status_sql} AS s"]
    # the rows counted once by every key, then the tables summed from those few rows
    sql = (f"SELECT {', '.join(keys)}, count(*) AS n FROM (SELECT {', '.join(select)} "
           f"FROM {COHORT} WHERE {q(time)} IS NOT NULL AND {q(status)} IS NOT NULL) AS rows "
           f"GROUP BY {', '.join(keys)}")
    if columns:
        sets = ["(t, s)" if g is None else f"(g{columns.index(g)}, t, s)" for g in groups]
        flags = [f"GROUPING(g{i}) AS h{i}" for i in range(len(columns))]
        sql = (f"WITH counted AS ({sql}) SELECT {', '.join([*keys, *flags])}, "
               f"CAST(sum(n) AS BIGINT) AS n FROM counted "
               f"GROUP BY GROUPING SETS ({', '.join(dict.fromkeys(sets))})")
    rows = study.engine.sql(sql).fetchnumpy()
    n = np.asarray(rows["n"])
    overall = np.ones(n.size, dtype=bool)
    for i in range(len(columns)):
        overall &= np.asarray(rows[f"h{i}"]) == 1
    tables: list[T] = []
    for g in groups:
        if g is None:
            keep, labels = overall, None
        else:
            i = columns.index(g)
            label = rows[f"g{i}"]
            keep = (np.asarray(rows[f"h{i}"]) == 0) & ~np.ma.getmaskarray(label)
            labels = np.asarray(np.ma.getdata(label)[keep])
        tables.append(build(
            np.asarray(rows["t"])[keep],
            np.asarray(rows["s"])[keep],
            labels,
            weight=n[keep],
            groups=None if g is None else list(levels[g]),
            excluded=study.n - int(n[keep].sum()),  # the cohort's rows left out
        ))
    return tables

