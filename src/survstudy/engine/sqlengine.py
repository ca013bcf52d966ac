"""Where a study's SQL runs: DuckDB (embedded, the default) or Spark.

The data layer writes its SQL once, in DuckDB's dialect, and talks to an engine through the
few operations below: run a query and fetch its rows, create a table or a view, load a file,
register a small lookup table, describe columns, write a CSV. :class:`DuckDBEngine` runs the
SQL as written in a private on-disk database (paged to disk beyond a memory budget);
:class:`SparkEngine` translates it to Spark SQL with sqlglot and materialises each table with a
local checkpoint, so the same study gives the same numbers on a cluster.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from survstudy.engine.optional import require
from survstudy.engine.sources import NULL_STRINGS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["MEMORY_LIMIT", "DuckDBEngine", "Engine", "Result", "SparkEngine", "open_engine"]

#: DuckDB's memory budget for a study (environment variable ``SURVSTUDY_MEMORY_LIMIT``, e.g.
#: "4GB"); beyond it, tables, joins and sorts spill to the study's temporary folder.
MEMORY_LIMIT = "1GB"

#: Spark type names → the DuckDB names the data layer reasons with.
_SPARK_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP",
}


class Result(Protocol):
    """What a query returns: rows as tuples, columns as NumPy arrays, or a DataFrame."""

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchnumpy(self) -> dict[str, Any]: ...

    def df(self) -> pd.DataFrame: ...


class Engine(Protocol):
    """The operations a study needs from a SQL engine (queries in DuckDB's dialect)."""

    kind: str

    def sql(self, query: str) -> Result: ...

    def create_table(self, name: str, query: str) -> None: ...

    def create_view(self, name: str, query: str) -> None: ...

    def drop(self, name: str) -> None: ...

    def rename(self, old: str, new: str) -> None: ...

    def columns(self, name: str) -> dict[str, str]: ...

    def query_columns(self, query: str) -> dict[str, str]: ...

    def query_progress(self) -> float: ...

    def load(self, name: str, path: Path | None, kind: str, frame: Any) -> None: ...

    def lookup(self, name: str, table: pa.Table) -> None: ...

    def write_csv(self, query: str, path: Path) -> None: ...

    def write_parquet(self, query: str, path: Path) -> None: ...

    def close(self) -> None: ...


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine:
    """DuckDB in a private temporary folder: tables are stored compressed and paged to disk
    beyond :data:`MEMORY_LIMIT`, so a registry larger than memory can be analysed."""

    kind = "duckdb"

    def __init__(self) -> None:
        from survstudy.engine.duckdb import connect

        self.folder = tempfile.mkdtemp(prefix="survstudy-")
        self.con = connect(str(Path(self.folder) / "study.duckdb"))
        limit = os.environ.get("SURVSTUDY_MEMORY_LIMIT", MEMORY_LIMIT)
        self.con.sql(f"SET memory_limit = {_lit(limit)}")
        self.con.sql(f"SET temp_directory = {_lit(str(Path(self.folder) / 'spill'))}")

    def sql(self, query: str) -> Result:
        result: Result = self.con.sql(query)
        return result

    def create_table(self, name: str, query: str) -> None:
        self.con.sql(f"CREATE OR REPLACE TABLE {_q(name)} AS {query}")

    def create_view(self, name: str, query: str) -> None:
        self.con.sql(f"CREATE OR REPLACE VIEW {_q(name)} AS {query}")

    def drop(self, name: str) -> None:
        (views,) = self.con.sql(
            f"SELECT count(*) FROM duckdb_views() WHERE view_name = {_lit(name)}"
        ).fetchall()[0]
        self.con.sql(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS {_q(name)}")

    def rename(self, old: str, new: str) -> None:
        self.con.sql(f"ALTER TABLE {_q(old)} RENAME TO {_q(new)}")

    def columns(self, name: str) -> dict[str, str]:
        return self.query_columns(f"SELECT * FROM {_q(name)}")

    def query_columns(self, query: str) -> dict[str, str]:
        return {str(r[0]): str(r[1]) for r in self.con.sql(f"DESCRIBE {query}").fetchall()}

    def query_progress(self) -> float:
        return float(self.con.query_progress())

    def load(self, name: str, path: Path | None, kind: str, frame: Any) -> None:
        """Copy a CSV file (or a pandas frame) in as ``name`` with its ``__row``, the 0-based
        position of the row; a Parquet file is read where it is (:meth:`_parquet_view`)."""
        if kind == "csv":
            from survstudy.engine.sources import csv_scan

            assert path is not None
            source = csv_scan(path)
            if "rowid" not in self.query_columns(f"SELECT * FROM {source}"):
                # read in parallel (row_number() OVER () is one thread); DuckDB keeps a file's
                # row order in the table, so each row's rowid is its position in the file
                self.create_table(f"{name}#read", f"SELECT * FROM {source}")
                self.create_view(name, f"SELECT rowid AS __row, * FROM {_q(name + '#read')}")
                return
        elif kind == "parquet":
            assert path is not None
            source = f"read_parquet({_lit(str(path))})"
            if self._parquet_view(name, path):
                return
        else:
            self.con.register("__frame", frame)
            source = "__frame"
        try:
            self.create_table(name, f"SELECT row_number() OVER () - 1 AS __row, * FROM {source}")
        finally:
            if kind not in ("csv", "parquet"):
                self.con.unregister("__frame")

    def _parquet_view(self, name: str, path: Path) -> bool:
        """Make ``name`` a view of one Parquet file, ``__row`` its position in the file: Parquet
        is typed and columnar, so a copy would cost a whole read and write of every column
        for nothing. False (no view) for a folder or pattern, or a file with a column
        named ``file_row_number``."""
        if not path.is_file():
            return False
        file = _lit(str(path))
        if "file_row_number" in self.query_columns(f"SELECT * FROM read_parquet({file})"):
            return False
        scan = f"read_parquet({file}, file_row_number=true)"
        self.create_view(
            name, f"SELECT file_row_number AS __row, * EXCLUDE (file_row_number) FROM {scan}"
        )
        return True

    def lookup(self, name: str, table: pa.Table) -> None:
        self.con.register("__arrow", table)
        try:
            self.create_table(name, "SELECT * FROM __arrow")
        finally:
            self.con.unregister("__arrow")

    def write_csv(self, query: str, path: Path) -> None:
        self.con.sql(f"COPY ({query}) TO {_lit(str(path))} (HEADER, DELIMITER ',')")

    def write_parquet(self, query: str, path: Path) -> None:
        self.con.sql(f"COPY ({query}) TO {_lit(str(path))} (FORMAT parquet, COMPRESSION zstd)")

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class _SparkResult:
    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.frame.collect()]

    def arrow(self) -> pa.Table:
        table: pa.Table = self.frame.toArrow()
        return table

    def fetchnumpy(self) -> dict[str, Any]:
        import numpy as np

        table = self.arrow()
        out = {}
        for name in table.column_names:
            column = table.column(name)
            if column.null_count and column.type in ("double", "float"):
                out[name] = column.to_numpy(zero_copy_only=False)
            else:
                values = column.to_pandas().to_numpy()
                out[name] = np.asarray(values)
        return out

    def df(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.arrow().to_pandas()
        return frame


class SparkEngine:
    """Spark SQL (a local session, a cluster or Spark Connect): each query is translated from
    DuckDB's dialect by sqlglot; tables are temporary views materialised by a local checkpoint.

    The views of one study carry a private prefix (the session may hold other studies), put
    in by rewriting the table names of each query.
    """

    kind = "spark"

    def __init__(self, master: str | None = None) -> None:
        import uuid

        from survstudy.engine.spark import spark_session

        self.spark = spark_session(master)
        self.prefix = f"survstudy_{uuid.uuid4().hex[:8]}_"
        # a query Spark rejects (say a cohort's `where`) becomes one problem line of ours;
        # PySpark would also log it, with its stack, as JSON on stderr
        for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.views: set[str] = set()

    def _name(self, name: str) -> str:
        return f"`{self.prefix}{name}`"

    def translate(self, query: str) -> str:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(query, read="duckdb")
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name in self.views:
                if not table.alias:  # columns may be qualified by the table's own name
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
                table.set("this", exp.to_identifier(self.prefix + table.name))
        return str(tree.sql(dialect="spark"))

    def sql(self, query: str) -> Result:
        return _SparkResult(self.spark.sql(self.translate(query)))

    def _view(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(self.prefix + name)
        self.views.add(name)

    def create_table(self, name: str, query: str) -> None:
        self._view(name, self.spark.sql(self.translate(query)).localCheckpoint(eager=True))

    def create_view(self, name: str, query: str) -> None:
        self._view(name, self.spark.sql(self.translate(query)))

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(self.prefix + name)
        self.views.discard(name)

    def rename(self, old: str, new: str) -> None:
        self._view(new, self.spark.table(self._name(old)))
        self.drop(old)

    def columns(self, name: str) -> dict[str, str]:
        return _duckdb_types(self.spark.table(self._name(name)).dtypes)

    def query_columns(self, query: str) -> dict[str, str]:
        return _duckdb_types(self.spark.sql(self.translate(query)).dtypes)

    def query_progress(self) -> float:
        return -1.0

    def load(self, name: str, path: Path | None, kind: str, frame: Any) -> None:
        """Read a CSV or Parquet file (or a pandas frame) as ``name`` with its ``__row`` (the
        position in the file: Spark keeps the order of a file's splits)."""
        from pyspark.sql import functions as F

        if kind == "csv":
            assert path is not None
            data = self.spark.read.csv(str(path), header=True, inferSchema=False)
            nulls = list(NULL_STRINGS)
            data = data.select(
                [
                    F.when(F.col(f"`{c}`").isin(nulls), None).otherwise(F.col(f"`{c}`")).alias(c)
                    for c in data.columns
                ]
            )
        elif kind == "parquet":
            assert path is not None
            data = self.spark.read.parquet(str(path))
        else:
            import pyarrow as pa

            data = self.spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))
        self._view(name, _numbered(self.spark, data))

    def lookup(self, name: str, table: pa.Table) -> None:
        self._view(name, self.spark.createDataFrame(table))

    def write_csv(self, query: str, path: Path) -> None:
        """Stream the rows to one CSV file on this machine (as DuckDB's COPY writes it)."""
        frame = self.spark.sql(self.translate(query))
        with open(path, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(frame.columns)
            out.writerows(_csv_row(r) for r in _rows(frame))

    def write_parquet(self, query: str, path: Path) -> None:
        """Stream the rows to one Parquet file on this machine, in batches of rows."""
        import itertools

        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyspark.sql.pandas.types import to_arrow_schema

        frame = self.spark.sql(self.translate(query))
        schema = to_arrow_schema(frame.schema)
        rows = _rows(frame)
        with pq.ParquetWriter(str(path), schema, compression="zstd") as out:
            while batch := list(itertools.islice(rows, _PARQUET_BATCH)):
                out.write_table(pa.Table.from_pylist(
                    [dict(zip(schema.names, r, strict=True)) for r in batch], schema))

    def close(self) -> None:
        for name in list(self.views):
            self.drop(name)


def _numbered(spark: Any, data: Any) -> Any:
    """``data`` with ``__row``, its 0-based position, materialised.

    Spark's monotonically increasing id is (partition << 33) + position in the partition, and a
    file's partitions are its splits in order: the rows of each partition are counted, and each
    row's position is its partition's offset plus its place in it (no window over all rows,
    which would pass every row through one task).
    """
    from pyspark.sql import functions as F

    columns = [F.col(f"`{c}`") for c in data.columns]
    tagged = data.withColumn("__id", F.monotonically_increasing_id()).localCheckpoint(eager=True)
    part = F.shiftright(F.col("__id"), 33)
    sizes = sorted(tagged.groupBy(part.alias("p")).count().collect())
    offsets, total = [], 0
    for p, n in sizes:
        offsets.append((int(p), total))
        total += int(n)
    table = spark.createDataFrame(offsets or [(0, 0)], "__p long, __offset long")
    position = F.col("__id").bitwiseAND((1 << 33) - 1) + F.col("__offset")
    numbered = tagged.join(F.broadcast(table), part == F.col("__p"))
    return numbered.select(position.alias("__row"), *columns).localCheckpoint(eager=True)


def _duckdb_types(fields: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {str(c): _SPARK_TYPES.get(str(t), str(t).upper()) for c, t in fields}


#: Rows a Spark engine hands to a Parquet file at a time.
_PARQUET_BATCH = 100_000


def _rows(frame: Any) -> Iterator[Sequence[Any]]:
    yield from frame.toLocalIterator()


def _csv_row(row: Sequence[Any]) -> list[Any]:
    return ["" if v is None else repr(v) if isinstance(v, float) else v for v in row]


def open_engine(kind: str = "duckdb", master: str | None = None) -> Engine:
    """A fresh engine for one study: ``"duckdb"`` or ``"spark"`` (``master``: see
    :func:`survstudy.engine.spark.spark_session`)."""
    if kind == "spark":
        require("pyspark", "sqlglot", purpose="the Spark engine")
        return SparkEngine(master)
    if kind != "duckdb":
        raise ValueError(f"the engine must be duckdb or spark, not {kind!r}")
    return DuckDBEngine()
