"""The cohort flow diagram: registry → each inclusion step → analysed cohort.

Boxes stacked top to bottom with the patients remaining; each exclusion in a box to the right
with its count and reason (as a CONSORT/STROBE flow chart).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from survstudy.data.cohort import CohortFlow
from survstudy.report.format import format_count

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["flow_figure"]

_BOX: dict[str, Any] = {"boxstyle": "square,pad=0.6", "facecolor": "white", "edgecolor": "#1b1f24",
        "linewidth": 1.0}
_SIDE: dict[str, Any] = {**_BOX, "facecolor": "#f4f5f7", "edgecolor": "#5b6470"}


def _n(n: int) -> str:
    return f"n = {format_count(n)}"


def flow_figure(flow: CohortFlow, registry_label: str = "Patients in the registry") -> Figure:
    """A flow chart of ``flow``; one main box per step, exclusions beside it."""
    from matplotlib.figure import Figure

    steps = flow.steps
    rows = 1 + len(steps)
    fig = Figure(figsize=(6.7, 0.3 + 1.0 * rows))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(rows - 0.55, -0.45)
    ax.axis("off")
    text: dict[str, Any] = {"fontsize": 9, "ha": "center", "va": "center", "family": "sans-serif"}
    ax.text(0.33, 0, f"{registry_label}\n{_n(flow.n_registry)}", bbox=_BOX, **text)
    for i, step in enumerate(steps, start=1):
        label = "\n".join(textwrap.wrap(step.step, 34))
        last = i == len(steps)
        head = f"{label}\n{_n(step.n_after)}" + ("\nanalysed" if last else "")
        ax.annotate("", xy=(0.33, i - 0.32), xytext=(0.33, i - 1 + 0.32),
                    arrowprops={"arrowstyle": "-|>", "color": "#1b1f24", "linewidth": 1})
        ax.text(0.33, i, head, bbox=_BOX, **text)
        if step.n_excluded:
            reason = "\n".join(textwrap.wrap(step.reason or step.rule, 30))
            ax.annotate("", xy=(0.68, i - 0.5), xytext=(0.33, i - 0.5),
                        arrowprops={"arrowstyle": "-|>", "color": "#5b6470", "linewidth": 1})
            ax.text(0.83, i - 0.5, f"Excluded: {_n(step.n_excluded)}\n{reason}", bbox=_SIDE,
                    **{**text, "fontsize": 8.5})
    return fig
