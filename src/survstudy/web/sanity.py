"""Checks of the app's choices that a study file alone would not catch.

A form lets a first-time user pick anything: a date of death as the comparison group, age as
the follow-up time, the date of last contact as the event date. These functions say which
columns can be offered where, refuse groups that cannot be groups, and turn implausible
mappings into warnings shown with the data checks (they never change a number; the user
decides). They read only the upload's :class:`~survstudy.web.preview.DataPreview` and, after
the analysis, its results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from survstudy.errors import Problem
from survstudy.web.choices import Choices
from survstudy.web.preview import ColumnInfo, DataPreview

if TYPE_CHECKING:
    from survstudy.study.analysis import StudyResults

__all__ = [
    "MAX_GROUPS",
    "choice_notes",
    "group_candidates",
    "group_refusal",
    "left_out_notes",
    "without_group_characteristic",
]

#: More levels than this cannot be compared group by group in a small series.
MAX_GROUPS = 10

_ID = re.compile(
    r"(^|_)(id|pid|mrn|nr|no|number|case|code|key)$|^patient$|^(patient|case)_?id", re.I
)
_OUTCOME = re.compile(
    r"died|dead|death|deceased|status|event|recur|relapse|progress|vital|censor|alive", re.I
)
_AGE = re.compile(r"(^|_)age(_|$)|^age", re.I)
_BIRTH = re.compile(r"birth|(^|_)dob($|_)|born", re.I)
_CONTACT = re.compile(r"last|contact|follow|(^|_)fu($|_)|alive|censor|seen|visit", re.I)


def _mapped(c: Choices) -> set[str]:
    """Columns used for the follow-up time and the event (they cannot be groups)."""
    if c.mode == "dates":
        return {c.origin, *c.event_dates, c.last_contact} - {""}
    return {c.time_column, c.event_column} - {""}


def group_refusal(info: ColumnInfo) -> str | None:
    """Why ``info`` cannot be a comparison group, or None when it can.

    A group needs at least two levels with two patients or more, and at most
    :data:`MAX_GROUPS` levels; a column where most levels hold a single patient (a date, an
    id, a measurement) is a list of patients, not a grouping.
    """
    if info.is_date:
        return f"'{info.name}' holds dates; a date is not a group"
    if info.n_distinct < 2:
        return f"'{info.name}' has a single value; there is nothing to compare"
    if info.n_distinct > MAX_GROUPS:
        return (
            f"'{info.name}' has {info.n_distinct} different values; at most {MAX_GROUPS} "
            "groups can be compared (group the values in the registry first)"
        )
    if info.n_filled and info.n_distinct * 2 > info.n_filled:
        return (
            f"'{info.name}' has {info.n_distinct} different values in {info.n_filled} "
            "patients: most groups would hold one patient"
        )
    return None


def group_candidates(pv: DataPreview, c: Choices, derived: Sequence[str] = ()) -> list[str]:
    """Columns offered as comparison groups: not the id, not a date, not a column used for
    the follow-up time or the event or named like an outcome (died, status, recurrence), and
    fit to be a group (:func:`group_refusal`)."""
    skip = _mapped(c) | {c.id_column}
    out = [
        col.name
        for col in pv.columns
        if col.name not in skip
        and not _ID.search(col.name)
        and not _OUTCOME.search(col.name)
        and group_refusal(col) is None
    ]
    return [*out, *[d for d in derived if d not in out]]


def without_group_characteristic(c: Choices) -> tuple[Choices, list[Problem]]:
    """The choices without the comparison column among the characteristics (the table
    compares by it: it cannot also be a row), and a note saying so."""
    if not c.group or c.group not in c.characteristics:
        return c, []
    kept = tuple(x for x in c.characteristics if x != c.group)
    note = Problem(
        f"'{c.group}' is the comparison group, so it is not also listed as a characteristic "
        "(the table's columns are its groups).",
        column=c.group,
        severity="note",
    )
    return replace(c, characteristics=kept), [note]


def _number_range(info: ColumnInfo) -> tuple[float, float] | None:
    if not info.is_number or not info.values:
        return None
    numbers = sorted(float(v) for v in info.values)
    return numbers[0], numbers[-1]


def choice_notes(c: Choices, pv: DataPreview) -> list[Problem]:
    """Warnings about implausible mappings and a group that cannot be a group."""
    out: list[Problem] = []

    def warn(message: str, column: str, severity: str = "warning") -> None:
        out.append(Problem(message, column=column, severity=severity))  # type: ignore[arg-type]

    if c.group:
        info = pv.column(c.group)
        reason = group_refusal(info) if info is not None else None
        if reason is not None:
            warn(
                f"The groups cannot be compared: {reason}. Choose another column.", c.group, "error"
            )
        elif c.group in _mapped(c) or c.group == c.id_column:
            warn(
                f"'{c.group}' is used for the follow-up time, the event or the patient id; "
                "it cannot also be the comparison group.",
                c.group,
                "error",
            )
    if c.mode == "ready" and c.time_column:
        info = pv.column(c.time_column)
        span = _number_range(info) if info is not None else None
        if _AGE.search(c.time_column) and span is not None and span[0] >= 0 and span[1] <= 120:
            warn(
                f"'{c.time_column}' looks like the patients' age, not the time from the start "
                "of follow-up to the event or last contact. Check the follow-up time column.",
                c.time_column,
            )
    if c.mode == "dates":
        if c.origin and _BIRTH.search(c.origin):
            warn(
                f"Follow-up starts at '{c.origin}', which looks like a date of birth: survival "
                "would be measured from birth (an age). Choose the date of diagnosis, "
                "operation or treatment.",
                c.origin,
            )
        if c.last_contact and c.last_contact in c.event_dates:
            warn(
                f"'{c.last_contact}' is both the event date and the date of last contact: "
                "every patient would have the event.",
                c.last_contact,
            )
        for name in c.event_dates:
            if (
                name != c.last_contact
                and _CONTACT.search(name)
                and not re.search(r"death|died|dod|recur|relapse|progress", name, re.I)
            ):
                warn(
                    f"The event date '{name}' looks like a date of last contact or follow-up, "
                    "not the date of the event.",
                    name,
                )
            if _BIRTH.search(name):
                warn(f"The event date '{name}' looks like a date of birth.", name)
    return out


def left_out_notes(results: StudyResults, c: Choices) -> list[Problem]:
    """After the analysis: patients the comparison left out, and an event for everyone."""
    out: list[Problem] = []
    for ep in results.endpoints:
        overall = ep.overall.curves[0]
        n, events = round(overall.n), round(overall.events)  # counts (floats when weighted)
        if n >= 5 and events == n:
            column = c.event_dates[0] if c.mode == "dates" and c.event_dates else c.event_column
            out.append(
                Problem(
                    f"Every patient ({n}) had the event for {ep.label}: no one is censored. "
                    "Check that the event (date or code) is not the date of last contact or a "
                    "value every patient has.",
                    column=column or None,
                    severity="warning",
                )
            )
        main = ep.main
        if main is None:
            continue
        compared = round(sum(curve.n for curve in main.km.curves))
        if compared < n:
            out.append(
                Problem(
                    f"The comparison by '{main.variable}' ({ep.label}) includes {compared} of "
                    f"{n} patients: {n - compared} have no value in "
                    f"'{main.variable}' and are left out of the comparison (they are in the "
                    "overall curve).",
                    column=main.variable,
                    severity="warning",
                )
            )
    return out
