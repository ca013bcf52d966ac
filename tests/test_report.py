"""The report folder: every output written, numbers agree across formats and with the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app
from survstudy.cli.demo import example_study
from survstudy.report.spreadsheet import safe_cell
from tests.conftest import SEED_COHORT

_register()
runner = CliRunner()
SEED_STUDY = example_study("liver_resection")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "seed"
    result = runner.invoke(app, ["report", str(SEED_STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def test_folder_holds_every_output(report: Path) -> None:
    for name in ("report.html", "report.docx", "results.json", "manifest.json",
                 "derivation_log.csv", "tables/survival-os.csv", "tables/survival-os.xlsx",
                 "tables/patient-listing.csv", "tables/published.csv",
                 "figures/os-by-group.png", "figures/os-by-group.svg"):
        assert (report / name).is_file(), name
    assert not (report / "figures/cohort-flow.png").exists()  # 13 → 13: no exclusion to chart
    assert not list(report.parent.glob(".*partial"))


def test_html_is_self_contained(report: Path) -> None:
    html = (report / "report.html").read_text()
    assert "<script" not in html
    for remote in ("http://", "https://", "//cdn", "@import"):
        assert remote not in html.replace("http://www.w3.org", "")
    assert html.count("data:image/png;base64,") == 2  # overall + by group (no exclusion: no flow)


def test_numbers_agree_across_outputs_and_with_km(report: Path) -> None:
    results = json.loads((report / "results.json").read_text())
    os = results["endpoints"][0]
    by_group = {g["group"]: g for g in os["comparisons"][0]["curves"]}
    # the km command on the bundled cohort (survival months as printed) gives the same rates
    km = runner.invoke(app, ["km", str(SEED_COHORT), "--time", "survival_months", "--event",
                             "died", "--group", "group", "--at", "12,36", "--json"])
    cli = {g["group"]: g for g in json.loads(km.stdout)["groups"]}
    for level in ("solitary", "extrahepatic"):
        for mine, theirs in zip(by_group[level]["at"], cli[level]["at"], strict=True):
            assert mine["survival"] == pytest.approx(theirs["survival"])
            assert mine["n_risk"] == theirs["n_risk"]
    test = os["comparisons"][0]["test"]
    assert test["p_value"] == pytest.approx(json.loads(km.stdout)["test"]["p_value"], rel=1e-3)
    # the same numbers, formatted, in the CSV table, the HTML and the Word document
    table = _csv(report / "tables/survival-os.csv")
    row = next(r for r in table if r[0].strip() == "Liver and extrahepatic metastasis")
    assert row[1:3] == ["6", "3"]
    assert row[4].startswith("80.0 (")
    html = (report / "report.html").read_text()
    assert row[4] in html
    import docx

    document = docx.Document(str(report / "report.docx"))
    # values are kept on one line by non-breaking spaces
    cells = {c.text.replace("\u00a0", " ")
             for t in document.tables for r in t.rows for c in r.cells}  # fmt: skip
    assert row[4] in cells
    assert "Log-rank p = 0.058" in html


def test_word_tables_are_real_tables(report: Path) -> None:
    import docx

    document = docx.Document(str(report / "report.docx"))
    firsts = [t.rows[0].cells[0].text for t in document.tables]
    assert "Characteristic" in firsts  # Table 1
    characteristics = document.tables[firsts.index("Characteristic")]
    assert characteristics.rows[0].cells[1].text == "Solitary liver metastasis (n = 7)"
    seconds = [t.rows[1].cells[0].text for t in document.tables]
    assert "Group" in seconds  # the survival table: landmarks head their two columns
    survival = document.tables[seconds.index("Group")]
    assert survival.rows[0].cells[4].text == "1-year survival"
    assert [c.text for c in survival.rows[1].cells[4:6]] == ["% (95% CI)", "At risk"]
    assert survival.rows[2].cells[0].text == "All patients"
    assert len(survival.columns) == 8


def test_published_numbers_are_checked(report: Path) -> None:
    results = json.loads((report / "results.json").read_text())
    claims = {c["what"]: c for c in results["published"]}
    assert claims["3-year overall survival, solitary liver metastasis"]["reproduced"]
    assert claims["1-year overall survival, extrahepatic metastasis"]["reproduced"]
    solitary_1y = claims["1-year overall survival, solitary liver metastasis"]
    assert not solitary_1y["reproduced"]
    assert solitary_1y["computed"] == pytest.approx(100.0)
    logrank = claims["Log-rank p, overall survival by metastatic pattern"]
    assert not logrank["reproduced"]
    assert round(logrank["computed"], 3) == 0.058
    rfs = claims["1-year recurrence-free survival, all 13 patients"]
    assert rfs["computed"] is None
    assert rfs["verdict"] == "not-derivable"
    assert "no endpoint 'rfs'" in rfs["reason"]
    assert "no recurrence dates" in rfs["note"]  # the typed note is kept beside the verdict


def test_manifest_records_inputs_and_versions(report: Path) -> None:
    manifest: dict[str, Any] = json.loads((report / "manifest.json").read_text())
    assert len(manifest["study_file"]["sha256"]) == 64
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert manifest["software"]["survstudy"]
    assert "report.html" in manifest["outputs"]


def test_identifiers_stay_out_unless_asked(report: Path) -> None:
    listing = _csv(report / "tables/patient-listing.csv")
    text = json.dumps(listing)
    assert "S1" not in {c for r in listing for c in r}
    assert "patient_id" not in text
    log = _csv(report / "derivation_log.csv")
    assert log[0][0] == "row"
    assert "id" not in log[0]
    assert not {"S1", "E1"} & {c for r in log for c in r}


def test_failing_input_writes_nothing(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(SEED_STUDY.parent, study)
    registry = study / "registry.csv"
    lines = registry.read_text().splitlines()
    lines[3] = lines[3].replace("2011-12-30", "2001-01-01", 1)  # last contact before resection
    registry.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(study / "study.toml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_spreadsheet_cells_cannot_run_formulas() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+1+2") == "'+1+2"
    assert safe_cell("-0.55") == "-0.55"
    assert safe_cell("Solitary") == "Solitary"


def test_characteristics_agree_with_table1_command(report: Path) -> None:
    out = runner.invoke(app, ["table1", str(SEED_COHORT), "--group", "group", "--categorical",
                              "her2", "--continuous", "age_years", "--json"])
    assert out.exit_code == 0, out.output
    cli = {r["variable"]: r for r in json.loads(out.stdout)["rows"]}
    results = json.loads((report / "results.json").read_text())
    mine = {r["variable"]: r for r in results["characteristics"]["rows"]}
    for variable in ("her2", "age_years"):
        assert mine[variable]["test"] == cli[variable]["test"]
        assert mine[variable]["p_value"] == pytest.approx(cli[variable]["p_value"], rel=1e-9)
    table = _csv(report / "tables/characteristics.csv")
    her2 = next(r for r in table if r[0] == "HER2, n (%)")
    assert her2[4].startswith("0.103")
    positive = table[table.index(her2) + 1]
    assert positive[1:4] == ["1 (14.3%)", "4 (66.7%)", "5 (38.5%)"]


@pytest.fixture(scope="module")
def rotterdam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "rotterdam"
    result = runner.invoke(app, ["demo", "rotterdam", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_cox_tables_agree_with_the_cox_command(rotterdam: Path) -> None:
    results = json.loads((rotterdam / "results.json").read_text())
    multi = {r["term"]: r for r in results["prognostic"]["multivariable"]}
    registry = example_study("rotterdam").parent / "registry.csv"
    args = ["cox", str(registry), "--time", "rfs_days", "--event", "recurred_or_died",
            "--covariates", "age,nodes,size,grade,pgr,er,hormon,chemo",
            "--categorical", "size,grade,hormon,chemo", "--reference", "size=<=20",
            "--reference", "grade=2", "--reference", "hormon=no", "--reference", "chemo=no",
            "--json"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    cli = {t["term"]: t for t in json.loads(out.stdout)["coefficients"]}
    assert set(multi) == set(cli)
    for term, row in multi.items():  # days in the command, months in the report: same HR
        assert row["hr"] == pytest.approx(cli[term]["hr"], rel=1e-9), term
        assert row["p_value"] == pytest.approx(cli[term]["p_value"], rel=1e-6), term
    table = _csv(rotterdam / "tables/cox-multivariable.csv")
    nodes = next(r for r in table if r[0].startswith("Positive lymph nodes"))
    assert nodes[1].startswith(f"{cli['nodes']['hr']:.2f} (")


def test_cox_tables_test_proportional_hazards_as_r(rotterdam: Path) -> None:
    """The PH column and the global test against R's cox.zph (rotterdam_zph.R); the receptors'
    HRs per 100 fmol/l (the example's hr_per) as exp(100 coef) in R."""
    from tests.conftest import close, load_reference

    ref = load_reference("rotterdam_zph.json")
    cox = json.loads((rotterdam / "results.json").read_text())["cox"]
    assert cox["endpoint"] == "rfs"
    multi = cox["proportional_hazards"]["multivariable"]
    assert [t["term"] for t in multi] == ref["multivariable"]["terms"]
    assert [t["df"] for t in multi] == ref["multivariable"]["df"]
    assert close([t["chisq"] for t in multi], ref["multivariable"]["chisq"])
    assert close([t["p_value"] for t in multi], ref["multivariable"]["p"])
    for name, test in cox["proportional_hazards"]["univariable"].items():
        assert close(test["chisq"], ref["univariable"][name]["chisq"][0]), name
    pgr = next(r for r in cox["multivariable"] if r["term"] == "pgr")
    assert close(pgr["hr"], ref["hr_per_100"]["pgr"])
    table = _csv(rotterdam / "tables/cox-multivariable.csv")
    assert table[0] == ["Factor", "HR (95% CI)", "p", "PH p"]
    row = next(r for r in table if r[0].startswith("Progesterone receptor"))
    assert row[0] == "Progesterone receptor (per 100 fmol/l)"
    assert row[1].startswith(f"{ref['hr_per_100']['pgr']:.2f} (")


def test_a_log_longer_than_a_sheet_is_parquet(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above a spreadsheet's rows the derivation log is Parquet, with the rows of the CSV."""
    import pyarrow.parquet as pq

    import survstudy.study.load as load

    monkeypatch.setattr(load, "SHEET_ROWS", 20)  # 13 patients, two parts: 26 rows
    out = tmp_path / "big"
    result = runner.invoke(app, ["report", str(SEED_STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "derivation_log.parquet" in result.output
    assert not (out / "derivation_log.csv").exists()
    table = pq.read_table(out / "derivation_log.parquet")
    written = _csv(report / "derivation_log.csv")
    assert table.column_names == written[0]
    assert table.num_rows == len(written) - 1 == 26

    def cell(v: Any) -> str:
        return "" if v is None else repr(v) if isinstance(v, float) else str(v)

    assert [[cell(v) for v in row.values()] for row in table.to_pylist()] == written[1:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "derivation_log.parquet" in manifest["outputs"]
    assert "audited in derivation_log.parquet" in (out / "report.html").read_text()
