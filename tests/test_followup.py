"""Median follow-up by reverse Kaplan-Meier, against R survfit(Surv(time, status == 1))."""

from __future__ import annotations

import pytest

import survstudy as ss
from survstudy.stats.survival.followup import reverse_km_follow_up
from tests.conftest import REFERENCE


def test_lung_median_follow_up_matches_r() -> None:
    counts = ss.survival_counts(REFERENCE / "lung.csv", "time", "status=2")
    median = reverse_km_follow_up(counts)["all"]
    # R: survfit(Surv(time, status == 1) ~ 1, lung, conf.type = "log-log")
    assert (median.estimate, median.ci_lower, median.ci_upper) == (588, 511, 821)


def test_follow_up_per_group_uses_each_groups_censorings() -> None:
    counts = ss.count_table([1, 2, 3, 4, 5, 6], [1, 0, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "b"])
    follow = reverse_km_follow_up(counts)
    assert follow.groups == ("a", "b")
    assert follow["a"].estimate == pytest.approx(2.5)  # censorings at 2 and 3
    assert follow["b"].estimate == pytest.approx(5.5)
