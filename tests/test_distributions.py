"""The standard-library chi-square tail against SciPy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import chdtrc

from survstudy.stats.survival.distributions import chi2_sf


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-8, max_value=2000), st.integers(min_value=1, max_value=40))
def test_matches_scipy(x: float, df: int) -> None:
    want = float(chdtrc(df, x))
    got = chi2_sf(x, df)
    if want > 1e-300:
        assert got == pytest.approx(want, rel=1e-10, abs=1e-300)
    else:
        assert got < 1e-290


def test_edges() -> None:
    assert chi2_sf(0.0, 1) == 1.0
    assert chi2_sf(math.inf, 3) == 0.0
    assert math.isnan(chi2_sf(math.nan, 2))
    assert chi2_sf(3.5983804775581407, 1) == pytest.approx(0.057835888242166976, rel=1e-12)
    with pytest.raises(ValueError, match="whole number"):
        chi2_sf(1.0, 0)
