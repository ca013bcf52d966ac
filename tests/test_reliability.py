"""No patient lost or misread silently (issue 12): unreadable values in a cohort step's column,
a registry without rows, optional engines that are not installed, the engine in the manifest."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app

_register()
runner = CliRunner()
EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection"
SEED = Path(__file__).parents[1] / "src/survstudy/examples/seed/seed_liver_resection_cohort.csv"


def _study(tmp_path: Path, edit: str | None = None, new: str = "") -> Path:
    shutil.copy(EXAMPLE / "study.toml", tmp_path / "study.toml")
    text = (EXAMPLE / "registry.csv").read_text()
    if edit is not None:
        assert edit in text
        text = text.replace(edit, new, 1)
    (tmp_path / "registry.csv").write_text(text)
    return tmp_path / "study.toml"


@pytest.mark.parametrize(
    ("bad", "words"),
    [("2008-02-30", "not a real date"), ("03/04/2008", "day/month")],
)
def test_unreadable_date_in_a_cohort_step_column_is_an_error(
    tmp_path: Path, bad: str, words: str
) -> None:
    # S1's liver resection date: the [[cohort]] step "present = true" reads this column
    study = _study(tmp_path, "2008-09-20", bad)
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 2, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("error:"))
    assert "row 2" in line
    assert "liver_resection_date" in line
    assert bad in line
    assert "cohort step 'Liver resection performed' reads this column" in line
    assert "1 error(s), 0 warning(s)" in result.output

    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(study), "--out", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_unreadable_value_outside_the_steps_of_an_excluded_patient_stays_a_warning(
    tmp_path: Path,
) -> None:
    # S1 has no liver resection date (excluded by the step, for its own reason) and an
    # unreadable breast surgery date, which no step reads and no analysis uses
    text = (EXAMPLE / "registry.csv").read_text().replace("2008-09-20", "", 1)
    text = text.replace("2004-12-09", "2004-13-09", 1)
    study = _study(tmp_path)
    (tmp_path / "registry.csv").write_text(text)
    result = runner.invoke(app, ["check", str(study), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    (problem,) = [p for p in payload["problems"] if p["column"] == "breast_surgery_date"]
    assert problem["severity"] == "warning"
    assert problem["row"] == 2
    assert "excluded from the cohort" in problem["message"]
    step = payload["flow"]["steps"][0]
    assert step["n_excluded"] == 1
    assert step["reason"] == "No liver resection"


def test_every_registry_row_is_accounted_for(tmp_path: Path) -> None:
    study = _study(tmp_path, "2008-09-20", "")
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    flow = json.loads((out / "manifest.json").read_text())["flow"]
    excluded = sum(s["n_excluded"] for s in flow["steps"])
    assert flow["n_final"] + excluded == flow["n_registry"] == 13
    html = (out / "report.html").read_text()
    assert "Every registry row is accounted for: 12 analysed and 1 excluded" in html


def test_header_only_registry_is_an_error_naming_the_file(tmp_path: Path) -> None:
    study = _study(tmp_path)
    header = (EXAMPLE / "registry.csv").read_text().splitlines()[0]
    (tmp_path / "registry.csv").write_text(header + "\n")
    for command in (["check", str(study)], ["report", str(study), "--out", str(tmp_path / "r")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert "registry.csv: the registry has no data rows" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_manifest_names_the_engine_and_its_version(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(_study(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    engine = json.loads((out / "manifest.json").read_text())["engine"]
    assert engine["kind"] == "duckdb"
    assert engine["duckdb"][0].isdigit()


@pytest.mark.parametrize("command", ["km", "report", "check"])
def test_spark_engine_without_pyspark_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    if command == "km":
        args = ["km", str(SEED), "--time", "survival_months", "--event", "died"]
    elif command == "report":
        args = ["report", str(_study(tmp_path)), "--out", str(tmp_path / "r")]
    else:
        args = ["check", str(_study(tmp_path))]
    result = runner.invoke(app, [*args, "--engine", "spark"])
    assert result.exit_code == 2, result.output
    assert "pip install 'survstudy[spark]'" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "r").exists()


def test_postgres_without_psycopg_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    study = _study(tmp_path)
    text = study.read_text().replace('source = "registry.csv"', 'source = "postgresql://u@h/db"')
    study.write_text(text)
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 2
    assert "pip install 'survstudy[postgres]'" in result.output


@pytest.mark.parametrize(
    ("ages", "says"),
    [
        ({"44": "-44"},
         ["warning: registry.csv, row 2, column 'age_years', value '-44': negative"]),
        ({"44": "-44", "39": "-39"}, []),  # 2 of 13 negative: more than a tenth, a difference
        ({"44": "-44", "min": "-50"}, []),  # negative values declared valid
        ({"44": "101", "min": "18", "max": "100"},
         ["error: registry.csv, row 2, column 'age_years', value '101': above the plausible "
          "range (max = 100 in [variables.age_years])"]),
    ],
)
def test_the_range_of_a_continuous_variable(
    tmp_path: Path, ages: dict[str, str], says: list[str]
) -> None:
    """A declared min/max is an error outside it; without min, a few negative values among
    values otherwise >= 0 are a warning (13 patients: one negative is under a tenth)."""
    study = _study(tmp_path)
    registry = (tmp_path / "registry.csv").read_text()
    for old in ("44", "39"):
        if old in ages:
            registry = registry.replace(f",F,{old},", f",F,{ages[old]},", 1)
    (tmp_path / "registry.csv").write_text(registry)
    bounds = "".join(f"\n{k} = {ages[k]}" for k in ("min", "max") if k in ages)
    text = study.read_text().replace('unit = "years"', 'unit = "years"' + bounds, 1)
    study.write_text(text)
    result = runner.invoke(app, ["check", str(study)])
    flagged = [x for x in result.output.splitlines() if x.startswith(("warning:", "error:"))]
    assert len(flagged) == len(says), result.output
    for line, start in zip(flagged, says, strict=True):
        assert line.replace(f"{tmp_path}/", "").startswith(start)
    assert result.exit_code == (2 if any(s.startswith("error") for s in says) else 0)


def test_a_code_written_as_a_float_is_its_declared_level(tmp_path: Path) -> None:
    """A registry saved from pandas or a spreadsheet writes the grade 3 as "3.0": it is the
    declared level "3" (as for SPSS/Stata), the numbers equal those of the original file, and a
    value that is not a level ("3.5") is still refused."""
    import pandas as pd

    from survstudy.study.load import load_study

    example = Path(__file__).parents[1] / "src/survstudy/examples/rotterdam"
    frame = pd.read_csv(example / "registry.csv")
    frame["grade"] = frame["grade"].astype(float)
    frame.to_csv(tmp_path / "registry.csv", index=False)
    shutil.copy(example / "study.toml", tmp_path / "study.toml")
    study = load_study(tmp_path / "study.toml")
    original = load_study(example / "study.toml")
    assert study.frame(["grade"])["grade"].astype(str).value_counts().to_dict() == (
        original.frame(["grade"])["grade"].astype(str).value_counts().to_dict())
    frame["grade"] = frame["grade"].where(frame.index != 5, 3.5)
    frame.to_csv(tmp_path / "registry.csv", index=False)
    run = CliRunner().invoke(app, ["check", str(tmp_path / "study.toml")])
    assert run.exit_code == 2
    assert "'3.5'" in run.output
