"""Proportional-hazards test against R's cox.zph (survival 3.5-3, KM transform)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from survstudy.stats.regression.zph import km_transform, proportional_hazards_test
from tests.conftest import close, load_reference
from tests.test_cox import _fit as fit_reference_case

COX = load_reference("cox_reference.json")


@pytest.mark.parametrize("case", COX["cases"], ids=lambda c: c["id"])
def test_matches_r_cox_zph(case: dict[str, Any]) -> None:
    result = fit_reference_case(case)
    zph = proportional_hazards_test(result)
    ref = case["zph"]
    assert [t.term for t in zph.tests] == ref["terms"]
    assert [t.df for t in zph.tests] == ref["df"]
    assert close([t.chisq for t in zph.tests], ref["chisq"])
    assert close([t.p_value for t in zph.tests], ref["p"])
    assert close(zph.x.tolist(), ref["x"])
    assert close(zph.time.tolist(), ref["time"])
    want = np.asarray(ref["y"], dtype=float).reshape(zph.residuals.shape)
    np.testing.assert_allclose(zph.residuals, want, rtol=1e-6)
    assert zph.to_dict()["tests"][-1]["term"] == "GLOBAL"


def test_km_transform_is_left_continuous() -> None:
    time = np.array([1.0, 2.0, 2.0, 3.0])
    event = np.array([True, True, False, True])
    # S: 1 -> 3/4 at 1 -> 3/4 * 2/3 = 1/2 at 2; 1 - S(t-) per row
    np.testing.assert_allclose(km_transform(time, event), [0.0, 0.25, 0.25, 0.5])
