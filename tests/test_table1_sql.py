"""Table 1 inside DuckDB equals Table 1 from pandas, and categorical rows never reach pandas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.api.characteristics import characteristics_table
from survstudy.engine.duckdb import quote_ident
from survstudy.engine.sources import open_source
from survstudy.errors import InputError
from survstudy.stats.characteristics.table import CharacteristicsTable
from survstudy.stats.characteristics.table_sql import characteristics_table_sql

HERE = Path(__file__).parent
REFERENCE = HERE / "reference"
SEED = HERE.parent / "src" / "survstudy" / "examples" / "seed" / "seed_liver_resection_cohort.csv"
SEED_CATEGORICAL = ["her2", "er", "histologic_grade", "pathology", "liver_resection", "rfa"]
SEED_CONTINUOUS = ["age_years", "survival_months"]
CASES = json.loads((REFERENCE / "table1_cases.json").read_text())


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal documents; floats equal or within 1e-12 relative."""
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple), where
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b)), (where, a, b)
    else:
        assert a == b, (where, a, b)
        assert type(a) is type(b), (where, type(a), type(b))


def assert_same(frame_path: CharacteristicsTable, sql_path: CharacteristicsTable) -> None:
    same(frame_path.to_dict(), sql_path.to_dict())


@pytest.fixture
def con() -> Iterator[Any]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a pandas DataFrame was created")


def forbid_data_frames(m: pytest.MonkeyPatch) -> None:
    """Fetching a DuckDB result as pandas, or building any DataFrame, fails the test."""
    for name in ("df", "fetchdf", "to_df"):
        m.setattr(duckdb.DuckDBPyRelation, name, _refuse)
    m.setattr(pd.DataFrame, "__init__", _refuse)


def csv_view(con: Any, path: Path, continuous: list[str], name: str = "registry") -> str:
    """A view of a CSV as the frame path reads it: text as written, continuous as DOUBLE."""
    relation = open_source(path).relation(con, all_text=True)
    casts = ", ".join(f"CAST({quote_ident(c)} AS DOUBLE) AS {quote_ident(c)}" for c in continuous)
    replace = f" REPLACE ({casts})" if continuous else ""
    con.sql(f"CREATE VIEW {name} AS SELECT *{replace} FROM {relation}")
    return name


# --- equal to the frame path on the reference data --------------------------------------------


def test_seed_cohort(con: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    want = characteristics_table(SEED, "group", SEED_CATEGORICAL, SEED_CONTINUOUS)
    view = csv_view(con, SEED, SEED_CONTINUOUS)
    with monkeypatch.context() as m:  # continuous values come as NumPy, not pandas
        forbid_data_frames(m)
        got = characteristics_table_sql(
            con, view, "group", SEED_CATEGORICAL, SEED_CONTINUOUS, source=str(SEED)
        )
    assert_same(want, got)
    assert got.n == (6, 7)
    assert got.row("her2").levels[1].n == (4, 1)


def test_seed_with_stated_orders_and_forced_tests(con: Any) -> None:
    options: dict[str, Any] = {
        "groups": ["solitary", "extrahepatic"],
        "levels": {"her2": ["pos", "neg"], "histologic_grade": ["poor", "moderate", "well"]},
        "tests": {"her2": "chi-square", "er": "chi-square-yates", "age_years": "welch"},
        "conf_level": 0.9,
    }
    categorical = ["her2", "er", "histologic_grade"]
    want = characteristics_table(SEED, "group", categorical, SEED_CONTINUOUS, **options)
    view = csv_view(con, SEED, SEED_CONTINUOUS)
    got = characteristics_table_sql(
        con, view, "group", categorical, SEED_CONTINUOUS, source=str(SEED), **options
    )
    assert_same(want, got)
    assert got.groups == ("solitary", "extrahepatic")
    assert got.row("age_years").test.forced


def test_table_function_as_relation(con: Any) -> None:
    """A read_csv(...) call works as the relation; continuous text is converted in the engine."""
    want = characteristics_table(SEED, "group", ["her2"], ["age_years"])
    relation = open_source(SEED).relation(con, all_text=True)
    got = characteristics_table_sql(
        con, relation, "group", ["her2"], ["age_years"], source=str(SEED)
    )
    assert_same(want, got)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_reference_cases(con: Any, case: dict[str, Any]) -> None:
    path = REFERENCE / case["data"]
    want = characteristics_table(path, case["group"], case["categorical"], case["continuous"])
    view = csv_view(con, path, case["continuous"])
    got = characteristics_table_sql(
        con, view, case["group"], case["categorical"], case["continuous"], source=str(path)
    )
    assert_same(want, got)


def test_lung_by_ecog_four_groups_and_excluded_row(con: Any) -> None:
    path = REFERENCE / "lung.csv"
    args = ("ph.ecog", ["sex"], ["age", "wt.loss"])
    want = characteristics_table(path, *args)
    got = characteristics_table_sql(con, csv_view(con, path, ["age", "wt.loss"]), *args)
    assert got.source == "registry"
    assert got.excluded == 1
    assert got.n == (63, 113, 50, 1)
    assert_same(want, characteristics_table_sql(con, "registry", *args, source=str(path)))


def test_three_groups_by_hand(con: Any) -> None:
    frame = pd.DataFrame(
        {
            "arm": ["A", "A", "A", "B", "B", "B", "C", "C", "C", None, "C"],
            "grade": ["1", "2", None, "1", "1", "2", "3", "3", None, "9", "2"],
            "age": [50.0, 61, 55, np.nan, 70, 48, 52, 58, 66, 40, 63],
        }
    )
    want = characteristics_table(frame, "arm", ["grade"], ["age"])
    con.register("three", frame)
    got = characteristics_table_sql(con, "three", "arm", ["grade"], ["age"], source="data frame")
    assert_same(want, got)
    assert got.groups == ("A", "B", "C")
    assert got.n == (3, 3, 4)
    assert got.excluded == 1
    grade = got.row("grade")
    # level '9' only occurs where the group is missing: listed, with zero counts
    assert [lv.level for lv in grade.levels] == ["1", "2", "3", "9"]
    assert [lv.n for lv in grade.levels] == [(1, 2, 0), (1, 1, 1), (0, 0, 2), (0, 0, 0)]
    assert grade.missing == (1, 0, 1)
    assert got.row("age").summaries[1].missing == 1


def test_typed_columns_are_labelled_as_pandas_labels_them(con: Any) -> None:
    """Whole DOUBLEs without '.0', booleans as True/False, integers as digits."""
    frame = pd.DataFrame(
        {
            "arm": [1.0, 2.0, 1.0, 2.0, np.nan, 1.0, 2.0, 2.5],
            "flag": [True, False, True, True, False, None, False, True],
            "stage": pd.array([1, 2, 3, None, 1, 2, 2, 3], dtype="Int64"),
            "score": [0.1, 1e-5, 2.0, 2.0, np.nan, 0.1, -3.0, 7.0],
            "age": [1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    want = characteristics_table(frame, "arm", ["flag", "stage", "score"], ["age"])
    con.register("typed", frame)
    got = characteristics_table_sql(
        con, "typed", "arm", ["flag", "stage", "score"], ["age"], source="data frame"
    )
    assert_same(want, got)
    assert got.groups == ("1", "2", "2.5")
    assert [lv.level for lv in got.row("flag").levels] == ["False", "True"]
    assert [lv.level for lv in got.row("score").levels] == ["-3", "1e-05", "0.1", "2", "7"]


# --- property: any frame ----------------------------------------------------------------------

frames = (
    st.integers(4, 40)
    .flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from(["x", "y", "z", None]), min_size=n, max_size=n),
            st.lists(st.sampled_from(["lo", "mid", "hi", "10", None]), min_size=n, max_size=n),
            st.lists(
                st.one_of(st.none(), st.integers(0, 30), st.floats(-5, 5, allow_nan=False)),
                min_size=n,
                max_size=n,
            ),
        )
    )
    .map(
        lambda t: pd.DataFrame(
            {
                # a level seen in one group only, so some group has zero rows in it
                "g": [*t[0], "x"],
                "c": [*t[1], "rare"],
                "v": [np.nan if v is None else float(v) for v in [*t[2], None]],
            }
        )
    )
)


@settings(max_examples=40, deadline=None)
@given(frames)
def test_equal_to_the_frame_path(frame: pd.DataFrame) -> None:
    try:
        want = characteristics_table(frame, "g", ["c"], ["v"])
    except InputError as e:  # a single group: both paths name the same problems
        want_problems = e.problems
    else:
        want_problems = None
    with duckdb.connect() as con:
        con.register("data", frame)
        if want_problems is not None:
            with pytest.raises(InputError) as got_error:
                characteristics_table_sql(con, "data", "g", ["c"], ["v"], source="data frame")
            assert got_error.value.problems == want_problems
            return
        got = characteristics_table_sql(con, "data", "g", ["c"], ["v"], source="data frame")
    assert_same(want, got)
    rare = next(lv for lv in got.row("c").levels if lv.level == "rare")
    assert 0 in rare.n


# --- registry scale ---------------------------------------------------------------------------

ROWS = 2_000_000


def test_large_relation_counts_without_pandas(con: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_data_frames(monkeypatch)
    con.sql(
        "CREATE VIEW big AS SELECT "
        "CASE WHEN i % 97 = 0 THEN NULL ELSE 'arm' || (i % 3) END AS arm, "
        "CASE WHEN i % 11 = 0 THEN NULL ELSE 'L' || (i % 5) END AS stage, "
        "CASE WHEN i % 2 = 0 THEN 'yes' ELSE 'no' END AS smoker "
        f"FROM range({ROWS}) AS t(i)"
    )
    with pytest.raises(AssertionError, match="DataFrame"):
        con.sql("SELECT 1").df()  # the guard is in place
    table = characteristics_table_sql(con, "big", "arm", ["stage", "smoker"])
    i = np.arange(ROWS)
    keep = i % 97 != 0
    arm = (i % 3)[keep]
    stage = np.where(i % 11 == 0, -1, i % 5)[keep]
    assert table.groups == ("arm0", "arm1", "arm2")
    assert table.n == tuple(np.bincount(arm, minlength=3))
    assert table.excluded == int((~keep).sum())
    row = table.row("stage")
    assert [lv.level for lv in row.levels] == ["L0", "L1", "L2", "L3", "L4"]
    for level, got in enumerate(row.levels):
        assert got.n == tuple(np.bincount(arm[stage == level], minlength=3))
    assert row.missing == tuple(np.bincount(arm[stage < 0], minlength=3))
    assert row.test.test == "chi-square"
    smoker = table.row("smoker")
    assert [lv.level for lv in smoker.levels] == ["no", "yes"]
    assert smoker.levels[1].n == tuple(np.bincount(arm[(i % 2 == 0)[keep]], minlength=3))


# --- the same problems, the same way ----------------------------------------------------------


def both_raise(frame: pd.DataFrame, con: Any, *args: Any, **kwargs: Any) -> list[Any]:
    with pytest.raises(InputError) as want:
        characteristics_table(frame, *args, **kwargs)
    con.register("bad", frame)
    with pytest.raises(InputError) as got:
        characteristics_table_sql(con, "bad", *args, source="data frame", **kwargs)
    assert got.value.problems == want.value.problems
    return got.value.problems


def test_one_group_and_bad_values_reported_together(con: Any) -> None:
    frame = pd.DataFrame(
        {
            "arm": ["A", "A", None, "A"],
            "age": [1.0, np.inf, -np.inf, 3.0],
            "score": ["1", "two", "3", "1_000x"],
        }
    )
    problems = both_raise(frame, con, "arm", [], ["age", "score"])
    assert [(p.column, p.row) for p in problems] == [
        ("arm", None),
        ("age", 2),
        ("age", 3),  # a row without a group is checked too
        ("score", 2),
        ("score", 4),
    ]


def test_many_bad_values_are_summarised(con: Any) -> None:
    frame = pd.DataFrame({"arm": ["A", "B"] * 5, "age": [f"n{i}" for i in range(10)]})
    problems = both_raise(frame, con, "arm", [], ["age"])
    assert len(problems) == 6
    assert "5 more rows" in problems[-1].message


def test_no_group_values_and_no_rows(con: Any) -> None:
    both_raise(pd.DataFrame({"arm": [None, None], "grade": ["1", "2"]}), con, "arm", ["grade"])
    empty = pd.DataFrame({"arm": pd.Series([], dtype=object), "grade": pd.Series([], dtype=str)})
    assert both_raise(empty, con, "arm", ["grade"])[0].message == "the file has no data rows"


def test_bad_requests_match(con: Any) -> None:
    view = csv_view(con, SEED, SEED_CONTINUOUS)
    with pytest.raises(InputError, match="did you mean 'age_years'") as e:
        characteristics_table_sql(con, view, "group", continuous=["age_year"])
    assert e.value.problems[0].column == "age_year"
    for kwargs, message in (
        ({"groups": ["solitary"]}, "not in the stated order"),
        ({"levels": {"her2": ["pos"]}}, "values \\['neg'\\] of 'her2'"),
        ({"tests": {"her2": "welch"}}, "is categorical"),
    ):
        with pytest.raises(ValueError, match=message):
            characteristics_table(SEED, "group", ["her2"], **kwargs)
        with pytest.raises(ValueError, match=message):
            characteristics_table_sql(con, view, "group", ["her2"], **kwargs)
    lung = csv_view(con, REFERENCE / "lung.csv", ["age"], name="lung")
    with pytest.raises(ValueError, match="compares two groups"):
        characteristics_table_sql(con, lung, "ph.ecog", continuous=["age"], tests={"age": "t-test"})
    with pytest.raises(ValueError, match="at least one variable"):
        characteristics_table_sql(con, lung, "ph.ecog")


def test_all_values_missing(con: Any) -> None:
    frame = pd.DataFrame({"arm": ["A", "B", "A"], "grade": [None, None, None], "age": [np.nan] * 3})
    frame["grade"] = frame["grade"].astype(object)
    want = characteristics_table(frame, "arm", ["grade"], ["age"])
    con.register("gaps", frame)
    got = characteristics_table_sql(con, "gaps", "arm", ["grade"], ["age"], source="data frame")
    assert_same(want, got)
    assert not got.row("grade").test.testable
    assert got.row("age").overall.missing == 3


def test_row_order_does_not_change_a_single_digit() -> None:
    """Each group's values are sorted before any sum: shuffled rows give the same table."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"arm": rng.choice(["a", "b"], 2000), "x": rng.lognormal(size=2000)})
    want = characteristics_table(frame, "arm", continuous=["x"]).to_dict()
    for _ in range(3):
        shuffled = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        got = characteristics_table(shuffled, "arm", continuous=["x"])
        assert json.dumps(got.to_dict(), sort_keys=True) == json.dumps(want, sort_keys=True)
