"""Continuous rows of Table 1 from value counts equal the array path (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from survstudy.stats.characteristics.counted import Counted, quantiles
from survstudy.stats.characteristics.table import continuous_row, continuous_row_counted

TESTS = [None, "t-test", "welch", "mann-whitney"]


def _close(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict)
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, list):
        assert isinstance(b, list)
        assert len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _close(u, v)
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=0)
    else:
        assert a == b


def _groups(rng: np.random.Generator, sizes: list[int], distinct: int) -> list[np.ndarray]:
    return [np.sort(rng.integers(0, distinct, n) * 0.5 + 20.25) for n in sizes]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("force", [*TESTS, "anova", "kruskal-wallis"])
def test_counted_equals_arrays(seed: int, force: str | None) -> None:
    rng = np.random.default_rng(seed)
    k = 3 if force in ("anova", "kruskal-wallis") else 2
    sizes = [int(v) for v in rng.integers(0, 80, k)]
    sizes[0] = max(sizes[0], 1)
    samples = _groups(rng, sizes, int(rng.integers(1, 60)))
    missing = rng.integers(0, 5, k).astype(np.int64)
    labels = tuple("abc"[:k])
    counted = [Counted(*np.unique(s, return_counts=True)) for s in samples]
    want = continuous_row("x", samples, missing, labels, force).to_dict(list(labels))
    got = continuous_row_counted("x", counted, missing, labels, force, expand_limit=0)
    _close(got.to_dict(list(labels)), want)


def test_large_group_notes_and_quantiles() -> None:
    """Above Shapiro-Wilk's limit and with one empty group: same notes, same numbers."""
    rng = np.random.default_rng(1)
    samples = [*_groups(rng, [6000, 7000], 40), np.empty(0)]
    labels = ("a", "b", "c")
    counted = [Counted(*np.unique(s, return_counts=True)) for s in samples]
    missing = np.array([3, 0, 2], dtype=np.int64)
    for rule in ("auto", "parametric"):
        want = continuous_row("x", samples, missing, labels, None, rule).to_dict(list(labels))
        got = continuous_row_counted("x", counted, missing, labels, None, rule, expand_limit=0)
        _close(got.to_dict(list(labels)), want)
    probs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0]
    assert quantiles(counted[0], probs) == [float(v) for v in np.quantile(samples[0], probs)]


def test_tie_correction_is_exact_for_registry_sized_ties() -> None:
    from survstudy.stats.characteristics.tests_common import tie_term

    huge = np.array([3_000_000, 5_000_000, 1, 2])  # t³ alone passes int64
    assert tie_term(huge) == float(sum(int(t) ** 3 - int(t) for t in huge))
    assert tie_term(huge) > 1e20
    small = np.array([1, 2, 3, 100])
    assert tie_term(small) == float(np.sum(small**3 - small))
    assert tie_term(np.array([], dtype=np.int64)) == 0.0
