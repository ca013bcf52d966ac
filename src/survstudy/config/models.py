"""The study file (``study.toml``): what to read, how to derive endpoints, what to compare.

A user edits this file, never code, so every mistake in it is reported as a :class:`Problem`
naming the file, the line and the key (``endpoints.os.origin``), all at once. Parsing is
``tomllib``; the structure is checked by pydantic models; cross-references between sections
(an endpoint named in ``[analysis]`` that is not defined, a flag without its threshold) are
checked afterwards so each message can point at the key at fault. Whether the named columns
exist is checked when the data are read (:mod:`survstudy.data.registry`).

``docs/study-file.md`` documents every key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from survstudy.errors import Problem, Severity

__all__ = [
    "DAYS_PER_UNIT",
    "Adjustment",
    "Analysis",
    "CohortStep",
    "DataSection",
    "Endpoint",
    "FollowUp",
    "Interval",
    "JoinSpec",
    "PublishedValue",
    "ReportSection",
    "StudyConfig",
    "StudyFile",
    "StudySection",
    "TimeUnit",
    "Variable",
    "did_you_mean",
    "key_lines",
]

TimeUnit = Literal["days", "months", "years"]

#: Days in one unit of time: months = days / 30.4375, years = days / 365.25.
DAYS_PER_UNIT: Mapping[str, float] = {"days": 1.0, "months": 30.4375, "years": 365.25}

Key = tuple[str | int, ...]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _as_text(value: Any) -> Any:
    """A missing-value code or level given as a TOML number compares as its text (99 → "99")."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Code = Annotated[str, BeforeValidator(_as_text)]
Names = Annotated[list[str], BeforeValidator(_as_list)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StudySection(_Model):
    """``[study]``: the title and the one time unit used in every table and figure."""

    title: str = "Survival study"
    time_unit: TimeUnit = "months"


class _SourceFields(_Model):
    source: str
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None
    delimiter: str | None = None  # CSV dialect (data/dialect.py)
    decimal: Literal[".", ","] | None = None
    encoding: str | None = None
    dictionary: str | None = None  # REDCap data dictionary (data/redcap.py)
    catalog: str | None = None  # SAS format catalog (data/statfiles.py)


class JoinSpec(_SourceFields):
    """``[[data.join]]``: another table joined to the main one on the patient id."""

    id: str | None = None
    columns: list[str] | None = None


class DataSection(_SourceFields):
    """``[data]``: the main table, its id column, missing-value codes and date reading."""

    id: str
    missing: list[Code] = Field(default_factory=list)
    date_format: str | None = None
    excel_date_system: Literal[1900, 1904] | None = None
    join: list[JoinSpec] = Field(default_factory=list)
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str | None = None
    redcap_event: str | None = None


class FollowUp(_Model):
    """``[follow_up]``: the cutoff date and the columns holding last contact and death."""

    cutoff: dt.date | None = None
    last_contact: str | None = None
    death: str | None = None


class Variable(_Model):
    """``[variables.NAME]``: label, type, levels and their labels, unit, missing codes, and
    the plausible range of a continuous variable (``min``, ``max``)."""

    label: str | None = None
    type: Literal["categorical", "continuous", "date", "text"] | None = None
    levels: list[Code] | None = None
    labels: dict[str, str] | None = None
    unit: str | None = None
    missing: list[Code] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    format: str | None = None
    flag: str | None = None


class CohortStep(_Model):
    """``[[cohort]]``: one named inclusion step (patients not meeting it are excluded)."""

    step: str
    reason: str | None = None
    column: str | None = None
    present: bool | None = None
    is_: list[Code] | None = Field(default=None, alias="is")
    is_not: list[Code] | None = None
    min: float | dt.date | None = None
    max: float | dt.date | None = None
    where: str | None = None


class Endpoint(_Model):
    """``[endpoints.NAME]``: time from ``origin`` to the first of ``events``, or ready-made.

    ``competing`` names competing events (dates, or 0/1 columns for a ready-made endpoint):
    the endpoint then has a cause (0 censored, 1 event, 2 competing), whichever came first.
    ``origin_label`` says what time counts from on the figures' axis ("surgery": "Months after
    surgery"), for ready-made times, or to reword the origin date's label.
    """

    label: str | None = None
    origin: str | None = None
    origin_label: str | None = None
    events: Names | None = None
    competing: Names | None = None
    censor: str | None = None
    time: str | None = None
    event: str | None = None
    unit: TimeUnit | None = None


class Interval(_Model):
    """``[intervals.NAME]``: time between two dates, optionally flagged when short."""

    label: str | None = None
    start: str
    end: str
    flag: str | None = None
    flag_label: str | None = None
    flag_within_days: float | None = None


class Analysis(_Model):
    """``[analysis]``: groups, characteristics, endpoints, landmark times, Cox covariates, and
    how Table 1 tests continuous characteristics (``continuous_test``: "auto" picks Student's
    t / ANOVA when Shapiro-Wilk does not reject normality in any group, else the rank test;
    "nonparametric" always Mann-Whitney / Kruskal-Wallis; "parametric" always t / ANOVA)."""

    groups: str | None = None
    also_by: list[str] = Field(default_factory=list)
    characteristics: list[str] = Field(default_factory=list)
    endpoints: list[str] | None = None
    landmark_years: list[float] = Field(default_factory=lambda: [1.0, 3.0, 5.0])
    covariates: list[str] = Field(default_factory=list)
    continuous_test: Literal["auto", "nonparametric", "parametric"] = "auto"


class Adjustment(_Model):
    """``[adjustment]``: an IPTW-adjusted comparison of ``treatment`` (``treated`` vs the
    other value) on the study's endpoints, weights from a propensity score of ``covariates``."""

    treatment: str
    treated: Code
    covariates: Names
    estimand: Literal["ate", "att"] = "ate"
    stabilize: bool = False
    trim: tuple[float, float] | None = None


class ReportSection(_Model):
    """``[report]``: how the report shows the analysis (numbers never change with it)."""

    listing: list[str] | None = None
    listing_max: int = 500
    show_ids: bool = False
    conf_type: Literal["log-log", "log", "plain"] = "log-log"
    exact_below: int = 30
    tick_every: float | None = None
    firth: Literal["auto", "always", "never"] = "auto"
    paper: Literal["a4", "letter"] = "a4"
    odds_ratios: bool = False
    # a continuous Cox covariate's HR per this many units, or per standard deviation ("sd")
    hr_per: dict[str, Annotated[float, Field(gt=0)] | Literal["sd"]] = Field(default_factory=dict)


class PublishedValue(_Model):
    """``[[published]]``: a number a paper printed, to set beside what the data give.

    ``quantity`` says what it is: ``survival`` (percent at ``at_years`` of ``endpoint`` for
    ``group``), ``median`` (survival time), ``log_rank_p``, ``mean`` / ``sd`` of a continuous
    ``variable`` (``group`` optional), ``count`` / ``percent`` of ``level`` of a categorical
    ``variable``.
    """

    what: str
    value: float
    quantity: Literal["survival", "median", "log_rank_p", "mean", "sd", "count", "percent"]
    endpoint: str | None = None
    group: str | None = None
    at_years: float | None = None
    variable: str | None = None
    level: Code | None = None
    decimals: int | None = None
    source: str | None = None
    note: str | None = None


class StudyConfig(_Model):
    """The whole study file."""

    study: StudySection = Field(default_factory=StudySection)
    data: DataSection
    follow_up: FollowUp = Field(default_factory=FollowUp)
    variables: dict[str, Variable] = Field(default_factory=dict)
    cohort: list[CohortStep] = Field(default_factory=list)
    endpoints: dict[str, Endpoint] = Field(default_factory=dict)
    intervals: dict[str, Interval] = Field(default_factory=dict)
    analysis: Analysis = Field(default_factory=Analysis)
    adjustment: Adjustment | None = None
    report: ReportSection = Field(default_factory=ReportSection)
    published: list[PublishedValue] = Field(default_factory=list)

    @property
    def analysis_endpoints(self) -> list[str]:
        """The endpoints to analyse: those named in ``[analysis]``, else all."""
        return list(self.analysis.endpoints or self.endpoints)

    @property
    def days_per_unit(self) -> float:
        return DAYS_PER_UNIT[self.study.time_unit]


@dataclass(frozen=True)
class StudyFile:
    """A parsed study file: the models, where it is, and the line of every key."""

    path: Path
    config: StudyConfig
    lines: Mapping[Key, int]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def line(self, key: Key) -> int | None:
        """Line of ``key`` in the file, else of its closest enclosing key or table."""
        return _line_of(self.lines, key)

    def problem(
        self, key: Key, message: str, value: object = None, severity: Severity = "error"
    ) -> Problem:
        """A problem located at ``key`` of this study file."""
        return Problem(
            message,
            file=str(self.path),
            row=self.line(key),
            column=key_name(key),
            value=value,
            severity=severity,
        )

    def resolve(self, source: str) -> str:
        """A data source path relative to the study file (URLs are returned as they are)."""
        if "://" in source:
            return source
        p = Path(source).expanduser()
        return str(p if p.is_absolute() else self.base_dir / p)


def did_you_mean(name: str, options: list[str]) -> str | None:
    """The option closest to ``name`` (ignoring case), or None."""
    lower = {o.lower(): o for o in reversed(options)}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1)
    return lower[close[0]] if close else None


def key_name(key: Key) -> str:
    """``("cohort", 0, "min")`` → ``cohort[1].min`` (items counted from 1, as a reader does)."""
    out = ""
    for k in key:
        if isinstance(k, int):
            out += f"[{k + 1}]"
        else:
            text = k if _NAME.fullmatch(k) else f'"{k}"'
            out += ("." if out else "") + text
    return out


def _line_of(lines: Mapping[Key, int], key: Key) -> int | None:
    for n in range(len(key), 0, -1):
        if key[:n] in lines:
            return lines[key[:n]]
    return None


# ---------------------------------------------------------------------------------------------
# where each key is: a small scanner of TOML lines (tomllib does not report positions)

_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def _split_key(text: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if not m or m.end() == pos:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def _scan_value(text: str, depth: int, open_string: str | None) -> tuple[int, str | None]:
    """Bracket depth and open multi-line string after ``text`` (strings and comments skipped)."""
    i = 0
    while i < len(text):
        if open_string:
            end = text.find(open_string, i)
            if end < 0:
                return depth, open_string
            i, open_string = end + 3, None
            continue
        c = text[i]
        if c in "\"'":
            if text.startswith(c * 3, i):
                open_string, i = c * 3, i + 3
                continue
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if c == '"' and text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#":
            break
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth, open_string


def _key_end(line: str) -> int:
    """Index of the ``=`` that ends the key of a key/value line (-1 if none)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "=":
            return i
    return -1


def key_lines(text: str) -> dict[Key, int]:
    """Line number (from 1) of every table header and key in a TOML document."""
    lines: dict[Key, int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    table: Key = ()
    depth, open_string = 0, None
    for number, raw in enumerate(text.splitlines(), start=1):
        if depth > 0 or open_string:
            depth, open_string = _scan_value(raw, depth, open_string)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[\[(.+?)\]\]\s*(#.*)?|\[(.+?)\]\s*(#.*)?", line)
        if header:
            is_array = header[1] is not None
            path = _split_key(header[1] if is_array else header[3])
            if path is None:
                continue
            if is_array:
                index = arrays.get(path, -1) + 1
                arrays[path] = index
                table = (*path, index)
            else:
                table = path
            for n in range(1, len(table) + 1):
                lines.setdefault(table[:n], number)
            continue
        eq = _key_end(line)
        if eq < 0:
            continue
        parts = _split_key(line[:eq].rstrip())
        if parts is None:
            continue
        full = (*table, *parts)
        for n in range(len(table) + 1, len(full) + 1):
            lines.setdefault(full[:n], number)
        depth, open_string = _scan_value(line[eq + 1 :], 0, None)
    return lines

