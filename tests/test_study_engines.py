"""The study in SQL: DuckDB and Spark give the same study, problems and report; rows stay in
the engine; DuckDB's workspace is private, bounded and removed.

The Spark half runs the whole pipeline (typing, endpoints from dates, checks, cohort, Table 1,
count tables, derivation log) through sqlglot's translation to Spark SQL on a local session.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import survstudy.cli.report
import survstudy.cli.synth  # noqa: F401  (registers the commands)
from survstudy.cli import _register, app
from survstudy.engine.sqlengine import DuckDBEngine, open_engine
from survstudy.errors import InputError
from survstudy.report.write import write_report
from survstudy.study import Study, load_study
from survstudy.study.analysis import analyse_study
from tests.test_engines import needs_java

_register()
ROOT = Path(__file__).parents[1]
LIVER = ROOT / "src/survstudy/examples/liver_resection/study.toml"
ROTTERDAM = ROOT / "src/survstudy/examples/rotterdam/study.toml"
BROKEN = Path(__file__).parent / "broken"
TODAY = dt.date(2026, 1, 1)


def _snapshot(path: Path, engine: str) -> dict[str, Any]:
    """Everything load_study says about a study, as plain JSON values."""
    try:
        study = load_study(path, strict=False, today=TODAY, engine_kind=engine)
    except InputError as e:
        return {"error": [p.to_dict() for p in e.problems]}
    out = {
        "problems": [p.to_dict() for p in study.problems],
        "flow": study.flow.to_dict(),
        "data": study.data.astype(str).to_dict(orient="list"),
        "dtypes": [str(t) for t in study.data.dtypes],
        "log": study.log.astype(str).to_dict(orient="list"),
        "summary": study.to_dict(),
    }
    return dict(json.loads(json.dumps(out, default=str)))


def _same_numbers(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON, floats to 1e-12 (Spark's and DuckDB's sums may differ in the last bit)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), path
    elif isinstance(a, dict):
        assert isinstance(b, dict), path
        assert a.keys() == b.keys(), path
        for k in a:
            _same_numbers(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list), path
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same_numbers(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


SPARK_CASES = [LIVER, *(BROKEN / c / "study.toml" for c in (
    "duplicate_id", "death_before_resection", "partial_date", "unknown_level",
    "missing_last_contact", "event_after_cutoff"))]


@needs_java
@pytest.mark.parametrize("path", SPARK_CASES, ids=lambda p: p.parent.name)
def test_spark_study_equals_duckdb(path: Path) -> None:
    assert _snapshot(path, "spark") == _snapshot(path, "duckdb")


@needs_java
def test_spark_report_equals_duckdb(tmp_path: Path) -> None:
    out = {}
    for engine in ("duckdb", "spark"):
        study = load_study(ROTTERDAM, engine_kind=engine)
        files = write_report(analyse_study(study), tmp_path / engine)
        out[engine] = json.loads(files["results.json"].read_text())
        out[engine]["study"].pop("study_file")
        study.write_log(tmp_path / f"{engine}.parquet", ids=True)  # as above a sheet's rows
    _same_numbers(out["spark"], out["duckdb"])
    for name in ("derivation_log.csv", "tables/characteristics.csv", "tables/survival-rfs.csv"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "duckdb" / name).read_bytes()
    spark, duckdb = (pq.read_table(tmp_path / f"{e}.parquet") for e in ("spark", "duckdb"))
    assert spark.num_rows == duckdb.num_rows > 0
    assert spark.to_pylist() == duckdb.to_pylist()


@needs_java
def test_report_command_takes_the_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(LIVER), "--out", str(tmp_path / "r"),
                                      "--engine", "spark"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    test = doc["endpoints"][0]["comparisons"][0]["test"]
    assert test["p_value"] == pytest.approx(0.0576, abs=1e-3)


def test_engine_in_the_study_file_and_a_wrong_one(tmp_path: Path) -> None:
    registry = LIVER.parent / "registry.csv"
    text = LIVER.read_text().replace('source = "registry.csv"',
                                     f'source = "{registry}"\nengine = "sparc"')
    (tmp_path / "study.toml").write_text(text)
    with pytest.raises(InputError) as e:
        load_study(tmp_path / "study.toml")
    assert "engine" in str(e.value)
    with pytest.raises(ValueError, match="duckdb or spark"):
        open_engine("sqlite")


def test_report_keeps_rows_in_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above listing_max and without covariates, no cohort row is turned into pandas."""
    registry = tmp_path / "registry.parquet"
    result = CliRunner().invoke(app, ["synth", "--patients", "3000", "--out", str(registry)])
    assert result.exit_code == 0, result.output
    study = load_study(LIVER, data=registry)

    def refuse(*_: Any, **__: Any) -> pd.DataFrame:
        raise AssertionError("cohort rows were materialised in pandas")

    monkeypatch.setattr(Study, "frame", refuse)
    monkeypatch.setattr(Study, "data", property(refuse))
    results = analyse_study(study)
    files = write_report(results, tmp_path / "report")
    assert results.characteristics is not None
    assert results.characteristics.n_overall == study.n
    assert "is left out of the report" in files["report.html"].read_text()


def test_workspace_has_a_memory_limit_and_is_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVSTUDY_MEMORY_LIMIT", "300MB")
    study = load_study(LIVER)
    engine = study.engine
    assert isinstance(engine, DuckDBEngine)
    (limit,) = engine.sql("SELECT current_setting('memory_limit')").fetchall()[0]
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB")
    folder = Path(engine.folder)
    assert (folder / "study.duckdb").is_file()
    del study, engine
    gc.collect()
    assert not folder.exists()


@needs_java
def test_spark_row_numbers_across_file_splits(tmp_path: Path) -> None:
    """A CSV read in many splits still names the rows the user sees (header = row 1)."""
    from survstudy.engine.spark import spark_session

    frame = pd.read_csv(LIVER.parent / "registry.csv", dtype=str, keep_default_na=False)
    big = pd.concat([frame] * 300, ignore_index=True)  # 3,900 rows
    big["patient_id"] = [f"P{i}" for i in range(len(big))]
    big.loc[3001, "patient_id"] = "P17"  # a duplicate far into the file
    big.loc[2500, "death_date"] = "2001-01-01"  # death before resection
    big.to_csv(tmp_path / "registry.csv", index=False)
    (tmp_path / "study.toml").write_text(LIVER.read_text())
    spark = spark_session()
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        got = _snapshot(tmp_path / "study.toml", "spark")
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    want = _snapshot(tmp_path / "study.toml", "duckdb")
    assert got["problems"] == want["problems"]
    rows = {(p["column"], p["row"]) for p in want["problems"]}
    assert {("patient_id", 3003), ("death_date", 2502)} <= rows
    assert got["log"] == want["log"]
