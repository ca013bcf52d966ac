"""A study loaded from its study file: the object the report, the CLI and the web app use.

:func:`load_study` reads the study file and the registry it names, types and checks every
column, derives the endpoints and intervals from dates, applies the cohort steps and returns a
:class:`Study` holding the analysis-ready data (one row per patient in the cohort), the
per-patient derivation log, the cohort flow and every problem found (errors, warnings, notes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from survstudy.config import (
    DAYS_PER_UNIT,
    Key,
    StudyConfig,
    StudyFile,
    did_you_mean,
    load_config,
)
from survstudy.data.cohort import CohortFlow, apply_cohort
from survstudy.data.endpoints import (
    DerivedEndpoint,
    DerivedInterval,
    derivation_log,
    derive_endpoint,
    derive_interval,
    derive_ready_made,
)
from survstudy.data.events import EventSpec
from survstudy.data.registry import Registry, read_registry, text_values
from survstudy.data.validate import (
    Cleaned,
    Finding,
    check_registry,
    clean_registry,
    to_problems,
)
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "load_study"]


@dataclass(frozen=True)
class Study:
    """A checked study: config, analysis-ready data, derivation log, flow and problems.

    ``data`` has one row per patient in the cohort: the registry columns typed (dates as
    datetime64), then for each endpoint ``NAME_time`` (in ``time_unit``) and ``NAME_event``
    (1 event, 0 censored), and for each interval its time and flag columns. ``log`` has one row
    per patient and endpoint or interval (see :func:`survstudy.data.endpoints.derivation_log`).
    """

    file: StudyFile
    data: pd.DataFrame
    log: pd.DataFrame
    flow: CohortFlow
    problems: tuple[Problem, ...]
    labels: Mapping[str, str]

    @property
    def config(self) -> StudyConfig:
        return self.file.config

    @property
    def time_unit(self) -> str:
        return self.config.study.time_unit

    @property
    def ok(self) -> bool:
        """No errors (warnings and notes do not stop an analysis)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def notes(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "note")

    @property
    def landmarks(self) -> tuple[float, ...]:
        """The landmark times of ``[analysis]`` (given in years) in the study's time unit."""
        per = DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[self.time_unit]
        return tuple(float(t) * per for t in self.config.analysis.landmark_years)

    def endpoint_columns(self, name: str) -> tuple[str, str]:
        """The (time, event) columns of an endpoint in :attr:`data`."""
        if name not in self.config.endpoints:
            raise ValueError(f"no endpoint {name!r}; endpoints: {', '.join(self.config.endpoints)}")
        return f"{name}_time", f"{name}_event"

    def to_dict(self) -> dict[str, Any]:
        endpoints = {}
        for name in self.config.endpoints:
            t, e = self.endpoint_columns(name)
            derived = self.data[t].notna()
            endpoints[name] = {
                "label": self.config.endpoints[name].label or name,
                "n": int(derived.sum()),
                "events": int(self.data.loc[derived, e].sum()),
                "not_derived": int((~derived).sum()),
            }
        return {
            "title": self.config.study.title,
            "study_file": str(self.file.path),
            "time_unit": self.time_unit,
            "days_per_unit": DAYS_PER_UNIT[self.time_unit],
            "cutoff": None
            if self.config.follow_up.cutoff is None
            else self.config.follow_up.cutoff.isoformat(),
            "flow": self.flow.to_dict(),
            "endpoints": endpoints,
            "landmarks": list(self.landmarks),
            "problems": [p.to_dict() for p in self.problems],
        }


def _with_source(study: StudyFile, data: str | Path) -> StudyFile:
    c = study.config
    source = str(Path(data).resolve())
    new_data = c.data.model_copy(
        update={"source": source, "sheet": None, "table": None, "query": None}
    )
    return StudyFile(study.path, c.model_copy(update={"data": new_data}), study.lines)


def _ready_made(
    study: StudyFile, registry: Registry, name: str, findings: list[Finding]
) -> DerivedEndpoint | Problem:
    import pandas as pd

    spec = study.config.endpoints[name]
    assert spec.time is not None
    assert spec.event is not None
    event = EventSpec.parse(spec.event)
    for col, key in ((spec.time, "time"), (event.column, "event")):
        if col not in registry.frame.columns:
            return study.problem(("endpoints", name, key), "column is not in the data", col)
    raw = registry.frame[spec.time]
    time = pd.to_numeric(pd.Series(text_values(raw)), errors="coerce").to_numpy(float)
    findings.append(
        Finding(spec.time, raw.notna().to_numpy() & np.isnan(time), "time is not a number")
    )
    findings.append(Finding(spec.time, time < 0, "time is negative"))
    codes, uniques = pd.factorize(pd.Series(text_values(registry.frame[event.column])))
    verdict = [event.classify(str(u)) for u in uniques]
    u = np.array([np.nan if v is None else float(v) for v in verdict] + [np.nan])
    ev = u[np.asarray(codes, dtype=np.intp)]
    unknown = np.array([v is None for v in verdict] + [False])[np.asarray(codes, dtype=np.intp)]
    findings.append(
        Finding(
            event.column,
            unknown,
            f"not an event value of '{spec.event}'; "
            'use 0/1, yes/no or say the codes: event = "column=CODE"',
        )
    )
    return derive_ready_made(name, spec, study.config, time, ev)


def _derive(
    study: StudyFile, registry: Registry, cleaned: Cleaned, findings: list[Finding]
) -> tuple[list[DerivedEndpoint], list[DerivedInterval], list[Problem]]:
    c = study.config
    n = len(registry)
    endpoints: list[DerivedEndpoint] = []
    problems: list[Problem] = []
    for name, spec in c.endpoints.items():
        if spec.time is not None:
            got = _ready_made(study, registry, name, findings)
            if isinstance(got, Problem):
                problems.append(got)
            else:
                endpoints.append(got)
            continue
        endpoints.append(derive_endpoint(name, spec, c, cleaned.dates, n))
    intervals = [
        derive_interval(name, spec, c, cleaned.dates) for name, spec in c.intervals.items()
    ]
    for iv in intervals:
        for col in (iv.start_column, iv.end_column):
            findings.append(
                Finding(
                    col,
                    cleaned.date_missing[col],
                    f"date missing: interval {iv.name} not computed for this patient",
                    severity="warning",
                )
            )
    return endpoints, intervals, problems


def _assemble(
    study: StudyFile,
    cleaned: Cleaned,
    endpoints: list[DerivedEndpoint],
    intervals: list[DerivedInterval],
) -> tuple[pd.DataFrame, dict[str, str], list[Problem]]:
    import pandas as pd

    c = study.config
    frame = cleaned.frame
    labels = {name: var.label for name, var in c.variables.items() if var.label}
    new: dict[str, Any] = {}
    where: dict[str, Key] = {}
    for ep in endpoints:
        t, e = f"{ep.name}_time", f"{ep.name}_event"
        new[t] = ep.time
        new[e] = pd.array(ep.event, dtype="Float64").astype("Int8")
        labels[t] = f"{ep.label} ({ep.unit})"
        labels[e] = f"{ep.label}: event"
        where[t] = where[e] = ("endpoints", ep.name)
    for iv in intervals:
        new[iv.name] = iv.time
        labels[iv.name] = f"{iv.label} ({iv.unit})"
        where[iv.name] = ("intervals", iv.name)
        spec = c.intervals[iv.name]
        if iv.flag is not None and spec.flag:
            flag = np.where(iv.flag == 1, "yes", "no").astype(object)
            flag[np.isnan(iv.flag)] = None
            new[spec.flag] = pd.Categorical(flag, categories=["no", "yes"])
            labels[spec.flag] = spec.flag_label or spec.flag
            where[spec.flag] = ("intervals", iv.name, "flag")
    problems = [
        study.problem(
            where[col],
            f"derived column '{col}' has the name of a registry "
            "column; rename the endpoint, interval or flag",
            col,
        )
        for col in new
        if col in frame.columns
    ]
    full = pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)
    return full, labels, problems


def _check_analysis(study: StudyFile, frame: pd.DataFrame) -> list[Problem]:
    a = study.config.analysis
    names = [str(col) for col in frame.columns]
    wanted: list[tuple[Key, str]] = []
    if a.groups:
        wanted.append((("analysis", "groups"), a.groups))
    wanted += [(("analysis", "also_by", i), v) for i, v in enumerate(a.also_by)]
    wanted += [(("analysis", "characteristics", i), v) for i, v in enumerate(a.characteristics)]
    wanted += [(("analysis", "covariates", i), v) for i, v in enumerate(a.covariates)]
    out = []
    for key, col in wanted:
        if col not in names:
            close = did_you_mean(col, names)
            hint = f"; did you mean '{close}'?" if close else ""
            out.append(
                study.problem(
                    key, "not a column of the data nor derived by the study file" + hint, col
                )
            )
    return out


def load_study(
    path: str | Path,
    *,
    data: str | Path | None = None,
    strict: bool = True,
    today: dt.date | None = None,
) -> Study:
    """Read, check and derive a study from its study file.

    ``data`` replaces the main table named in ``[data]`` (e.g. a synthetic registry).
    With ``strict`` (the default), any error raises :class:`InputError` listing every problem;
    ``strict=False`` returns the :class:`Study` anyway so a checker can show all problems.
    ``today`` is the date after which a date is "in the future" (default: today).
    """
    study = load_config(path)
    if data is not None:
        study = _with_source(study, data)
    registry = read_registry(study)
    cleaned = clean_registry(study, registry)
    if any(p.severity == "error" for p in cleaned.problems):
        raise InputError([*cleaned.problems, *registry.problems])
    findings = list(cleaned.findings)
    endpoints, intervals, problems = _derive(study, registry, cleaned, findings)
    full, labels, clash = _assemble(study, cleaned, endpoints, intervals)
    problems += clash + _check_analysis(study, full)
    if problems:
        raise InputError(problems)
    flow = apply_cohort(study, full, cleaned.dates)
    keep = flow.keep
    findings += check_registry(study, registry, cleaned, endpoints, today=today)
    located = to_problems(registry, findings, keep)
    order = {"error": 0, "warning": 1, "note": 2}
    all_problems = sorted(
        [*registry.problems, *cleaned.problems, *located], key=lambda p: order[p.severity]
    )
    log = derivation_log(registry.ids, endpoints, intervals)
    parts = len(endpoints) + len(intervals)
    # the row each patient has in the main table, as its user counts it (ids may stay private)
    main_rows = registry.rows[registry.origin[registry.id_column]]
    log.insert(0, "row", np.tile(main_rows, parts))
    result = Study(
        file=study,
        data=full.loc[keep].reset_index(drop=True),
        log=log.loc[np.tile(keep, parts)].reset_index(drop=True),
        flow=flow,
        problems=tuple(all_problems),
        labels=labels,
    )
    if strict and not result.ok:
        raise InputError(result.problems)
    return result
