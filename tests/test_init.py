"""``survstudy init``: a draft study file from a labelled SPSS registry that ``check`` accepts
as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app
from survstudy.config.parse import load_config
from survstudy.data.infer import _role

pyreadstat = pytest.importorskip("pyreadstat")
runner = CliRunner()
_register()


def _labelled_sav(path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 60
    surgery = [dt.date(2005, 1, 1) + dt.timedelta(days=int(x)) for x in rng.integers(0, 2000, n)]
    seen = [s + dt.timedelta(days=int(x)) for s, x in zip(surgery, rng.integers(30, 3000, n),
                                                            strict=True)]
    died = rng.random(n) < 0.4
    frame = pd.DataFrame({
        "patnr": np.arange(1, n + 1).astype(float),
        "geslacht": rng.integers(1, 3, n).astype(float),
        "leeftijd": rng.integers(30, 85, n).astype(float),
        "stadium": rng.choice([1.0, 2.0, 3.0, 9.0], n),
        "datum_operatie": surgery,
        "datum_overlijden": [f if d else None for f, d in zip(seen, died, strict=True)],
        "laatste_controle": seen,
    })
    pyreadstat.write_sav(
        frame, path,
        column_labels={"geslacht": "Sex", "leeftijd": "Age at surgery", "stadium": "Stage"},
        variable_value_labels={"geslacht": {1: "man", 2: "vrouw"},
                               "stadium": {1: "I", 2: "II", 3: "III", 9: "onbekend"}},
        missing_ranges={"stadium": [9]},
    )


def test_init_on_a_labelled_sav_gives_a_draft_check_accepts(tmp_path: Path) -> None:
    _labelled_sav(tmp_path / "registry.sav")
    out = tmp_path / "study.toml"
    run = runner.invoke(app, ["init", str(tmp_path / "registry.sav"), "--out", str(out)])
    assert run.exit_code == 0, run.output
    cfg = load_config(out).config
    assert cfg.data.id == "patnr"
    assert cfg.variables["geslacht"].labels == {"1": "man", "2": "vrouw"}
    assert cfg.variables["stadium"].levels == ["1", "2", "3"]  # 9 is user-missing
    assert cfg.variables["leeftijd"].type == "continuous"
    assert cfg.follow_up.death == "datum_overlijden"
    assert cfg.follow_up.last_contact == "laatste_controle"
    assert cfg.endpoints["os"].origin == "datum_operatie"
    run = runner.invoke(app, ["check", str(out)])
    assert run.exit_code == 0, run.output
    again = runner.invoke(app, ["init", str(tmp_path / "registry.sav"), "--out", str(out)])
    assert again.exit_code == 2  # never overwrites without --force


@pytest.mark.parametrize(
    ("name", "role"),
    [("date_of_death", "death"), ("datum_overlijden", "death"), ("date_deces", "death"),
     ("fecha_muerte", "death"), ("data_decesso", "death"), ("sterbedatum", "death"),
     ("surgery_date", "origin"), ("datum_operatie", "origin"), ("date_diagnostic", "origin"),
     ("last_follow_up", "last_contact"), ("laatste_controle", "last_contact"),
     ("date_recurrence", "recurrence"), ("datum_recidief", "recurrence"),
     ("fecha_recaida", "recurrence"), ("weight", None)],
)
def test_date_roles_in_several_languages(name: str, role: str | None) -> None:
    assert _role(name, None) == role


def test_init_reads_a_european_csv_and_the_draft_checks(tmp_path: Path) -> None:
    """Issue 15 items 3 and 4: a registry saved by a European spreadsheet (';', decimal comma,
    latin-1, an accented level) gives a draft naming its dialect, and `check` accepts it."""
    registry = Path(__file__).parents[1] / "src/survstudy/examples/rotterdam/registry.csv"
    frame = pd.read_csv(registry)
    frame["os_years"] = frame["os_days"] / 365.25
    frame.loc[frame["menopausal"] == "pre", "menopausal"] = "pré"
    path = tmp_path / "registre.csv"
    frame.to_csv(path, sep=";", decimal=",", encoding="latin-1", index=False)
    out = tmp_path / "study.toml"
    run = runner.invoke(app, ["init", str(path), "--out", str(out)])
    assert run.exit_code == 0, run.output
    config = load_config(out).config
    assert (config.data.delimiter, config.data.decimal, config.data.encoding) == (
        ";", ",", "latin-1")
    assert config.variables["os_years"].type == "continuous"
    assert config.variables["chemo"].levels == ["no", "yes"]
    assert "pré" in (config.variables["menopausal"].levels or [])
    run = runner.invoke(app, ["check", str(out)])
    assert run.exit_code == 0, run.output


def test_init_on_an_unreadable_csv_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"a,b\n\xff\xfe\x00bad\n")
    run = runner.invoke(app, ["init", str(path), "--out", str(tmp_path / "s.toml")])
    assert run.exit_code == 2
    assert "broken.csv" in run.output
    assert "Traceback" not in run.output


def test_few_numbers_in_a_small_series_are_continuous_and_codes_categorical(
    tmp_path: Path,
) -> None:
    """Ages of 13 patients (12 distinct values) are a continuous variable; a 0/1/2 code shared
    by many patients stays categorical."""
    ages = [45, 51, 38, 62, 57, 49, 70, 66, 41, 53, 59, 47, 45]
    codes = [0, 1, 2, 1, 0, 2, 1, 1, 0, 2, 1, 0, 1]
    pd.DataFrame({"pid": range(1, 14), "age": ages, "code": codes}).to_csv(
        tmp_path / "r.csv", index=False)
    out = tmp_path / "study.toml"
    run = runner.invoke(app, ["init", str(tmp_path / "r.csv"), "--out", str(out)])
    assert run.exit_code == 0, run.output
    variables = load_config(out).config.variables
    assert variables["age"].type == "continuous"
    assert variables["code"].type == "categorical"
