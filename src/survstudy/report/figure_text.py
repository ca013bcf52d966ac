"""Text on a Kaplan-Meier plot: the summary table, text blocks and curve labels, each placed
where no curve, band or other text runs (:mod:`.figures` draws the curves and calls these).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from survstudy.arrays import FloatArray
from survstudy.report.format import (
    format_ci,
    format_count,
    format_median,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase

    from survstudy.report.figures import _Steps
    from survstudy.stats.survival.km import KaplanMeier

__all__: list[str] = []


_FONT_SIZE = 9.0

_SMALL = 8.0


def _text_colour(colour: str) -> str:
    """The colour darkened until text in it reads on white (light Okabe-Ito hues)."""
    from matplotlib.colors import to_hex, to_rgb

    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    if luminance <= 0.45:
        return colour
    factor = (0.45 / luminance) ** 0.6
    return str(to_hex((r * factor, g * factor, b * factor)))


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

    def over_band(self, box: tuple[float, float, float, float], skip: int | None = None) -> bool:
        """Whether ``box`` reaches into the CI band of a curve (other than curve ``skip``)."""
        if not self.bands:
            return False
        x0, y0, x1, y1 = box
        for j, s in enumerate(self.steps):
            lo, hi = max(x0, s.x[0]), min(x1, s.x[-1])
            if j == skip or lo > hi:
                continue
            low, high = _value_range(s.x, s.lower, lo, hi), _value_range(s.x, s.upper, lo, hi)
            if low is not None and high is not None and low[0] <= y1 and high[1] >= y0:
                return True
        return False

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
        # beside its own curve: just right of its end point, or above or below it within its
        # time range; never over another group's band (it would read as that group's label)
        start, last = float(steps[i].x[0]), float(steps[i].x[-1])
        beside = at_end[:1] if at_end and at_end[0][0] > last else []
        at_end = [c for c in at_end if c in beside or (start <= c[0] and c[0] + w <= last)]
        elsewhere = [c for c in elsewhere if start <= c[0] and c[0] + w <= last]
        at_end, elsewhere = (
            [c for c in group if not p.over_band((c[0], c[1], c[0] + w, c[1] + h), skip=i)]
            for group in (at_end, elsewhere))  # fmt: skip
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
        if p.over_band((x, y, x + w, y + h)):  # a white halo would erase the band's colour
            text.set_path_effects([])
        p.taken.append((x, y, x + w, y + h))
