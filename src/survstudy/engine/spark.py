"""Count tables computed by Spark SQL, for registries too large for one machine.

The same design as the DuckDB engine: one ``GROUP BY`` over (group, time, whether the time is
text, event code) returns a few distinct rows through Arrow, and :mod:`survstudy.engine.distinct`
checks them and builds the count table, so both engines give identical numbers. Only when a
check fails is the data scanned again, to name the rows the user must fix.

A local session by default, kept on loopback and quiet; ``master`` (or the ``SPARK_REMOTE``
environment variable, for Spark Connect) selects an existing cluster. PySpark is an optional
extra and is imported only inside these functions.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survstudy.engine.counts import CountTable
from survstudy.engine.distinct import ROWS_SHOWN, DistinctRows, Finding, distinct_counts
from survstudy.engine.duckdb import check_columns
from survstudy.engine.events import EventSpec
from survstudy.engine.optional import require
from survstudy.engine.sources import NULL_STRINGS, Source, open_source
from survstudy.errors import Problem

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["spark_counts", "spark_session"]

#: Settings of the local session: loopback only, no web UI, no progress bar.
LOCAL_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}

# Root at WARN (what PySpark expects, so it prints no notice about it) and ERROR once started;
# Hadoop and Parquet (which warn about their native libraries) at ERROR from the start.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""
_QUIET = ("org.apache.hadoop", "org.apache.parquet")

# Text DuckDB's TRY_CAST reads as a number (Spark's own cast also takes "1.5d" and hex, and
# not "1_000"): digits with single underscores between them, an optional fraction and exponent.
_DIGITS = r"\d+(?:_\d+)*"
_NUMBER = rf"^\s*[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?\s*$"
_INFINITY = r"(?i)^\s*[+-]?inf(?:inity)?\s*$"
_NAN = r"(?i)^\s*[+-]?nan\s*$"


def _log_config() -> str:
    loggers = "".join(
        f"logger.q{i}.name = {name}\nlogger.q{i}.level = error\n" for i, name in enumerate(_QUIET)
    )
    return _LOG4J2 + loggers


@contextlib.contextmanager
def _log4j_file() -> Iterator[Path]:
    """A logging configuration for the driver JVM, removed once the JVM has read it."""
    fd, name = tempfile.mkstemp(prefix="survstudy-log4j2-", suffix=".properties")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_log_config())
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def spark_session(master: str | None = None) -> SparkSession:
    """The Spark session to count with: the active one, or a new one.

    ``master`` is a Spark master URL (``local[4]``, ``spark://host:7077``, ``yarn``) or a Spark
    Connect URL (``sc://host:15002``). Without it, ``SPARK_REMOTE`` is used if set, else the
    active session, else a new local session on loopback (``local[*]``).
    """
    require("pyspark", purpose="the Spark engine")
    from pyspark.sql import SparkSession

    remote = master if master and master.startswith("sc://") else None
    if master is None:
        remote = os.environ.get("SPARK_REMOTE") or None
        active = None if remote else SparkSession.getActiveSession()
        if active is not None:
            return active
    if remote is not None:
        return SparkSession.builder.remote(remote).getOrCreate()
    url = master or "local[*]"
    builder = SparkSession.builder.master(url).appName("survstudy")
    if not url.startswith("local"):
        return builder.getOrCreate()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    for key, value in LOCAL_CONF.items():
        builder = builder.config(key, value)
    with _log4j_file() as log4j:
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}"
        )
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    """What was read: a DataFrame, how messages name it, and whether rows can be numbered."""

    frame: DataFrame
    name: str
    text: bool  # CSV read as text: NULL_STRINGS are missing, labels typed as DuckDB would
    first_row: int | None  # user row number of the first data row; None: rows not numbered


def _delimiter(path: Path) -> str:
    """The delimiter of a CSV file, guessed from its header line (DuckDB sniffs it too)."""
    with path.open("rb") as f:
        head = f.readline(1 << 16).decode("utf-8", errors="replace")
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(spark: SparkSession, path: str, sep: str) -> DataFrame:
    frame = (
        spark.read.option("header", "true")
        .option("inferSchema", "false")
        .option("sep", sep)
        .option("quote", '"')
        .option("escape", '"')
        .option("encoding", "UTF-8")
        .csv(path)
    )
    first = frame.columns[0] if frame.columns else ""
    if first.startswith("\ufeff"):  # a byte-order mark before the header
        frame = frame.withColumnRenamed(first, first[1:])
    return frame


def _from_pandas(spark: SparkSession, frame: pd.DataFrame) -> DataFrame:
    """A pandas DataFrame as a Spark DataFrame, through Arrow (never pandas inside Spark)."""
    import pandas as pd
    import pyarrow as pa

    frame = frame.reset_index(drop=True)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # a column of mixed Python objects (numbers and text): read it as text, as DuckDB does
        mixed = frame.select_dtypes(include="object").columns
        frame = frame.astype({c: "object" for c in mixed})
        for c in mixed:
            frame[c] = frame[c].map(lambda v: None if pd.isna(v) else str(v))
        table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.rename_columns([str(c) for c in table.column_names])
    return spark.createDataFrame(table)


def _is_remote(path: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", path) is not None


def _open(spark: SparkSession, data: Any) -> _Input:
    from pyspark.sql import DataFrame as SparkFrame

    if isinstance(data, SparkFrame):
        return _Input(data, "Spark DataFrame", text=False, first_row=None)
    if isinstance(data, (str, Path)) and _is_remote(str(data)):
        text = str(data)
        if text.lower().endswith((".csv", ".tsv", ".txt")):
            sep = "\t" if text.lower().endswith(".tsv") else ","
            return _Input(_read_csv(spark, text, sep), text, text=True, first_row=None)
        return _Input(spark.read.parquet(text), text, text=False, first_row=None)
    source: Source = open_source(data)
    if source.kind == "csv" and source.path is not None:
        frame = _read_csv(spark, str(source.path), _delimiter(source.path))
        return _Input(frame, source.name, text=True, first_row=source.first_row)
    if source.kind == "parquet" and source.path is not None:
        return _Input(spark.read.parquet(str(source.path)), source.name, False, source.first_row)
    return _Input(_from_pandas(spark, source.frame), source.name, False, source.first_row)


# --- the aggregate -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """Spark expressions for the survival columns, as the DuckDB engine defines them."""

    raw_time: Column  # the time as read, for messages
    time: Column
    bad: Column
    event: Column
    group: Column


def _text(column: Column, text: bool) -> Column:
    """A column as text, with CSV's missing-value markers as NULL."""
    from pyspark.sql import functions as F

    as_text = column.cast("string")
    if not text:
        return as_text
    return F.when(as_text.isin(list(NULL_STRINGS)), F.lit(None)).otherwise(as_text)


def _columns(frame: DataFrame, names: dict[str, str], text: bool) -> _Columns:
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, DecimalType, NumericType

    t = F.col(names["time"])
    kind = frame.schema[names["time"]].dataType
    if isinstance(kind, (NumericType, DecimalType, BooleanType)):
        number = t.cast("double")
        raw = t
        bad = F.lit(False)
    else:
        raw = _text(t, text)
        number = (
            F.when(raw.rlike(_NUMBER), F.regexp_replace(raw, "_", "").try_cast("double"))
            .when(raw.rlike(_INFINITY), raw.try_cast("double"))
            .when(raw.rlike(_NAN), F.lit(float("nan")))
        )
        bad = raw.isNotNull() & number.isNull()
    group = _text(F.col(names["group"]), text) if "group" in names else F.lit("all")
    return _Columns(raw, number, bad, _text(F.col(names["event"]), text), group)


def _to_arrow(frame: DataFrame) -> Any:
    """Collect a (small) result as a pyarrow Table, without pandas where PySpark allows."""
    import pyarrow as pa

    to_arrow: Callable[[], Any] | None = getattr(frame, "toArrow", None)
    if to_arrow is not None:
        return to_arrow()
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


# --- naming rows ---------------------------------------------------------------------------


def _locator(
    frame: DataFrame, columns: _Columns, source: _Input
) -> Callable[[Finding], list[Problem]]:
    """Finds the rows of a finding; numbers them as the user does when the input is one file.

    Spark numbers rows within each partition of a scan (``monotonically_increasing_id`` holds
    the partition in its upper bits); the partitions of one file are in file order, so a row's
    number is the rows of earlier partitions plus its place in its own.
    """
    from pyspark.sql import functions as F

    def predicate(finding: Finding) -> Column:
        if finding.kind == "time_text":
            return columns.bad
        if finding.kind == "time_negative":
            return columns.time < 0
        if finding.kind == "time_infinite":
            return F.abs(columns.time) == F.lit(float("inf"))
        return columns.event.isin(list(finding.codes))

    def value(finding: Finding) -> Column:
        return columns.event if finding.kind == "event_code" else columns.raw_time.cast("string")

    def locate(finding: Finding) -> list[Problem]:
        if source.first_row is None:
            found = (
                frame.where(predicate(finding))
                .select(value(finding).alias("v"))
                .distinct()
                .limit(ROWS_SHOWN)
                .collect()
            )
            return [Problem("", value=r["v"]) for r in found]
        numbered = frame.select(
            F.monotonically_increasing_id().alias("_id"),
            predicate(finding).alias("_hit"),
            value(finding).alias("_v"),
        ).select(
            F.shiftright("_id", 33).alias("_p"),
            (F.col("_id").bitwiseAND((1 << 33) - 1)).alias("_k"),
            "_hit",
            "_v",
        )
        partitions = numbered.groupBy("_p").agg(F.count(F.lit(1)).alias("n")).collect()
        sizes: dict[int, int] = {int(r["_p"]): int(r["n"]) for r in partitions}
        hits = numbered.where("_hit").orderBy("_p", "_k").limit(ROWS_SHOWN).collect()
        start: dict[int, int] = {}
        total = 0
        for p in sorted(sizes):
            start[p] = total
            total += sizes[p]
        first = source.first_row or 1
        return [Problem("", row=start[r["_p"]] + r["_k"] + first, value=r["_v"]) for r in hits]

    return locate


def spark_counts(
    path_or_dataframe: str | Path | pd.DataFrame | DataFrame,
    time: str,
    event_spec: EventSpec | str,
    group: str | None = None,
    *,
    session: SparkSession | None = None,
    master: str | None = None,
    groups: Sequence[str] | None = None,
) -> CountTable:
    """The count table of :func:`survstudy.engine.duckdb.duckdb_counts`, aggregated by Spark.

    ``path_or_dataframe`` is a CSV or Parquet path (local, or a URL Spark can read such as
    ``hdfs://`` or ``s3a://``), a pandas DataFrame or a Spark DataFrame. Rows with a missing
    time, event or group are left out and counted in ``excluded``. Raises
    :class:`InputError` listing every problem, naming rows when the input is one local file or
    a pandas DataFrame. ``session`` is used as given; otherwise see :func:`spark_session`.
    """
    require("pyspark", purpose="the Spark engine")
    from pyspark.sql import functions as F

    event = event_spec if isinstance(event_spec, EventSpec) else EventSpec.parse(event_spec)
    spark = session if session is not None else spark_session(master)
    source = _open(spark, path_or_dataframe)
    names = list(source.frame.columns)
    wanted = {time: "time", event.column: "event"}
    if group is not None:
        wanted[group] = "group"
    check_columns(Source(name=source.name, kind="frame"), names, wanted)
    # name columns by position: Spark resolves names ignoring case and reads dots as paths
    frame = source.frame.toDF(*(f"c{i}" for i in range(len(names))))
    position = {role: f"c{names.index(column)}" for column, role in wanted.items()}
    columns = _columns(frame, position, source.text)
    # group by the columns as read, then convert only their distinct values: per row, Spark
    # only hashes (no casts to text, no pattern matching of CSV times)
    raw = frame.groupBy(*position.values()).agg(F.count(F.lit(1)).alias("_n"))
    distinct = (
        raw.select(
            columns.group.alias("g"),
            columns.time.alias("t"),
            columns.bad.alias("bad"),
            columns.event.alias("e"),
            "_n",
        )
        .groupBy("g", "t", "bad", "e")
        .agg(F.sum("_n").alias("n"))
    )
    table = _to_arrow(distinct)
    rows = DistinctRows.from_arrow(table)  # CSV labels stay as written, as DuckDB reads them
    return distinct_counts(
        rows,
        time,
        event,
        group,
        source=source.name,
        locate=_locator(frame, columns, source),
        groups=groups,
    )
