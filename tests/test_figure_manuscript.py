"""The Kaplan-Meier figure as a surgeon puts it in a manuscript (issue 14, item 9), measured from
matplotlib's renderer and from rendered pixels: no median line through the summary box, curve
labels beside their own curve and off the other groups' bands, halos that erase no band colour,
long at-risk names that leave the plot its width, censor ticks visible on dashed lines, an axis
naming the origin of time, editable SVG text, and no flow chart when nobody is excluded."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import survstudy
from survstudy.data.cohort import CohortFlow, FlowStep
from survstudy.report.figures import km_figure, save_figure
from survstudy.stats.survival.logrank import weighted_log_rank

from .conftest import SEED_COHORT

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).parents[1] / "src/survstudy/examples"
SEED_NAMES = {"solitary": "Solitary liver metastasis",
              "extrahepatic": "Liver and extrahepatic metastasis"}  # fmt: skip


def _rotterdam() -> pd.DataFrame:
    df = pd.read_csv(EXAMPLES / "rotterdam/registry.csv")
    return df.assign(months=df.os_days / 30.4375, grade=df.grade.astype(str))


@pytest.fixture(scope="module")
def seed_fig() -> Any:
    """The seed report's figure: two groups with long names, the second dashed."""
    km = survstudy.kaplan_meier(SEED_COHORT, "survival_months", "died", "group")
    return km_figure(km, test=weighted_log_rank(km.counts), labels=SEED_NAMES)


@pytest.fixture(scope="module")
def grade_fig() -> Any:
    """Rotterdam overall survival by grade: the summary box sits beside a median line."""
    km = survstudy.kaplan_meier(_rotterdam(), "months", "died", "grade")
    return km_figure(km, test=weighted_log_rank(km.counts),
                     labels={"2": "Grade 2", "3": "Grade 3"})  # fmt: skip


def _survival(fig: Any) -> Any:
    (ax,) = [a for a in fig.axes if a.get_label() == "survival"]
    return ax


def _pixels(fig: Any) -> Any:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def _by_gid(ax: Any, prefix: str) -> list[Any]:
    return [a for a in (*ax.lines, *ax.texts, *ax.collections)
            if (a.get_gid() or "").startswith(prefix)]  # fmt: skip


def _crosses(box: Any, p0: Any, p1: Any) -> bool:
    """Whether the axis-parallel segment p0-p1 (display units) passes through ``box``."""
    (x0, y0), (x1, y1) = p0, p1
    return bool(min(x0, x1) <= box.x1 and max(x0, x1) >= box.x0
                and min(y0, y1) <= box.y1 and max(y0, y1) >= box.y0)  # fmt: skip


# ------------------------------------------------------------------------------ a. summary box


def test_no_median_line_runs_through_the_summary_box(grade_fig: Any) -> None:
    """Drawn as the caller's process would save it: default settings, 300 dpi. The box was
    placed with Liberation Sans but drawn in the wider DejaVu Sans, over the median line."""
    from matplotlib.offsetbox import AnnotationBbox

    grade_fig.set_dpi(300)
    try:
        grade_fig.canvas.draw()
        r = grade_fig.canvas.get_renderer()
        ax = _survival(grade_fig)
        boxes = [a.get_window_extent(r) for a in ax.artists if isinstance(a, AnnotationBbox)]
        assert boxes  # the summary sits inside this plot
        medians = [line for line in ax.lines if line.get_gid() == "km-median"]
        assert len(medians) == 3  # across at 50% and down from both medians
        for line in medians:
            p0, p1 = ax.transData.transform(np.c_[line.get_xdata(), line.get_ydata()])
            assert not any(_crosses(box, p0, p1) for box in boxes)
    finally:
        grade_fig.set_dpi(100)


def test_text_keeps_the_font_it_was_placed_with(grade_fig: Any) -> None:
    from matplotlib import rc_context

    ax = _survival(grade_fig)
    placed = [t.get_fontname() for t in ax.texts]
    assert set(placed) <= {"Liberation Sans", "Arial", "DejaVu Sans"}
    # whatever fonts the saving process prefers
    with rc_context({"font.family": "serif", "font.sans-serif": ["DejaVu Serif"]}):
        assert [t.get_fontname() for t in ax.texts] == placed


# ------------------------------------------------------------------------------ b, e. labels


def _labels_and_bands(fig: Any) -> tuple[Any, list[tuple[int, Any]], dict[int, Any]]:
    ax = _survival(fig)
    labels = [(int(t.get_gid().split(":")[1]), t) for t in _by_gid(ax, "km-label:")]
    bands = {int(c.get_gid().split(":")[1]): c for c in _by_gid(ax, "km-band:")}
    return ax, labels, bands


@pytest.mark.parametrize("name", ["seed_fig", "grade_fig"])
def test_labels_beside_their_own_curve_off_other_bands(
    name: str, request: pytest.FixtureRequest
) -> None:
    fig = request.getfixturevalue(name)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax, labels, bands = _labels_and_bands(fig)
    assert labels
    assert len(bands) == 2
    curves = {int(c.get_gid().split(":")[1]): c for c in _by_gid(ax, "km-curve:")}
    for i, text in labels:
        box = text.get_window_extent(r)
        for j, band in bands.items():
            if j != i:
                path = band.get_paths()[0].transformed(ax.transData)
                assert not path.intersects_bbox(box, filled=True), (text.get_text(), j)
        x = curves[i].get_xdata()
        (start, _), (end, _) = ax.transData.transform([(x[0], 0), (x[-1], 0)])
        assert box.x0 >= start
        # within the curve's time range, or just right of its end point
        assert box.x1 <= end + 1 or end <= box.x0 <= end + 20


@pytest.mark.parametrize("name", ["seed_fig", "grade_fig"])
def test_label_halos_erase_no_band_colour(name: str, request: pytest.FixtureRequest) -> None:
    fig = request.getfixturevalue(name)
    _ax, labels, _ = _labels_and_bands(fig)
    with_labels = _pixels(fig)
    for _, text in labels:
        text.set_visible(False)
    try:
        without = _pixels(fig)
    finally:
        for _, text in labels:
            text.set_visible(True)
    white = (with_labels >= 250).all(axis=-1) & ~(without >= 250).all(axis=-1)
    assert int(white.sum()) == 0  # no coloured pixel turned white under a label


# ------------------------------------------------------------------------------ c. at-risk names


def test_long_at_risk_names_leave_the_plot_its_width(seed_fig: Any) -> None:
    seed_fig.canvas.draw()
    r = seed_fig.canvas.get_renderer()
    survival = _survival(seed_fig).get_position()
    assert survival.width > 0.85  # was 0.62: a third of the figure empty beside long names
    (risk,) = [a for a in seed_fig.axes if a.get_label() == "number at risk"]
    for row in range(2):
        (name,) = [t for t in risk.texts if t.get_gid() == f"risk-name:{row}"]
        counts = [t.get_window_extent(r) for t in risk.texts if t.get_gid() == f"risk:{row}"]
        assert name.get_text() in SEED_NAMES.values()
        assert name.get_window_extent(r).y0 >= max(b.y1 for b in counts)  # above its row


def test_short_at_risk_names_stay_left_of_their_row(grade_fig: Any) -> None:
    (risk,) = [a for a in grade_fig.axes if a.get_label() == "number at risk"]
    assert [t.get_text() for t in risk.get_yticklabels()] == ["Grade 2", "Grade 3"]


# ------------------------------------------------------------------------------ d. censor ticks


def test_censor_ticks_show_on_every_line_style(seed_fig: Any) -> None:
    """Where a tick crosses its own line, the line visibly changes (by more than 60 of 255 in a
    channel): a tick in the line's colour on a dash changed nothing there and vanished."""
    seed_fig.set_dpi(300)
    try:
        ax = _survival(seed_fig)
        marks = _by_gid(ax, "km-censor:")
        shown = _pixels(seed_fig)
        for m in marks:
            m.set_visible(False)
        hidden = _pixels(seed_fig)
        for m in marks:
            m.set_visible(True)
        height = shown.shape[0]
        per_pt = 300 / 72
        styles = set()
        for m in marks:
            i = int(m.get_gid().split(":")[1])
            (curve,) = [c for c in _by_gid(ax, f"km-curve:{i}")]
            styles.add(str(curve.get_linestyle()))
            half_line = curve.get_linewidth() / 2 * per_pt
            beside = (m.get_markeredgewidth() / 2 + 1.0) * per_pt
            for x, y in ax.transData.transform(np.c_[m.get_xdata(), m.get_ydata()]):
                row = height - y
                window = (slice(int(row - half_line), int(row + half_line) + 1),
                          slice(int(x - beside), int(x + beside) + 1))  # fmt: skip
                changed = (abs(shown[window] - hidden[window]) > 60).any(axis=-1)
                # a tick in its line's colour over the line changed 5 pixels (its anti-aliased
                # edges); one cut into the line, or over a dash's gap, changes 28 or more
                assert int(changed.sum()) >= 20, (i, x)
        assert styles == {"-", "--"}
    finally:
        seed_fig.set_dpi(100)


# ------------------------------------------------------------------------------ f. time axis


def test_time_axis_names_the_origin() -> None:
    from survstudy.config.parse import load_config
    from survstudy.report.text import time_axis_label

    def results(example: str, labels: dict[str, str]) -> Any:
        config = load_config(EXAMPLES / example / "study.toml").config
        study = SimpleNamespace(time_unit=config.study.time_unit, config=config, labels=labels)
        return SimpleNamespace(study=study)

    rotterdam = results("rotterdam", {})
    assert time_axis_label(rotterdam, "os") == "Months after surgery"
    assert time_axis_label(rotterdam, "rfs") == "Months after surgery"
    seed = results("liver_resection", {"liver_resection_date": "Date of liver resection"})
    assert time_axis_label(seed, "os") == "Months after liver resection"


# ------------------------------------------------------------------------------ g. SVG text


def test_svg_text_stays_editable(seed_fig: Any, tmp_path: Path) -> None:
    from matplotlib import rcParams

    before = rcParams["svg.fonttype"]
    svg = save_figure(seed_fig, tmp_path / "km")[1].read_text()
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert "Number at risk" in texts
    assert any("Log-rank p" in t for t in texts)
    assert "glyph" not in svg.lower()  # no text drawn as glyph outlines
    assert rcParams["svg.fonttype"] == before  # the caller's settings are left alone


def test_report_svg_text_stays_editable(seed_fig: Any) -> None:
    from survstudy.report.build import _render

    figure = _render(seed_fig, "km", 1, "Overall survival.", "curves")
    svg = io.BytesIO(figure.svg).read().decode()
    assert re.search(r"<text\b[^>]*>Number at risk</text>", svg)


# ------------------------------------------------------------------------------ h. flow chart


def _flow_blocks(flow: CohortFlow) -> tuple[Any, int]:
    from survstudy.report.build import _flow_section

    results = SimpleNamespace(study=SimpleNamespace(flow=flow))
    section, next_number = _flow_section(results, 1)  # type: ignore[arg-type]
    return section.blocks, next_number


def test_no_flow_chart_without_an_exclusion() -> None:
    step = FlowStep(step="Liver resection performed", rule="liver_resection == 'yes'",
                    n_before=13, n_excluded=0, n_after=13, reason="")  # fmt: skip
    blocks, next_number = _flow_blocks(CohortFlow(13, (step,)))
    assert next_number == 1  # no figure numbered
    assert len(blocks) == 1
    assert "No patient was excluded" in blocks[0].text


def test_flow_chart_with_an_exclusion() -> None:
    step = FlowStep(step="Liver resection performed", rule="liver_resection == 'yes'",
                    n_before=15, n_excluded=2, n_after=13, reason="no resection")  # fmt: skip
    blocks, next_number = _flow_blocks(CohortFlow(15, (step,)))
    assert next_number == 2
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "Figure"]


def test_cumulative_incidence_figure_keeps_its_width_with_long_names() -> None:
    from survstudy.report.competing import cif_figure

    df = _rotterdam()
    df = df.assign(months=df.rfs_days / 30.4375,
                   died_first=((df.died == 1) & (df.recurred == 0)).astype(int))  # fmt: skip
    cif = survstudy.cumulative_incidence(df, "months", "recurred", "died_first", "chemo")
    fig = cif_figure(cif, labels={"no": "Surgery and no adjuvant chemotherapy",
                                  "yes": "Surgery and adjuvant chemotherapy"})  # fmt: skip
    (ax,) = [a for a in fig.axes if a.get_label() == "cumulative incidence"]
    assert ax.get_position().width > 0.85
    (risk,) = [a for a in fig.axes if a.get_label() == "number at risk"]
    assert [t.get_gid() for t in risk.texts if t.get_gid().startswith("risk-name")] == [
        "risk-name:0", "risk-name:1"]
