"""Parse and check a study file: TOML in, a :class:`StudyFile` or every problem at once.

The models are in :mod:`survstudy.config.models`; this module turns TOML and pydantic errors
into :class:`Problem` lines naming the key, and checks references between sections.
"""

from __future__ import annotations

import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from survstudy.config.models import (
    _NAME,
    Key,
    StudyConfig,
    StudyFile,
    _line_of,
    did_you_mean,
    key_lines,
    key_name,
)
from survstudy.errors import InputError, Problem

__all__ = ["load_config", "parse_config"]


# ---------------------------------------------------------------------------------------------
# errors → problems


def _model_at(key: Key) -> type[BaseModel] | None:
    """The model class that holds the last item of ``key`` (for "did you mean" hints)."""
    model: Any = StudyConfig
    for k in key[:-1]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(k)) or next(
                (f for f in model.model_fields.values() if f.alias == k), None
            )
            if field is None:
                return None
            model = field.annotation
        else:  # dict[str, Model] or list[Model]: skip the name or the index
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[-1] if args else None
        while typing.get_origin(model) is not None and not (
            isinstance(model, type) and issubclass(model, BaseModel)
        ):
            if typing.get_origin(model) in (list, dict):
                break
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[0] if args else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _allowed(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _validation_problems(
    path: str, error: ValidationError, lines: Mapping[Key, int]
) -> list[Problem]:
    problems = []
    for e in error.errors():
        key: Key = tuple(k for k in e["loc"] if isinstance(k, (str, int)))
        # drop pydantic's union/type markers that are not keys of the file
        while (
            key
            and isinstance(key[-1], str)
            and ("[" in key[-1] or key[-1] in ("str", "int", "float", "date", "bool"))
        ):
            key = key[:-1]
        kind = e["type"]
        value: object = e.get("input")
        if kind == "missing":
            message = f"required key '{key[-1]}' is missing"
            value = None
        elif kind == "extra_forbidden":
            model = _model_at(key)
            close = did_you_mean(str(key[-1]), _allowed(model)) if model else None
            hint = (
                f"; did you mean '{close}'?"
                if close
                else (f"; allowed keys: {', '.join(_allowed(model))}" if model else "")
            )
            message = f"unknown key '{key[-1]}'{hint}"
        else:
            message = e["msg"]
        if isinstance(value, (dict, list)):
            value = None
        problems.append(
            Problem(message, file=path, row=_line_of(lines, key), column=key_name(key), value=value)
        )
    return problems


def _check_references(study: StudyFile) -> list[Problem]:
    """Cross-section checks the models cannot express, each located at the key at fault."""
    c = study.config
    out: list[Problem] = []

    def bad(key: Key, message: str, value: object = None) -> None:
        out.append(study.problem(key, message, value))

    for name, ep in c.endpoints.items():
        k: Key = ("endpoints", name)
        if not _NAME.fullmatch(name):
            bad(k, "an endpoint name must be letters, digits and _ (it names columns)", name)
        if ep.time is not None or ep.event is not None:
            if ep.time is None or ep.event is None:
                bad(k, "a ready-made endpoint needs both 'time' and 'event'")
            for extra in ("origin", "events", "censor"):  # competing: 0/1 columns here
                if getattr(ep, extra) is not None:
                    bad(
                        (*k, extra),
                        f"'{extra}' is for endpoints derived from dates; "
                        "remove it or remove 'time' and 'event'",
                    )
        else:
            if ep.origin is None:
                bad(k, "give 'origin' and 'events' (dates), or 'time' and 'event' columns")
            if not ep.events:
                bad(
                    (*k, "events"),
                    'give the date column(s) of the event, e.g. events = ["death_date"]',
                )
            if ep.unit is not None:
                bad((*k, "unit"), "'unit' is for ready-made time columns only")
            if ep.censor is None and c.follow_up.last_contact is None:
                bad(k, "say where follow-up ends: 'censor' here or 'last_contact' in [follow_up]")
        for i, col in enumerate(ep.competing or []):
            if col in (ep.events or []) or col == ep.event:
                bad((*k, "competing", i), "a column cannot be both the event and a competing "
                    "event", col)
        if ep.competing is not None and not ep.competing:
            bad((*k, "competing"), "name the competing event(s), e.g. competing = "
                '["death_date"], or remove the key')
    out += _check_adjustment(study)
    for name, iv in c.intervals.items():
        k = ("intervals", name)
        if not _NAME.fullmatch(name):
            bad(k, "an interval name must be letters, digits and _ (it names a column)", name)
        if (iv.flag is None) != (iv.flag_within_days is None):
            bad(
                k,
                "'flag' and 'flag_within_days' go together (e.g. synchronous if the "
                "interval is at most 90 days)",
            )
    for i, step in enumerate(c.cohort):
        k = ("cohort", i)
        rules = [r for r in ("present", "is_", "is_not") if getattr(step, r) is not None]
        has_range = step.min is not None or step.max is not None
        if step.where is not None:
            if step.column is not None or rules or has_range:
                bad((*k, "where"), "'where' stands alone; do not combine it with 'column'")
            continue
        if step.column is None:
            bad(k, "give 'column' and a rule (present, is, is_not, min, max), or 'where'")
        if len(rules) + has_range != 1:
            bad(k, "give exactly one rule: present, is, is_not, or min/max")
    for name, var in c.variables.items():
        k = ("variables", name)
        if var.levels is not None and var.type not in (None, "categorical"):
            bad((*k, "levels"), f"'levels' is for categorical variables, not {var.type}")
        if var.labels is not None and var.levels is not None:
            for level in var.labels:
                if level not in var.levels:
                    bad(
                        (*k, "labels", level),
                        f"label given for '{level}', which is not one "
                        f"of the levels: {', '.join(var.levels)}",
                    )
        if var.unit is not None and var.type not in (None, "continuous"):
            bad((*k, "unit"), f"'unit' is for continuous variables, not {var.type}")
        for key in ("format", "flag"):
            if getattr(var, key) is not None and var.type not in (None, "date"):
                bad((*k, key), f"'{key}' is for date variables, not {var.type}")
    for i, name in enumerate(c.analysis.endpoints or []):
        if name not in c.endpoints:
            close = did_you_mean(name, list(c.endpoints))
            hint = (
                f"; did you mean '{close}'?"
                if close
                else (f"; defined: {', '.join(c.endpoints) or 'none'}")
            )
            bad(
                ("analysis", "endpoints", i),
                f"endpoint '{name}' is not defined in [endpoints]{hint}",
                name,
            )
    for i, t in enumerate(c.analysis.landmark_years):
        if not t > 0:
            bad(("analysis", "landmark_years", i), "landmark times must be above 0 years", t)
    if c.data.table is not None and c.data.query is not None:
        bad(("data", "query"), "give 'table' or 'query', not both")
    for name in c.report.hr_per:
        declared = c.variables.get(name)
        if name not in c.analysis.covariates:
            bad(("report", "hr_per", name), "'hr_per' scales a Cox covariate; this one is not "
                f"in [analysis] covariates ({', '.join(c.analysis.covariates) or 'none'})", name)
        elif declared is not None and declared.type not in (None, "continuous"):
            bad(("report", "hr_per", name),
                f"'hr_per' is for continuous covariates, not {declared.type}", name)
    return out


def _check_adjustment(study: StudyFile) -> list[Problem]:
    """``[adjustment]``: covariates given and not the treatment, trim two percentiles."""
    a = study.config.adjustment
    if a is None:
        return []
    k: Key = ("adjustment",)
    out = []
    if not a.covariates:
        out.append(study.problem((*k, "covariates"), "name the covariates of the propensity "
                                 'score, e.g. covariates = ["age", "grade"]'))
    if a.treatment in a.covariates:
        i = a.covariates.index(a.treatment)
        out.append(study.problem((*k, "covariates", i), "the treatment cannot also be a "
                                 "covariate of its own propensity score", a.treatment))
    if a.trim is not None and not 0 <= a.trim[0] < a.trim[1] <= 1:
        out.append(study.problem((*k, "trim"), "trim is two percentiles as fractions, lower "
                                 "first, e.g. trim = [0.01, 0.99]", list(a.trim)))
    return out


def parse_config(text: str, path: str | Path = "study.toml") -> StudyFile:
    """Parse study-file text; :class:`InputError` lists every problem with line and key."""
    name = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        message = re.sub(r"\s*\(at line.*\)$", "", str(e))
        raise InputError(
            Problem(
                f"not valid TOML: {message}; check quotes, brackets and '=' on this line",
                file=name,
                row=int(m[1]) if m else None,
            )
        ) from None
    lines = key_lines(text)
    try:
        config = StudyConfig.model_validate(raw)
    except ValidationError as e:
        raise InputError(_validation_problems(name, e, lines)) from None
    study = StudyFile(Path(path), config, lines)
    problems = _check_references(study)
    if problems:
        raise InputError(problems)
    return study


def load_config(path: str | Path) -> StudyFile:
    """Read and check a study file."""
    p = Path(path)
    if not p.exists():
        raise InputError(Problem("study file not found; check the path", file=str(path)))
    if p.is_dir():
        candidate = p / "study.toml"
        if not candidate.exists():
            raise InputError(Problem("is a folder with no study.toml in it", file=str(path)))
        p = candidate
    if p.suffix.lower() in (".csv", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq", ".sqlite", ".db",
                            ".sav", ".zsav", ".por", ".dta", ".sas7bdat", ".xpt"):
        raise InputError(Problem(
            "this is a data file, not a study file: give the study.toml that names it (see "
            "docs/study-file.md), or analyse the file directly with survstudy km, table1 or cox",
            file=str(path)))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem("the study file is not UTF-8 text", file=str(p))) from None
    return parse_config(text, p)
