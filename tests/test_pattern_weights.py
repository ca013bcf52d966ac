"""Count-table input of the pattern functions: a row weighted by its patients gives exactly
what the same patients one row each give (slots, attainable values, pattern ranges)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from survstudy.stats.survival.attainable import attainable_survival, slots
from survstudy.stats.survival.patterns import PrintedRate, pattern_range

GROUPS = ("a", "b")

# rows of (time, group, patients): few distinct times (some near-tied), weights 0..4
_rows = st.lists(
    st.tuples(st.sampled_from([1.0, 2.0, 2.0 + 1e-10, 3.5, 5.0, 8.0, 13.0]),
              st.sampled_from(GROUPS), st.integers(0, 4)),
    min_size=1, max_size=12,
)


def _repeat(rows: list[tuple[float, str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The same rows, one per patient (the old per-patient input)."""
    time = np.array([t for t, _, w in rows for _ in range(w)], dtype=np.float64)
    group = np.array([g for _, g, w in rows for _ in range(w)], dtype=str)
    return time, group


def _columns(rows: list[tuple[float, str, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
            np.array([r[2] for r in rows], dtype=np.int64))


@settings(max_examples=150, deadline=None)
@given(_rows, st.sampled_from([0.5, 2.0, 4.0, 9.0, 20.0]))
def test_weighted_slots_and_attainable(rows: list[tuple[float, str, int]], at: float) -> None:
    time, _, weights = _columns(rows)
    each, _ = _repeat(rows)
    if not each.size:
        assert slots(time, weights=weights).n == 0
        return
    a, b = slots(time, weights=weights), slots(each)
    for field in ("time", "n_risk", "events", "censored", "free"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert attainable_survival(time, at, weights=weights) == attainable_survival(each, at)


@settings(max_examples=80, deadline=None)
@given(_rows, st.sampled_from([None, 2.0, 4.0, 9.0]), st.sampled_from([None, "a", "b"]),
       st.lists(st.tuples(st.sampled_from([None, "a", "b"]), st.sampled_from([1.5, 3.0, 6.0]),
                          st.sampled_from([0.0, 50.0, 66.7, 75.0, 100.0])), max_size=2))
def test_weighted_pattern_range(rows: list[tuple[float, str, int]], at: float | None,
                                of: str | None,
                                printed: list[tuple[str | None, float, float]]) -> None:
    time, group, weights = _columns(rows)
    each, labels = _repeat(rows)
    assume(set(labels) == set(GROUPS))  # an empty group fails either way (IndexError)
    rates = [PrintedRate(g, t, p, 1 if p % 1 else 0) for g, t, p in printed]
    value = (50.0, 0) if at is not None else (0.05, 2)
    kwargs = {"at": at, "of": of if at is not None else None, "printed": value}
    got = pattern_range(time, group, GROUPS, rates, weights=weights, **kwargs)  # type: ignore[arg-type]
    want = pattern_range(each, labels, GROUPS, rates, **kwargs)  # type: ignore[arg-type]
    assert got == want


def test_too_many_unknown_statuses_gives_none_from_a_count_table() -> None:
    # 26 patients of one group at one time: past the exact limit without any per-patient array
    assert pattern_range([1.0, 2.0], ["a", "b"], GROUPS, [], weights=[26, 3]) is None
    assert pattern_range([1.0, 2.0], ["a", "b"], GROUPS, [], weights=[25, 3]) is not None


def test_weights_must_be_patient_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        slots([1.0, 2.0], weights=[1, -1])
    with pytest.raises(ValueError, match="same length"):
        slots([1.0, 2.0], weights=[1])
