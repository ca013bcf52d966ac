"""The ways of counting agree exactly: sorted classes, argsort, GROUP BY and every row.

Continuous times (issue 16) take other code paths than tied ones; each must give the same
count table, to the last bit, as the others and as R's near-tie merging defines it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.engine import duckdb as engine
from survstudy.engine.counts import CountTable, count_table, merge_near_ties
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import open_source
from survstudy.stats.survival.km import _first_of_each_value, kaplan_meier_counts
from survstudy.stats.survival.logrank import weighted_log_rank


def same(a: CountTable, b: CountTable) -> None:
    assert a.to_dict() == b.to_dict()


TIMES = [0.0, 1.0, 1.0 + 1e-12, 2.5, 2.5 * (1 + 4e-16), 3.0, 7.25, 1e-9, 2e-9]


@settings(max_examples=60, deadline=None)
@given(times=st.lists(st.sampled_from(TIMES), min_size=1, max_size=40), seed=st.integers(0, 10**6))
def test_unweighted_and_weighted_paths_agree(times: list[float], seed: int) -> None:
    """Weights of one take the argsort path; no weights the per-class sorted path."""
    rng = np.random.default_rng(seed)
    t = np.array(times)
    e = rng.random(t.size) < 0.5
    g = rng.choice(["a", "b", "c"], t.size)
    same(count_table(t, e, g), count_table(t, e, g, weight=np.ones(t.size)))
    merged, _ = merge_near_ties(t)
    assert set(count_table(t, e, g).time) == set(merged)


def test_near_ties_merge_to_the_smallest_of_their_run() -> None:
    t = np.array([5.0, 1.0, 1.0 + 1e-9, 1.0 + 2e-9, 3.0, 5.0 * (1 + 1e-12)])
    merged, n = merge_near_ties(t)
    assert merged.tolist() == [5.0, 1.0, 1.0, 1.0, 3.0, 5.0]
    assert n == 3
    table = count_table(t, np.ones(t.size, dtype=bool))
    assert table.time.tolist() == [1.0, 3.0, 5.0]
    assert table.n_event.tolist() == [3.0, 1.0, 2.0]
    assert table.ties_merged == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0]), st.just(float("nan"))),
                max_size=12), st.booleans(), st.booleans())  # fmt: skip
def test_first_of_each_value_is_what_np_unique_finds(
    values: list[float], ordered: bool, descending: bool
) -> None:
    y = np.array(values)
    if ordered:
        y = np.sort(y)[::-1] if descending else np.sort(y)
    _, first = np.unique(y, return_index=True, equal_nan=True)
    want = np.zeros(y.size, dtype=bool)
    want[first] = True
    assert _first_of_each_value(y).tolist() == want.tolist()


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_every_row_and_group_by_give_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    rng = np.random.default_rng(8)
    n = 5_000
    t = rng.exponential(10.0, n)
    t[::7] = np.round(t[::7], 1)  # some ties
    t[1::11] = t[::11][: t[1::11].size] * (1 + 1e-10)  # near ties
    frame = pd.DataFrame({"t": t, "e": rng.integers(0, 2, n), "g": rng.choice(["x", "y"], n)})
    frame.loc[::13, "g"] = None
    path = tmp_path / f"d.{kind}"
    frame.to_csv(path, index=False) if kind == "csv" else frame.to_parquet(path)
    tables = []
    for share in (0.0, 1.0):  # 0: every row counted by sorting; 1: the GROUP BY
        monkeypatch.setattr(engine, "DISTINCT_SHARE", share)
        tables.append(engine.duckdb_counts(open_source(path), "t", EventSpec("e"), "g"))
    same(*tables)
    assert tables[0].excluded == frame["g"].isna().sum()
    a, b = (weighted_log_rank(x) for x in tables)
    assert a.to_dict() == b.to_dict()
    assert [c.to_dict() for c in kaplan_meier_counts(tables[0])] == [
        c.to_dict() for c in kaplan_meier_counts(tables[1])
    ]
