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
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from survstudy.report.format import (
    format_ci,
    format_count,
    format_exact_p,
    format_median,
    format_test_p,
    group_label,
    name_of_test,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

    from survstudy.stats.compare import SurvivalTest
    from survstudy.stats.km import KaplanMeier, SurvivalCurve

__all__ = [
    "FIGURE_WIDTH_CM",
    "LINE_STYLES",
    "OKABE_ITO",
    "ExactResult",
    "figure_note",
    "km_figure",
    "p_value_lines",
    "save_figure",
    "shows_censor_marks",
    "tick_step",
    "time_ticks",
]

FloatArray = NDArray[np.float64]

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
_FONT_SIZE = 9.0
#: Above this many censoring times a curve is drawn without censor marks.
MAX_CENSOR_MARKS = 200
_SMALL = 8.0
#: Fonts with Arial's metrics (Liberation Sans ships with Debian); SVG text as paths so it looks
#: the same everywhere; a fixed hash salt so the same figure gives the same SVG.
_RC: Any = {
    "font.family": "sans-serif", "font.sans-serif": ["Liberation Sans", "Arial", "DejaVu Sans"],
    "font.size": _FONT_SIZE, "axes.labelsize": _FONT_SIZE + 0.5, "xtick.labelsize": _FONT_SIZE,
    "ytick.labelsize": _FONT_SIZE, "axes.linewidth": 0.8, "hatch.linewidth": 0.6,
    "xtick.major.width": 0.8, "ytick.major.width": 0.8, "xtick.major.size": 3.5,
    "ytick.major.size": 3.5, "svg.fonttype": "path", "svg.hashsalt": "survstudy", "figure.dpi": 100,
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


def _text_colour(colour: str) -> str:
    """The colour darkened until text in it reads on white (light Okabe-Ito hues)."""
    from matplotlib.colors import to_hex, to_rgb

    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    if luminance <= 0.45:
        return colour
    factor = (0.45 / luminance) ** 0.6
    return str(to_hex((r * factor, g * factor, b * factor)))


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
    keep = curve.time <= end
    x = np.r_[0.0, curve.time[keep]]
    y = np.r_[1.0, curve.survival[keep]]
    # log-log bounds are undefined where S = 1: the interval there is [1, 1], as summary.survfit
    lower = np.r_[1.0, np.where(curve.survival[keep] == 1, 1.0, curve.ci_lower[keep])]
    upper = np.r_[1.0, np.where(curve.survival[keep] == 1, 1.0, curve.ci_upper[keep])]
    if curve.last_time > end:  # continue the last step to the axis end
        x, y = np.r_[x, end], np.r_[y, y[-1]]
        lower, upper = np.r_[lower, lower[-1]], np.r_[upper, upper[-1]]
    censored = keep & (curve.n_censor > 0)
    return _Steps(x, y, lower, upper, curve.time[censored], curve.survival[censored])


def _band(x: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Explicit step polygon (x0, x1, x1, x2, …) so NaN bounds end the band cleanly."""
    return np.repeat(x, 2)[1:], np.repeat(v, 2)[:-1]


def _draw_curve(
    ax: Axes, s: _Steps, colour: str, style: Any, ci: bool, index: int, gid: str
) -> None:
    """Step curve, censor ticks and (with ``ci``) its band: a light fill with thin edges."""
    ax.plot(s.x, s.y, drawstyle="steps-post", color=colour, linestyle=style, linewidth=1.6,
            solid_joinstyle="miter", clip_on=False, zorder=3, gid=gid)  # fmt: skip
    many = s.censor_x.size > MAX_CENSOR_MARKS  # thousands of ticks would draw a solid bar
    ax.plot(s.censor_x, s.censor_y, linestyle="none", marker="|", markersize=6.5,
            markeredgewidth=1.1, color=colour, clip_on=False, zorder=4, visible=not many,
            gid=gid.replace("curve", "censor"))  # fmt: skip
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


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


class _Placer:
    """Finds free rectangles in the plot (data units) for text blocks and curve labels.

    Strictness ``level``: 0 keeps clear of curves, CI bands and median lines; 1 of curves,
    band edges and median lines; 2 of curves only. Placed boxes are always avoided.
    """

    def __init__(
        self, ax: Axes, steps: Sequence[_Steps], bands: bool, medians: Sequence[float],
        renderer: RendererBase,
    ) -> None:  # fmt: skip
        self.steps, self.bands, self.medians, self.renderer = steps, bands, medians, renderer
        self.x_end = float(ax.get_xlim()[1])
        self.y_end = float(ax.get_ylim()[1])
        box = ax.get_window_extent(renderer)
        self.px = self.x_end / box.width  # data units per pixel
        self.py = self.y_end / box.height
        points = 3.0 * cast(float, renderer.points_to_pixels(1.0))
        self.pad_x, self.pad_y = points * self.px, points * self.py
        self.taken: list[tuple[float, float, float, float]] = []

    def size(self, artist: Any) -> tuple[float, float]:
        ext = artist.get_window_extent(self.renderer)
        return ext.width * self.px, ext.height * self.py

    def overlaps_taken(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in self.taken)

    def free(self, box: tuple[float, float, float, float], level: int = 2) -> bool:
        x0, y0, x1, y1 = box
        if x0 < 0 or y0 < 0 or x1 > self.x_end or y1 > self.y_end:
            return False
        x0, y0, x1, y1 = x0 - self.pad_x, y0 - self.pad_y, x1 + self.pad_x, y1 + self.pad_y
        if self.overlaps_taken((x0, y0, x1, y1)):
            return False
        if level <= 1 and self.medians:
            if y0 <= 0.5 <= y1 and x0 <= max(self.medians):
                return False
            if y0 <= 0.5 and any(x0 <= m <= x1 for m in self.medians):
                return False
        for s in self.steps:
            lo, hi = max(x0, s.x[0]), min(x1, s.x[-1])
            if lo > hi:
                continue
            lines = [s.y, s.lower, s.upper] if self.bands and level <= 1 else [s.y]
            for y in lines:
                r = _value_range(s.x, y, lo, hi)
                if r is not None and r[0] <= y1 and r[1] >= y0:
                    return False
            if self.bands and level == 0:
                low, high = _value_range(s.x, s.lower, lo, hi), _value_range(s.x, s.upper, lo, hi)
                if low is not None and high is not None and low[0] <= y1 and high[1] >= y0:
                    return False
        return True

    def find(
        self, w: float, h: float, candidates: Sequence[tuple[float, float]], levels: Sequence[int]
    ) -> tuple[float, float, int] | None:
        """The first candidate corner whose box is free, trying the strictest level first."""
        for level in levels:
            for x, y in candidates:
                if self.free((x, y, x + w, y + h), level):
                    return x, y, level
        return None


def _value_range(x: FloatArray, y: FloatArray, lo: float, hi: float) -> tuple[float, float] | None:
    """Smallest and largest value a step function takes over [lo, hi] (NaN gaps ignored)."""
    i0 = max(int(np.searchsorted(x, lo, side="right")) - 1, 0)
    i1 = int(np.searchsorted(x, hi, side="right")) - 1
    values = y[i0 : i1 + 1]
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else None


def _block_candidates(p: _Placer, w: float, h: float) -> list[tuple[float, float]]:
    """Lower-left corners for a text block: bottom-left, top-right, bottom-right, then a scan."""
    mx, my = 2 * p.pad_x, 2 * p.pad_y
    left, right, bottom, top = mx, p.x_end - mx - w, my, p.y_end - my - h
    out = [(left, bottom), (right, top), (right, bottom)]
    for fy in np.linspace(0, 1, 13):
        for fx in np.linspace(1, 0, 13):
            out.append((left + float(fx) * (right - left), bottom + float(fy) * (top - bottom)))
    return out


def _cell(text: str, colour: str = "black", weight: str = "normal") -> Any:
    from matplotlib.offsetbox import TextArea

    return TextArea(text, textprops={"fontsize": _SMALL, "color": colour, "fontweight": weight})


def _summary_table(
    km: KaplanMeier, names: Sequence[str], colours: Sequence[str], digits: int, unit: str
) -> Any:
    """n, events and median (CI) per group, as aligned columns of text."""
    from matplotlib.offsetbox import HPacker, VPacker

    level = f"{km.conf_level * 100:g}% CI"
    head = ["", "n", "Events", f"Median, {unit} ({level})"]
    cols: list[list[Any]] = [[_cell(h, "0.3")] for h in head]
    for c, name, colour in zip(km, names, colours, strict=True):
        m = c.median
        median = format_median(m.estimate, digits)
        if m.estimate is not None or m.ci_lower is not None:
            median += f" ({format_ci(m.ci_lower, m.ci_upper, digits, missing='NR')})"
        cols[0].append(_cell(name, _text_colour(colour), "bold"))
        for col, value in zip(cols[1:], (format_count(c.n), format_count(c.events), median),
                              strict=True):  # fmt: skip
            col.append(_cell(value))
    aligns: tuple[Any, ...] = ("left", "right", "right", "left")
    packed: list[Any] = [VPacker(children=col, align=a, pad=0, sep=1.5)
              for col, a in zip(cols, aligns, strict=True)]  # fmt: skip
    return HPacker(children=packed, align="top", pad=0, sep=8)


def _add_block(ax: Axes, p: _Placer, box: Any, levels: Sequence[int], force: bool) -> bool:
    """Put a text block in the first free place; if none and ``force``, bottom-left on white."""
    from matplotlib.offsetbox import AnnotationBbox

    probe = AnnotationBbox(box, (0, 0), xycoords="data", box_alignment=(0, 0), frameon=False,
                           pad=0)  # fmt: skip
    ax.add_artist(probe)
    w, h = p.size(probe)
    probe.remove()
    candidates = _block_candidates(p, w, h)
    spot = p.find(w, h, candidates, levels)
    if spot is None and not force:
        return False
    x, y, level = spot or (*candidates[0], 2)
    backed = level >= 2  # over a band: a white backing keeps the text legible
    backing = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    ab = AnnotationBbox(box, (x, y), xycoords="data", box_alignment=(0, 0), frameon=backed,
                        pad=0.15, zorder=5, bboxprops=backing)  # fmt: skip
    ax.add_artist(ab)
    p.taken.append((x, y, x + w, y + h))
    return True


def _text_block(lines: Sequence[str], table: Any = None) -> Any:
    """The p-value lines (the first, the test the figure is about, in bold), under ``table``."""
    from matplotlib.offsetbox import VPacker

    cells = [_cell(line, weight="bold" if i == 0 else "normal") for i, line in enumerate(lines)]
    block = VPacker(children=cells, align="left", pad=0, sep=3)
    return block if table is None else VPacker(children=[table, block], pad=0, sep=6)


def _label_candidates(
    s: _Steps, w: float, h: float, p: _Placer
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Lower-left corners for a curve label: at the curve's end (right of a censored end,
    along its last plateau) first, then along its longest other plateaus, then (for smooth
    curves of large cohorts, which have no long plateau) above-right or below-left of points
    along the curve, where the curve itself stays clear of the label."""
    gx, gy = p.pad_x * 1.5, p.pad_y * 1.5
    starts, ends, values = s.x[:-1], s.x[1:], s.y[:-1]
    plateaus = [i for i in range(values.size) if values[i] > 0 and ends[i] > starts[i]]

    def around(i: int) -> list[tuple[float, float]]:
        return [(float(x), float(values[i] + dy)) for dy in (gy, -gy - h)
                for x in (ends[i] - gx - w, starts[i] + gx)]  # fmt: skip

    end = [(float(s.x[-1] + gx), float(s.y[-1] - h / 2))] if s.y[-1] > 0 else []
    end += [c for i in plateaus[-1:] for c in around(i)]
    longest = sorted(plateaus[:-1], key=lambda i: starts[i] - ends[i])[:10]
    along = []
    for x in np.linspace(s.x[0], s.x[-1], 12)[1:-1]:
        y = float(s.y[max(int(np.searchsorted(s.x, x, side="right")) - 1, 0)])
        along += [(float(x), y + gy), (float(x) - w, y - gy - h)]
    return end, [c for i in longest for c in around(i)] + along


def _place_labels(
    ax: Axes,
    p: _Placer,
    steps: Sequence[_Steps],
    names: Sequence[str],
    colours: Sequence[str],
    named_elsewhere: bool = False,
) -> None:
    """Name each curve next to it, off the other curves; nudge vertically when crowded.

    With ``named_elsewhere`` (the summary table names each group in its colour), a label
    that finds no place beside its own curve, clear of the others, is left out rather than
    drawn across them.
    """
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.8, foreground="white")]
    for i in sorted(range(len(steps)), key=lambda i: -steps[i].y[-1]):
        text = ax.text(0, 0, names[i], color=_text_colour(colours[i]), fontsize=_FONT_SIZE,
                       fontweight="bold", ha="left", va="bottom", path_effects=halo,
                       zorder=6, gid=f"km-label:{i}")  # fmt: skip
        w, h = p.size(text)
        at_end, elsewhere = _label_candidates(steps[i], w, h, p)
        candidates = at_end + elsewhere
        spot = p.find(w, h, at_end, (1, 2)) or p.find(w, h, elsewhere, (1, 2))
        if spot is not None:
            x, y = spot[0], spot[1]
        elif named_elsewhere:  # no place beside its own curve: the summary names it
            text.remove()
            continue
        else:  # crowded: the first choice, moved up or down off the other labels
            first = candidates[0] if candidates else (p.pad_x, p.y_end / 2)
            x, y0 = min(max(float(first[0]), 0.0), p.x_end - w), float(first[1])
            y = y0
            for dy in (k * sign * h for k in range(1, 12) for sign in (1, -1)):
                y = min(max(y0 + dy, 0.0), p.y_end - h)
                if not p.overlaps_taken((x, y, x + w, y + h)):
                    break
        text.set_position((x, y))
        p.taken.append((x, y, x + w, y + h))


def _risk_table(
    ax: Axes, km: KaplanMeier, ticks: FloatArray, names: Sequence[str], colours: Sequence[str]
) -> None:
    """Numbers at risk at each tick, one row per group named in its colour."""
    n = len(km)
    ax.set_label("number at risk")
    ax.set_ylim(n - 0.5, -0.5)
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
            ax.text(t, row, text, ha="center", va="center",
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
        main_h, row_h = 7.6 * _CM, 0.5 * _CM
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
            ab = AnnotationBbox(table(), (0, 1), xycoords="axes fraction", box_alignment=(0, 1),
                                frameon=False, pad=0)  # fmt: skip
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
