"""What the user chose in the app's forms, and the study file those choices make.

:class:`Choices` holds the answers to the forms (which column is the patient id, how survival
time is recorded, what to compare). :func:`build_config` turns them into a
:class:`~survstudy.config.StudyConfig`, the same object a study file holds, so the app runs
exactly what ``survstudy report`` would run on the study file it offers for download.
:func:`guess_choices` proposes answers from the column names of an upload;
:func:`choices_from_config` fills the forms from a bundled example's study file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from survstudy.config.models import (
    Adjustment,
    Analysis,
    CohortStep,
    DataSection,
    Endpoint,
    FollowUp,
    StudyConfig,
    StudySection,
    TimeUnit,
    Variable,
)
from survstudy.engine.dialect import CsvDialect, dialect_keys
from survstudy.engine.events import EventSpec
from survstudy.web.preview import DataPreview

__all__ = [
    "DATE_FORMATS",
    "Choices",
    "ContinuousTest",
    "Levels",
    "Mode",
    "base_levels",
    "build_config",
    "choices_from_config",
    "derived_columns",
    "endpoint_name",
    "fit_levels",
    "guess_choices",
    "levels_text",
    "likely_event_codes",
    "parse_levels",
    "readable_label",
]

Mode = Literal["dates", "ready"]
ContinuousTest = Literal["auto", "nonparametric", "parametric"]
#: Levels of one column in the order to show them: (value in the registry, label).
Levels = tuple[tuple[str, str], ...]

#: How dates may be written, as offered in the form: format → description.
DATE_FORMATS: dict[str, str] = {
    "": "2011-12-30 or 30 Dec 2011",
    "%d/%m/%Y": "30/12/2011 (day first)",
    "%m/%d/%Y": "12/30/2011 (month first)",
    "%d.%m.%Y": "30.12.2011 (day first)",
    "%d-%m-%Y": "30-12-2011 (day first)",
}

#: Short names of the usual outcomes (they name the derived columns: ``os_time``).
_SHORT_NAMES = {
    "overall survival": "os",
    "recurrence-free survival": "rfs",
    "relapse-free survival": "rfs",
    "disease-free survival": "dfs",
    "progression-free survival": "pfs",
    "event-free survival": "efs",
    "disease-specific survival": "dss",
    "cancer-specific survival": "css",
}


#: Short column names that are words, not abbreviations (``sex`` is "Sex", ``er`` is "ER").
_SHORT_WORDS = {"age", "sex", "arm", "day", "leg", "eye", "ear", "bed", "run", "set", "id"}


@dataclass(frozen=True)
class Choices:
    """The answers to the app's forms (empty text means "not chosen")."""

    title: str = "Survival study"
    id_column: str = ""
    mode: Mode = "dates"
    origin: str = ""
    event_dates: tuple[str, ...] = ()
    last_contact: str = ""
    cutoff: dt.date | None = None
    date_format: str = ""
    time_column: str = ""
    time_column_unit: TimeUnit = "days"
    event_column: str = ""
    event_codes: tuple[str, ...] = ()
    outcome: str = "Overall survival"
    time_unit: TimeUnit = "months"
    group: str = ""
    characteristics: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    #: The comparison groups in the order to show them: (value in the registry, label).
    group_levels: tuple[tuple[str, str], ...] = ()
    landmark_years: tuple[float, ...] = (1.0, 3.0, 5.0)
    endpoint: str = ""
    sheet: str | None = None
    #: Competing events: their date columns (dates mode), or a status column and the codes
    #: meaning the competing event (ready-made mode; may be the event's own column).
    competing_dates: tuple[str, ...] = ()
    competing_column: str = ""
    competing_codes: tuple[str, ...] = ()
    #: An adjusted comparison (IPTW): the treatment column, its treated value, the
    #: confounders and the estimand; no ``[adjustment]`` until all three are chosen.
    treatment: str = ""
    treated: str = ""
    confounders: tuple[str, ...] = ()
    estimand: Literal["ate", "att"] = "ate"
    #: The ``[[cohort]]`` inclusion steps, in order (None keeps the base study file's).
    cohort: tuple[CohortStep, ...] | None = None
    #: Order and labels of other categorical columns (characteristics, covariates).
    variable_levels: tuple[tuple[str, Levels], ...] = ()
    #: ``[analysis] continuous_test`` (None keeps the base study file's).
    continuous_test: ContinuousTest | None = None

    def missing(self) -> list[str]:
        """What must still be chosen before an analysis can run, in the forms' words."""
        out = []
        if not self.id_column:
            out.append("the column that identifies each patient")
        if self.mode == "dates":
            if not self.origin:
                out.append("the date follow-up starts")
            if not self.event_dates:
                out.append("the date of the event")
            if not self.last_contact:
                out.append("the date of last contact")
        else:
            if not self.time_column:
                out.append("the column with the follow-up time")
            if not self.event_column:
                out.append("the column saying whether the event happened")
            elif not self.event_codes:
                out.append("which value of the status column means the event happened")
        if not self.landmark_years:
            out.append("at least one time to read survival at")
        if self.treatment and not self.treated:
            out.append("which value of the treatment column means treated")
        if self.treatment and not self.confounders:
            out.append("the confounders to adjust the treatment comparison for")
        return out

    def competing(self) -> list[str] | None:
        """The endpoint's ``competing`` key (None without a competing event)."""
        if self.mode == "dates":
            return list(self.competing_dates) or None
        if not self.competing_column:
            return None
        codes = ",".join(self.competing_codes)
        return [f"{self.competing_column}={codes}" if codes else self.competing_column]

    def adjustment(self) -> Adjustment | None:
        """The ``[adjustment]`` section the choices describe (None until complete)."""
        if not (self.treatment and self.treated and self.confounders):
            return None
        return Adjustment(
            treatment=self.treatment,
            treated=self.treated,
            covariates=[c for c in self.confounders if c != self.treatment],
            estimand=self.estimand,
        )


def readable_label(column: str) -> str:
    """A label from a column name: ``death_date`` → "Date of death", ``age_years`` →
    "Age (years)", ``er`` → "ER"."""
    words = [w for w in re.split(r"[_\s.]+", column.strip()) if w]
    if not words:
        return column
    if (
        len(words) == 1
        and len(words[0]) <= 3
        and words[0].isalpha()
        and words[0].lower() not in _SHORT_WORDS
    ):
        return words[0].upper()  # an abbreviation: ER, PR, BMI
    lower = [w.lower() for w in words]
    if len(lower) > 1 and lower[-1] == "date":
        return "Date of " + " ".join(words[:-1])
    if len(lower) > 1 and lower[0] == "date":
        return "Date of " + " ".join(words[1:])
    if len(lower) > 1 and lower[-1] in ("years", "months", "days", "mm", "cm", "kg", "mg"):
        text = " ".join(words[:-1]) + f" ({lower[-1]})"
    else:
        text = " ".join(words)
    return text[:1].upper() + text[1:]


def parse_levels(text: str) -> tuple[tuple[str, str], ...]:
    """The groups' order and names from the form's text: ``well = Well differentiated,
    moderate, poor = Poorly differentiated`` (a value without ``=`` keeps its own name)."""
    out: list[tuple[str, str]] = []
    for part in text.split(","):
        code, _, label = part.partition("=")
        code, label = code.strip(), label.strip()
        if code and code not in (c for c, _ in out):
            out.append((code, label or code))
    return tuple(out)


def base_levels(var: Variable | None) -> tuple[tuple[str, str], ...]:
    """A study file's levels of a variable with their labels, () when it lists none."""
    if var is None or not var.levels:
        return ()
    labels = var.labels or {}
    return tuple((code, labels.get(code, code)) for code in var.levels)


def fit_levels(
    levels: Sequence[tuple[str, str]], values: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """``levels`` kept to the column's ``values``; values not listed follow, in their order."""
    kept = [(c, label) for c, label in levels if c in values]
    listed = {c for c, _ in kept}
    return tuple(kept + [(v, v) for v in values if v not in listed])


def levels_text(levels: Sequence[tuple[str, str]]) -> str:
    """The form's text for ``levels`` (the inverse of :func:`parse_levels`)."""
    return ", ".join(code if label == code else f"{code} = {label}" for code, label in levels)


def endpoint_name(outcome: str, taken: Sequence[str] = ()) -> str:
    """A short name for the endpoint ("os" for overall survival) not clashing with columns.

    The endpoint makes columns ``NAME_time`` and ``NAME_event``; a registry that already has
    such columns gets ``NAME_2`` and so on.
    """
    base = _SHORT_NAMES.get(outcome.strip().lower())
    if base is None:
        base = re.sub(r"[^a-z0-9]+", "_", outcome.lower()).strip("_")[:30] or "survival"
        if base[0].isdigit():
            base = "e_" + base
    name, n = base, 1
    while f"{name}_time" in taken or f"{name}_event" in taken or name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _first(names: Sequence[str], patterns: Sequence[str], exclude: Sequence[str] = ()) -> str:
    """The first name matching the earliest pattern (patterns in order of preference)."""
    for pattern in patterns:
        rx = re.compile(pattern, re.IGNORECASE)
        for name in names:
            if name not in exclude and rx.search(name):
                return name
    return ""


def likely_event_codes(values: Sequence[str]) -> tuple[str, ...]:
    """Values that plainly mean the event (1, yes, dead...) among a status column's values."""
    plain = EventSpec("x")
    yes = tuple(v for v in values if plain.classify(v) is True)
    if yes:
        return yes
    words = re.compile(r"^(dead|died|death|deceased|event|relapse|recurr|progress)", re.I)
    return tuple(v for v in values if words.search(v))


def guess_choices(preview: DataPreview, title: str = "Survival study") -> Choices:
    """Proposed answers for an upload, from its column names (the user checks them)."""
    names = list(preview.names)
    dates = list(preview.date_columns)
    id_column = _first(names, [r"^(patient_?)?id$", r"(^|_)(pid|mrn|id)$", r"patient", r"(^|_)id"])
    choices = Choices(
        title=title, id_column=id_column or (names[0] if names else ""), sheet=preview.sheet
    )
    if len(dates) >= 2:
        origin = _first(
            dates,
            [
                r"resection",
                r"operation|surgery|transplant",
                r"diagnos",
                r"treat|therapy|random|start|entry|inclusion|baseline",
            ],
        )
        event = _first(dates, [r"death|died|dod|deceased"], exclude=[origin])
        contact = _first(dates, [r"last|contact|follow|fu_|alive|censor"], exclude=[origin, event])
        ambiguous = any(c.ambiguous_dates for c in preview.columns if c.is_date)
        return replace(
            choices,
            mode="dates",
            origin=origin or dates[0],
            event_dates=(event,) if event else (),
            last_contact=contact,
            date_format="%d/%m/%Y" if ambiguous else "",
        )
    numbers = [c.name for c in preview.columns if c.is_number]
    time = _first(numbers, [r"^(os|survival|surv|follow)", r"time|days|months|years|fu"])
    flags = [c.name for c in preview.columns if 2 <= c.n_distinct <= 3]
    event = _first(flags, [r"status|event|died|dead|death|censor|vital"])
    info = preview.column(event)
    return replace(
        choices,
        mode="ready",
        time_column=time,
        event_column=event,
        event_codes=likely_event_codes(info.values) if info else (),
        time_column_unit=_unit_from_name(time),
    )


def _unit_from_name(column: str) -> TimeUnit:
    lower = column.lower()
    if "month" in lower:
        return "months"
    if "year" in lower:
        return "years"
    return "days"


def choices_from_config(
    config: StudyConfig, values: Mapping[str, Sequence[str]] | None = None
) -> Choices:
    """The forms filled from a study file (a bundled example): its first analysed endpoint.

    ``values`` (column → its values) turns a bare 0/1 event column into the codes meaning
    the event.
    """
    a = config.analysis
    names = config.analysis_endpoints
    name = names[0] if names else ""
    ep = config.endpoints.get(name, Endpoint())
    choices = Choices(
        title=config.study.title,
        id_column=config.data.id,
        time_unit=config.study.time_unit,
        outcome=ep.label or name,
        endpoint=name,
        group=a.groups or "",
        characteristics=tuple(a.characteristics),
        covariates=tuple(a.covariates),
        group_levels=base_levels(config.variables.get(a.groups or "")),
        landmark_years=tuple(a.landmark_years),
        date_format=config.data.date_format or "",
        cutoff=config.follow_up.cutoff,
        sheet=None if config.data.sheet is None else str(config.data.sheet),
        cohort=tuple(config.cohort),
        variable_levels=tuple(
            (v, base_levels(config.variables.get(v)))
            for v in dict.fromkeys([*a.characteristics, *a.covariates])
            if v != a.groups and base_levels(config.variables.get(v))
        ),
        continuous_test=a.continuous_test,
    )
    adj = config.adjustment
    if adj is not None:
        choices = replace(
            choices,
            treatment=adj.treatment,
            treated=str(adj.treated),
            confounders=tuple(adj.covariates),
            estimand=adj.estimand,
        )
    if ep.time is not None and ep.event is not None:
        spec = EventSpec.parse(ep.event)
        codes = spec.codes or likely_event_codes((values or {}).get(spec.column, ("0", "1")))
        other = EventSpec.parse(ep.competing[0]) if ep.competing else None
        return replace(
            choices,
            mode="ready",
            time_column=ep.time,
            time_column_unit=ep.unit or config.study.time_unit,
            event_column=spec.column,
            event_codes=tuple(codes),
            competing_column=other.column if other else "",
            competing_codes=tuple(other.codes or ()) if other else (),
        )
    return replace(
        choices,
        mode="dates",
        origin=ep.origin or "",
        event_dates=tuple(ep.events or ()),
        competing_dates=tuple(ep.competing or ()),
        last_contact=ep.censor or config.follow_up.last_contact or "",
    )


def derived_columns(config: StudyConfig) -> dict[str, str]:
    """Columns a study file derives from dates (interval times and flags) → their labels."""
    out: dict[str, str] = {}
    for name, iv in config.intervals.items():
        out[name] = iv.label or name
        if iv.flag:
            out[iv.flag] = iv.flag_label or iv.flag
    return out


def _with_labels(
    base: StudyConfig, choices: Choices, preview: DataPreview | None
) -> dict[str, Variable]:
    """The base variables, plus a readable label (and for groups, a categorical type) for
    every chosen registry column the base does not describe."""
    out = dict(base.variables)
    derived = derived_columns(base)
    for column, levels in [(choices.group, choices.group_levels), *choices.variable_levels]:
        known = out.get(column)
        if column and levels and levels != base_levels(known):
            known = known or Variable(label=readable_label(column), type="categorical")
            out[column] = known.model_copy(
                update={
                    "type": known.type or "categorical",
                    "levels": [code for code, _ in levels],
                    "labels": {code: label for code, label in levels if label != code} or None,
                }
            )
    used = [choices.group, *choices.characteristics, *choices.covariates]
    used += [choices.treatment, *choices.confounders]
    if choices.mode == "dates":
        used += [choices.origin, *choices.event_dates, *choices.competing_dates]
        used += [choices.last_contact]
    for column in dict.fromkeys(c for c in used if c):
        if column in out or column in derived:
            continue  # described already, or labelled where it is derived
        info = preview.column(column) if preview is not None else None
        if info is None and preview is not None:
            continue
        categorical = column == choices.group or (
            info is not None and not info.is_number and not info.is_date and info.n_distinct <= 20
        )
        out[column] = Variable(
            label=readable_label(column), type="categorical" if categorical else None
        )
    return out


def build_config(
    choices: Choices,
    *,
    source: str,
    base: StudyConfig | None = None,
    preview: DataPreview | None = None,
    dictionary: str | None = None,
    dialect: CsvDialect | None = None,
) -> StudyConfig:
    """The study configuration the choices describe, reading the registry at ``source``.

    ``base`` (a bundled example's study file) keeps what the forms do not show: variable
    labels and levels, inclusion steps (unless ``choices.cohort`` gives them), intervals, other
    endpoints, report settings and published numbers. Columns the base does not describe get
    readable labels.
    ``dictionary``: the name of a REDCap data dictionary read with the registry.
    ``dialect``: how the CSV file is written (``[data] delimiter``, ``decimal``, ``encoding``).
    """
    base = base or StudyConfig(data=DataSection(source=source, id=choices.id_column))
    taken = [] if preview is None else list(preview.names)
    name = choices.endpoint or endpoint_name(choices.outcome, taken)
    label = choices.outcome.strip() or "Survival"
    if choices.mode == "dates":
        endpoint = Endpoint(
            label=label,
            origin=choices.origin or None,
            events=list(choices.event_dates) or None,
            competing=choices.competing(),
        )
        follow_up = FollowUp(
            cutoff=choices.cutoff,
            last_contact=choices.last_contact or None,
            death=base.follow_up.death,
        )
    else:
        codes = ",".join(choices.event_codes)
        event = f"{choices.event_column}={codes}" if codes else choices.event_column
        endpoint = Endpoint(
            label=label,
            time=choices.time_column or None,
            event=event or None,
            competing=choices.competing(),
            unit=choices.time_column_unit,
        )
        follow_up = base.follow_up
    others = {k: v for k, v in base.endpoints.items() if k != name}
    analysed = [k for k in base.analysis_endpoints if k != name and k in others]
    data = base.data.model_copy(
        update={
            "source": source,
            "id": choices.id_column,
            "sheet": choices.sheet if source.lower().endswith((".xlsx", ".xlsm")) else None,
            "date_format": choices.date_format or None,
            "dictionary": dictionary or base.data.dictionary,
            **dialect_keys(dialect),
        }
    )
    return base.model_copy(
        update={
            "study": StudySection(
                title=choices.title.strip() or "Survival study", time_unit=choices.time_unit
            ),
            "data": data,
            "follow_up": follow_up,
            "variables": _with_labels(base, choices, preview),
            "endpoints": {name: endpoint, **others},
            "analysis": Analysis(
                groups=choices.group or None,
                also_by=[v for v in base.analysis.also_by if v != choices.group],
                characteristics=[v for v in choices.characteristics if v != choices.group],
                endpoints=[name, *analysed],
                landmark_years=sorted(set(choices.landmark_years)),
                covariates=list(choices.covariates),
                continuous_test=choices.continuous_test or base.analysis.continuous_test,
            ),
            "cohort": base.cohort if choices.cohort is None else list(choices.cohort),
            "adjustment": choices.adjustment(),
        }
    )
