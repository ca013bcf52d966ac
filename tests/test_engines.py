"""The engines agree: NumPy (``count_table`` on arrays), DuckDB and Spark give the same counts.

Same data as CSV, Parquet and a DataFrame, with missing values, ties, near-ties, a group with
no events, and numeric and text group labels; the same count tables, Kaplan-Meier and log-rank
numbers, and the same problems (rows, columns, values) for bad input. One local Spark session
serves the whole run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survstudy.engine.counts import CountTable, count_table
from survstudy.engine.distinct import DistinctRows, distinct_counts
from survstudy.engine.duckdb import duckdb_counts
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import open_source
from survstudy.errors import InputError
from survstudy.stats.survival.km import kaplan_meier_counts
from survstudy.stats.survival.logrank import weighted_log_rank
from tests.conftest import REFERENCE, close

JAVA = shutil.which("java") or (
    os.environ.get("JAVA_HOME") and shutil.which("java", path=f"{os.environ['JAVA_HOME']}/bin")
)
needs_java = pytest.mark.skipif(not JAVA, reason="Java is not installed; Spark needs Java 17")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not JAVA:
        pytest.skip("Java is not installed; Spark needs Java 17")
    from survstudy.engine.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def registry(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Months rounded to 0.1 (ties), near-ties, missing values, a group with no events."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["control", "treated", "no events"], n, p=[0.45, 0.45, 0.1])
    months = np.round(rng.exponential(np.where(arm == "treated", 30.0, 20.0)), 1)
    near = rng.random(n) < 0.1  # differ from a rounded value by floating-point noise only
    months[near] = months[near] * (1 + 4e-16) + 1e-13
    days = rng.integers(1, 2000, n)
    months[:40] = days[:40] / 30.4375  # converted from days, as registries do
    died = (rng.random(n) < 0.6).astype(float)
    died[arm == "no events"] = 0
    site = rng.choice([1, 2, 10], n)
    frame = pd.DataFrame(
        {
            "months": months,
            "died": pd.array(died.astype(int), dtype="Int64"),
            "arm": arm,
            "site": pd.array(site, dtype="Int64"),
        }
    )
    frame.loc[rng.choice(n, 12, replace=False), "months"] = np.nan
    frame.loc[rng.choice(n, 9, replace=False), "died"] = pd.NA
    frame.loc[rng.choice(n, 7, replace=False), "arm"] = None
    frame.loc[rng.choice(n, 5, replace=False), "site"] = pd.NA
    return frame


def numpy_counts(frame: pd.DataFrame, group: str | None) -> CountTable:
    """The reference: drop incomplete rows, then ``count_table`` on plain arrays."""
    columns = ["months", "died"] + ([group] if group else [])
    complete = frame[columns].notna().all(axis=1).to_numpy()
    kept = frame[complete]
    labels = None if group is None else kept[group].astype(str).to_numpy()
    return count_table(
        kept["months"].to_numpy(dtype=float),
        kept["died"].to_numpy(dtype=int) == 1,
        labels,
        excluded=int((~complete).sum()),
    )


def assert_same_counts(got: CountTable, want: CountTable) -> None:
    assert got.groups == want.groups
    for name in ("stratum", "time", "n_event", "n_censor", "n_risk"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert (got.ties_merged, got.excluded) == (want.ties_merged, want.excluded)


def assert_same_numbers(got: CountTable, want: CountTable) -> None:
    """Kaplan-Meier (survival at 12 and 36, quantiles) and log-rank agree to 1e-9."""
    a = kaplan_meier_counts(got).summary(at=[12, 36], quantiles=(0.25, 0.5, 0.75))
    b = kaplan_meier_counts(want).summary(at=[12, 36], quantiles=(0.25, 0.5, 0.75))
    assert _flat(a) == pytest.approx(_flat(b), rel=1e-9, abs=1e-12, nan_ok=True)
    if len(want.groups) > 1:
        x, y = weighted_log_rank(got), weighted_log_rank(want)
        assert close(x.statistic, y.statistic, rel=1e-9)
        assert close(x.p_value, y.p_value, rel=1e-9)
        assert x.df == y.df


def _flat(value: Any) -> list[float]:
    """Every number in a nested summary, None as NaN, labels dropped."""
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flat(value[k])]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    if value is None:
        return [float("nan")]
    return [] if isinstance(value, str) else [float(value)]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The registry as a DataFrame, a CSV (missing written as NA) and a Parquet file."""
    folder = tmp_path_factory.mktemp("engines")
    frame = registry()
    frame.to_csv(folder / "registry.csv", index=False, na_rep="NA")
    frame.to_parquet(folder / "registry.parquet", index=False)
    return {"frame": frame, "csv": folder / "registry.csv", "parquet": folder / "registry.parquet"}


def test_the_data_has_what_the_comparison_needs(files: dict[str, Any]) -> None:
    want = numpy_counts(files["frame"], "arm")
    assert want.ties_merged > 0
    assert want.excluded > 0
    assert want.stratum_of("no events").events == 0
    assert (want.n_event > 1).any()  # tied event times
    assert numpy_counts(files["frame"], "site").groups == ("1", "2", "10")


@pytest.mark.parametrize("group", ["arm", "site", None])
@pytest.mark.parametrize("kind", ["csv", "parquet", "frame"])
def test_duckdb_matches_numpy(files: dict[str, Any], kind: str, group: str | None) -> None:
    want = numpy_counts(files["frame"], group)
    got = duckdb_counts(open_source(files[kind]), "months", EventSpec.parse("died"), group)
    assert_same_counts(got, want)
    assert_same_numbers(got, want)


@needs_java
@pytest.mark.parametrize("group", ["arm", "site", None])
@pytest.mark.parametrize("kind", ["csv", "parquet", "frame"])
def test_spark_matches_numpy_and_duckdb(
    spark: Any, files: dict[str, Any], kind: str, group: str | None
) -> None:
    from survstudy.engine.spark import spark_counts

    want = numpy_counts(files["frame"], group)
    got = spark_counts(files[kind], "months", "died", group, session=spark)
    assert_same_counts(got, want)
    assert_same_numbers(got, want)
    duck = duckdb_counts(open_source(files[kind]), "months", EventSpec.parse("died"), group)
    assert got.to_dict() == duck.to_dict()


@needs_java
def test_spark_with_stated_group_order_and_a_spark_dataframe(
    spark: Any, files: dict[str, Any]
) -> None:
    from survstudy.engine.spark import spark_counts

    order = ["treated", "control", "no events"]
    frame = spark.read.parquet(str(files["parquet"]))
    got = spark_counts(frame, "months", EventSpec.parse("died"), "arm", groups=order)
    want = duckdb_counts(
        open_source(files["parquet"]), "months", EventSpec.parse("died"), "arm", groups=order
    )
    assert got.groups == tuple(order)
    assert_same_counts(got, want)


@needs_java
@pytest.mark.parametrize(
    ("name", "time", "event", "group"),
    [
        ("lung", "time", "status=2", "sex"),
        ("colon", "time", "status", "rx"),
        ("pbc", "time", "status=2", "trt"),
        ("veteran", "time", "status", "celltype"),
    ],
)
def test_spark_matches_duckdb_on_public_data(
    spark: Any, name: str, time: str, event: str, group: str
) -> None:
    from survstudy.engine.spark import spark_counts

    path = REFERENCE / f"{name}.csv"
    got = spark_counts(path, time, event, group, session=spark)
    want = duckdb_counts(open_source(path), time, EventSpec.parse(event), group)
    assert got.to_dict() == want.to_dict()


NOTHING = "every row has a missing time, event or group; there is nothing to analyse"


def problems(call: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(InputError) as caught:
        call()
    return [(p.file, p.row, p.column, str(p.value), p.message) for p in caught.value.problems]


def bad_registry(path: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 3000
    months: Any = np.round(rng.exponential(20, n), 1).astype(object)
    died: Any = rng.integers(0, 2, n).astype(object)
    months[[10, 1500, 2999]] = "abc"
    months[[20, 2500]] = "-3"
    months[700] = "inf"
    died[[5, 2222]] = 7
    for i in range(30, 60):
        months[i] = "x"  # more than the five rows a message lists
    pd.DataFrame({"months": months, "died": died, "arm": rng.choice(["a", "b"], n)}).to_csv(
        path, index=False
    )
    return path


@needs_java
def test_spark_names_the_same_bad_rows_as_duckdb(spark: Any, tmp_path: Path) -> None:
    from survstudy.engine.spark import spark_counts

    path = bad_registry(tmp_path / "bad.csv")
    want = problems(
        lambda: duckdb_counts(open_source(path), "months", EventSpec.parse("died"), "arm")
    )
    assert (str(path), 12, "months", "abc", "time is not a number") in want
    assert any(p[4] == "time is not a number (28 more rows like this)" for p in want)
    # several partitions of one file: rows are still numbered as in the file
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        assert spark.read.csv(str(path), header=True).rdd.getNumPartitions() > 2
        got = problems(lambda: spark_counts(path, "months", "died", "arm", session=spark))
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        spark.conf.unset("spark.sql.files.openCostInBytes")
    assert got == want


@needs_java
def test_spark_bad_input_in_a_frame_and_missing_columns(spark: Any, tmp_path: Path) -> None:
    from survstudy.engine.spark import spark_counts

    frame = pd.read_csv(bad_registry(tmp_path / "bad.csv"), dtype=str)
    got = problems(lambda: spark_counts(frame, "months", "died", "arm", session=spark))
    want = problems(
        lambda: duckdb_counts(open_source(frame), "months", EventSpec.parse("died"), "arm")
    )
    assert got == want
    path = REFERENCE / "lung.csv"
    got = problems(lambda: spark_counts(path, "tme", "statsu=2", "sex", session=spark))
    want = problems(
        lambda: duckdb_counts(open_source(path), "tme", EventSpec.parse("statsu=2"), "sex")
    )
    assert got == want
    assert "did you mean 'time'?" in got[0][4]


@needs_java
def test_spark_dataframe_problems_give_values_without_rows(spark: Any) -> None:
    from survstudy.engine.spark import spark_counts

    frame = spark.createDataFrame(
        pd.DataFrame({"t": ["1", "x", "3", "-2"], "e": ["1", "0", "5", "1"]})
    )
    got = problems(lambda: spark_counts(frame, "t", "e", session=spark))
    assert [(row, value) for _, row, _, value, _ in got] == [(None, "x"), (None, "-2"), (None, "5")]
    assert got[0][0] == "Spark DataFrame"


@needs_java
def test_spark_reads_csv_text_as_duckdb_does(spark: Any, tmp_path: Path) -> None:
    """NA markers, decimal and yes/no labels (kept as written), numbers with underscores, a
    semicolon file."""
    from survstudy.engine.spark import spark_counts

    cases = {
        "decimal.csv": "g,t,e\n1.5,1,1\n2,2,0\n2,3,1\nNA,4,1\n",
        "words.csv": "g,t,e\nYes,1,1\nno,2,0\nyes,3,1\n",
        "numbers.csv": "g,t,e\na,1_000,1\na, 2 ,0\nb,.5,1\nb,1e1,1\nb,nan,0\nb,N/A,1\n",
        "semicolon.csv": "g;t;e\na;1;1\nb;2;0\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        got = spark_counts(path, "t", "e", "g", session=spark)
        want = duckdb_counts(open_source(path), "t", EventSpec.parse("e"), "g")
        assert got.to_dict() == want.to_dict(), name
    path = tmp_path / "odd.csv"
    path.write_text("t,e\n1.5d,1\n1.5,0\n")  # a number to Spark's cast, not to DuckDB's
    assert problems(lambda: spark_counts(path, "t", "e", session=spark)) == problems(
        lambda: duckdb_counts(open_source(path), "t", EventSpec.parse("e"))
    )


@needs_java
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 30).map(lambda x: x / 10)),
            st.one_of(st.none(), st.integers(0, 1)),
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_engines_agree_on_random_registries(
    spark: Any, tmp_path: Path, rows: list[tuple[Any, Any, Any]]
) -> None:
    from survstudy.engine.spark import spark_counts

    frame = pd.DataFrame(rows, columns=["months", "died", "arm"]).astype(
        {"months": "Float64", "died": "Int64"}
    )
    path = tmp_path / "random.parquet"
    frame.to_parquet(path, index=False)
    if not frame.notna().all(axis=1).any():  # nothing to count: both engines say so
        message = [(str(path), None, None, "None", NOTHING)]
        assert problems(lambda: spark_counts(path, "months", "died", "arm", session=spark)) == (
            message
        )
        with pytest.raises(InputError):
            duckdb_counts(open_source(path), "months", EventSpec("died"), "arm")
        return
    want = numpy_counts(frame, "arm")
    assert_same_counts(duckdb_counts(open_source(path), "months", EventSpec("died"), "arm"), want)
    assert_same_counts(spark_counts(path, "months", "died", "arm", session=spark), want)


def test_distinct_rows_from_numpy_and_arrow_agree() -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "g": ["a", None, "b", "a"],
            "t": [1.0, 2.0, None, 3.0],
            "bad": [False, False, False, False],
            "e": ["1", "0", "1", None],
            "n": [3, 1, 2, 4],
        }
    )
    masked = {
        "g": np.ma.masked_array(np.array(["a", "", "b", "a"], dtype=object), [0, 1, 0, 0]),
        "t": np.ma.masked_array([1.0, 2.0, 0.0, 3.0], [0, 0, 1, 0]),
        "bad": np.zeros(4, dtype=bool),
        "e": np.ma.masked_array(np.array(["1", "0", "1", ""], dtype=object), [0, 0, 0, 1]),
        "n": np.array([3, 1, 2, 4]),
    }
    a = distinct_counts(DistinctRows.from_arrow(table), "t", EventSpec("e"), "g")
    b = distinct_counts(DistinctRows.from_columns(**masked), "t", EventSpec("e"), "g")
    assert a.to_dict() == b.to_dict()
    assert a.excluded == 7
    assert a.n == 3


@needs_java
def test_spark_remote_through_spark_connect(tmp_path: Path) -> None:
    """``SPARK_REMOTE`` selects Spark Connect (here a local Connect server, in its own process)."""
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect]")
    script = (
        "from survstudy.engine.spark import spark_counts\n"
        f"c = spark_counts({str(REFERENCE / 'lung.csv')!r}, 'time', 'status=2', 'sex')\n"
        "print(type(c).__name__, c.groups, int(c.events))\n"
    )
    env = {**os.environ, "SPARK_REMOTE": "local[1]", "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "CountTable ('1', '2') 165"


def test_km_command_gives_the_same_document_with_spark(spark: Any) -> None:
    """`survstudy km --engine spark` (reusing the active session) equals the DuckDB run."""
    import json

    from typer.testing import CliRunner

    from survstudy.cli import _register, app
    from tests.conftest import SEED_COHORT

    _register()
    args = ["km", str(SEED_COHORT), "--time", "survival_months", "--event", "died", "--group",
            "group", "--at", "12,36", "--json"]
    runner = CliRunner()
    duck = runner.invoke(app, args)
    spark_run = runner.invoke(app, [*args, "--engine", "spark"])
    assert spark_run.exit_code == 0, spark_run.output
    assert json.loads(spark_run.stdout) == json.loads(duck.stdout)


def test_long_scans_report_progress_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from survstudy.engine.duckdb import connect, scan

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    sql = "SELECT sum(i % 7) AS s FROM range(400000000) t(i)"
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    rows = scan(connect(), sql, "counting", after=0.0)
    assert int(rows["s"][0]) == sum(i % 7 for i in range(7)) * (400000000 // 7) + sum(
        range(400000000 % 7))
    assert "counting:" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the line is cleared at the end
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    scan(connect(), "SELECT 1 AS one", "counting", after=0.0)
    assert pipe.getvalue() == ""



def test_spark_names_bad_values_past_the_sample_and_in_the_last_of_30001_rows(
    spark: Any, tmp_path: Path
) -> None:
    """Issue 12: no type sniffer decides; rows 20,482 and 30,002 (the last) are named."""
    from survstudy.engine.spark import spark_counts

    rng = np.random.default_rng(5)
    n = 30_001
    frame = pd.DataFrame({"t": np.round(rng.exponential(9.0, n), 2).astype(str),
                          "e": rng.integers(0, 2, n).astype(str), "g": rng.choice(["a", "b"], n)})
    frame.loc[n - 1, "t"] = "abc"
    frame.loc[20_480, "e"] = "abc"
    path = tmp_path / "last.csv"
    frame.to_csv(path, index=False)
    want = [(n + 1, "t", "abc", "time is not a number"), (20_482, "e", "abc", "event value")]
    with pytest.raises(InputError) as spark_error:
        spark_counts(path, "t", "e", "g", session=spark)
    with pytest.raises(InputError) as duckdb_error:
        duckdb_counts(open_source(path), "t", EventSpec("e"), "g")
    for caught in (spark_error, duckdb_error):
        got = [(p.row, p.column, p.value, p.message[: len(w[3])])
               for p, w in zip(caught.value.problems, want, strict=True)]  # fmt: skip
        assert got == want
