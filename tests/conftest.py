"""Shared test helpers: where the reference data live and the checks every curve must pass."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

# CI replays the same examples every run (a failure there must be reproducible, not a draw of
# luck); a developer's run keeps exploring new examples. No deadline: a test never asserts a
# timing, and a loaded machine must not fail a correct example.
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REFERENCE = Path(__file__).parent / "reference"
SEED_COHORT = (
    Path(__file__).parents[1]
    / "src/survstudy/examples/seed/seed_liver_resection_cohort.csv"
)


def load_reference(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text())


def close(got: Any, want: Any, rel: float = 1e-6) -> bool:
    """Equal within ``rel`` relative error (1e-9 absolute near 0); None only equals None."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            close(a, b, rel) for a, b in zip(got, want, strict=True)
        )
    if want is None or got is None:
        return want is None and got is None
    return abs(float(got) - float(want)) <= max(1e-9, rel * abs(float(want)))


def assert_valid_curve(survival: np.ndarray) -> None:
    """Survival lies in [0, 1] and never increases."""
    assert np.all((survival >= 0) & (survival <= 1))
    assert np.all(np.diff(survival) <= 1e-12)


@pytest.fixture
def seed_cohort() -> Path:
    return SEED_COHORT
