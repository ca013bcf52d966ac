"""The public Python API is coherent (issue 13): every result has ``to_dict`` and ``to_frame``,
counts are integers, errors name Python arguments, level order and labels are kept, and a
loaded Study is accepted as ``data``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survstudy as ss
from survstudy.cli.wording import cli_wording
from survstudy.jsonsafe import dumps
from tests.conftest import SEED_COHORT

STUDY = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection/study.toml"
RESULTS = [n for n in ss.__all__ if n[0].isupper() and n not in
           ("EventSpec", "InputError", "Problem", "Study")]


def _small() -> pd.DataFrame:
    # hand-worked: group a times 1,2,2,3 (events at 1 and 2 twice, 3 censored)
    return pd.DataFrame({"t": [1, 2, 2, 3, 1, 4, 5, 6], "e": [1, 1, 1, 0, 0, 1, 1, 0],
                         "g": ["a"] * 4 + ["b"] * 4})


@pytest.mark.parametrize("name", RESULTS)
def test_every_result_class_has_to_dict_and_to_frame(name: str) -> None:
    cls = getattr(ss, name)
    assert callable(getattr(cls, "to_dict", None)), name
    assert callable(getattr(cls, "to_frame", None)), name


def test_kaplan_meier_to_frame_hand_worked() -> None:
    km = ss.kaplan_meier(_small(), "t", "e", by="g")
    frame = km.to_frame()
    assert list(frame.columns) == ["group", "time", "n_risk", "n_event", "n_censor", "survival",
                                   "std_err", "ci_lower", "ci_upper"]
    a = frame[frame["group"] == "a"]
    assert a["time"].tolist() == [1.0, 2.0, 3.0]
    assert a["n_risk"].tolist() == [4, 3, 1]
    assert a["n_event"].tolist() == [1, 2, 0]
    assert a["n_censor"].tolist() == [0, 0, 1]
    assert a["survival"].to_numpy() == pytest.approx([0.75, 0.25, 0.25])
    assert frame["n_risk"].dtype.kind == "i"
    assert len(frame) == sum(c.time.size for c in km)
    doc = km.to_dict()
    assert doc["conf_type"] == "log-log"
    assert len(doc["curves"]) == 2


def test_counts_are_integers_unweighted_and_floats_weighted() -> None:
    km = ss.kaplan_meier(pd.read_csv(SEED_COHORT), "survival_months", "died")
    at = km.curves[0].at([12.0, 1000.0])
    assert isinstance(at[0].n_risk, int)
    assert isinstance(at[0].cumulative_events, int)
    assert isinstance(at[1].n_risk, int)
    text = dumps(km.summary(at=[12.0]))
    doc = json.loads(text)
    assert isinstance(doc[0]["at"][0]["n_risk"], int)
    assert all(isinstance(v, int) for v in km.to_dict()["curves"][0]["n_risk"])
    counts = ss.survival_counts(_small(), "t", "e", by="g")
    assert counts.to_frame()["n_event"].dtype.kind == "i"
    frame = _small().assign(w=[1.5, 1, 1, 1, 2, 1, 1, 1])
    weighted = ss.kaplan_meier(frame, "t", "e", by="g", weights="w")
    assert weighted["a"].at([1.0])[0].n_risk == pytest.approx(4.5)
    assert isinstance(weighted["a"].at([1.0])[0].n_risk, float)


def test_characteristics_to_frame_is_numeric() -> None:
    df = pd.DataFrame({"g": ["x", "y"] * 6, "sex": ["m", "f", "f", "m", "f", "f"] * 2,
                       "age": np.arange(12.0)})
    table = ss.characteristics_table(df, "g", ["sex"], ["age"])
    frame = table.to_frame()
    assert frame["variable"].tolist() == ["sex", "sex", "age"]
    sex_f = frame.iloc[0]
    assert (sex_f["level"], sex_f["n_x"], sex_f["n_y"], sex_f["n_overall"]) == ("f", 4, 4, 8)
    assert sex_f["percent_x"] == pytest.approx(400 / 6)
    age = frame.iloc[2]
    assert age["mean_x"] == pytest.approx(5.0)
    assert age["sd_x"] == pytest.approx(np.std(
        np.arange(0, 12, 2.0), ddof=1))
    assert age["p_value"] == pytest.approx(table.row("age").test.p_value)
    for column in frame.columns:  # numbers, or the names of things: never formatted numbers
        if frame[column].dtype == object:
            assert column in ("variable", "type", "level", "test")


def test_level_order_and_labels_are_kept() -> None:
    df = pd.DataFrame({"g": ["x", "y"] * 6, "grade": ["poor", "well", "moderate"] * 4,
                       "age": np.arange(12.0)})
    by_text = ss.characteristics_table(df, "g", ["grade"])
    assert [lv.level for lv in by_text.row("grade").levels] == ["moderate", "poor", "well"]
    order = ["well", "moderate", "poor"]
    stated = ss.characteristics_table(df, "g", ["grade"], levels={"grade": order},
                                      labels={"grade": {"well": "Well differentiated"}})
    assert [lv.level for lv in stated.row("grade").levels] == [
        "Well differentiated", "moderate", "poor"]
    cat = df.assign(grade=pd.Categorical(df["grade"], categories=order),
                    g=pd.Categorical(df["g"], categories=["y", "x"]))
    table = ss.characteristics_table(cat, "g", ["grade"])
    assert [lv.level for lv in table.row("grade").levels] == order
    assert table.groups == ("y", "x")
    with pytest.raises(ValueError, match="same label"):
        ss.characteristics_table(df, "g", ["grade"], labels={"grade": {"poor": "P", "well": "P"}})


def test_api_errors_name_arguments_and_the_cli_words_them_as_options() -> None:
    df = pd.DataFrame({"g": ["x", "y"] * 3, "age": np.arange(6.0)})
    with pytest.raises(ValueError, match=r"tests= names 'sex'") as info:
        ss.characteristics_table(df, "g", continuous=["age"], tests={"sex": "fisher"})
    assert "--" not in str(info.value)
    assert cli_wording(str(info.value)).startswith("--test names 'sex'")
    bad = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "x": ["a", "b", "a", "b"]})
    with pytest.raises(ss.InputError) as err:
        ss.cox_regression(bad, "t", "e", ["x"])
    message = err.value.problems[0].message
    assert 'categorical=["x"]' in message
    assert "--" not in message
    assert "(--categorical x)" in cli_wording(message)
    assert cli_wording('e.g. event="status=CODE"') == "e.g. --event status=CODE"
    assert cli_wording("use firth=True; drop weights= or firth=True") == (
        "use --firth; drop --weights or --firth")


def test_no_cli_flag_in_stats_or_api_messages() -> None:
    root = Path(__file__).parents[1] / "src/survstudy"
    offenders = []
    for path in [*root.glob("stats/**/*.py"), *root.glob("api/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if '"' in stripped and " --" in stripped and not stripped.startswith("#"):
                offenders.append(f"{path.name}:{number}: {stripped}")
    assert not offenders


@pytest.fixture(scope="module")
def study() -> ss.Study:
    return ss.load_study(STUDY)


def test_a_study_is_data_for_every_analysis(study: ss.Study) -> None:
    km = ss.kaplan_meier(study, "os_time", "os_event", by="group")
    assert km.groups == ("solitary", "extrahepatic")  # declared order, not text order
    same = ss.kaplan_meier(study.data.astype({"group": str}), "os_time", "os_event", by="group",
                           groups=["solitary", "extrahepatic"])
    pd.testing.assert_frame_equal(km.to_frame(), same.to_frame())
    table = ss.characteristics_table(study, "group", ["histologic_grade", "sex"], ["age_years"])
    assert table.groups == ("Solitary liver metastasis", "Liver and extrahepatic metastasis")
    assert [lv.level for lv in table.row("histologic_grade").levels] == [
        "Well differentiated", "Moderately differentiated", "Poorly differentiated"]
    assert table.source.startswith("cohort of")
    cox = ss.cox_regression(study, "os_time", "os_event", ["group", "age_years"])
    assert cox.to_frame()["term"].tolist()[0].startswith("group")
    explicit = ss.cox_regression(study.data, "os_time", "os_event", ["group", "age_years"],
                                 categorical=["group"], reference={"group": "solitary"})
    assert cox.to_frame()["coef"].to_numpy() == pytest.approx(
        explicit.to_frame()["coef"].to_numpy(), rel=1e-12)


def test_prognostic_factors_from_a_study(study: ss.Study) -> None:
    tables = ss.prognostic_factors(study, "os_time", "os_event", ["group", "age_years"])
    frame = tables.to_frame()
    assert frame["term"].astype(str).str.startswith("group").any()
