"""The synthetic registry: deterministic, consistent dates, readable by the seed study file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survstudy.synth as synth
from survstudy.study import load_study
from survstudy.synth import synthesize, write_synthetic

STUDY = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection/study.toml"


def test_deterministic_under_a_seed() -> None:
    a = synthesize(500, seed=7)
    assert a.equals(synthesize(500, seed=7))
    assert not a.equals(synthesize(500, seed=8))


def test_chunks_do_not_change_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "CHUNK", 10)
    small = synthesize(15, seed=3).to_pandas()
    large = synthesize(25, seed=3).to_pandas()
    pd.testing.assert_frame_equal(small.iloc[:10], large.iloc[:10])  # same first chunk
    assert large["patient_id"].tolist() == list(range(1, 26))


def test_dates_are_consistent() -> None:
    f = synthesize(5000, seed=1).to_pandas()
    res, death = f["liver_resection_date"], f["death_date"]
    rec, last = f["recurrence_date"], f["last_contact_date"]
    assert (f["liver_metastasis_date"] <= res).all()
    assert (f["breast_surgery_date"] <= res).all()
    assert (death.isna() | (death >= res)).all()
    assert (rec.isna() | ((rec > res) & (rec <= last))).all()
    assert (death.isna() | (rec.isna() | (rec < death))).all()
    assert ((death == last) | death.isna()).all()
    assert (f["died"] == death.notna()).all()
    assert f["patient_id"].is_unique
    sync = f["liver_metastasis_date"] < f["breast_surgery_date"]
    assert 0.1 < sync.mean() < 0.2
    assert set(f["group"].unique()) == {"solitary", "extrahepatic"}
    assert f.loc[f["group"] == "solitary", "extrahepatic_site"].isna().all()


def test_extrahepatic_disease_shortens_survival(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(synthesize(4000, seed=2), tmp_path / "s.parquet")
    f = load_study(STUDY, data=tmp_path / "s.parquet").data
    by = f.groupby("group", observed=True)["os_event"].mean()
    assert by["extrahepatic"] > by["solitary"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_registry_passes_check(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"registry{suffix}"
    result = write_synthetic(path, 300, seed=11)
    assert result.n_patients == 300
    assert result.format == suffix[1:]
    assert result.to_dict()["model"]["extract_date"] == "2013-06-30"
    study = load_study(STUDY, data=path, today=dt.date(2026, 1, 1))
    assert study.ok, study.errors[:5]
    assert len(study.data) == 300
    assert int(study.data["os_event"].sum()) <= result.n_died  # deaths after the cutoff
    reasons = set(study.log["reason"].astype(str))
    assert {
        "event",
        "censored at last contact",
        "censored at the cutoff (followed beyond it)",
        "event after the cutoff: censored at the cutoff",
    } <= reasons


def test_csv_and_parquet_agree(tmp_path: Path) -> None:
    write_synthetic(tmp_path / "a.csv", 200, seed=5)
    write_synthetic(tmp_path / "a.parquet", 200, seed=5)
    a = load_study(STUDY, data=tmp_path / "a.csv").data
    b = load_study(STUDY, data=tmp_path / "a.parquet").data
    cols = ["os_time", "os_event", "breast_to_liver_metastasis"]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_dtype=False)
    assert np.array_equal(a["patient_id"].astype(str), b["patient_id"].astype(str))


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        write_synthetic(tmp_path / "a.csv", 0)
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        write_synthetic(tmp_path / "a.xlsx", 5)
    with pytest.raises(ValueError, match="does not exist"):
        write_synthetic(tmp_path / "no" / "a.csv", 5)
