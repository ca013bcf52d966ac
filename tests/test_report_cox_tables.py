"""Report tables (issue 14, item 10): HRs per chosen unit and their decimals, the Cox tables'
endpoint and proportional-hazards tests, Table 1's odds ratios and footnotes, survival tables
with the numbers at risk."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from survstudy.api.characteristics import characteristics_table
from survstudy.api.regression import prognostic_factors
from survstudy.cli.demo import example_study
from survstudy.report.characteristics import _reason, characteristics_block
from survstudy.report.cox_table import hr_digits, hr_text, per_phrase, prognostic_tables
from survstudy.report.document import Table
from survstudy.stats.characteristics.table import CategoricalRow, CharacteristicsTable
from survstudy.stats.regression.per_unit import per_units
from survstudy.stats.regression.zph import proportional_hazards_test
from survstudy.study.analysis import StudyResults
from tests.conftest import REFERENCE, SEED_COHORT

LUNG = REFERENCE / "lung.csv"


# ---- f. hazard ratios per k units ---------------------------------------------------------


@pytest.mark.parametrize("k", [10.0, 0.5, 36.6])
def test_scaled_hr_is_the_refit_with_x_over_k(k: float, tmp_path: Path) -> None:
    frame = pd.read_csv(LUNG)
    frame["age_k"] = frame["age"] / k
    path = tmp_path / "lung.csv"
    frame.to_csv(path, index=False)
    per_unit = prognostic_factors(path, "time", "status=2", ["age", "sex"])
    refit = prognostic_factors(path, "time", "status=2", ["age_k", "sex"])
    for mine, theirs in ((per_unit.univariable, refit.univariable),
                         (per_unit.multivariable, refit.multivariable)):
        scaled = per_units(mine, {"age": k})
        age, age_k = scaled[0], theirs[0]
        coef = math.log(mine[0].hr or 0)
        assert age.hr == pytest.approx(math.exp(coef * k), rel=1e-12)
        assert age.hr == pytest.approx(age_k.hr, rel=1e-6)
        assert age.hr_ci == pytest.approx(age_k.hr_ci, rel=1e-6)
        assert age.p_value == mine[0].p_value  # p unchanged
        assert age.p_value == pytest.approx(age_k.p_value, rel=1e-6)
        assert scaled[1] == mine[1]  # other covariates untouched


def test_levels_and_unscaled_rows_pass_through() -> None:
    tables = prognostic_factors(LUNG, "time", "status=2", ["age", "ph.ecog"],
                                categorical=["ph.ecog"])
    rows = tables.multivariable
    assert per_units(rows, {"ph.ecog": 10.0}) == rows  # a factor's levels have a reference
    assert per_units(rows, {}) == rows
    with pytest.raises(ValueError, match="positive"):
        per_units(rows, {"age": 0.0})


def test_hr_decimals_rule() -> None:
    assert hr_text(1.624, (1.44, 1.81), 0) == "1.62 (1.44–1.81)"
    # rounds to 1.00 although the interval excludes 1: three decimals
    assert hr_digits(1.0045, 1.0001, 1.0089) == 3
    assert hr_text(1.0045, (1.0001, 1.0089), 0) == "1.005 (1.000–1.009)"
    # a bound at 1.00 with the interval excluding 1
    assert hr_text(1.10, (1.004, 1.2), 0) == "1.100 (1.004–1.200)"
    # both bounds alike at two decimals: three
    assert hr_text(0.99989, (0.99971, 1.00007), 0) == "1.000 (1.000–1.000)"
    # an interval that includes 1 with distinct bounds keeps two
    assert hr_text(0.99, (0.90, 1.05), 0) == "0.99 (0.90–1.05)"
    assert hr_text(None, None, 0) == "NA"
    assert hr_text(2.0, (1.0, 3.0), 1).startswith("not estimable")


def test_per_phrase() -> None:
    assert per_phrase("years") == " (per year)"
    assert per_phrase("years", 10) == " (per 10 years)"
    assert per_phrase("fmol/l", 100) == " (per 100 fmol/l)"
    assert per_phrase("fmol/l", 272.46, sd=True) == " (per SD, 272.5 fmol/l)"
    assert per_phrase(None) == ""
    assert per_phrase(None, 2.5) == " (per 2.50)"


# ---- e, g. the Cox tables of a study ------------------------------------------------------


@pytest.fixture(scope="module")
def seed_cox(tmp_path_factory: pytest.TempPathFactory) -> StudyResults:
    """The seed study with two Cox covariates, ordinary Cox, age per SD."""
    from survstudy.study.analysis import analyse_study
    from survstudy.study.load import load_study

    src = example_study("liver_resection")
    text = src.read_text().replace("covariates = []\n", 'covariates = ["age_years", "her2"]\n', 1)
    text = text.replace("[report]\n", '[report]\nfirth = "never"\nhr_per = { age_years = '
                        '"sd" }\n', 1)
    folder = tmp_path_factory.mktemp("study")
    for f in src.parent.iterdir():
        if f.is_file() and f.name != "study.toml":
            (folder / f.name).write_bytes(f.read_bytes())
    (folder / "study.toml").write_text(text)
    return analyse_study(load_study(folder / "study.toml"))


def test_cox_tables_name_the_endpoint_and_test_proportional_hazards(seed_cox: StudyResults) -> None:
    results = seed_cox
    cox = results.cox
    assert cox is not None
    assert cox.endpoint == "os"
    tables = prognostic_tables(results, 4)
    assert [t.title for t in tables] == ["Table 4. Overall survival: univariable Cox regression",
                                         "Table 5. Overall survival: multivariable Cox regression"]
    # per-term PH tests are those of cox.zph on each fitted model
    assert results.prognostic is not None
    models = results.prognostic.models
    zph = proportional_hazards_test(models["multivariable"])
    assert cox.ph_multivariable is not None
    assert cox.ph_multivariable.tests == zph.tests
    assert cox.ph_global is not None
    assert cox.ph_global.term == "GLOBAL"
    assert cox.ph_global.df == 2
    alone = proportional_hazards_test(models["univariable:her2"]).tests[0]
    assert cox.ph_univariable["her2"] == alone
    multi = tables[1]
    assert [c.text for c in multi.header[0]] == ["Factor", "HR (95% CI)", "p", "PH p"]
    age = next(r for r in multi.rows if r[0].text.startswith("Age"))
    assert age[3].text == f"{zph.tests[0].p_value:.3f}"
    assert any("Global test of the model" in n for n in multi.footnotes)
    d = results.to_dict()["cox"]
    assert d["proportional_hazards"]["multivariable"][-1]["term"] == "GLOBAL"


def test_hr_per_sd_uses_the_cohort_sd(seed_cox: StudyResults) -> None:
    results = seed_cox
    cox = results.cox
    assert cox is not None
    assert results.prognostic is not None
    ages = pd.read_csv(SEED_COHORT)["age_years"]
    assert cox.per["age_years"] == pytest.approx(ages.std(ddof=1), rel=1e-12)
    assert cox.per_sd == ("age_years",)
    raw = results.prognostic.univariable[0]
    shown = cox.univariable[0]
    assert raw.hr is not None
    assert shown.hr == pytest.approx(raw.hr ** ages.std(ddof=1), rel=1e-9)
    row = prognostic_tables(results, 1)[0].rows[0]
    assert row[0].text == "Age (per SD, 9.4 years)"


def test_survival_table_gives_the_numbers_at_risk(seed_cox: StudyResults) -> None:
    from survstudy.report.build import _survival_table

    results = seed_cox
    ep = results.endpoints[0]
    table = _survival_table(results, ep, 3, {})
    assert [c.text for c in table.header[1]][4:] == ["% (95% CI)", "At risk"] * 2
    assert [c.text for c in table.header[0]][4:] == ["1-year survival", "3-year survival"]
    reads = ep.overall.curves[0].at(ep.landmarks)
    all_patients = [c.text for c in table.rows[0]]
    assert all_patients[5] == str(reads[0].n_risk)
    assert all_patients[7] == str(reads[1].n_risk)
    assert [r.n_risk for r in reads] == [10, 4]  # R: summary(survfit(...), times = c(12, 36))
    # a degenerate 100% (no event yet) prints without an interval, as a degenerate 0%
    solitary = [c.text for c in table.rows[2]]
    assert solitary[4] == "100.0 (NE–NE)"
    extrahepatic = [c.text for c in table.rows[3]]
    assert extrahepatic[6] == "0.0 (NE–NE)"


# ---- a, b. Table 1: odds ratios opt-in, labels in footnotes -------------------------------


def _table1() -> CharacteristicsTable:
    return characteristics_table(SEED_COHORT, "group", categorical=["her2", "histologic_grade"],
                                 continuous=["age_years"])


def _block(odds_ratios: bool) -> Table:
    return characteristics_block(
        _table1(), 1,
        group_labels={"solitary": "Solitary", "extrahepatic": "Extrahepatic"},
        variable_labels={}, level_labels={"her2": {"pos": "Positive", "neg": "Negative"}},
        units={}, odds_ratios=odds_ratios)


def test_odds_ratios_are_opt_in_and_name_their_reference() -> None:
    plain = _block(False)
    assert "OR (95% CI)" not in [c.text for c in plain.header[0]]
    assert not any(n.startswith("OR") for n in plain.footnotes)
    shown = _block(True)
    assert [c.text for c in shown.header[0]][-1] == "OR (95% CI)"
    note = next(n for n in shown.footnotes if n.startswith("OR"))
    groups = _table1().groups
    first, second = ({"solitary": "Solitary", "extrahepatic": "Extrahepatic"}[g] for g in groups)
    assert f"{first} vs {second} (reference group: {second})" in note
    assert "against the other level" in note
    her2 = next(r for r in _table1().rows if r.variable == "her2")
    assert isinstance(her2, CategoricalRow)
    assert her2.odds_ratio_level is not None
    rows = shown.rows
    marked = [r for r in rows if r[-1].text]
    assert len(marked) == 1  # her2 only: grade has three levels
    level = {"pos": "Positive", "neg": "Negative"}[her2.odds_ratio_level]
    assert marked[0][0].text == level


def test_footnote_reasons_use_group_labels() -> None:
    labels = {"2": "Grade 2", "3": "Grade 3"}
    reason = "Shapiro-Wilk p < 0.05 in '2' (p = 1.2e-05), '3' (p = 0.0021)"
    assert _reason(reason, ["2", "3"], labels) == "Shapiro-Wilk p < 0.05 in Grade 2, Grade 3"
    assert _reason("Shapiro-Wilk p >= 0.05 in every group", ["2"], labels) == \
        "Shapiro-Wilk p ≥ 0.05 in every group"
    # a code inside a word is not touched; a longer code is replaced before its prefix
    assert _reason("no values in '12', tested without", ["1", "12"],
                   {"1": "One", "12": "Twelve"}) == "no values in Twelve, tested without"
    text = " ".join(_block(False).footnotes)
    assert "'solitary'" not in text
    assert "'extrahepatic'" not in text


# ---- the study-file keys --------------------------------------------------------------------

_STUDY = """
[data]
source = "registry.csv"
id = "pid"
[variables.grade]
type = "categorical"
[analysis]
covariates = ["age", "er", "grade"]
[report]
odds_ratios = true
"""


def test_report_keys_parse_and_dump_back() -> None:
    from survstudy.config.dump import dump_study_config
    from survstudy.config.parse import parse_config

    study = parse_config(_STUDY + 'hr_per = { age = 10, er = "sd" }\n')
    assert study.config.report.odds_ratios is True
    assert study.config.report.hr_per == {"age": 10.0, "er": "sd"}
    again = parse_config(dump_study_config(study.config))
    assert again.config.report == study.config.report
    assert parse_config("[data]\nsource = 'x.csv'\nid = 'pid'\n").config.report.odds_ratios is False


@pytest.mark.parametrize(("line", "words"), [
    ("hr_per = { nodes = 10 }", "not in [analysis] covariates"),
    ("hr_per = { grade = 10 }", "continuous covariates, not categorical"),
    ("hr_per = { age = 0 }", "hr_per"),
    ('hr_per = { age = "iqr" }', "hr_per"),
])
def test_bad_hr_per_names_the_key(line: str, words: str) -> None:
    from survstudy.config.parse import parse_config
    from survstudy.errors import InputError

    with pytest.raises(InputError) as e:
        parse_config(_STUDY + line + "\n")
    text = str(e.value)
    assert words in text
    assert "report.hr_per" in text


def test_no_event_still_gives_a_report_saying_why_no_cox(tmp_path: Path) -> None:
    """Covariates asked for but nobody died: the report is written, the Cox tables' place says
    why there are none, and results.json holds no model."""
    import csv
    import json
    import shutil

    from survstudy.report.write import write_report
    from survstudy.study import load_study
    from survstudy.study.analysis import analyse_study

    seed = example_study("liver_resection")
    shutil.copytree(seed.parent, tmp_path / "study")
    registry = tmp_path / "study" / "registry.csv"
    with registry.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["death_date"], row["died"] = "", "0"
    with registry.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    study_file = tmp_path / "study" / "study.toml"
    text = study_file.read_text()
    assert "covariates = []" in text
    study_file.write_text(text.replace("covariates = []", 'covariates = ["age_years", "er"]'))

    results = analyse_study(load_study(study_file))
    assert results.prognostic is None
    assert results.cox is None
    assert results.prognostic_note is not None
    assert "none of the 13 patients analysed had an event" in results.prognostic_note
    files = write_report(results, tmp_path / "out")
    assert results.prognostic_note in files["report.html"].read_text()
    saved = json.loads(files["results.json"].read_text())
    assert saved["prognostic"] is None
    assert saved["prognostic_note"] == results.prognostic_note
    # the app's Cox panel shows the same reason, not a generic note
    from types import SimpleNamespace

    from survstudy.report.build import build_document
    from survstudy.web.panels import cox_tables

    outcome = SimpleNamespace(document=build_document(results), config=results.study.config)
    assert results.prognostic_note in str(cox_tables(outcome))  # type: ignore[arg-type]


def test_no_event_note_keeps_an_acronym() -> None:
    """The note names the endpoint as the report's sentences do (lower_first, not lower())."""
    from types import SimpleNamespace

    from survstudy.study.analysis import _no_cox

    curves = (SimpleNamespace(n=7, events=0), SimpleNamespace(n=6, events=0))
    endpoint = SimpleNamespace(label="RFS after resection", overall=SimpleNamespace(curves=curves))
    note = _no_cox(endpoint)  # type: ignore[arg-type]
    assert note is not None
    assert note.startswith("No Cox model was fitted for RFS after resection: none of the 13 ")
    died = (SimpleNamespace(n=7, events=1),)
    assert _no_cox(SimpleNamespace(label="OS", overall=SimpleNamespace(curves=died))) is None  # type: ignore[arg-type]
