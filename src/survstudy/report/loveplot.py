"""The love plot: standardized mean differences of every term before and after weighting.

Terms are ordered by their imbalance before weighting (largest at the top); open grey circles
are before, filled blue diamonds after, with dashed lines at ±threshold, so a reader sees at a
glance which covariates were imbalanced and whether weighting balanced them. Marker shapes
differ as well as colours (greyscale, colour-blind readers). matplotlib is imported inside the
function, through its object API and the Agg canvas only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from survstudy.stats.adjustment.balance import BalanceTable

__all__ = ["love_plot"]

_CM = 1 / 2.54


def love_plot(balance: BalanceTable, *, title: str | None = None,
              names: Mapping[str, str] | None = None) -> Figure:
    """A love plot of ``balance``; save it with :func:`survstudy.save_figure`. ``names`` maps a
    model term (``grade[T.3]``) to the words shown for it (default: the term)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = sorted(balance.rows, key=lambda r: abs(r.smd_before))
    n = len(rows)
    height = (2.2 + 0.55 * n + (0.6 if title else 0.0)) * _CM
    fig = Figure(figsize=(12 * _CM, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = list(range(n))
    before = [r.smd_before for r in rows]
    after = [r.smd_after for r in rows]
    t = balance.threshold
    span = max([abs(v) for v in before + after] + [t]) * 1.15
    ax.axvspan(-t, t, color="#EEEEEE", zorder=0)
    for x in (-t, t):
        ax.axvline(x, color="#777777", linestyle="--", linewidth=0.8, zorder=1)
    ax.axvline(0, color="black", linewidth=0.8, zorder=1)
    for yi, b, a in zip(y, before, after, strict=True):
        ax.plot([b, a], [yi, yi], color="#BBBBBB", linewidth=0.8, zorder=2)
    ax.scatter(before, y, s=28, facecolors="white", edgecolors="#555555", linewidths=1.1,
               label="before weighting", zorder=3)
    ax.scatter(after, y, s=30, marker="D", color="#0072B2", label="after weighting", zorder=4)
    names = names or {}
    ax.set_yticks(y, [names.get(r.term, r.term) for r in rows], fontsize=8)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(-span, span)
    ax.set_xlabel("standardized mean difference (treated − control)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7.5, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
              borderaxespad=0.1)
    if title:
        fig.suptitle(title, fontsize=9, x=0.02, ha="left")
    return fig
