"""Check a registry against its study file, finding every problem at once.

Two passes. :func:`clean_registry` types each column (missing-value codes, numbers,
categories with their declared levels, dates) and notes every value it cannot use.
:func:`check_registry` then checks the dates against each other: duplicate ids; an event before
the origin; recurrence (or any date) after death; last contact before an event or the origin;
dates after the cutoff (a note: the event is censored at the cutoff); dates in the future or
before 1900; dates an endpoint needs but that are missing; an event flag with no date.

Findings are kept as masks over the registry rows; :func:`to_problems` turns them into
:class:`Problem` s naming file, row, column and value. Errors stop an analysis, warnings and
notes do not; a data error in a patient the cohort excludes is only a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.config import Key, StudyFile, did_you_mean
from survstudy.data.dates import MISSING, OK, days_to_date, parse_dates
from survstudy.data.endpoints import DerivedEndpoint, cutoff_days
from survstudy.data.events import EventSpec
from survstudy.data.registry import Registry, text_values
from survstudy.errors import Problem, Severity

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Cleaned",
    "Finding",
    "check_registry",
    "clean_registry",
    "date_columns",
    "to_problems",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
_DAY0 = dt.date(1970, 1, 1)
_YEAR_1900 = float((dt.date(1900, 1, 1) - _DAY0).days)


@dataclass(frozen=True)
class Finding:
    """A problem shared by some registry rows of one column (``mask``)."""

    column: str
    mask: BoolArray
    message: Any  # str, or indexable by row giving the message of that row
    severity: Severity = "error"
    values: Any = None
    cohort_only: bool = True  # downgraded to a warning for patients the cohort excludes


@dataclass(frozen=True)
class Cleaned:
    """Typed columns, date columns as day numbers (and where truly empty), what is unusable."""

    frame: pd.DataFrame
    dates: dict[str, FloatArray]
    date_missing: dict[str, BoolArray]
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def date_columns(study: StudyFile) -> dict[str, Key]:
    """Every column read as a date, with the study-file key that makes it one."""
    c = study.config
    out: dict[str, Key] = {}
    for name, var in c.variables.items():
        if var.type == "date":
            out.setdefault(name, ("variables", name))
    for key in ("last_contact", "death"):
        col = getattr(c.follow_up, key)
        if col:
            out.setdefault(col, ("follow_up", key))
    for name, ep in c.endpoints.items():
        if ep.origin:
            out.setdefault(ep.origin, ("endpoints", name, "origin"))
        for i, col in enumerate(ep.events or []):
            out.setdefault(col, ("endpoints", name, "events", i))
        if ep.censor:
            out.setdefault(ep.censor, ("endpoints", name, "censor"))
    for name, iv in c.intervals.items():
        out.setdefault(iv.start, ("intervals", name, "start"))
        out.setdefault(iv.end, ("intervals", name, "end"))
    return out


class _DateReasons:
    """Per-row date messages, built only for the rows a problem lists."""

    def __init__(self, parsed: Any) -> None:
        self.parsed = parsed

    def __getitem__(self, i: int) -> str:
        return f"date {self.parsed.reason(i)}"


def _missing_codes(values: pd.Series, codes: set[str]) -> pd.Series:
    if not codes:
        return values
    text = text_values(values)
    hit = np.isin(text.astype(str), list(codes)) & (text != None)  # noqa: E711
    return values.where(~hit, None) if hit.any() else values


def clean_registry(study: StudyFile, registry: Registry) -> Cleaned:
    """Type every column of ``registry`` as the study file declares (or as its values allow)."""
    import pandas as pd

    c = study.config
    dates_needed = date_columns(study)
    problems = [
        study.problem(key, f"column '{col}' is not in the data" + _hint(col, registry), col)
        for col, key in dates_needed.items()
        if col not in registry.frame.columns
    ]
    for name, var in c.variables.items():
        if name not in registry.frame.columns and name not in dates_needed:
            problems.append(
                study.problem(
                    ("variables", name),
                    f"variable '{name}' is not a column of the data" + _hint(name, registry),
                    name,
                )
            )
        if var.flag and EventSpec.parse(var.flag).column not in registry.frame.columns:
            problems.append(
                study.problem(
                    ("variables", name, "flag"),
                    "flag column not in the data" + _hint(var.flag, registry),
                    var.flag,
                )
            )
    out: dict[str, Any] = {}
    dates: dict[str, FloatArray] = {}
    missing: dict[str, BoolArray] = {}
    findings: list[Finding] = []
    for col in registry.frame.columns:
        declared = c.variables.get(col)
        raw = registry.frame[col]
        if col == registry.id_column:
            out[col] = registry.ids
            continue
        raw = _missing_codes(raw, set(c.data.missing) | set(declared.missing if declared else []))
        kind = (declared.type if declared else None) or ("date" if col in dates_needed else None)
        if kind == "date":
            system = (
                c.data.excel_date_system or registry.excel_system.get(registry.origin[col]) or 1900
            )
            fmt = (declared.format if declared else None) or c.data.date_format
            parsed = parse_dates(raw, format=fmt, excel_system=system)
            bad = (parsed.code != OK) & (parsed.code != MISSING)
            if bad.any():
                findings.append(Finding(col, bad, _DateReasons(parsed)))
            if (
                parsed.serials
                and c.data.excel_date_system is None
                and registry.excel_system.get(registry.origin[col]) is None
            ):
                problems.append(
                    Problem(
                        f"{parsed.serials} value(s) read as Excel serial day numbers in the 1900 "
                        "date system; if the workbook used the 1904 system set "
                        "excel_date_system = 1904 in [data]",
                        file=registry.origin[col],
                        column=col,
                        severity="warning",
                    )
                )
            dates[col] = parsed.days
            missing[col] = parsed.code == MISSING
            out[col] = _as_datetime(parsed.days)
        elif kind == "continuous":
            num = _numbers(raw)
            bad = raw.notna().to_numpy() & np.isnan(num)
            if bad.any():
                findings.append(Finding(col, bad, "not a number (this variable is continuous)"))
            out[col] = num
        elif kind == "categorical":
            text = text_values(raw)
            levels = (
                list(declared.levels)
                if declared and declared.levels
                else sorted({t for t in text if t is not None})
            )
            known = np.isin(text.astype(str), levels) | (text == None)  # noqa: E711
            if not known.all():
                findings.append(
                    Finding(
                        col, ~known, "value is not one of the declared levels: " + ", ".join(levels)
                    )
                )
            kept = text.copy()
            kept[~known] = None
            out[col] = pd.Categorical(kept, categories=levels)
        elif kind == "text":
            out[col] = text_values(raw)
        else:
            out[col] = _guess(raw)
    return Cleaned(pd.DataFrame(out), dates, missing, findings, problems)


def _hint(name: str, registry: Registry) -> str:
    names = [str(c) for c in registry.frame.columns]
    close = did_you_mean(name, names)
    return f"; did you mean '{close}'?" if close else f"; columns are: {', '.join(names)}"


def _guess(raw: pd.Series) -> Any:
    """An undeclared column: numbers if every value is one, else text."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.to_numpy()
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return text_values(raw)
    num = _numbers(raw)
    if np.array_equal(np.isnan(num), raw.isna().to_numpy()):
        return num
    return text_values(raw)


def _numbers(raw: pd.Series) -> FloatArray:
    """Numbers of a column (NaN where missing or not a number), converting distinct values."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return np.asarray(raw.to_numpy(dtype=np.float64, na_value=np.nan))
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    text = text_values(pd.Series(uniques, dtype=object))
    num = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)
    return np.asarray(np.append(num, np.nan)[np.asarray(codes, dtype=np.intp)])


def _as_datetime(days: FloatArray) -> NDArray[np.datetime64]:
    nat = np.isnan(days) | (np.abs(days) > 2_900_000)
    out = np.where(nat, 0, days).astype(np.int64).astype("datetime64[D]")
    out[nat] = np.datetime64("NaT")
    return out.astype("datetime64[s]")


# ---------------------------------------------------------------------------------------------
# date logic


def _iso(days: float) -> str:
    return days_to_date(days).isoformat() if np.isfinite(days) else ""


class _Against:
    """Messages naming another date of the same row ("... before X (2010-01-02)")."""

    def __init__(self, template: str, other: FloatArray) -> None:
        self.template, self.other = template, other

    def __getitem__(self, i: int) -> str:
        return self.template.format(_iso(self.other[i]))


def check_registry(
    study: StudyFile,
    registry: Registry,
    cleaned: Cleaned,
    endpoints: Sequence[DerivedEndpoint],
    today: dt.date | None = None,
) -> list[Finding]:
    """Date-logic findings for every row (``to_problems`` limits them to the cohort)."""
    c = study.config
    n = len(registry)
    dates = cleaned.dates
    found: list[Finding] = []
    ids = registry.ids

    missing_id = np.array([v is None for v in ids], dtype=bool)
    found.append(
        Finding(registry.id_column, missing_id, "patient id is missing", cohort_only=False)
    )
    import pandas as pd

    s = pd.Series(ids)
    dup = s.duplicated(keep="first").to_numpy() & ~missing_id
    if dup.any():
        first_pos = (
            pd.Series(np.arange(n)).groupby(s.to_numpy(), sort=False, dropna=False).transform("min")
        )
        rows = registry.rows[registry.origin[registry.id_column]]
        found.append(
            Finding(registry.id_column, dup, _RowOf(rows[first_pos.to_numpy()]), cohort_only=False)
        )

    limit_days = float(((today or dt.date.today()) - _DAY0).days)
    for col, days in dates.items():
        found.append(Finding(col, days > limit_days, "date is in the future; check the year"))
        found.append(Finding(col, days < _YEAR_1900, "date is before 1900; check the year"))

    cutoff = cutoff_days(c)
    death_col = c.follow_up.death
    death = dates.get(death_col) if death_col else None
    if death is not None and death_col is not None:
        # an origin before death is checked as "death before the origin"
        origins = {ep.origin for ep in c.endpoints.values() if death_col in (ep.events or [])}
        for col, days in dates.items():
            if col == death_col or col in origins:
                continue
            found.append(
                Finding(
                    col,
                    days > death,
                    _Against(f"date is after the death date ({death_col} {{}})", death),
                )
            )

    for name, var in c.variables.items():
        if var.flag and name in dates:
            spec = EventSpec.parse(var.flag)
            if spec.column not in registry.frame.columns:
                continue
            text = text_values(registry.frame[spec.column])
            verdict = _classify(spec, text)
            no_date = np.isnan(dates[name])
            found.append(
                Finding(
                    name,
                    (verdict == 1) & no_date,
                    f"event with no date: "
                    f"{spec.column} says the event happened but {name} is empty",
                )
            )
            found.append(
                Finding(
                    name,
                    (verdict == 0) & ~no_date,
                    f"{spec.column} says the "
                    "event did not happen, but a date is given; correct one",
                )
            )
            found.append(
                Finding(
                    spec.column,
                    verdict == -1,
                    f"not a value of the flag {var.flag}; use 0/1, yes/no or the codes given",
                )
            )

    starts: dict[str, list[str]] = {}  # origin column → endpoints starting there
    censors: dict[str, list[str]] = {}
    for ep_name, ep in c.endpoints.items():
        if ep.origin is None or ep.origin not in dates:
            continue
        starts.setdefault(ep.origin, []).append(ep_name)
        origin = dates[ep.origin]
        censor_col = ep.censor or c.follow_up.last_contact
        contact = dates.get(censor_col) if censor_col else None
        first_event = np.full(n, np.nan)
        for col in ep.events or []:
            if col not in dates:
                continue
            ev = dates[col]
            first_event = np.fmin(first_event, ev)
            found.append(
                Finding(
                    col,
                    ev < origin,
                    _Against(f"date is before the origin ({ep.origin} {{}})", origin),
                )
            )
            found.append(
                Finding(
                    col,
                    ev > cutoff,
                    f"event after the cutoff "
                    f"({c.follow_up.cutoff}): counted as censored at the cutoff",
                    severity="note",
                )
            )
            if contact is not None and censor_col is not None:
                is_death = col == death_col
                found.append(
                    Finding(
                        censor_col,
                        ev > contact,
                        _Against(
                            f"last contact is before the {col} ({{}})"
                            + (
                                "; for a patient who died, last contact is usually the death date"
                                if is_death
                                else "; an event is seen at a contact: correct one"
                            ),
                            ev,
                        ),
                        severity="warning" if is_death else "error",
                    )
                )
        if contact is not None and censor_col is not None:
            censors.setdefault(censor_col, [])
            lost = np.isnan(first_event) & cleaned.date_missing[censor_col]
            found.append(
                Finding(
                    censor_col,
                    lost,
                    "date missing and no event date either: "
                    "how long was the patient followed? (needed to censor "
                    + ", ".join(starts_of(c, censor_col))
                    + ")",
                )
            )
            found.append(
                Finding(
                    censor_col,
                    contact < origin,
                    _Against(f"last contact is before the origin ({ep.origin} {{}})", origin),
                )
            )
    for col, names in starts.items():
        found.append(
            Finding(
                col,
                cleaned.date_missing[col],
                f"date missing; needed as the origin of {', '.join(names)}",
            )
        )
        found.append(
            Finding(
                col,
                dates[col] > cutoff,
                f"origin of {', '.join(names)} is "
                f"after the cutoff ({c.follow_up.cutoff}); exclude the patient "
                "with a [[cohort]] step or correct the date",
            )
        )
    return [f for f in found if f.mask.any()]


def starts_of(config: Any, censor_col: str) -> list[str]:
    """Names of the date-based endpoints censored at ``censor_col``."""
    last = config.follow_up.last_contact
    return [
        name
        for name, ep in config.endpoints.items()
        if ep.origin is not None and (ep.censor or last) == censor_col
    ]


class _RowOf:
    def __init__(self, rows: NDArray[np.int64]) -> None:
        self.rows = rows

    def __getitem__(self, i: int) -> str:
        return (
            f"duplicate patient id: the same id is on row {self.rows[i]}; give each patient one row"
        )


def _classify(spec: EventSpec, text: NDArray[np.object_]) -> NDArray[np.int8]:
    """1 event, 0 no event, -1 unknown value, -2 missing (per row, via distinct values)."""
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(text), use_na_sentinel=True)
    verdict = [spec.classify(str(u)) for u in uniques]
    u = np.array([-1 if v is None else int(v) for v in verdict] + [-2], dtype=np.int8)
    return u[np.asarray(codes, dtype=np.intp)]


def to_problems(
    registry: Registry, findings: Sequence[Finding], keep: BoolArray | None = None
) -> list[Problem]:
    """Located problems; errors in patients the cohort excludes become warnings."""
    out: list[Problem] = []
    for f in findings:
        if keep is None or not f.cohort_only or f.severity != "error":
            out += registry.at(f.column, f.mask, f.message, severity=f.severity, values=f.values)
            continue
        out += registry.at(f.column, f.mask & keep, f.message, values=f.values)
        out += registry.at(
            f.column, f.mask & ~keep, _Excluded(f.message), severity="warning", values=f.values
        )
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in out:
        k = (p.file, p.row, p.column, p.message, p.severity)
        if k not in seen:
            seen.add(k)
            unique.append(p)
    return unique


class _Excluded:
    def __init__(self, message: Any) -> None:
        self.message = message

    def __getitem__(self, i: int) -> str:
        text = self.message if isinstance(self.message, str) else self.message[i]
        return f"{text} (patient excluded from the cohort, so not used)"
