"""``load_study``: the seed study reproduces the paper, and every source gives the same result."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from survstudy.errors import InputError
from survstudy.study import load_study
from tests.conftest import SEED_COHORT

EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection"
STUDY = EXAMPLE / "study.toml"
DATES = [
    "breast_surgery_date",
    "liver_metastasis_date",
    "liver_resection_date",
    "recurrence_date",
    "death_date",
    "last_contact_date",
]


def test_seed_reproduces_printed_survival() -> None:
    study = load_study(STUDY)
    assert study.ok
    assert not study.problems
    seed = pd.read_csv(SEED_COHORT)
    data = study.data
    assert len(data) == 13
    # same patients in the same order as the printed tables
    assert data["patient_id"].tolist() == [
        ("S" if g == "solitary" else "E") + str(c)
        for g, c in zip(seed["group"], seed["case"], strict=True)
    ]
    assert np.abs(data["os_time"].to_numpy() - seed["survival_months"].to_numpy()).max() < 0.05
    assert data["os_event"].astype(int).tolist() == seed["died"].tolist()
    assert study.landmarks == (12.0, 36.0)


def test_seed_interval_facts() -> None:
    data = load_study(STUDY).data
    sync = data["synchronous"] == "yes"
    assert int(sync.sum()) == 2
    meta = data.loc[~sync, "breast_to_liver_metastasis"]
    assert len(meta) == 11
    assert abs(meta.median() - 62.5) < 0.05
    assert abs(meta.min() - 13) < 0.05
    assert abs(meta.max() - 121) < 0.05
    breast = data["breast_surgery_date"]
    assert breast.min() >= pd.Timestamp("1991-01-01")
    assert breast.max() <= pd.Timestamp("2006-12-31")
    censored = data["os_event"] == 0
    assert (data.loc[censored, "last_contact_date"] == pd.Timestamp("2011-12-30")).all()
    assert data["recurrence_date"].isna().all()


def test_seed_types_and_labels() -> None:
    study = load_study(STUDY)
    grade = study.data["histologic_grade"]
    assert list(grade.cat.categories) == ["well", "moderate", "poor"]
    assert study.data["age_years"].dtype == float
    assert study.labels["os_time"] == "Overall survival (months)"
    assert study.labels["synchronous"] == "Synchronous liver metastasis"
    assert study.flow.steps[0].n_after == 13
    assert study.to_dict()["cutoff"] == "2011-12-30"


def test_registry_is_reproducible_from_its_script(tmp_path: Path) -> None:
    import runpy

    namespace = runpy.run_path(str(EXAMPLE / "make_registry.py"))
    rows = namespace["make_rows"]()
    written = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    assert written.to_dict("records") == rows


def _copy_study(tmp: Path, source: str, extra: str = "") -> Path:
    text = STUDY.read_text().replace('source = "registry.csv"', f'source = "{source}"{extra}')
    path = tmp / "study.toml"
    path.write_text(text)
    return path


def _seed_frame() -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLE / "registry.csv")
    for c in DATES:
        frame[c] = pd.to_datetime(frame[c])
    return frame


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet: str) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    ws = wb.create_sheet(sheet)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(
            [
                None if pd.isna(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                for v in row
            ]
        )
    wb.save(path)


def _result(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    study = load_study(path)
    assert study.ok, study.problems
    cols = ["patient_id", "os_time", "os_event", "breast_to_liver_metastasis", "synchronous"]
    # the row numbers differ by format (CSV counts its header), the derived values do not
    log = study.log.drop(columns="row").astype({"endpoint": str})
    return study.data[cols].astype({"synchronous": str}), log


def test_same_endpoints_from_every_format(tmp_path: Path) -> None:
    want_data, want_log = _result(STUDY)
    frame = _seed_frame()
    frame.to_parquet(tmp_path / "registry.parquet")
    _write_xlsx(frame, tmp_path / "registry.xlsx", "patients")
    with sqlite3.connect(tmp_path / "registry.sqlite") as con:
        pd.read_csv(EXAMPLE / "registry.csv", dtype=str).to_sql("patients", con, index=False)
    cases = {
        "parquet": ("registry.parquet", ""),
        "xlsx": ("registry.xlsx", '\nsheet = "patients"'),
        "sqlite": ("registry.sqlite", '\ntable = "patients"'),
        "sqlite query": (
            "registry.sqlite",
            '\nquery = "SELECT * FROM patients ORDER BY patient_id DESC"',
        ),
    }
    for name, (source, extra) in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (folder / source).write_bytes((tmp_path / source).read_bytes())
        data, log = _result(_copy_study(folder, source, extra))
        if name == "sqlite query":  # rows come in another order: compare by patient
            data = data.sort_values("patient_id", key=_by_seed_order).reset_index(drop=True)
            log = log.sort_values(["endpoint", "id"], key=_by_seed_order).reset_index(drop=True)
            want_log_sorted = want_log.sort_values(["endpoint", "id"], key=_by_seed_order)
            pd.testing.assert_frame_equal(log, want_log_sorted.reset_index(drop=True))
        else:
            pd.testing.assert_frame_equal(log, want_log, check_dtype=False)
        pd.testing.assert_frame_equal(data, want_data, check_dtype=False, obj=name)


def _by_seed_order(s: pd.Series) -> pd.Series:
    order = pd.read_csv(EXAMPLE / "registry.csv")["patient_id"].tolist()
    return s.map({p: i for i, p in enumerate(order)}) if s.name in ("patient_id", "id") else s


def test_join_on_id_and_missing_codes(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    follow = frame[["patient_id", "death_date", "last_contact_date", "died"]].iloc[::-1]
    main = frame.drop(columns=["death_date", "last_contact_date", "died"])
    main.loc[0, "histologic_grade"] = "99"
    main.to_csv(tmp_path / "patients.csv", index=False)
    follow.to_csv(tmp_path / "follow_up.csv", index=False)
    text = STUDY.read_text().replace('source = "registry.csv"', 'source = "patients.csv"')
    text = text.replace("missing = []", 'missing = [99]\n\n[[data.join]]\nsource = "follow_up.csv"')
    (tmp_path / "study.toml").write_text(text)
    study = load_study(tmp_path / "study.toml")
    want, _ = _result(STUDY)
    got = study.data[want.columns].astype({"synchronous": str})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert pd.isna(study.data.loc[0, "histologic_grade"])


def test_problems_in_a_joined_table_name_that_table(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    follow = frame[["patient_id", "death_date", "last_contact_date", "died"]].copy()
    follow.loc[3, "death_date"] = "2001-01-01"  # S4: before resection
    frame.drop(columns=["death_date", "last_contact_date", "died"]).to_csv(
        tmp_path / "patients.csv", index=False
    )
    follow.to_csv(tmp_path / "follow_up.csv", index=False)
    text = STUDY.read_text().replace('source = "registry.csv"', 'source = "patients.csv"')
    text = text.replace("missing = []", '[[data.join]]\nsource = "follow_up.csv"')
    (tmp_path / "study.toml").write_text(text)
    study = load_study(tmp_path / "study.toml", strict=False)
    [p] = [p for p in study.errors if p.column == "death_date"]
    assert p.file is not None
    assert p.file.endswith("follow_up.csv")
    assert (p.row, p.value) == (5, "2001-01-01")


def test_excel_serials_in_a_1904_workbook(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    frame = _seed_frame()
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(list(frame.columns))
    base = dt.datetime(1904, 1, 1)
    for row in frame.itertuples(index=False):
        ws.append(
            [
                None
                if pd.isna(v)
                else ((v.to_pydatetime() - base).days if isinstance(v, pd.Timestamp) else v)
                for v in row
            ]
        )
    wb.save(tmp_path / "registry.xlsx")
    data, _ = _result(_copy_study(tmp_path, "registry.xlsx"))
    want, _ = _result(STUDY)
    pd.testing.assert_frame_equal(data, want, check_dtype=False)


def test_cohort_steps_and_flow(tmp_path: Path) -> None:
    text = (
        STUDY.read_text()
        .replace(
            "[[cohort]]",
            """[[cohort]]
step = "Solitary metastasis"
column = "group"
is = ["solitary"]

[[cohort]]
step = "Resected from 2003"
column = "liver_resection_date"
min = 2003-01-01

[[cohort]]
step = "Younger than 60"
where = "age_years < 60"

[[cohort]]""",
        )
        .replace('source = "registry.csv"', f'source = "{EXAMPLE / "registry.csv"}"')
    )
    (tmp_path / "study.toml").write_text(text)
    study = load_study(tmp_path / "study.toml")
    flow = [(s.step, s.n_before, s.n_excluded, s.n_after) for s in study.flow.steps]
    assert flow == [
        ("Solitary metastasis", 13, 6, 7),
        ("Resected from 2003", 7, 1, 6),
        ("Younger than 60", 6, 2, 4),
        ("Liver resection performed", 4, 0, 4),
    ]
    assert study.data["patient_id"].tolist() == ["S1", "S2", "S6", "S7"]
    assert len(study.log) == 8  # 4 patients x (1 endpoint + 1 interval)


def test_error_in_an_excluded_patient_is_a_warning(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    frame.loc[7, "death_date"] = "2001-01-01"  # E1, excluded below
    frame.loc[7, "died"] = "1"
    frame.to_csv(tmp_path / "registry.csv", index=False)
    text = STUDY.read_text().replace(
        "[[cohort]]",
        """[[cohort]]
step = "Solitary metastasis"
column = "group"
is = ["solitary"]

[[cohort]]""",
    )
    (tmp_path / "study.toml").write_text(text)
    study = load_study(tmp_path / "study.toml")
    assert study.ok
    assert any("excluded from the cohort" in p.message and p.row == 9 for p in study.warnings)


def test_strict_raises_with_every_problem(tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "death_date"] = "03/04/2010"
    frame.loc[1, "patient_id"] = "S1"
    frame.to_csv(tmp_path / "registry.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY.read_text())
    with pytest.raises(InputError) as e:
        load_study(tmp_path / "study.toml")
    rows = {(p.row, p.column) for p in e.value.problems if p.severity == "error"}
    assert {(2, "death_date"), (3, "patient_id")} <= rows


def test_unknown_columns_in_analysis(tmp_path: Path) -> None:
    text = (
        STUDY.read_text()
        .replace('groups = "group"', 'groups = "grup"')
        .replace('source = "registry.csv"', f'source = "{EXAMPLE / "registry.csv"}"')
    )
    (tmp_path / "study.toml").write_text(text)
    with pytest.raises(InputError) as e:
        load_study(tmp_path / "study.toml")
    [p] = e.value.problems
    assert p.column == "analysis.groups"
    assert "did you mean 'group'" in p.message
    assert p.row is not None
    assert text.splitlines()[p.row - 1].startswith("groups")


def test_ready_made_endpoint(tmp_path: Path) -> None:
    text = f"""
[data]
source = "{SEED_COHORT}"
id = "case"

[endpoints.os]
time = "survival_months"
event = "died"
unit = "months"

[analysis]
groups = "group"
"""
    (tmp_path / "study.toml").write_text(text.replace('id = "case"', 'id = "row"'))
    with pytest.raises(InputError, match="column 'row' is not in"):
        load_study(tmp_path / "study.toml")
    seed = pd.read_csv(SEED_COHORT)
    seed["row"] = range(len(seed))
    seed.to_csv(tmp_path / "seed.csv", index=False)
    (tmp_path / "study.toml").write_text(
        text.replace('id = "case"', 'id = "row"').replace(str(SEED_COHORT), "seed.csv")
    )
    study = load_study(tmp_path / "study.toml")
    assert study.data["os_time"].tolist() == seed["survival_months"].tolist()
    assert study.data["os_event"].astype(int).tolist() == seed["died"].tolist()


def test_missing_sheet_and_table(tmp_path: Path) -> None:
    frame = _seed_frame()
    _write_xlsx(frame, tmp_path / "registry.xlsx", "patients")
    with pytest.raises(InputError, match="no such sheet; sheets are: notes, patients"):
        load_study(_copy_study(tmp_path, "registry.xlsx", '\nsheet = "patient"'))
    with sqlite3.connect(tmp_path / "registry.sqlite") as con:
        frame.to_sql("patients", con, index=False)
        frame.to_sql("other", con, index=False)
    with pytest.raises(InputError, match="did you mean 'patients'"):
        load_study(_copy_study(tmp_path, "registry.sqlite", '\ntable = "patient"'))
    with pytest.raises(InputError, match="say which table"):
        load_study(_copy_study(tmp_path, "registry.sqlite"))


def test_postgres_without_driver(tmp_path: Path) -> None:
    pytest.importorskip("pytest")
    try:
        import psycopg  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        path = _copy_study(
            tmp_path, "postgresql://user:secret@localhost/registry", '\ntable = "patients"'
        )
        with pytest.raises(InputError, match="psycopg") as e:
            load_study(path)
        assert "secret" not in str(e.value)
    else:  # pragma: no cover - only where the optional driver is installed
        pytest.skip("psycopg installed; the server tests are in tests/test_postgres.py")
