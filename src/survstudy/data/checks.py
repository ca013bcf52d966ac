"""Check the dates of a registry against each other, as SQL findings over the study table.

Duplicate or missing ids; an event before the origin; any date after death; last contact
before an event or the origin; dates after the cutoff (a note: the event is censored there);
dates in the future or before 1900; dates an endpoint needs but that are missing; an event flag
that disagrees with its date. Each check is a :class:`~survstudy.data.findings.Finding`;
:func:`~survstudy.data.findings.locate` turns them into problems naming file, row, column and
value (errors of patients the cohort excludes become warnings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from survstudy.config.models import StudyConfig
from survstudy.data.endpoints import cutoff_days
from survstudy.data.findings import Finding
from survstudy.data.sql import lit, q
from survstudy.data.typed import days, is_missing
from survstudy.errors import Severity

__all__ = ["FIRST_OF_ID", "check_dates", "starts_of"]

#: Study-table column: the position of the first row with the same patient id.
FIRST_OF_ID = "__first_of_id"

_DAY0 = dt.date(1970, 1, 1)
_YEAR_1900 = float((dt.date(1900, 1, 1) - _DAY0).days)


def _iso(column: str) -> str:
    """SQL of a date column as ISO text, for messages naming the other date."""
    return f"strftime({q(column)}, '%Y-%m-%d')"


def _against(template: str, column: str) -> str:
    """Message SQL: ``template`` with {} replaced by the ISO date of ``column``."""
    before, _, after = template.partition("{}")
    return f"{lit(before)} || {_iso(column)} || {lit(after)}"


def _after_cutoff(
    column: str, cutoff: float, message: str, severity: Severity = "error"
) -> list[Finding]:
    """Dates of ``column`` after the cutoff (none without a cutoff)."""
    if cutoff == float("inf"):
        return []
    return [Finding(column, f"{days(column)} > {lit(cutoff)}", lit(message), severity=severity)]


def starts_of(config: StudyConfig, censor_col: str) -> list[str]:
    """Names of the date-based endpoints censored at ``censor_col``."""
    last = config.follow_up.last_contact
    return [
        name
        for name, ep in config.endpoints.items()
        if ep.origin is not None and (ep.censor or last) == censor_col
    ]


def check_dates(
    config: StudyConfig,
    id_column: str,
    first_row: int,
    dates: list[str],
    flags: Mapping[str, tuple[str, str]],
    today: dt.date | None = None,
) -> list[Finding]:
    """Date-logic findings. ``flags`` maps a date column with a flag to (flag column, SQL of
    the flag's verdict per row: 1 event, 0 no event, -1 unknown value, NULL missing)."""
    c = config
    found: list[Finding] = []
    pid = q(id_column)
    found.append(
        Finding(id_column, f"{pid} IS NULL", lit("patient id is missing"), cohort_only=False)
    )
    found.append(
        Finding(
            id_column,
            f"{pid} IS NOT NULL AND __row > {FIRST_OF_ID}",
            f"'duplicate patient id: the same id is on row ' || ({FIRST_OF_ID} + {first_row}) "
            "|| '; give each patient one row'",
            cohort_only=False,
        )
    )
    limit = float(((today or dt.date.today()) - _DAY0).days)
    for col in dates:
        found.append(
            Finding(
                col, f"{days(col)} > {lit(limit)}", lit("date is in the future; check the year")
            )
        )
        found.append(
            Finding(
                col, f"{days(col)} < {lit(_YEAR_1900)}", lit("date is before 1900; check the year")
            )
        )

    cutoff = cutoff_days(c)
    death_col = c.follow_up.death
    if death_col and death_col in dates:
        # an origin before death is checked as "death before the origin"
        origins = {ep.origin for ep in c.endpoints.values() if death_col in (ep.events or [])}
        for col in dates:
            if col == death_col or col in origins:
                continue
            found.append(
                Finding(
                    col,
                    f"{days(col)} > {days(death_col)}",
                    _against(f"date is after the death date ({death_col} {{}})", death_col),
                )
            )

    for name, (flag_col, verdict) in flags.items():
        found.append(
            Finding(
                name,
                f"{verdict} = 1 AND {days(name)} IS NULL",
                lit(f"event with no date: {flag_col} says the event happened but {name} is empty"),
            )
        )
        found.append(
            Finding(
                name,
                f"{verdict} = 0 AND {days(name)} IS NOT NULL",
                lit(f"{flag_col} says the event did not happen, but a date is given; correct one"),
            )
        )
        found.append(
            Finding(
                flag_col,
                f"{verdict} = -1",
                lit(
                    f"not a value of the flag {c.variables[name].flag}; use 0/1, yes/no or "
                    "the codes given"
                ),
            )
        )

    starts: dict[str, list[str]] = {}  # origin column → endpoints starting there
    for ep_name, ep in c.endpoints.items():
        if ep.origin is None or ep.origin not in dates:
            continue
        starts.setdefault(ep.origin, []).append(ep_name)
        origin = days(ep.origin)
        censor_col = ep.censor or c.follow_up.last_contact
        has_contact = censor_col is not None and censor_col in dates
        events = [col for col in [*(ep.events or []), *(ep.competing or [])] if col in dates]
        for col in events:
            found.append(
                Finding(
                    col,
                    f"{days(col)} < {origin}",
                    _against(f"date is before the origin ({ep.origin} {{}})", ep.origin),
                )
            )
            found += _after_cutoff(
                col,
                cutoff,
                f"event after the cutoff ({c.follow_up.cutoff}): counted as censored at the cutoff",
                "note",
            )
            if has_contact:
                assert censor_col is not None
                is_death = col == death_col
                hint = (
                    "; for a patient who died, last contact is usually the death date"
                    if is_death
                    else "; an event is seen at a contact: correct one"
                )
                found.append(
                    Finding(
                        censor_col,
                        f"{days(col)} > {days(censor_col)}",
                        _against(f"last contact is before the {col} ({{}}){hint}", col),
                        severity="warning" if is_death else "error",
                    )
                )
        if has_contact:
            assert censor_col is not None
            no_event = " AND ".join(f"{days(col)} IS NULL" for col in events) or "TRUE"
            found.append(
                Finding(
                    censor_col,
                    f"{no_event} AND {is_missing(censor_col)}",
                    lit(
                        "date missing and no event date either: how long was the patient "
                        "followed? (needed to censor " + ", ".join(starts_of(c, censor_col)) + ")"
                    ),
                )
            )
            found.append(
                Finding(
                    censor_col,
                    f"{days(censor_col)} < {origin}",
                    _against(f"last contact is before the origin ({ep.origin} {{}})", ep.origin),
                )
            )
    for col, names in starts.items():
        found.append(
            Finding(
                col,
                is_missing(col),
                lit(f"date missing; needed as the origin of {', '.join(names)}"),
            )
        )
        found += _after_cutoff(
            col,
            cutoff,
            f"origin of {', '.join(names)} is after the cutoff ({c.follow_up.cutoff}); exclude "
            "the patient with a [[cohort]] step or correct the date",
        )
    return found
