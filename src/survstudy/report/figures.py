"""Journal-ready Kaplan-Meier figures: step curves, CI bands, direct labels, number at risk.

A figure is 17 cm wide (a two-column journal page) with fonts of 8 pt or more at that size.
Groups get Okabe-Ito colours (safe for colour-blind readers) ordered so that neighbouring
groups differ in lightness, and each has its own line style, so the figure survives greyscale
printing. The test is named beside its p-value, curves are labelled at their ends instead of
by a distant legend, and the number-at-risk table shares the plot's x axis, so its columns sit
exactly under the ticks. matplotlib is imported inside the functions (never at package import)
and only through its object API with the Agg canvas: no pyplot state, safe in a web server.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from survstudy.arrays import FloatArray
from survstudy.report.figure_text import (
    _FONT_SIZE,
    _add_block,
    _place_labels,
    _Placer,
    _summary_table,
    _text_block,
    _text_colour,
)
from survstudy.report.format import (
    format_count,
    format_exact_p,
    format_test_p,
    group_label,
    name_of_test,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from survstudy.stats.survival.km import KaplanMeier, SurvivalCurve
    from survstudy.stats.survival.logrank import SurvivalTest

__all__ = [
    "FIGURE_WIDTH_CM",
    "LINE_STYLES",
    "OKABE_ITO",
    "ExactResult",
    "figure_note",
    "figure_style",
    "km_figure",
    "p_value_lines",
    "save_figure",
    "shows_censor_marks",
    "tick_step",
    "time_ticks",
]

FIGURE_WIDTH_CM = 17.0
#: Okabe-Ito colours, ordered so that consecutive groups alternate dark and light in greyscale.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
#: One dash pattern per group, so curves differ without colour too.
LINE_STYLES: tuple[Any, ...] = ("solid", (0, (5.0, 2.0)), (0, (1.2, 1.4)), (0, (7, 1.6, 1.6, 1.6)),
    (0, (3.0, 1.5)), (0, (7.0, 1.5, 1.5, 1.5, 1.5, 1.5)), (0, (10.0, 2.5)))  # fmt: skip
#: Confidence bands are drawn for at most this many groups; more overlap into noise.
MAX_CI_GROUPS = 3
#: Band fill opacity per group: faint, so two overlapping bands do not read as a third group.
BAND_ALPHA = (0.16, 0.35, 0.35)
#: The first band is filled, the others hatched: overlaps read as fill plus stripes, not as a
#: new colour.
BAND_HATCH = (None, "////", "\\\\\\\\")
_CM = 1 / 2.54
#: Width of a censor tick (points).
CENSOR_WIDTH = 1.1
#: Above this many censoring times a curve is drawn without censor marks.
MAX_CENSOR_MARKS = 200
#: Fonts with Arial's metrics (Liberation Sans ships with Debian), named on every text itself (not
#: the generic "sans-serif", which matplotlib resolves when the figure is saved, from the saving
#: process's settings: a wider fallback font then overran the places measured for the text);
#: SVG text kept as text, so a journal's editor can change it; a fixed hash salt so the same
#: figure gives the same SVG.
_FONTS = ("Liberation Sans", "Arial", "DejaVu Sans")
_RC: Any = {
    "font.sans-serif": list(_FONTS),
    "font.size": _FONT_SIZE, "axes.labelsize": _FONT_SIZE + 0.5, "xtick.labelsize": _FONT_SIZE,
    "ytick.labelsize": _FONT_SIZE, "axes.linewidth": 0.8, "hatch.linewidth": 0.6,
    "xtick.major.width": 0.8, "ytick.major.width": 0.8, "xtick.major.size": 3.5,
    "ytick.major.size": 3.5, "svg.fonttype": "none", "svg.hashsalt": "survstudy", "figure.dpi": 100,
}  # fmt: skip
#: Tick steps by time unit: (largest span the step suits, step).
_TICK_STEPS: dict[str, tuple[tuple[float, float], ...]] = {
    "days": ((60, 7), (240, 30), (540, 90), (1100, 180), (4000, 365), (math.inf, 730)),
    "weeks": ((16, 2), (40, 4), (90, 13), (180, 26), (520, 52), (math.inf, 104)),
    "months": ((12, 3), (36, 6), (132, 12), (264, 24), (math.inf, 60)),
    "years": ((3, 0.5), (12, 1), (25, 2), (60, 5), (math.inf, 10)),
}
_UNIT_ALIASES = {"day": "days", "d": "days", "week": "weeks", "wk": "weeks", "month": "months",
                 "mo": "months", "year": "years", "yr": "years", "y": "years"}  # fmt: skip


class ExactResult(Protocol):
    """Anything carrying an exact (permutation) p-value and the name of its method."""

    @property
    def p_value(self) -> float: ...

    @property
    def method(self) -> str: ...


# ---------------------------------------------------------------------------------- ticks


def tick_step(span: float, time_unit: str = "months") -> float | None:
    """A clinical tick step for a time axis of length ``span`` in ``time_unit``.

    Months: every 3, 6, 12 (up to about 11 years), 24 or 60; years: every 0.5, 1, 2, 5 or 10;
    days: every 7, 30, 90, 180, 365 or 730; weeks: 2, 4, 13, 26, 52 or 104. None for another unit
    (the caller then picks round numbers).
    """
    unit = _UNIT_ALIASES.get(time_unit.lower(), time_unit.lower())
    steps = _TICK_STEPS.get(unit)
    if steps is None:
        return None
    return next(step for limit, step in steps if span <= limit)


def _round_step(span: float) -> float:
    raw = span / 6
    mag = 10 ** math.floor(math.log10(raw))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def time_ticks(
    last_time: float, time_unit: str = "months", tick_every: float | None = None
) -> tuple[FloatArray, float]:
    """Tick positions from 0 and the axis end for curves observed up to ``last_time``.

    The axis is extended to the next tick when that adds at most half a step (as 57.9 months
    → 60), so the last column of the number-at-risk table sits under a labelled tick.
    """
    span = last_time if last_time > 0 else 1.0
    step = tick_every or tick_step(span, time_unit) or _round_step(span)
    if step <= 0:
        raise ValueError("tick_every must be positive")
    next_tick = math.ceil(span / step - 1e-9) * step
    end = next_tick if next_tick - span <= step / 2 else span
    ticks = np.arange(0.0, end + step * 1e-6, step)
    return ticks.astype(np.float64), float(end)


# ---------------------------------------------------------------------------------- labels


def p_value_lines(test: SurvivalTest | None, exact: ExactResult | None) -> list[str]:
    """The p-value lines printed on a figure: ``["Log-rank p = 0.058", "Exact p = 0.070"]``."""
    lines = []
    if test is not None:
        lines.append(format_test_p(test.method, test.p_value, test.df, test.strata))
    if exact is not None:
        lines.append(format_exact_p(exact.p_value, exact.method))
    return lines


def shows_censor_marks(km: KaplanMeier) -> bool:
    """Whether the figure of ``km`` marks censorings (not when a curve has too many)."""
    return all(int((c.n_censor > 0).sum()) <= MAX_CENSOR_MARKS for c in km)


def figure_note(
    km: KaplanMeier,
    test: SurvivalTest | None = None,
    exact: ExactResult | None = None,
    *,
    show_ci: bool = True,
) -> str:
    """A legend sentence for the figure's caption: what its marks, bands and p-values are."""
    level = f"{km.conf_level * 100:g}%"
    parts = ["Vertical tick marks show censored observations."] if shows_censor_marks(km) else []
    if show_ci and len(km) <= MAX_CI_GROUPS:
        kind = "Shaded band" if len(km) == 1 else "Shaded and hatched bands"
        parts.append(f"{kind}: pointwise {level} confidence intervals ({km.conf_type}).")
    if any(c.median.estimate is not None for c in km):
        parts.append("Dashed lines mark the median survival.")
    if test is not None:
        parts.append(f"p: {name_of_test(test.method, test.strata)} test, {test.df} df.")
    if exact is not None:
        parts.append(f"Exact p: {exact.method} distribution of the test statistic.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------- curves


@dataclass(frozen=True)
class _Steps:
    """A curve cut at the axis end: step points from time 0, and its censor marks."""

    x: FloatArray
    y: FloatArray
    lower: FloatArray
    upper: FloatArray
    censor_x: FloatArray
    censor_y: FloatArray

    def value(self, t: float) -> float:
        return float(self.y[np.searchsorted(self.x, t, side="right") - 1])


def _steps(curve: SurvivalCurve, end: float) -> _Steps:
    return _step_points(curve.time, curve.survival, curve.ci_lower, curve.ci_upper,
                        curve.n_censor, curve.last_time, end, start=1.0)


def _step_points(time: FloatArray, value: FloatArray, ci_lower: FloatArray,
                 ci_upper: FloatArray, n_censor: FloatArray, last_time: float, end: float,
                 *, start: float) -> _Steps:
    """A curve's step points from (0, ``start``), cut at the axis end ``end``: the survival
    curve (start 1) and the cumulative incidence (start 0) are drawn alike."""
    keep = time <= end
    x = np.r_[0.0, time[keep]]
    y = np.r_[start, value[keep]]
    # bounds are undefined at the start value (log-log at S = 1): [start, start], as summary.survfit
    lower = np.r_[start, np.where(value[keep] == start, start, ci_lower[keep])]
    upper = np.r_[start, np.where(value[keep] == start, start, ci_upper[keep])]
    if last_time > end:  # continue the last step to the axis end
        x, y = np.r_[x, end], np.r_[y, y[-1]]
        lower, upper = np.r_[lower, lower[-1]], np.r_[upper, upper[-1]]
    censored = keep & (n_censor > 0)
    return _Steps(x, y, lower, upper, time[censored], value[censored])


def _band(x: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Explicit step polygon (x0, x1, x1, x2, …) so NaN bounds end the band cleanly."""
    return np.repeat(x, 2)[1:], np.repeat(v, 2)[:-1]


def _draw_curve(
    ax: Axes, s: _Steps, colour: str, style: Any, ci: bool, index: int, gid: str
) -> None:
    """Step curve, censor ticks and (with ``ci``) its band: a light fill with thin edges."""
    ax.plot(s.x, s.y, drawstyle="steps-post", color=colour, linestyle=style, linewidth=1.6,
            solid_joinstyle="miter", clip_on=False, zorder=3, gid=gid)  # fmt: skip
    import matplotlib.patheffects as pe

    many = s.censor_x.size > MAX_CENSOR_MARKS  # thousands of ticks would draw a solid bar
    # a thin white edge cuts the line beside each tick: a tick in the line's own colour merges
    # with a dash (or a drop) of a dashed or dotted line
    cut = [pe.Stroke(linewidth=CENSOR_WIDTH + 1.2, foreground="white"), pe.Normal()]
    # out of the layout: a group without censorings has an empty marks line, which matplotlib
    # measures as a marker at the figure's corner, and the layout then shrinks the plot to a strip
    ax.plot(s.censor_x, s.censor_y, linestyle="none", marker="|", markersize=6.5,
            markeredgewidth=CENSOR_WIDTH, color=colour, clip_on=False, zorder=4,
            visible=not many, path_effects=cut,
            gid=gid.replace("curve", "censor"))[0].set_in_layout(False)  # fmt: skip
    if not ci:
        return
    bx, lo = _band(s.x, s.lower)
    _, hi = _band(s.x, s.upper)
    ok = np.isfinite(lo) & np.isfinite(hi)
    hatch = BAND_HATCH[index]
    ax.fill_between(bx, lo, hi, where=ok, facecolor="none" if hatch else colour,
                    edgecolor=colour, hatch=hatch, alpha=BAND_ALPHA[index], linewidth=0,
                    zorder=1, gid=gid.replace("curve", "band"))  # fmt: skip
    for edge in (lo, hi):
        ax.plot(bx, np.where(ok, edge, np.nan), color=colour, linewidth=0.7, alpha=0.6,
                zorder=2)  # fmt: skip


def _draw_medians(ax: Axes, km: KaplanMeier, colours: Sequence[str], end: float) -> list[float]:
    """Dashed lines from S = 50% across to each reached median and down to the axis."""
    reached = [(c.median.estimate, col) for c, col in zip(km, colours, strict=True)
               if c.median.estimate is not None and c.median.estimate <= end]  # fmt: skip
    if not reached:
        return []
    style: dict[str, Any] = {"linewidth": 0.8, "linestyle": (0, (3.0, 2.0)), "zorder": 1.5}
    medians = [float(m) for m, _ in reached]
    ax.plot([0, max(medians)], [0.5, 0.5], color="0.45", gid="km-median", **style)
    for m, col in reached:
        ax.plot([m, m], [0, 0.5], color=col, gid="km-median", **style)
    return medians


# ---------------------------------------------------------------------------------- layout


_FONTS_CHECKED: list[bool] = []


def _register_fonts() -> None:
    """Make Liberation Sans known to matplotlib when its font cache predates the font.

    matplotlib caches the system fonts once (fontlist-v*.json) and does not rescan when fonts
    are installed later; the figure then falls back to DejaVu Sans, about 10% wider, and
    every measured layout (summary block, labels) changes. Checked once per process.
    """
    if _FONTS_CHECKED:
        return
    _FONTS_CHECKED.append(True)
    from matplotlib import font_manager

    if any(f.name == "Liberation Sans" for f in font_manager.fontManager.ttflist):
        return
    for path in font_manager.findSystemFonts():
        if Path(path).name.startswith("LiberationSans-"):
            font_manager.fontManager.addfont(path)


@contextmanager
def figure_style() -> Iterator[None]:
    """The figures' settings (fonts, sizes, editable SVG text) for drawing and saving, within
    this block only: the caller's own matplotlib settings are left as they were."""
    import matplotlib
    from matplotlib import font_manager

    _register_fonts()
    known = {f.name for f in font_manager.fontManager.ttflist}
    family = [f for f in _FONTS if f in known] or ["sans-serif"]  # named: no missing-font noise
    with matplotlib.rc_context({**_RC, "font.family": family}):
        yield


_style = figure_style


#: Names of at-risk rows wider than this (cm) go above their row, not left of the plot.
MAX_RISK_NAME_CM = 2.5


def _names_above(names: Sequence[str]) -> bool:
    """Whether the at-risk rows' names are too wide to sit left of the table: they would take
    the plot's width (a 6 cm name left a third of the figure empty; 2.5 cm is 15%)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=_FONT_SIZE, weight="bold")
    widths = [TextToPath().get_text_width_height_descent(name, font, ismath=False)[0]
              for name in names]  # fmt: skip
    return max(widths, default=0.0) / 72 * 2.54 > MAX_RISK_NAME_CM


def _risk_row_height(names: Sequence[str]) -> float:
    """Height of one at-risk row (inches): taller when its name sits above its counts."""
    return (0.85 if _names_above(names) else 0.5) * _CM


def _risk_table(
    ax: Axes, km: KaplanMeier, ticks: FloatArray, names: Sequence[str], colours: Sequence[str]
) -> None:
    """Numbers at risk at each tick, one row per group named in its colour (left of the row,
    or above it when the names are long)."""
    n = len(km)
    above = _names_above(names)
    ax.set_label("number at risk")
    ax.set_ylim(n - 0.5, -0.5)
    if above:
        ax.set_yticks([])
        for row, (name, colour) in enumerate(zip(names, colours, strict=True)):
            ax.text(0, row - 0.2, name, transform=ax.get_yaxis_transform(), ha="left",
                    va="center", color=_text_colour(colour), fontweight="bold",
                    fontsize=_FONT_SIZE, gid=f"risk-name:{row}")  # fmt: skip
    else:
        ax.set_yticks(range(n), labels=list(names))
        for label, colour in zip(ax.get_yticklabels(), colours, strict=True):
            label.set_color(_text_colour(colour))
            label.set_fontweight("bold")
    counts = [[format_count(a.n_risk) for a in c.at(ticks)] for c in km]
    digits = max((len(t) for row in counts for t in row), default=1)
    # large registries: smaller digits so neighbouring counts and the names do not touch
    size = _FONT_SIZE if digits <= 4 else 8.0 if digits == 5 else 7.0
    pad = max(14.0, 6 + 0.3 * size * digits)  # the first count is centred on the axis start
    ax.tick_params(axis="y", length=0, pad=pad, labelsize=_FONT_SIZE)
    ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for row, texts in enumerate(counts):
        for t, text in zip(ticks, texts, strict=True):
            ax.text(t, row + (0.22 if above else 0), text, ha="center", va="center",
                    fontsize=size, clip_on=False, gid=f"risk:{row}")  # fmt: skip
    ax.set_title("Number at risk", loc="left", fontsize=_FONT_SIZE, fontweight="bold", pad=5)


def _median_digits(km: KaplanMeier, time_unit: str) -> int:
    """Whole days print without decimals (a median of 52.5 days keeps its half); others 1."""
    if _UNIT_ALIASES.get(time_unit.lower(), time_unit.lower()) != "days":
        return 1
    values = [v for c in km for v in (c.median.estimate, c.median.ci_lower, c.median.ci_upper)]
    return 0 if all(v is None or float(v).is_integer() for v in values) else 1


# ---------------------------------------------------------------------------------- figure


def km_figure(
    km: KaplanMeier,
    *,
    test: SurvivalTest | None = None,
    exact: ExactResult | None = None,
    labels: Mapping[str, str] | None = None,
    time_unit: str = "months",
    xlabel: str | None = None,
    ylabel: str = "Overall survival",
    tick_every: float | None = None,
    max_time: float | None = None,
    show_ci: bool = True,
    risk_table: bool = True,
    title: str | None = None,
    summary: bool | Literal["above"] = True,
) -> Figure:
    """A Kaplan-Meier figure of every group of ``km``, 17 cm wide, ready for a manuscript.

    ``test`` (and ``exact``, any object with ``p_value`` and ``method``) print as
    "Log-rank p = 0.058" / "Exact p = 0.070". ``labels`` renames groups. Ticks follow
    ``time_unit`` (every 12 months, 1 year, 180 or 365 days, …) unless ``tick_every`` is
    given; the axis ends at ``max_time`` (default: the last observation, or the next tick).
    CI bands are drawn for at most three groups. ``summary`` adds n, events and median (CI)
    per group: inside the plot where it has room clear of curves and bands, else above it
    (``"above"``: always above, for figures that should look alike).
    """
    if len(km) == 0:
        raise ValueError("no curve to draw: every group is empty")
    if max_time is not None and max_time <= 0:
        raise ValueError("max_time must be positive")
    last = max(c.last_time for c in km)
    ticks, end = time_ticks(max_time if max_time is not None else last, time_unit, tick_every)
    if max_time is not None:
        end = float(max_time)
        ticks = ticks[ticks <= end * (1 + 1e-9)]
    names = [group_label(g, labels) for g in km.groups]
    colours = ["#000000"] if len(km) == 1 else [OKABE_ITO[i % 7] for i in range(len(km))]
    layout = _Layout(km, ticks, end, names, colours, time_unit, xlabel, ylabel, show_ci,
                     risk_table, title, p_value_lines(test, exact))  # fmt: skip
    with _style():
        fig = None if summary == "above" else layout.build(bool(summary), header=False)
        if fig is None:  # no room inside the plot for the summary: put it above
            fig = layout.build(True, header=True)
        assert fig is not None
    return fig


@dataclass(frozen=True)
class _Layout:
    """Everything a figure shows, decided before drawing; ``build`` draws it."""

    km: KaplanMeier
    ticks: FloatArray
    end: float
    names: Sequence[str]
    colours: Sequence[str]
    time_unit: str
    xlabel: str | None
    ylabel: str
    show_ci: bool
    risk_table: bool
    title: str | None
    lines: Sequence[str]

    def build(self, summary: bool, header: bool) -> Figure | None:
        """The figure, or None when ``summary`` fits neither inside the plot nor (no header)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import ConstrainedLayoutEngine
        from matplotlib.offsetbox import AnnotationBbox

        km, n = self.km, len(self.km)
        single = n == 1
        rows = n if self.risk_table else 0
        head_rows = n + 1 if header else 0
        main_h, row_h = 7.6 * _CM, _risk_row_height(self.names)
        height = main_h + 1.6 * _CM + (rows * row_h + 1.2 * _CM if rows else 0)
        height += head_rows * 0.36 * _CM
        height += 0.7 * _CM if self.title else 0
        engine = ConstrainedLayoutEngine(h_pad=0.06, w_pad=0.06, hspace=0.03)
        fig = Figure(figsize=(FIGURE_WIDTH_CM * _CM, height), layout=engine)
        FigureCanvasAgg(fig)
        ratios = [r for r in (head_rows * 0.36 * _CM, main_h, rows * row_h) if r > 0]
        gs = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
        slot = iter(range(len(ratios)))
        ax_head = fig.add_subplot(gs[next(slot)]) if header else None
        ax = fig.add_subplot(gs[next(slot)])
        ax.set_label("survival")
        ax_risk = fig.add_subplot(gs[next(slot)], sharex=ax) if rows else None

        steps = [_steps(c, self.end) for c in km]
        ci = self.show_ci and n <= MAX_CI_GROUPS
        for i, s in enumerate(steps):
            _draw_curve(ax, s, self.colours[i], LINE_STYLES[i % len(LINE_STYLES)], ci, i,
                        gid=f"km-curve:{i}")  # fmt: skip
        medians = _draw_medians(ax, km, self.colours, self.end)
        self._axes(ax)
        if ax_risk is not None:
            _risk_table(ax_risk, km, self.ticks, self.names, self.colours)
        digits = _median_digits(km, self.time_unit)

        def table() -> Any:
            return _summary_table(km, self.names, self.colours, digits, self.time_unit)

        if ax_head is not None:
            ax_head.set_axis_off()
            ax_head.set_label("summary")
            # from the figure's left edge, like the at-risk names, and out of the layout: a
            # wide table must not squeeze the plot into a strip
            ab = AnnotationBbox(table(), (0.01, 1), xycoords=("figure fraction", "axes fraction"),
                                box_alignment=(0, 1), frameon=False, pad=0)  # fmt: skip
            ab.set_in_layout(False)
            ab.set_gid("km-summary")
            ax_head.add_artist(ab)
        if self.title:
            (ax_head or ax).set_title(self.title, loc="left", fontsize=_FONT_SIZE + 1.5,
                                      fontweight="bold")  # fmt: skip

        fig.draw_without_rendering()  # settle the layout before measuring free space
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        placer = _Placer(ax, steps, ci, medians, renderer)
        lines_placed = not self.lines
        if summary and not header:
            # the summary with the p-values under it, else the summary alone, else give up
            if self.lines and _add_block(ax, placer, _text_block(self.lines, table()), (0,), False):
                lines_placed = True
            elif not _add_block(ax, placer, table(), (0,), force=False):
                return None
        if not lines_placed:
            _add_block(ax, placer, _text_block(self.lines), (0, 1, 2), force=True)
        if not single:
            _place_labels(ax, placer, steps, self.names, self.colours, named_elsewhere=summary)
        # freeze the layout the labels were placed against: saving at another dpi must not move
        # the axes under them, and the same figure must give the same files
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        return fig

    def _axes(self, ax: Axes) -> None:
        from matplotlib.ticker import FixedLocator, FuncFormatter

        ax.set_xlim(0, self.end)
        ax.set_ylim(0, 1.04)
        ax.xaxis.set_major_locator(FixedLocator(self.ticks.tolist()))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "25", "50", "75", "100"])
        ax.set_xlabel(self.xlabel or f"Time ({self.time_unit})")
        ax.set_ylabel(self.ylabel if "%" in self.ylabel else f"{self.ylabel} (%)")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_position(("outward", 4))


def save_figure(fig: Figure, base_path: str | Path) -> list[Path]:
    """Write ``fig`` as PNG (300 dpi) and SVG beside ``base_path`` (suffix replaced).

    Metadata that changes between runs (dates, software stamp) is left out, so the same data
    give the same files.
    """
    base = Path(base_path)
    base = base.with_suffix("") if base.suffix.lower() in {".png", ".svg"} else base
    base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = base.with_name(base.name + ".png"), base.with_name(base.name + ".svg")
    with _style():
        fig.savefig(png, dpi=300, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return [png, svg]
