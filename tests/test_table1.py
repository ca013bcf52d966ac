"""Table 1 through the public function: R reference rows, bad input, invariances."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.api.characteristics import characteristics_table
from survstudy.errors import InputError
from survstudy.report.table1 import footnotes, table_frame
from survstudy.stats.characteristics.fisher import odds_ratio
from survstudy.stats.characteristics.table import CharacteristicsTable

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "table1_tests.json").read_text())
SEED = HERE.parent / "src" / "survstudy" / "examples" / "seed" / "seed_liver_resection_cohort.csv"
LUNG = HERE / "reference" / "lung.csv"


def close(got: float | None, want: float | None, rel: float = 1e-6) -> bool:
    if want is None:
        return got is None
    return got is not None and abs(got - want) <= rel * max(abs(want), 1e-300)


def check_row(table: CharacteristicsTable, name: str, want: dict) -> None:
    row = table.row(name)
    t = row.test
    assert t.test == want["test"], (name, t.reason)
    assert close(t.p_value, want["p_value"]), (name, t.p_value, want["p_value"])
    if want.get("statistic") is not None:
        assert close(t.statistic, want["statistic"]), name
    if want.get("df") is not None:
        assert t.df is not None
        assert np.allclose(t.df, np.ravel(want["df"]), rtol=1e-9)
    if "smd" in want:
        assert close(row.smd.value, want["smd"]), (name, row.smd.value, want["smd"])
    if row.type == "categorical":
        assert close(t.get("expected_min"), want["expected_min"], 1e-12)
        assert [lv.level for lv in row.levels] == want["levels"]
        assert [list(lv.n) for lv in row.levels] == want["counts"]
    else:
        for group, s in zip(table.groups, row.summaries, strict=True):
            ws = want["summary"][group]
            assert s.n == ws["n"]
            for key in ("mean", "sd", "median", "q1", "q3", "min", "max"):
                assert close(getattr(s, key), ws.get(key), 1e-12), (name, group, key)
        for key in ("mean", "sd", "median", "q1", "q3"):
            assert close(getattr(row.overall, key), want["overall"][key], 1e-12)


# --- against R --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> CharacteristicsTable:
    return characteristics_table(
        SEED,
        "group",
        categorical=["her2", "er", "histologic_grade", "pathology", "liver_resection", "rfa"],
        continuous=["age_years", "survival_months"],
    )


@pytest.mark.parametrize("name", list(REF["seed"]))
def test_seed_rows_match_r(seed: CharacteristicsTable, name: str) -> None:
    check_row(seed, name, REF["seed"][name])


def test_seed_matches_the_issue(seed: CharacteristicsTable) -> None:
    assert seed.groups == ("extrahepatic", "solitary")
    assert seed.n == (6, 7)
    her2 = seed.row("her2")
    pos = next(lv for lv in her2.levels if lv.level == "pos")
    assert pos.n == (4, 1)
    assert pos.percent[0] == pytest.approx(66.667, abs=1e-3)
    assert her2.missing == (0, 0)
    age = seed.row("age_years")
    assert age.test.statistic == pytest.approx(0.2006, abs=1e-4)
    assert age.test.p_value == pytest.approx(0.8446, abs=1e-4)
    assert seed.row("rfa").levels[0].level == "no"  # as written, not read as a boolean


def test_seed_odds_ratios(seed: CharacteristicsTable) -> None:
    her2 = seed.row("her2")
    assert her2.odds_ratio == odds_ratio([[2, 6], [4, 1]])
    assert her2.odds_ratio_level == "neg"
    assert seed.row("histologic_grade").odds_ratio is None  # 3 levels


def test_seed_forced_tests_match_r() -> None:
    forced = REF["seed_forced"]
    table = characteristics_table(
        SEED,
        "group",
        categorical=["her2", "er", "histologic_grade"],
        continuous=["age_years", "survival_months"],
        tests={
            "her2": "chi-square",
            "er": "chi-square-yates",
            "histologic_grade": "chi-square",
            "age_years": "welch",
            "survival_months": "mann-whitney",
        },
    )
    for name in ("her2", "er", "histologic_grade", "age_years", "survival_months"):
        check_row(table, name, forced[name])
        assert table.row(name).test.forced
    assert table.row("survival_months").test.method == "exact"
    ties = characteristics_table(
        SEED, "group", continuous=["age_years"], tests=["age_years=mann-whitney"]
    )
    check_row(ties, "age_years", forced["age_years_mw"])
    assert "ties" in ties.row("age_years").test.method


def test_lung_by_ecog_matches_r() -> None:
    """Four groups, one of them a single patient: Kruskal-Wallis, with the reason."""
    table = characteristics_table(
        LUNG, "ph.ecog", categorical=["sex"], continuous=["age", "wt.loss"]
    )
    assert table.groups == ("0", "1", "2", "3")
    assert table.n == (63, 113, 50, 1)
    assert table.excluded == 1
    for name in ("age", "wt.loss", "sex"):
        check_row(table, name, REF["lung_by_ecog"][name])
    assert "group '3': fewer than 3 values" in table.row("age").test.reason
    forced = characteristics_table(LUNG, "ph.ecog", continuous=["age"], tests={"age": "anova"})
    check_row(forced, "age", REF["lung_by_ecog"]["age_anova"])


def test_lung_by_sex_forced_match_r() -> None:
    want = REF["lung_by_sex"]
    for name, column, test in (
        ("age_t", "age", "t-test"),
        ("age_welch", "age", "welch"),
        ("meal_kw", "meal.cal", "kruskal-wallis"),
    ):
        table = characteristics_table(LUNG, "sex", continuous=[column], tests={column: test})
        check_row(table, column, want[name])
    table = characteristics_table(
        LUNG, "sex", categorical=["ph.ecog"], tests={"ph.ecog": "chi-square"}
    )
    check_row(table, "ph.ecog", want["ph.ecog_chisq"])
    assert table.row("ph.ecog").missing == (1, 0)


# --- bad input --------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_group_with_one_level(tmp_path: Path) -> None:
    path = write(tmp_path, "arm,age\nA,50\nA,60\n,70\n")
    with pytest.raises(InputError, match="only one value \\('A'\\)") as e:
        characteristics_table(path, "arm", continuous=["age"])
    assert e.value.problems[0].column == "arm"


def test_text_in_continuous_names_the_rows(tmp_path: Path) -> None:
    rows = "\n".join(["A,50,1", "B,sixty,x", "A,,2", "B,71,3", "A,?,y"])
    path = write(tmp_path, "arm,age,score\n" + rows + "\n")
    with pytest.raises(InputError) as e:
        characteristics_table(path, "arm", continuous=["age", "score"])
    found = {(p.column, p.row, p.value) for p in e.value.problems}
    # header is row 1: 'sixty' is on row 3, '?' on row 6; both columns reported together
    assert found == {("age", 3, "sixty"), ("age", 6, "?"), ("score", 3, "x"), ("score", 6, "y")}
    assert all(p.file == str(path) for p in e.value.problems)


def test_many_text_values_are_summarised(tmp_path: Path) -> None:
    path = write(tmp_path, "arm,age\n" + "\n".join(f"{'AB'[i % 2]},n{i}" for i in range(9)) + "\n")
    with pytest.raises(InputError) as e:
        characteristics_table(path, "arm", continuous=["age"])
    assert len(e.value.problems) == 6
    assert "4 more rows" in e.value.problems[-1].message


def test_all_values_missing_is_not_testable(tmp_path: Path) -> None:
    path = write(tmp_path, "arm,age,grade\nA,,\nB,,\nA,,\n")
    table = characteristics_table(path, "arm", categorical=["grade"], continuous=["age"])
    for name in ("age", "grade"):
        row = table.row(name)
        assert row.test.p_value is None
        assert not row.test.testable
        assert "all values are missing" in row.test.reason
    assert table.row("age").overall.missing == 3
    frame = table_frame(table)
    assert "not testable" in frame["p"].tolist()
    assert "nan" not in frame.to_string().lower()


def test_group_of_one_patient(tmp_path: Path) -> None:
    path = write(tmp_path, "arm,age,sex\nA,50,F\nB,61,M\nB,55,F\nB,70,M\nB,48,F\n")
    table = characteristics_table(path, "arm", categorical=["sex"], continuous=["age"])
    assert table.n == (1, 4)
    age = table.row("age")
    assert age.test.test == "mann-whitney"
    assert age.test.p_value is not None
    assert "fewer than 3 values" in age.test.reason
    assert age.summaries[0].sd is None
    assert age.smd.value is None
    assert table.row("sex").test.test == "fisher"


def test_rows_without_group_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "arm,age\nA,50\nB,61\n,70\nA,52\nB,66\nNA,1\n")
    table = characteristics_table(path, "arm", continuous=["age"])
    assert table.excluded == 2
    assert table.n == (2, 2)
    assert table.to_dict()["excluded"]["rows"] == 2


def test_bad_requests() -> None:
    with pytest.raises(ValueError, match="at least one variable"):
        characteristics_table(SEED, "group")
    with pytest.raises(ValueError, match="listed twice"):
        characteristics_table(SEED, "group", categorical=["er"], continuous=["er"])
    with pytest.raises(ValueError, match="group column"):
        characteristics_table(SEED, "group", categorical=["group"])
    with pytest.raises(ValueError, match="is categorical"):
        characteristics_table(SEED, "group", categorical=["er"], tests={"er": "welch"})
    with pytest.raises(ValueError, match="not one of"):
        characteristics_table(SEED, "group", categorical=["er"], tests={"er": "fishers"})
    with pytest.raises(ValueError, match="not among the variables"):
        characteristics_table(SEED, "group", categorical=["er"], tests={"pr": "fisher"})
    with pytest.raises(ValueError, match="compares two groups"):
        characteristics_table(LUNG, "ph.ecog", continuous=["age"], tests={"age": "t-test"})
    with pytest.raises(InputError, match="did you mean 'age_years'"):
        characteristics_table(SEED, "group", continuous=["age_year"])


def test_data_frame_input_and_stated_order() -> None:
    frame = pd.read_csv(SEED)
    table = characteristics_table(
        frame,
        "group",
        categorical=["her2"],
        groups=["solitary", "extrahepatic"],
        levels={"her2": ["pos", "neg"]},
    )
    assert table.groups == ("solitary", "extrahepatic")
    assert [lv.level for lv in table.row("her2").levels] == ["pos", "neg"]
    assert table.row("her2").test.p_value == pytest.approx(0.1025641025641, rel=1e-10)


def test_outputs_have_no_nan(seed: CharacteristicsTable) -> None:
    text = json.dumps(seed.to_dict(), allow_nan=True)
    assert "NaN" not in text
    frame = table_frame(seed)
    assert list(frame.columns)[:4] == [
        "Characteristic",
        "extrahepatic (n=6)",
        "solitary (n=7)",
        "Overall (n=13)",
    ]
    assert "nan" not in frame.to_string().lower()
    notes = footnotes(seed)
    assert any(n.startswith("(a) her2: Fisher's exact test") for n in notes)


# --- properties -------------------------------------------------------------------------------

frames = (
    st.integers(6, 40)
    .flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n),
            st.lists(st.sampled_from(["lo", "mid", "hi", None]), min_size=n, max_size=n),
            st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=n, max_size=n),
        )
    )
    .map(lambda t: pd.DataFrame({"g": t[0], "c": t[1], "v": pd.array(t[2], dtype="Float64")}))
)


def _build(frame: pd.DataFrame) -> CharacteristicsTable | None:
    try:
        return characteristics_table(frame, "g", categorical=["c"], continuous=["v"])
    except InputError:
        return None  # a single group


@settings(max_examples=60, deadline=None)
@given(frames, st.randoms(use_true_random=False))
def test_properties(frame: pd.DataFrame, rnd) -> None:
    table = _build(frame)
    if table is None:
        assert frame["g"].nunique() < 2
        return
    for row in table.rows:
        p = row.test.p_value
        assert p is None or 0.0 <= p <= 1.0
        assert p is not None or "not testable" in row.test.reason
    # row order does not matter
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = _build(frame.iloc[order].reset_index(drop=True))
    assert shuffled is not None
    for a, b in zip(table.rows, shuffled.rows, strict=True):
        assert a.test.test == b.test.test
        assert (a.test.p_value is None) == (b.test.p_value is None)
        if a.test.p_value is not None:
            assert math.isclose(a.test.p_value, b.test.p_value, rel_tol=1e-9, abs_tol=1e-15)
    # relabelling the groups (which reverses their order) does not change any p-value
    relabelled = _build(frame.assign(g=frame["g"].map({"x": "z2", "y": "y2", "z": "x2"})))
    assert relabelled is not None
    for a, b in zip(table.rows, relabelled.rows, strict=True):
        assert a.test.test == b.test.test
        if a.test.p_value is not None:
            assert b.test.p_value is not None
            assert math.isclose(a.test.p_value, b.test.p_value, rel_tol=1e-9, abs_tol=1e-15)
