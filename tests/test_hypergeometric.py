"""The 2×2 first cell's density on its window equals the density on the whole support."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln

from survstudy.stats.characteristics.hypergeometric import FirstCell


def _whole_support(x: np.ndarray, ncp: float) -> tuple[np.ndarray, np.ndarray]:
    """As R's fisher.test (and survstudy before the window): every value of the support."""
    m, n, k = int(x[:, 0].sum()), int(x[:, 1].sum()), int(x[0].sum())
    s = np.arange(max(0, k - n), min(k, m) + 1)
    logd = (
        gammaln(m + 1)
        - gammaln(s + 1)
        - gammaln(m - s + 1)
        + gammaln(n + 1)
        - gammaln(k - s + 1)
        - gammaln(n - k + s + 1)
        - (gammaln(m + n + 1) - gammaln(k + 1) - gammaln(m + n - k + 1))
    )
    w = logd + math.log(ncp) * s
    d = np.exp(w - w.max())
    return s, d / d.sum()


@pytest.mark.parametrize(
    "table",
    [
        [[3, 1], [1, 3]],
        [[0, 5], [2, 3]],
        [[120, 80], [75, 125]],
        [[20_000, 31_000], [25_000, 24_000]],
        [[5, 10], [70_000, 30_000]],
        [[200_000, 1], [3, 150_000]],
    ],
)
@pytest.mark.parametrize("ncp", [1e-300, 1e-9, 0.3, 1.0, 2.5, 1e7, 1e300])
def test_window_holds_every_nonzero_term(table: list[list[int]], ncp: float) -> None:
    x = np.array(table)
    s_all, d_all = _whole_support(x, ncp)
    s, d = FirstCell(x).density(ncp)
    inside = (s_all >= s[0]) & (s_all <= s[-1])
    assert np.all(d_all[~inside] == 0.0)  # nothing dropped but exact zeros
    np.testing.assert_array_equal(s_all[inside], s)
    np.testing.assert_allclose(d, d_all[inside], rtol=1e-13, atol=0)


def test_a_registry_sized_table_is_evaluated_on_a_small_window() -> None:
    x = np.array([[2_000_000, 3_000_000], [2_500_000, 2_500_000]])
    s, d = FirstCell(x).density(1.0)
    assert s.size < 200_000  # of a support of 4.5 million values
    assert d.sum() == pytest.approx(1.0, abs=1e-12)
