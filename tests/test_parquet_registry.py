"""A Parquet registry is read where it is (a view, not a copy): same rows, row numbers, ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survstudy.errors import InputError
from survstudy.study import load_study
from tests.test_study import _copy_study, _seed_frame


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """The seed registry with whole-number ids 101, 102, ... (stored as BIGINT)."""
    out = frame.copy()
    out["patient_id"] = range(101, 101 + len(out))
    return out


def test_parquet_registry_is_a_view_with_the_rows_in_file_order(tmp_path: Path) -> None:
    _numbered(_seed_frame()).to_parquet(tmp_path / "registry.parquet")
    study = load_study(_copy_study(tmp_path, "registry.parquet"))
    kinds = dict(study.engine.sql("SELECT view_name, 'view' FROM duckdb_views()").fetchall())
    assert kinds.get("registry") == "view"
    # ids stored as numbers, read as their text; in registry order
    assert study.data["patient_id"].tolist() == [str(i) for i in range(101, 114)]
    assert study.log["id"].iloc[:13].tolist() == [str(i) for i in range(101, 114)]
    assert study.log["row"].iloc[:13].tolist() == list(range(1, 14))


def test_a_column_named_file_row_number_is_kept(tmp_path: Path) -> None:
    frame = _numbered(_seed_frame())
    frame["file_row_number"] = [7] * len(frame)
    frame.to_parquet(tmp_path / "registry.parquet")
    study = load_study(_copy_study(tmp_path, "registry.parquet"))
    assert study.data["patient_id"].tolist() == [str(i) for i in range(101, 114)]
    assert study.frame(["file_row_number"])["file_row_number"].tolist() == [7] * 13


def test_a_duplicated_whole_number_id_and_a_bad_value_name_their_rows(tmp_path: Path) -> None:
    frame = _numbered(_seed_frame())
    frame.loc[4, "patient_id"] = 102  # row 5 repeats row 2's id
    frame.loc[8, "sex"] = "X"  # row 9
    frame.to_parquet(tmp_path / "registry.parquet")
    with pytest.raises(InputError) as caught:
        load_study(_copy_study(tmp_path, "registry.parquet"))
    found = {(p.row, p.column) for p in caught.value.problems}
    assert (5, "patient_id") in found
    assert (9, "sex") in found
    assert any("row 2" in p.message for p in caught.value.problems if p.row == 5)
