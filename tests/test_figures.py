"""The Kaplan-Meier figure: its structure, alignment, wording, fonts and files.

Each test renders a real cohort and checks what a reader relies on: one curve per group, a
number-at-risk row per group holding the numbers the estimator gives at the plot's ticks, the
table's columns under the plot's ticks, the test named beside its p-value, nothing clipped or
overlapping, fonts of 8 pt or more at print size, PNG at 300 dpi and SVG.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import survstudy
from survstudy.report.figures import (
    FIGURE_WIDTH_CM,
    figure_note,
    km_figure,
    p_value_lines,
    save_figure,
    tick_step,
    time_ticks,
)
from survstudy.report.format import format_count
from survstudy.stats.survival.km import KaplanMeier
from survstudy.stats.survival.logrank import SurvivalTest, weighted_log_rank

from .conftest import REFERENCE, SEED_COHORT

pytest.importorskip("matplotlib")


@dataclass(frozen=True)
class FakeExact:
    """Any object with ``p_value`` and ``method`` can stand for an exact test."""

    p_value: float
    method: str = "exact permutation"


@pytest.fixture(scope="module")
def seed_km() -> KaplanMeier:
    return survstudy.kaplan_meier(SEED_COHORT, "survival_months", "died", "group")


@pytest.fixture(scope="module")
def seed_test(seed_km: KaplanMeier) -> SurvivalTest:
    return weighted_log_rank(seed_km.counts)


@pytest.fixture(scope="module")
def seed_fig(seed_km: KaplanMeier, seed_test: SurvivalTest) -> Any:
    return km_figure(
        seed_km, test=seed_test, exact=FakeExact(0.0712), xlabel="Months after liver resection"
    )


@pytest.fixture(scope="module")
def veteran_km() -> KaplanMeier:
    return survstudy.kaplan_meier(REFERENCE / "veteran.csv", "time", "status=1", "celltype")


@pytest.fixture(scope="module")
def veteran_fig(veteran_km: KaplanMeier) -> Any:
    test = weighted_log_rank(veteran_km.counts)
    return km_figure(veteran_km, test=test, time_unit="days")


@pytest.fixture(scope="module")
def overall_km() -> KaplanMeier:
    return survstudy.kaplan_meier(SEED_COHORT, "survival_months", "died")


# ------------------------------------------------------------------------------ helpers


def axes(fig: Any, label: str) -> Any:
    found = [a for a in fig.axes if a.get_label() == label]
    assert len(found) == 1, [a.get_label() for a in fig.axes]
    return found[0]


def curve_lines(fig: Any) -> list[Any]:
    return [
        line
        for line in axes(fig, "survival").get_lines()
        if (line.get_gid() or "").startswith("km-curve:")
    ]


def risk_rows(fig: Any, n_groups: int) -> list[list[str]]:
    ax = axes(fig, "number at risk")
    return [
        [t.get_text() for t in ax.texts if t.get_gid() == f"risk:{row}"] for row in range(n_groups)
    ]


def all_texts(fig: Any) -> Iterator[Any]:
    from matplotlib.text import Text

    for artist in fig.findobj(Text):
        if artist.get_visible() and artist.get_text().strip():
            yield artist


def renderer(fig: Any) -> Any:
    fig.canvas.draw()
    return fig.canvas.get_renderer()


# ------------------------------------------------------------------------------ the seed cohort


def test_one_curve_per_group(seed_fig: Any, seed_km: KaplanMeier) -> None:
    lines = curve_lines(seed_fig)
    assert len(lines) == len(seed_km) == 2
    # the step curve starts at (0, 100%) and follows the estimate
    for line, curve in zip(lines, seed_km, strict=True):
        x, y = line.get_data()
        assert x[0] == 0
        assert y[0] == 1
        np.testing.assert_allclose(y[1:], curve.survival)
        assert line.get_drawstyle() == "steps-post"


def test_risk_table_rows_hold_numbers_at_risk_at_the_ticks(
    seed_fig: Any, seed_km: KaplanMeier
) -> None:
    ax = axes(seed_fig, "survival")
    ticks = ax.get_xticks()
    np.testing.assert_array_equal(ticks, [0, 12, 24, 36, 48, 60])  # every 12 months, to 60
    rows = risk_rows(seed_fig, len(seed_km))
    for row, group in zip(rows, seed_km.groups, strict=True):
        assert row == [format_count(a.n_risk) for a in seed_km[group].at(ticks)]
    assert rows == [["6", "3", "1", "0", "0", "0"], ["7", "7", "4", "4", "3", "0"]]
    risk = axes(seed_fig, "number at risk")
    names = [t.get_text() for t in risk.get_yticklabels()]
    assert names == ["Extrahepatic", "Solitary"]


def test_risk_table_shares_the_plot_x_axis(seed_fig: Any) -> None:
    ax, risk = axes(seed_fig, "survival"), axes(seed_fig, "number at risk")
    np.testing.assert_array_equal(ax.get_xticks(), risk.get_xticks())
    assert ax.get_xlim() == risk.get_xlim()
    renderer(seed_fig)
    # same pixels: each number sits exactly under its tick
    ticks = ax.get_xticks()
    plot_x = ax.transData.transform(np.c_[ticks, np.zeros_like(ticks)])[:, 0]
    risk_x = risk.transData.transform(np.c_[ticks, np.zeros_like(ticks)])[:, 0]
    np.testing.assert_allclose(plot_x, risk_x)
    numbers = [t for t in risk.texts if (t.get_gid() or "").startswith("risk:")]
    assert {t.get_position()[0] for t in numbers} == set(ticks)
    assert all(t.get_horizontalalignment() == "center" for t in numbers)


def test_risk_table_wording(seed_fig: Any) -> None:
    risk = axes(seed_fig, "number at risk")
    assert risk.get_title(loc="left") == "Number at risk"
    assert risk.get_xlabel() == ""  # the axis title is not repeated
    assert not any(t.get_visible() and t.get_text() for t in risk.get_xticklabels())
    words = " ".join(t.get_text() for t in all_texts(seed_fig))
    assert "Strata" not in words
    assert "strata" not in words


def test_group_names_take_the_group_colour(seed_fig: Any) -> None:
    from matplotlib.colors import to_rgb

    lines = curve_lines(seed_fig)
    names = axes(seed_fig, "number at risk").get_yticklabels()
    for line, name in zip(lines, names, strict=True):
        curve, text = np.array(to_rgb(line.get_color())), np.array(to_rgb(name.get_color()))
        # same hue; light colours are darkened for legibility on white, never changed
        cos = curve @ text / (np.linalg.norm(curve) * np.linalg.norm(text))
        assert cos > 0.99


def test_p_value_names_its_test(seed_fig: Any) -> None:
    words = [t.get_text() for t in all_texts(seed_fig)]
    assert "Log-rank p = 0.058" in words
    assert "Exact p = 0.071" in words


def test_axes_in_the_study_unit(seed_fig: Any) -> None:
    ax = axes(seed_fig, "survival")
    assert ax.get_xlim()[0] == 0
    assert ax.get_xlabel() == "Months after liver resection"
    assert ax.get_ylabel() == "Overall survival (%)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "25", "50", "75", "100"]
    assert ax.get_ylim()[0] == 0


def test_direct_labels_censor_marks_median_lines(seed_fig: Any, seed_km: KaplanMeier) -> None:
    ax = axes(seed_fig, "survival")
    labels = sorted(t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("km-label"))
    assert labels == ["Extrahepatic", "Solitary"]
    assert ax.get_legend() is None  # direct labels, no legend
    censors = [line for line in ax.get_lines() if (line.get_gid() or "").startswith("km-censor")]
    assert [len(c.get_xdata()) for c in censors] == [int((c.n_censor > 0).sum()) for c in seed_km]
    assert all(c.get_marker() == "|" for c in censors)
    medians = [line for line in ax.get_lines() if line.get_gid() == "km-median"]
    verticals = sorted(line.get_xdata()[0] for line in medians if line.get_xdata()[0] > 0)
    assert verticals == [25.0, 57.9]  # both medians reached; one horizontal line at 50%
    assert any(list(line.get_ydata()) == [0.5, 0.5] for line in medians)


def test_groups_differ_without_colour(seed_fig: Any, veteran_fig: Any) -> None:
    for fig in (seed_fig, veteran_fig):
        styles = [str(line.get_linestyle()) + str(line._dash_pattern) for line in curve_lines(fig)]
        assert len(set(styles)) == len(styles)


def test_ci_bands_do_not_blend(seed_fig: Any) -> None:
    from matplotlib.collections import PolyCollection

    ax = axes(seed_fig, "survival")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    # the first band is a faint fill, the second is hatched with no fill of its own
    assert bands[0].get_alpha() <= 0.2
    assert not bands[0].get_hatch()
    fill = bands[1].get_facecolor()
    assert bands[1].get_hatch()
    assert len(fill) == 0 or fill[0][3] == 0


def test_nothing_clipped_or_overlapping(seed_fig: Any, veteran_fig: Any) -> None:
    from matplotlib.offsetbox import AnnotationBbox

    for fig in (seed_fig, veteran_fig):
        r = renderer(fig)
        tight = fig.get_tightbbox(r)
        w, h = fig.get_size_inches()
        assert tight.x0 >= -1e-6
        assert tight.y0 >= -1e-6
        assert tight.x1 <= w + 1e-6
        assert tight.y1 <= h + 1e-6
        ax = axes(fig, "survival")
        boxes = [t.get_window_extent(r) for t in ax.texts if t.get_gid()]
        boxes += [a.get_window_extent(r) for a in ax.artists if isinstance(a, AnnotationBbox)]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b), (a, b)
            assert ax.bbox.x0 - 1 <= a.x0
            assert a.x1 <= ax.bbox.x1 + 1


def test_fonts_readable_at_print_size(seed_fig: Any, veteran_fig: Any) -> None:
    for fig in (seed_fig, veteran_fig):
        assert fig.get_size_inches()[0] * 2.54 == pytest.approx(FIGURE_WIDTH_CM)
        sizes = [t.get_fontsize() for t in all_texts(fig)]
        assert sizes
        assert min(sizes) >= 8


def test_save_png_300_dpi_and_svg(seed_fig: Any, tmp_path: Path) -> None:
    from PIL import Image

    paths = save_figure(seed_fig, tmp_path / "figures" / "os_by_group.png")
    assert [p.name for p in paths] == ["os_by_group.png", "os_by_group.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    with Image.open(paths[0]) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert abs(image.size[0] - FIGURE_WIDTH_CM / 2.54 * 300) < 1
    svg = paths[1].read_text()
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    assert "481.889764pt" in svg
    # no timestamps: the same figure gives the same files
    again = save_figure(seed_fig, tmp_path / "again")
    assert again[1].read_bytes() == paths[1].read_bytes()
    assert again[0].read_bytes() == paths[0].read_bytes()


# ------------------------------------------------------------------------------ more groups, one


def test_four_veteran_cell_types(veteran_fig: Any, veteran_km: KaplanMeier) -> None:
    from matplotlib.collections import PolyCollection

    assert len(curve_lines(veteran_fig)) == 4
    ax = axes(veteran_fig, "survival")
    ticks = ax.get_xticks()
    np.testing.assert_array_equal(ticks, np.arange(0, 1081, 180))  # days: every 180
    rows = risk_rows(veteran_fig, 4)
    for row, group in zip(rows, veteran_km.groups, strict=True):
        assert row == [format_count(a.n_risk) for a in veteran_km[group].at(ticks)]
    assert [r[0] for r in rows] == ["27", "27", "48", "35"]
    # four overlapping bands would be noise: none drawn
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    words = [t.get_text() for t in all_texts(veteran_fig)]
    assert "Log-rank p < 0.001" in words
    labels = sorted(t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("km-label"))
    # Smallcell has no place beside its curve off the others: the summary table names it
    assert labels == ["Adeno", "Large", "Squamous"]
    assert_labels_clear_of_curves(veteran_fig)


def test_one_group(overall_km: KaplanMeier) -> None:
    fig = km_figure(overall_km)
    assert len(curve_lines(fig)) == 1
    assert risk_rows(fig, 1) == [["13", "10", "5", "4", "3", "0"]]
    ax = axes(fig, "survival")
    assert not [t for t in ax.texts if (t.get_gid() or "").startswith("km-label")]
    words = " ".join(t.get_text() for t in all_texts(fig))
    assert " p " not in f" {words} "
    assert "p =" not in words
    assert "All patients" in words
    assert ax.get_xlabel() == "Time (months)"


def test_options(seed_km: KaplanMeier, seed_test: SurvivalTest) -> None:
    fig = km_figure(
        seed_km,
        test=seed_test,
        labels={"solitary": "Liver only"},
        max_time=36,
        show_ci=False,
        risk_table=False,
        summary=False,
        title="Overall survival",
    )
    assert [a.get_label() for a in fig.axes] == ["survival"]
    ax = fig.axes[0]
    assert ax.get_xlim() == (0, 36)
    np.testing.assert_array_equal(ax.get_xticks(), [0, 6, 12, 18, 24, 30, 36])  # short: 6
    assert all(line.get_xdata().max() <= 36 for line in curve_lines(fig))
    assert not ax.collections  # no bands
    words = [t.get_text() for t in all_texts(fig)]
    assert "Liver only" in words
    assert "Overall survival" in words
    assert not any(t.startswith("Median") for t in words)


def test_summary_above_the_plot(seed_km: KaplanMeier, seed_test: SurvivalTest) -> None:
    fig = km_figure(seed_km, test=seed_test, summary="above")
    assert [a.get_label() for a in fig.axes] == ["summary", "survival", "number at risk"]
    words = [t.get_text() for t in all_texts(fig)]
    assert "Median, months (95% CI)" in words
    assert "57.9 (15.6\u2013NR)" in words
    assert "Log-rank p = 0.058" in words  # the p stays in the plot


def test_empty_and_bad_arguments(seed_km: KaplanMeier) -> None:
    with pytest.raises(ValueError, match="max_time"):
        km_figure(seed_km, max_time=0)
    with pytest.raises(ValueError, match="tick_every"):
        km_figure(seed_km, tick_every=-1)


# ------------------------------------------------------------------------------ pieces


@pytest.mark.parametrize(
    ("span", "unit", "step"),
    [
        (57.9, "months", 12),
        (120, "months", 12),
        (30, "months", 6),
        (10, "months", 3),
        (200, "months", 24),
        (8, "years", 1),
        (2, "years", 0.5),
        (20, "years", 2),
        (999, "days", 180),
        (3329, "days", 365),
        (200, "days", 30),
        (161, "weeks", 26),
        (161, "Week", 26),
    ],
)
def test_tick_step(span: float, unit: str, step: float) -> None:
    assert tick_step(span, unit) == step


def test_time_ticks() -> None:
    ticks, end = time_ticks(57.9)
    np.testing.assert_array_equal(ticks, [0, 12, 24, 36, 48, 60])
    assert end == 60  # extended to the next tick, 2.1 months away
    ticks, end = time_ticks(50)
    np.testing.assert_array_equal(ticks, [0, 12, 24, 36, 48])
    assert end == 50  # 10 months to the next tick: not extended
    ticks, end = time_ticks(7.3, "cycles")  # unknown unit: round numbers
    np.testing.assert_array_equal(ticks, [0, 2, 4, 6, 8])
    ticks, _ = time_ticks(57.9, tick_every=6)
    assert len(ticks) == 11


def test_p_value_lines(seed_test: SurvivalTest) -> None:
    assert p_value_lines(seed_test, None) == ["Log-rank p = 0.058"]
    assert p_value_lines(seed_test, FakeExact(0.07)) == ["Log-rank p = 0.058", "Exact p = 0.070"]
    assert p_value_lines(None, FakeExact(0.0004, "Monte Carlo")) == [
        "Exact p < 0.001 (Monte Carlo)"
    ]
    untestable = SurvivalTest("log-rank", 0.0, 0, 1.0, ("a",), (1.0,), (1.0,), "1")
    assert p_value_lines(untestable, None) == ["Log-rank: not testable"]
    fh = SurvivalTest("fleming-harrington(1,1)", 4.0, 1, 0.0455, ("a", "b"), (), (), "w")
    assert p_value_lines(fh, None) == ["Fleming-Harrington G(1, 1) p = 0.046"]
    trend = SurvivalTest("gehan trend", 4.0, 1, 0.2, ("a", "b"), (), (), "w", strata=("x",))
    assert p_value_lines(trend, None) == ["Stratified Gehan-Breslow trend p = 0.200"]


def test_figure_note(seed_km: KaplanMeier, seed_test: SurvivalTest) -> None:
    note = figure_note(seed_km, seed_test, FakeExact(0.07))
    assert "censored" in note
    assert "95%" in note
    assert "log-log" in note
    assert "Log-rank test, 1 df" in note
    assert "exact permutation" in note


def test_matplotlib_is_not_imported_with_the_package() -> None:
    code = (
        "import sys, survstudy, survstudy.report.figures, survstudy.report.format;"
        "sys.exit('matplotlib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_many_censorings_are_not_drawn_as_a_solid_bar() -> None:
    from survstudy.report.figures import MAX_CENSOR_MARKS, km_figure, shows_censor_marks
    from survstudy.stats.survival.km import kaplan_meier_counts

    rng = np.random.default_rng(3)
    n = 4 * MAX_CENSOR_MARKS
    counts = survstudy.count_table(rng.uniform(1, 100, n).round(2), rng.random(n) < 0.5)
    km = kaplan_meier_counts(counts)
    assert not shows_censor_marks(km)
    fig = km_figure(km)
    marks = [line for ax in fig.axes for line in ax.get_lines()
             if (line.get_gid() or "").startswith("km-censor")]
    assert marks
    assert not any(line.get_visible() for line in marks)


def test_large_cohort_labels_never_cross_a_curve() -> None:
    """Smooth curves of a large cohort end together near 0: a label is beside its own curve,
    off every curve, or left out (the summary table names the group in its colour)."""
    from survstudy.stats.survival.km import kaplan_meier_counts

    rng = np.random.default_rng(7)
    n = 400_000
    arm = rng.random(n) < 0.55
    death = rng.exponential(np.where(arm, 72.0, 34.0))
    follow = rng.uniform(0, 200, n)
    counts = survstudy.count_table(
        np.minimum(death, follow).round(1), death <= follow,
        np.where(arm, "solitary liver metastasis", "liver and extrahepatic metastasis"),
    )  # fmt: skip
    fig = km_figure(kaplan_meier_counts(counts))
    assert assert_labels_clear_of_curves(fig)  # at least one group is named beside its curve


def assert_labels_clear_of_curves(fig: Any) -> int:
    """No curve passes through a curve label; returns how many labels there are."""
    r = renderer(fig)
    ax = axes(fig, "survival")
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("km-label")]
    for label in labels:
        box = label.get_window_extent(r)
        for line in curve_lines(fig):
            points = ax.transData.transform(np.column_stack(line.get_data()))
            inside = (
                (points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
            )  # fmt: skip
            assert not inside.any(), (label.get_text(), line.get_gid())
    return len(labels)
