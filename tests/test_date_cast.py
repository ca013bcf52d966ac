"""Dates written YYYY-MM-DD are cast in SQL only when that gives what Python reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survstudy.data.dates import parse_dates
from survstudy.data.typed import _all_iso
from survstudy.study import load_study
from tests.test_study import DATES, EXAMPLE, STUDY


def _iso(values: list[str], fmt: str | None = None) -> bool:
    parsed = parse_dates(values, format=fmt)
    return _all_iso(values, parsed.days, parsed.code)


def test_only_valid_iso_dates_are_cast() -> None:
    assert _iso(["2010-03-04", "1999-12-31"])
    assert _iso([])
    assert not _iso(["2010-02-30"])  # not a date: its reason comes from the lookup
    assert not _iso(["2010-03-04", "04/03/2010"], "%d/%m/%Y")
    assert not _iso(["2010-3-4"])


def test_cast_and_looked_up_dates_agree(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    # one column written day/month/year (looked up), one mixing both forms, the rest ISO (cast)
    frame["breast_surgery_date"] = [
        f"{d[8:]}/{d[5:7]}/{d[:4]}" if d else d for d in frame["breast_surgery_date"]
    ]
    mixed = frame["liver_metastasis_date"].tolist()
    mixed[0] = f"{mixed[0][8:]}/{mixed[0][5:7]}/{mixed[0][:4]}"
    frame["liver_metastasis_date"] = mixed
    frame.to_csv(tmp_path / "registry.csv", index=False)
    text = STUDY.read_text().replace("missing = []", 'missing = []\ndate_format = "%d/%m/%Y"')
    (tmp_path / "study.toml").write_text(text)
    got = load_study(tmp_path / "study.toml").frame(DATES)
    want = load_study(STUDY).frame(DATES)
    pd.testing.assert_frame_equal(got, want)
