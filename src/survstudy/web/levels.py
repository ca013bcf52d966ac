"""Order and names of a categorical column's values: the groups, and any characteristic.

Both controls take the same text (``well = Well differentiated, moderate, poor``, read by
:func:`~survstudy.web.choices.parse_levels`) and become the study file's
``[variables.X] levels`` and ``labels``. The group has its own field under "Compare survival
between"; the other columns share one: pick a characteristic or prognostic factor, edit its
values. Edits are kept per column while the registry stays open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shiny import Inputs, reactive, ui

from survstudy.config.models import StudyConfig
from survstudy.web.choices import Levels, base_levels, fit_levels, levels_text, parse_levels
from survstudy.web.preview import DataPreview

__all__ = ["MAX_LEVELS", "MAX_NUMBER_LEVELS", "group_levels", "levelled_columns", "register"]

#: Columns with more values than this are not offered for ordering (not categories).
MAX_LEVELS = 20
#: Number columns with more values than this are measurements (age), not codes (grade 1-3).
MAX_NUMBER_LEVELS = 6


def group_levels(pv: DataPreview, column: str, text: str) -> Levels:
    """The levels the form's ``text`` gives ``column`` (all its values; () when the preview
    does not hold all of them or the text is empty)."""
    info = pv.column(column)
    if info is None or info.n_distinct > len(info.values) or not text.strip():
        return ()
    return fit_levels(parse_levels(text), info.values)


def levelled_columns(pv: DataPreview, columns: Sequence[str], group: str) -> list[str]:
    """The chosen columns whose values can be ordered: few (a number column: very few), all
    known, not the group's."""
    out = []
    for column in dict.fromkeys(columns):
        info = pv.column(column)
        if column == group or info is None or info.is_date:
            continue
        most = MAX_NUMBER_LEVELS if info.is_number else MAX_LEVELS
        if 2 <= info.n_distinct <= min(most, len(info.values)):
            out.append(column)
    return out


def _start(base: StudyConfig | None, pv: DataPreview, column: str) -> Levels:
    """The levels shown first: the study file's, else the values in the registry's order."""
    info = pv.column(column)
    if info is None:
        return ()
    known = base_levels(base.variables.get(column)) if base is not None else ()
    return fit_levels(known, info.values)


def register(
    input: Inputs,
    preview: Callable[[], DataPreview | None],
    base: Callable[[], StudyConfig | None],
) -> Callable[[], tuple[tuple[str, Levels], ...]]:
    """The two controls' server part; returns the other columns' edited levels."""
    edits: reactive.Value[dict[str, Levels]] = reactive.value({})

    @reactive.effect
    @reactive.event(input.group, preview, ignore_init=True)
    def _group_changed() -> None:
        pv, group = preview(), input.group() or ""
        with reactive.isolate():
            b = base()
        levels = _start(b, pv, group) if pv is not None else ()
        ui.update_text("group_levels", value=levels_text(levels))

    @reactive.effect
    @reactive.event(preview)
    def _forget() -> None:
        edits.set({})

    @reactive.calc
    def offered() -> list[str]:
        pv = preview()
        if pv is None:
            return []
        chosen = [*(input.characteristics() or ()), *(input.covariates() or ())]
        return levelled_columns(pv, chosen, input.group() or "")

    @reactive.effect
    def _offer() -> None:
        names = offered()
        with reactive.isolate():
            now = input.levels_column() or ""
        ui.update_select(
            "levels_column",
            choices={"": "Choose a characteristic…", **{n: n for n in names}},
            selected=now if now in names else "",
        )

    @reactive.effect
    @reactive.event(input.levels_column, ignore_init=True)
    def _column_changed() -> None:
        pv, column = preview(), input.levels_column() or ""
        if pv is None or not column:
            ui.update_text("levels_text", value="")
            return
        with reactive.isolate():
            known = edits().get(column) or _start(base(), pv, column)
        ui.update_text("levels_text", value=levels_text(known))

    @reactive.effect
    @reactive.event(input.levels_text, ignore_init=True)
    def _text_changed() -> None:
        pv, column = preview(), input.levels_column() or ""
        if pv is None or not column:
            return
        with reactive.isolate():
            now, start = dict(edits()), _start(base(), pv, column)
        levels = group_levels(pv, column, input.levels_text())
        if levels and levels != start:  # a column only looked at writes nothing
            now[column] = levels
        else:
            now.pop(column, None)
        edits.set(now)

    def chosen() -> tuple[tuple[str, Levels], ...]:
        names = offered()
        return tuple((c, levels) for c, levels in edits().items() if c in names)

    return chosen
