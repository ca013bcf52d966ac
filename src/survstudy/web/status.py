"""The line above the results saying where the analysis stands, and the download buttons.

Both follow the current choices only: while something is still to choose, or the data have
errors, nothing stale is offered (the buttons are disabled).
"""

from __future__ import annotations

from htmltools import Tag, tags
from shiny import ui

from survstudy.web.choices import Choices
from survstudy.web.pipeline import Outcome

__all__ = ["download_buttons", "status_line"]


def status_line(c: Choices | None, o: Outcome | None) -> Tag | None:
    """What is still to choose, the errors to fix, or that the results are up to date."""
    if c is not None and c.missing():
        return tags.div(
            "Still to choose: " + "; ".join(c.missing()) + ".",
            class_="alert alert-info py-2 status-line",
        )
    if o is None:
        return None
    if o.errors:
        n = len(o.errors)
        return tags.div(
            tags.strong(
                f"{n} problem{'s' if n > 1 else ''} in the data must be fixed "
                "before the analysis can run."
            ),
            " They are listed under Data checks, with the row and column of each.",
            class_="alert alert-danger py-2 status-line",
        )
    warnings = len(o.problems)
    note = (
        f" The checks noted {warnings} point{'s' if warnings > 1 else ''} to look at (Data checks)."
        if warnings
        else " The data checks found no problem."
    )
    return tags.div(
        "The analysis is up to date with your choices." + note,
        class_="alert alert-success py-2 status-line",
    )


def _button(ready: bool, id: str, label: str, kind: str) -> Tag:
    if ready:
        return ui.download_button(id, label, class_=kind)
    return tags.button(label, disabled=True, class_=f"btn {kind}")


def download_buttons(o: Outcome | None) -> Tag:
    """The report's zip (once analysed) and the study file (once the choices are complete)."""
    ready = o is not None and o.results is not None
    return tags.div(
        _button(ready, "download_zip", "Download the full report (.zip)", "btn-primary"),
        _button(o is not None, "download_toml", "Download the study file", "btn-outline-primary"),
        class_="downloads",
    )
