"""One grouped query per cohort fact: the count tables of every grouping, the levels of every
variable and the aggregates of every claim equal what one query (or pandas) per item gives."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from survstudy.config.models import PublishedValue
from survstudy.engine.cause_counts import cause_count_table
from survstudy.engine.counts import count_table
from survstudy.study import Study, load_study
from survstudy.study.cohort_counts import cohort_count_tables
from survstudy.study.cohort_facts import described_values, present_levels

ROOT = Path(__file__).parents[1]
LIVER = ROOT / "src/survstudy/examples/liver_resection/study.toml"
ROTTERDAM = ROOT / "src/survstudy/examples/rotterdam/study.toml"


@pytest.fixture(scope="module")
def liver() -> Study:
    return load_study(LIVER)


@pytest.fixture(scope="module")
def rotterdam() -> Study:
    return load_study(ROTTERDAM)


def _by_rows(study: Study, time: str, event: str, group: str | None,
             levels: list[str]) -> dict[str, object]:
    """The count table from the cohort's rows in pandas (the reference)."""
    frame = study.frame([time, event] + ([group] if group else []))
    keep = frame[time].notna() & frame[event].notna()
    if group is not None:
        keep &= frame[group].notna()
    rows = frame[keep]
    labels = None if group is None else rows[group].astype(str).to_numpy()
    return count_table(rows[time].to_numpy(float), rows[event].to_numpy(int) == 1, labels,
                       groups=levels if group else None,
                       excluded=study.n - int(keep.sum())).to_dict()


@pytest.mark.parametrize("group", [None, "grade", "chemo", "menopausal"])
def test_grouped_tables_equal_tables_from_rows(rotterdam: Study, group: str | None) -> None:
    groups: list[str | None] = [None, "grade", "chemo", "menopausal"]
    levels = {g: sorted(present_levels(rotterdam, [g])[g]) for g in groups if g}
    tables = cohort_count_tables(rotterdam, "os_time", "os_event", '"os_event" = 1', groups,
                                 levels, count_table)
    got = tables[groups.index(group)].to_dict()
    assert got == _by_rows(rotterdam, "os_time", "os_event", group,
                           levels[group] if group else [])


def test_one_table_and_missing_groups(liver: Study) -> None:
    """A group missing for some rows: those rows are excluded from its table only."""
    (alone,) = cohort_count_tables(liver, "os_time", "os_event", '"os_event" = 1', [None], {},
                                   count_table)
    both = cohort_count_tables(liver, "os_time", "os_event", '"os_event" = 1',
                               [None, "group"], {"group": ["solitary", "extrahepatic"]},
                               count_table)
    assert alone.to_dict() == both[0].to_dict()
    assert both[1].to_dict() == _by_rows(liver, "os_time", "os_event", "group",
                                         ["solitary", "extrahepatic"])
    assert sum(s.n for s in both[1]) == 13


def test_cause_tables(liver: Study) -> None:
    tables = cohort_count_tables(liver, "os_time", "os_event",
                                 'CAST("os_event" AS INTEGER) * 2', [None, "group"],
                                 {"group": ["solitary", "extrahepatic"]}, cause_count_table)
    deaths = int(liver.frame(["os_event"])["os_event"].sum())
    assert (tables[0].n_competing.sum(), tables[0].n_event.sum()) == (deaths, 0)
    assert [s.n for s in tables[1]] == [7, 6]


def test_levels_in_one_query(rotterdam: Study) -> None:
    found = present_levels(rotterdam, ["grade", "chemo", "menopausal"])
    frame = rotterdam.frame(["grade", "chemo", "menopausal"])
    for c, values in found.items():
        assert sorted(values) == sorted(frame[c].dropna().astype(str).unique())
    assert present_levels(rotterdam, ["chemo"])["chemo"] is found["chemo"]  # remembered


def test_described_values_equal_pandas(rotterdam: Study) -> None:
    def claim(quantity: str, variable: str, *, group: str | None = None,
              level: str | None = None) -> PublishedValue:
        return PublishedValue(what="x", quantity=quantity, value=1.0, variable=variable,
                              group=group, level=level)  # type: ignore[arg-type]

    claims = [claim("mean", "age"), claim("sd", "age", group="3"),
              claim("percent", "menopausal", group="2", level="post"),
              claim("count", "nodes", level="0"), claim("count", "nope", level="0"),
              claim("sd", "menopausal")]
    got = described_values(rotterdam, "grade", claims)
    frame = rotterdam.frame(["age", "grade", "menopausal", "nodes"])
    g3 = frame[frame["grade"] == "3"]
    g2 = frame[frame["grade"] == "2"]
    assert math.isclose(got[0][0] or 0, frame["age"].mean(), rel_tol=1e-12)
    assert math.isclose(got[1][0] or 0, g3["age"].std(ddof=1), rel_tol=1e-12)
    post = (g2["menopausal"] == "post").sum()
    assert got[2] == (100 * post / g2["menopausal"].notna().sum(), "")
    assert got[3] == (float((frame["nodes"] == 0).sum()), "")
    assert got[4] == (None, "no variable 'nope' in the data")
    assert got[5] == (None, "too few values")  # text that is no number: no values
    assert described_values(rotterdam, None, []) == []
    assert np.isfinite(got[0][0] or np.nan)
