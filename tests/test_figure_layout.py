"""Kaplan-Meier figure layout with degenerate groups (issue 14, item 1): a group of one
patient, or one without censorings, must not shrink the plot, overprint the number-at-risk
rows or lose the p-value."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pandas as pd
import pytest

import survstudy
from survstudy.report.figures import km_figure
from survstudy.stats.survival.logrank import weighted_log_rank

pytest.importorskip("matplotlib")

#: Three resection types, one done once (a rare category, normal in surgical series).
RARE = pd.DataFrame({
    "months": [3, 8, 12, 20, 25, 31, 40, 44, 5, 9, 14, 22, 28, 33, 50, 17],
    "died": [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1],
    "resection": ["anatomical"] * 8 + ["non-anatomical"] * 7 + ["wedge"],
})  # fmt: skip


def _axes(fig: Any, label: str) -> Any:
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


@pytest.fixture(scope="module", params=[True, "above"], ids=["summary-inside", "summary-above"])
def rare_fig(request: pytest.FixtureRequest) -> Any:
    km = survstudy.kaplan_meier(RARE, "months", "died", "resection")
    assert [c.n for c in km] == [8, 7, 1]
    fig = km_figure(km, test=weighted_log_rank(km.counts), summary=request.param)
    fig.canvas.draw()
    return fig


def test_plot_keeps_its_height_with_a_group_of_one(rare_fig: Any) -> None:
    survival = _axes(rare_fig, "survival").get_position()
    risk = _axes(rare_fig, "number at risk").get_position()
    assert survival.height > 0.45  # was 0.15 of the figure: a strip
    assert survival.width > 0.6
    assert risk.height > 0.06  # three rows with room between them
    assert risk.y1 < survival.y0  # the table is under the plot


def test_risk_rows_do_not_overprint(rare_fig: Any) -> None:
    ax = _axes(rare_fig, "number at risk")
    r = rare_fig.canvas.get_renderer()
    rows = [[t.get_window_extent(r) for t in ax.texts if t.get_gid() == f"risk:{i}"]
            for i in range(3)]  # fmt: skip
    for upper, lower in pairwise(rows):
        assert min(b.y0 for b in upper) >= max(b.y1 for b in lower)
    names = [t.get_window_extent(r) for t in ax.get_yticklabels()]
    for upper, lower in pairwise(names):
        assert upper.y0 >= lower.y1


def test_p_value_shown_inside_the_figure(rare_fig: Any) -> None:
    from matplotlib.text import Text

    r = rare_fig.canvas.get_renderer()
    whole = rare_fig.bbox
    ps = [t for t in rare_fig.findobj(Text) if t.get_text().startswith("Log-rank p =")]
    assert len(ps) == 1
    box = ps[0].get_window_extent(r)
    assert whole.x0 <= box.x0 <= box.x1 <= whole.x1
    assert whole.y0 <= box.y0 <= box.y1 <= whole.y1


def test_group_without_censorings_does_not_move_the_layout() -> None:
    """Every patient of one group died: its (empty) censor-mark line is not part of the layout."""
    both = RARE.assign(died=1)
    km = survstudy.kaplan_meier(both, "months", "died", "resection")
    fig = km_figure(km)
    fig.canvas.draw()
    assert _axes(fig, "survival").get_position().height > 0.45
