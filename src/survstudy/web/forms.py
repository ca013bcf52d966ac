"""Filling the forms: column choices (likely ones first, with their labels) and answers.

Called from the server after a registry is read, with the proposed :class:`Choices` (guessed
from column names, or taken from a bundled example's study file).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from shiny import ui

from survstudy.config.models import StudyConfig
from survstudy.config.parse import load_config
from survstudy.web import layout
from survstudy.web.choices import Choices, derived_columns
from survstudy.web.preview import DataPreview
from survstudy.web.sanity import group_candidates

__all__ = ["derived_columns_of", "example_study", "fill_forms"]


def example_study(name: str) -> tuple[StudyConfig, Path]:
    """A bundled example's study configuration and its registry file."""
    study_path = Path(str(files("survstudy").joinpath(f"examples/{name}/study.toml")))
    study = load_config(study_path)
    return study.config, Path(study.resolve(study.config.data.source))


def derived_columns_of(config: StudyConfig | None) -> dict[str, str]:
    """Columns the study file derives (interval times and flags), none without one."""
    return derived_columns(config) if config is not None else {}


def _labelled(names: list[str], config: StudyConfig | None) -> dict[str, str]:
    """Column → "Label (column)" where the study file labels it, else the column."""
    labels = derived_columns_of(config)
    for name, var in (config.variables if config else {}).items():
        if var.label:
            labels[name] = var.label
    return {n: f"{labels[n]} ({n})" if n in labels and labels[n] != n else n for n in names}


def _grouped(
    first: list[str], rest: list[str], first_label: str, labels: dict[str, str]
) -> dict[str, Any]:
    """Select choices with the likely columns first, in their own group."""
    out: dict[str, Any] = {}
    if first:
        out[first_label] = {n: labels.get(n, n) for n in first}
    others = [n for n in rest if n not in first]
    if others:
        out["Other columns"] = {n: labels.get(n, n) for n in others}
    return out


def fill_forms(c: Choices, pv: DataPreview, example: StudyConfig | None) -> None:
    """Offer ``pv``'s columns in every form field and select the answers ``c`` proposes."""
    names = list(pv.names)
    labels = _labelled(names, example)
    dates = list(pv.date_columns)
    numbers = [col.name for col in pv.columns if col.is_number]
    few = [col.name for col in pv.columns if 2 <= col.n_distinct <= 10]
    choose = {"": "Choose a column…"}
    ui.update_select("id_column", choices=labels, selected=c.id_column)
    ui.update_radio_buttons("mode", selected=c.mode)
    date_choices = _grouped(dates, names, "Columns holding dates", labels)
    ui.update_select("origin", choices={**choose, **date_choices}, selected=c.origin)
    ui.update_selectize("event_dates", choices=date_choices, selected=list(c.event_dates))
    ui.update_selectize("competing_dates", choices=date_choices, selected=list(c.competing_dates))
    ui.update_select("last_contact", choices={**choose, **date_choices}, selected=c.last_contact)
    ui.update_checkbox("use_cutoff", value=c.cutoff is not None)
    if c.cutoff is not None:
        ui.update_date("cutoff", value=c.cutoff)
    ui.update_select("date_format", selected=c.date_format)
    ui.update_select(
        "time_column",
        choices={**choose, **_grouped(numbers, names, "Numbers", labels)},
        selected=c.time_column,
    )
    ui.update_select("time_column_unit", selected=c.time_column_unit)
    status = _grouped(few, names, "Few values", labels)
    _fill_status(pv, "event", {**choose, **status}, c.event_column, c.event_codes)
    none = {"": "None: no competing event"}
    _fill_status(pv, "competing", {**none, **status}, c.competing_column, c.competing_codes)
    ui.update_text("outcome", value=c.outcome)
    ui.update_radio_buttons("time_unit", selected=c.time_unit)
    derived = derived_columns_of(example)
    group_names = group_candidates(pv, c, list(derived))
    if c.group and c.group not in group_names:
        group_names.append(c.group)  # an example's own grouping (a derived flag) stays
    all_labels = _labelled([*names, *derived], example)
    ui.update_select(
        "group",
        choices={
            "": "No comparison (all patients together)",
            **{n: all_labels.get(n, n) for n in group_names},
        },
        selected=c.group,
    )
    ui.update_selectize(
        "characteristics",
        choices={n: all_labels[n] for n in [*names, *derived] if n != c.id_column},
        selected=list(c.characteristics),
    )
    ui.update_selectize(
        "covariates",
        choices={n: all_labels[n] for n in [*names, *derived] if n != c.id_column},
        selected=list(c.covariates),
    )
    ui.update_radio_buttons("continuous_test", selected=c.continuous_test or "auto")
    _fill_adjustment(c, pv, few, all_labels, [*names, *derived])
    landmarks = dict(layout.LANDMARK_CHOICES)
    for t in c.landmark_years:
        landmarks.setdefault(f"{t:g}", f"{t:g} years")
    ui.update_checkbox_group(
        "landmarks",
        choices=landmarks,
        selected=[f"{t:g}" for t in c.landmark_years],
        inline=True,
    )
    ui.update_text("title", value=c.title)


def _fill_status(
    pv: DataPreview, field: str, choices: dict[str, Any], column: str, codes: tuple[str, ...]
) -> None:
    """A status column (``FIELD_column``) and the codes it is read with (``FIELD_codes``)."""
    ui.update_select(f"{field}_column", choices=choices, selected=column)
    info = pv.column(column)
    ui.update_selectize(
        f"{field}_codes", choices=list(info.values) if info else [], selected=list(codes)
    )


def _fill_adjustment(
    c: Choices, pv: DataPreview, few: list[str], labels: dict[str, str], columns: list[str]
) -> None:
    """Step 4: treatments are columns with few values; confounders any column but the id."""
    treatments = {n: labels.get(n, n) for n in few if n != c.id_column}
    if c.treatment and c.treatment not in treatments:
        treatments[c.treatment] = labels.get(c.treatment, c.treatment)
    ui.update_select(
        "treatment",
        choices={"": "None: no adjusted comparison", **treatments},
        selected=c.treatment,
    )
    info = pv.column(c.treatment)
    ui.update_select("treated", choices=list(info.values) if info else [], selected=c.treated)
    ui.update_selectize(
        "confounders",
        choices={n: labels.get(n, n) for n in columns if n != c.id_column},
        selected=list(c.confounders),
    )
    ui.update_radio_buttons("estimand", selected=c.estimand)
