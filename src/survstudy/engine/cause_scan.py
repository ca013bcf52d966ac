"""Cause count tables computed inside DuckDB: one ``GROUP BY`` scan, as for Kaplan-Meier.

The scan groups by (group, time, event code[, competing code]) exactly as
:func:`survstudy.engine.duckdb.duckdb_counts` does and reuses its checks of the distinct
rows, so bad times and unknown codes are reported the same way (row, column, value). Each
distinct row is then classified: the event of interest, a competing event, or censored
(every other code). Rows with a missing time, code or group are left out and counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from survstudy.engine.cause_counts import (
    CENSORED,
    COMPETING,
    EVENT,
    CauseCountTable,
    cause_count_table,
)
from survstudy.engine.distinct import DistinctRows, Finding, check_rows, report_finding
from survstudy.engine.duckdb import (
    check_columns,
    connect,
    finding_condition,
    problem_rows,
    quote_ident,
    scan,
    source_columns,
    sql_text,
)
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import Source
from survstudy.errors import InputError, Problem

__all__ = ["check_causes", "duckdb_cause_counts"]


def check_causes(event: EventSpec, competing: EventSpec) -> None:
    """Raise ``ValueError`` when the two specs cannot tell the causes apart."""
    if event.column == competing.column:
        if not event.codes or not competing.codes:
            raise ValueError(
                f"event and competing event are both read from '{event.column}': name the codes "
                f"of each, e.g. --event {event.column}=1 --competing {event.column}=2"
            )
        shared = [c for c in event.codes if competing.classify(c)]
        if shared:
            raise ValueError(
                f"code {', '.join(shared)} of '{event.column}' is given both as the event and as "
                "the competing event"
            )


def duckdb_cause_counts(
    source: Source,
    time: str,
    event: EventSpec,
    competing: EventSpec,
    group: str | None = None,
    groups: Sequence[str] | None = None,
) -> CauseCountTable:
    """Validate the columns of ``source`` and aggregate them into a cause count table.

    ``event`` names the codes of the cause of interest, ``competing`` those of the competing
    causes (the same column or another); every other code is censored. Raises
    :class:`InputError` listing every problem (with rows) when the data are unusable.
    """
    check_causes(event, competing)
    two = competing.column != event.column
    con = connect()
    relation, names = source_columns(con, source)
    wanted = {time: "time", event.column: "event"}
    if two:
        wanted[competing.column] = "competing event"
    if group is not None:
        wanted[group] = "group"
    check_columns(source, names, wanted)
    if source.kind == "csv" and "all_varchar" not in relation:  # labels as the user wrote them
        text = list(dict.fromkeys(c for c in (group, event.column, competing.column) if c))
        relation = source.relation(con, text_columns=text)
    t, e = quote_ident(time), quote_ident(event.column)
    e2 = quote_ident(competing.column) if two else e
    g = quote_ident(group) if group else "'all'"
    tnum = f"TRY_CAST({t} AS DOUBLE)"
    sql = (
        "SELECT CAST(g AS VARCHAR) AS g, t, bad, CAST(e AS VARCHAR) AS e, "
        "CAST(e2 AS VARCHAR) AS e2, sum(n) AS n FROM ("
        f"SELECT {g} AS g, {tnum} AS t, ({t} IS NOT NULL AND {tnum} IS NULL) AS bad, "
        f"{e} AS e, {e2} AS e2, count(*) AS n FROM {relation} GROUP BY ALL) GROUP BY ALL"
    )
    fetched = scan(con, sql, f"counting {source.name}")
    second = fetched.pop("e2")
    rows = DistinctRows.from_columns(**fetched)
    rows2 = DistinctRows.from_columns(fetched["g"], fetched["t"], fetched["bad"], second,
                                      fetched["n"])

    def locate(finding: Finding) -> list[Problem]:
        condition = finding_condition(finding, t, quote_ident(finding.column))
        return problem_rows(con, relation, source, finding.column, condition)

    if rows.n.sum() == 0:
        raise InputError(Problem("the file has no data rows", file=source.name))
    first = check_rows(rows, time, event, source.name)
    other = check_rows(rows2, time, competing, source.name)
    findings = first.findings + [f for f in other.findings if f.kind == "event_code"]
    problems: list[Problem] = []
    for finding in findings:
        problems += report_finding(finding, source.name, locate)
    problems += first.absent + other.absent
    if problems:
        raise InputError(problems)

    keep = first.usable_time & (rows.group >= 0) & (rows.event >= 0) & (rows2.event >= 0)
    if not keep.any():
        raise InputError(
            Problem("every row has a missing time, event or group; there is nothing to analyse",
                    file=source.name)
        )
    is_event = first.is_event[rows.event[keep]]
    is_competing = other.is_event[rows2.event[keep]]
    both = is_event & is_competing
    if both.any():
        condition = " AND ".join(
            f"CAST({quote_ident(spec.column)} AS VARCHAR) IN ("
            + ", ".join(
                sql_text(c) for c, v in zip(r.event_labels, chk.is_event, strict=True) if v
            )
            + ")"
            for spec, r, chk in ((event, rows, first), (competing, rows2, other))
        )
        found = problem_rows(con, relation, source, competing.column, condition)
        message = (f"the row has both the event ({event}) and a competing event ({competing}); "
                   "a patient's follow-up ends with one cause")
        raise InputError([Problem(message, p.file, p.row, p.column, p.value) for p in found])
    cause = np.where(is_event, EVENT, np.where(is_competing, COMPETING, CENSORED))
    return cause_count_table(
        rows.time[keep],
        cause,
        None if group is None else np.asarray(rows.group_labels, dtype=object)[rows.group[keep]],
        weight=rows.n[keep],
        groups=groups,
        excluded=int(rows.n[~keep].sum()),
    )

