"""A study loaded from its study file: the object the report, the CLI and the web app use.

:func:`load_study` reads the study file and the registry it names into the SQL engine (DuckDB,
or Spark), types and checks every column, derives the endpoints and intervals from dates and
applies the cohort steps — all in SQL, so a registry of tens of millions of rows never has to
fit in pandas. The
returned :class:`Study` holds the DuckDB connection with the study table, the cohort flow and
every problem found (errors, warnings, notes); :attr:`Study.data` materialises the cohort as a
pandas DataFrame only when a caller asks for rows.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survstudy.config.models import DAYS_PER_UNIT, Key, StudyConfig, StudyFile, did_you_mean
from survstudy.config.parse import load_config
from survstudy.data.checks import check_dates
from survstudy.data.cohort import (
    STEP,
    CohortFlow,
    cohort_predicates,
    count_flow,
    steps_reading,
)
from survstudy.data.endpoints import derivation_log_sql
from survstudy.data.findings import locate
from survstudy.data.metadata import with_metadata
from survstudy.data.registry import read_registry
from survstudy.data.sql import q, text_of
from survstudy.data.study_table import StudyTable, derive, flags, labels, verdict_columns
from survstudy.data.typed import type_registry
from survstudy.engine.sqlengine import Engine, open_engine
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COHORT", "SHEET_ROWS", "Study", "load_study"]

#: The DuckDB view of the analysed cohort: one row per patient, registry order.
COHORT = "cohort"
#: Rows of a spreadsheet (Excel, LibreOffice) with its header: a longer derivation log is
#: written as Parquet: no spreadsheet would open it as CSV, and Parquet takes a tenth of
#: the space and of the time to write.
SHEET_ROWS = 1_048_576
_ALL = "study"
_DERIVED = "derived"


@dataclass(frozen=True)
class Study:
    """A checked study: config, the cohort inside DuckDB, the flow and the problems.

    The view :data:`COHORT` of :attr:`engine` has one row per patient in the cohort (in no
    particular order: :meth:`frame` gives registry order, by ``__row``): the registry
    columns typed (dates as DATE, categorical variables as text), then for each endpoint
    ``NAME_time`` (in ``time_unit``) and ``NAME_event`` (1 event, 0 censored), and for each
    interval its time and flag columns. ``kinds`` says how each column was read ("date",
    "continuous", "categorical", "text", "number", "id", "derived").
    """

    file: StudyFile
    engine: Engine
    columns: tuple[str, ...]
    kinds: Mapping[str, str]
    levels: Mapping[str, list[str]]
    flow: CohortFlow
    problems: tuple[Problem, ...]
    labels: Mapping[str, str]
    log_sql: str
    log_parts: int = 1

    @property
    def config(self) -> StudyConfig:
        return self.file.config

    @property
    def time_unit(self) -> str:
        return self.config.study.time_unit

    @property
    def n(self) -> int:
        """Patients in the cohort."""
        return self.flow.n_final

    @property
    def ok(self) -> bool:
        """No errors (warnings and notes do not stop an analysis)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def notes(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "note")

    @property
    def landmarks(self) -> tuple[float, ...]:
        """The landmark times of ``[analysis]`` (given in years) in the study's time unit."""
        per = DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[self.time_unit]
        return tuple(float(t) * per for t in self.config.analysis.landmark_years)

    def endpoint_columns(self, name: str) -> tuple[str, str]:
        """The (time, event) columns of an endpoint in :attr:`data`."""
        if name not in self.config.endpoints:
            raise ValueError(f"no endpoint {name!r}; endpoints: {', '.join(self.config.endpoints)}")
        return f"{name}_time", f"{name}_event"

    def frame(self, columns: list[str] | None = None, where: str | None = None) -> pd.DataFrame:
        """Rows of the cohort as pandas (only ``columns``; categorical variables as
        pandas categoricals with their levels, events as nullable integers)."""
        import pandas as pd

        cols = list(self.columns) if columns is None else columns
        select = ", ".join(q(c) for c in cols) or "*"
        sql = (f"SELECT {select} FROM {COHORT}" + (f" WHERE {where}" if where else "")
               + " ORDER BY __row")
        frame: pd.DataFrame = self.engine.sql(sql).df()
        for c in cols:
            kind = self.kinds.get(c)
            if c in self.levels:
                frame[c] = pd.Categorical(frame[c], categories=self.levels[c])
            elif kind == "event":
                frame[c] = frame[c].astype("Int8")
            elif kind == "date":
                frame[c] = pd.to_datetime(frame[c]).astype("datetime64[s]")
        return frame

    @cached_property
    def types(self) -> dict[str, str]:
        """The DuckDB type of each column of :data:`COHORT`."""
        return self.engine.columns(COHORT)

    def is_numeric(self, column: str) -> bool:
        """Whether ``column`` holds numbers (declared continuous, all numbers, or derived)."""
        return self.kinds.get(column) in ("continuous", "number", "derived")

    def text(self, column: str) -> str:
        """SQL of ``column`` as text (numbers without a trailing .0), for labels and levels.
        Text columns are used as they are: typing trimmed them already (trimming again would
        cost a pass over every value, decoded levels included)."""
        sql_type = self.types[column]
        return q(column) if sql_type.upper().startswith("VARCHAR") else text_of(q(column), sql_type)

    @property
    def log_name(self) -> str:
        """The derivation log's file name in a report: CSV while it fits on a spreadsheet
        (one row per patient and endpoint or interval, and a header), else Parquet."""
        rows = self.n * self.log_parts
        return "derivation_log.csv" if rows < SHEET_ROWS else "derivation_log.parquet"

    def write_log(self, path: str | Path, *, ids: bool) -> None:
        """Write the derivation log from the engine, as Parquet when ``path`` ends in
        .parquet, else as CSV (``ids``: keep the id column)."""
        from survstudy.data.endpoints import LOG_COLUMNS

        # an empty text is written as an empty cell, as for a missing value
        cols = [
            f"nullif({q(c)}, '') AS {q(c)}" if c in ("origin", "end") else q(c)
            for c in LOG_COLUMNS
            if ids or c != "id"
        ]
        query = f"SELECT {', '.join(cols)} FROM ({self.log_sql})"
        if Path(path).suffix.lower() == ".parquet":
            self.engine.write_parquet(query, Path(path))
        else:
            self.engine.write_csv(query, Path(path))

    @cached_property
    def data(self) -> pd.DataFrame:
        """The whole cohort as a pandas DataFrame (materialised on first use)."""
        return self.frame()

    @cached_property
    def log(self) -> pd.DataFrame:
        """The derivation log of the cohort (see :func:`derivation_log_sql`)."""
        import pandas as pd

        from survstudy.data.endpoints import REASONS

        log: pd.DataFrame = self.engine.sql(self.log_sql).df()
        log["event"] = log["event"].astype("Int8")
        for c in ("origin_date", "end_date"):
            log[c] = pd.to_datetime(log[c]).astype("datetime64[s]")
        log["reason"] = pd.Categorical(log["reason"], categories=list(REASONS))
        log["endpoint"] = log["endpoint"].astype("category")
        return log

    def to_dict(self) -> dict[str, Any]:
        endpoints = {}
        for name in self.config.endpoints:
            t, e = self.endpoint_columns(name)
            n, events, not_derived = self.engine.sql(
                f"SELECT count({q(t)}), coalesce(sum({q(e)}) FILTER (WHERE {q(t)} IS NOT NULL), 0),"
                f" count(*) - count({q(t)}) FROM {COHORT}"
            ).fetchall()[0]
            endpoints[name] = {
                "label": self.config.endpoints[name].label or name,
                "n": int(n),
                "events": int(events),
                "not_derived": int(not_derived),
            }
        return {
            "title": self.config.study.title,
            "study_file": str(self.file.path),
            "time_unit": self.time_unit,
            "days_per_unit": DAYS_PER_UNIT[self.time_unit],
            "cutoff": None
            if self.config.follow_up.cutoff is None
            else self.config.follow_up.cutoff.isoformat(),
            "flow": self.flow.to_dict(),
            "endpoints": endpoints,
            "landmarks": list(self.landmarks),
            "problems": [p.to_dict() for p in self.problems],
        }


def _with_source(study: StudyFile, data: str | Path) -> StudyFile:
    c = study.config
    source = str(Path(data).resolve())
    new_data = c.data.model_copy(
        update={"source": source, "sheet": None, "table": None, "query": None}
    )
    return StudyFile(study.path, c.model_copy(update={"data": new_data}), study.lines)


def _check_analysis(study: StudyFile, names: list[str]) -> list[Problem]:
    a = study.config.analysis
    wanted: list[tuple[Key, str]] = []
    if a.groups:
        wanted.append((("analysis", "groups"), a.groups))
    wanted += [(("analysis", "also_by", i), v) for i, v in enumerate(a.also_by)]
    wanted += [(("analysis", "characteristics", i), v) for i, v in enumerate(a.characteristics)]
    wanted += [(("analysis", "covariates", i), v) for i, v in enumerate(a.covariates)]
    out = []
    for key, col in wanted:
        if col not in names:
            close = did_you_mean(col, names)
            hint = f"; did you mean '{close}'?" if close else ""
            out.append(
                study.problem(
                    key, "not a column of the data nor derived by the study file" + hint, col
                )
            )
    return out


def load_study(
    path: str | Path,
    *,
    data: str | Path | None = None,
    strict: bool = True,
    today: dt.date | None = None,
    engine_kind: str | None = None,
    spark_master: str | None = None,
) -> Study:
    """Read, check and derive a study from its study file.

    ``data`` replaces the main table named in ``[data]`` (e.g. a synthetic registry).
    ``engine_kind`` ("duckdb" or "spark") and ``spark_master`` override ``[data] engine`` and
    ``spark_master``.
    With ``strict`` (the default), any error raises :class:`InputError` listing every problem;
    ``strict=False`` returns the :class:`Study` anyway so a checker can show all problems.
    ``today`` is the date after which a date is "in the future" (default: today).
    """
    study = load_config(path)
    if data is not None:
        study = _with_source(study, data)
    study = with_metadata(study)  # labels, value labels, missing codes, dates from the file
    engine = open_engine(
        engine_kind or study.config.data.engine, spark_master or study.config.data.spark_master
    )
    try:
        return _load(study, engine, strict, today)
    except BaseException:
        engine.close()
        raise


def _load(study: StudyFile, engine: Engine, strict: bool, today: dt.date | None) -> Study:
    registry = read_registry(study, engine)
    typed = type_registry(study, registry, verdict_columns(study))
    if any(p.severity == "error" for p in typed.problems):
        raise InputError([*typed.problems, *registry.problems])
    table = StudyTable(registry, typed)
    derived, problems = derive(study, typed, table)
    flag_verdicts = flags(study, typed, table)
    names, where = labels(study, derived)
    problems += [
        study.problem(
            where[col],
            f"derived column '{col}' has the name of a registry "
            "column; rename the endpoint, interval or flag",
            col,
        )
        for col in where
        if col in registry.types
    ]
    columns = [*registry.columns, *where]
    problems += _check_analysis(study, columns)
    if problems:
        raise InputError(problems)
    table.create(engine, _DERIVED, derived)
    step = cohort_predicates(study, engine, _DERIVED, set(typed.dates))
    engine.create_view(_ALL, f"SELECT *, {step} AS {STEP} FROM {_DERIVED}")
    # no ORDER BY: every aggregate over the view would pay for a sort; rows are put in
    # registry order where order is seen (Study.frame, the derivation log)
    engine.create_view(COHORT, f"SELECT * FROM {_ALL} WHERE {STEP} < 0")
    flow = count_flow(study, engine, _ALL)
    findings = [
        *typed.findings,
        *table.findings,
        *check_dates(
            study.config, registry.id_column, registry.first_row, typed.dates, flag_verdicts, today
        ),
    ]
    reads = steps_reading(study, registry.columns)
    reading = {
        f: (f"{STEP} >= {reads[f.column][0]}",
            f" (the cohort step '{reads[f.column][1]}' reads this column; correct the value"
            " or declare it a missing code)")
        for f in typed.findings
        if f.column in reads
    }
    located = locate(registry, _ALL, findings, keep=f"{STEP} < 0", reading=reading)
    order = {"error": 0, "warning": 1, "note": 2}
    all_problems = sorted(
        [*registry.problems, *typed.problems, *located], key=lambda p: order[p.severity]
    )
    kinds = dict(typed.kinds)
    levels = dict(typed.levels)
    for d in derived:
        kinds[d.time] = "derived"
        if d.event is not None:
            kinds[d.event] = "event"
        elif (iv := study.config.intervals[d.name]).flag and iv.flag_within_days is not None:
            kinds[iv.flag] = "categorical"
            levels[iv.flag] = ["no", "yes"]
    result = Study(
        file=study,
        engine=engine,
        columns=tuple(columns),
        kinds=kinds,
        levels=levels,
        flow=flow,
        problems=tuple(all_problems),
        labels=names,
        log_sql=derivation_log_sql(
            derived, COHORT, registry.row_of[registry.main].format(t=COHORT), registry.id_column
        ),
        log_parts=len(derived),
    )
    weakref.finalize(result, engine.close)
    if strict and not result.ok:
        raise InputError(result.problems)
    return result
