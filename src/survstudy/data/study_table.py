"""The study table: the typed registry plus what the study file derives from it, as SQL.

:class:`StudyTable` collects the columns computed next to the typed registry (the event
verdicts of flags and ready-made endpoints, looked up from their distinct values; the first
row of a duplicated id) and the findings they allow; :func:`derive` adds the endpoints and
intervals of the study file; :func:`labels` names the derived columns for tables and figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survstudy.config.models import Key, StudyFile
from survstudy.data.checks import FIRST_OF_ID
from survstudy.data.endpoints import derive_select, endpoint_sql, interval_sql, ready_made_sql
from survstudy.data.findings import Finding
from survstudy.data.registry import REGISTRY, Registry
from survstudy.data.sql import lit, lookup_table, q, text_of
from survstudy.data.typed import WHOLE_NUMBERS, Typed, is_missing
from survstudy.engine.events import EventSpec
from survstudy.errors import Problem

if TYPE_CHECKING:
    from survstudy.data.endpoints import Derived
    from survstudy.engine.sqlengine import Engine

__all__ = ["StudyTable", "derive", "flags", "labels", "verdict_columns"]


class StudyTable:
    """The study table under construction: extra columns over the typed registry (computed in
    the first SELECT, which reads the raw registry once with the lookup tables at hand), then
    derived stages."""

    def __init__(self, registry: Registry, typed: Typed) -> None:
        self.registry, self.typed = registry, typed
        pid = registry.id_column
        # the first row of each id that occurs more than once (a hash aggregate, not a window
        # over every row); the id typed is its text
        self.first: list[str] = [f"__dups.{FIRST_OF_ID}"]
        # whole numbers are equal exactly when their texts are: compare them as they are
        whole = registry.types[pid].upper() in WHOLE_NUMBERS
        key, raw_key = (q(pid), f"r.{q(pid)}") if whole else (
            text_of(q(pid), registry.types[pid]), self.raw_text(pid))
        self.joins: list[str] = [
            f"LEFT JOIN (SELECT {key} AS __id, min(__row) AS {FIRST_OF_ID} FROM {REGISTRY} "
            f"GROUP BY {key} HAVING count(*) > 1) __dups ON {raw_key} = __dups.__id"
        ]
        self.findings: list[Finding] = []

    def raw_text(self, column: str) -> str:
        return text_of(f"r.{q(column)}", self.registry.types[column])

    def verdict(self, spec: EventSpec, name: str) -> str:
        """A first-SELECT column ``name``: 1 event, 0 no event, -1 unknown code, NULL missing."""
        text = self.raw_text(spec.column)
        if text in self.typed.distinct:  # scanned with the registry's columns
            values = [v for v, _ in self.typed.distinct[text]]
        else:
            found = self.registry.engine.sql(
                f"SELECT DISTINCT v FROM (SELECT {text} AS v FROM {REGISTRY} r) "
                "WHERE v IS NOT NULL"
            ).fetchall()
            values = [str(v) for (v,) in found]
        codes = [-1 if (k := spec.classify(v)) is None else int(k) for v in values]
        alias = f"__e{len(self.joins)}"
        table = lookup_table(
            self.registry.engine, alias, {"t": values, "v": codes}, {"t": "VARCHAR", "v": "INTEGER"}
        )
        self.joins.append(f"LEFT JOIN {table} {alias} ON {text} = {alias}.t")
        self.first.append(f"CASE WHEN {text} IS NULL THEN NULL ELSE {alias}.v END AS {q(name)}")
        return q(name)

    def create(self, engine: Engine, name: str, derived: list[Derived]) -> None:
        """Create ``name``: the typed registry and the extra columns, stored as the table
        ``name_stored`` in one scan of the registry; under the view ``name`` with the typed
        registry's virtual columns and ``derived`` (expressions over stored columns, computed
        when read: writing them would cost more than computing them)."""
        stored = f"{name}_stored"
        engine.create_table(
            stored,
            f"SELECT {', '.join([*self.typed.select, *self.first])} FROM {REGISTRY} r "
            f"{' '.join([*self.typed.joins, *self.joins])}",
        )
        virtual = "".join(f", {v}" for v in self.typed.virtual)
        engine.create_view(name, derive_select(derived, f"(SELECT *{virtual} FROM {q(stored)})"))


def verdict_columns(study: StudyFile) -> list[str]:
    """The columns whose distinct values :meth:`StudyTable.verdict` will ask for: event flags
    of variables and the event columns of ready-made endpoints."""
    c = study.config
    specs = [var.flag for var in c.variables.values() if var.flag]
    for ep in c.endpoints.values():
        if ep.time is not None and ep.event is not None:
            specs += [ep.event, *(ep.competing or [])]
    return list(dict.fromkeys(EventSpec.parse(s).column for s in specs))


def _ready_made(study: StudyFile, table: StudyTable, name: str) -> Derived | Problem:
    """An endpoint from a time and an event column, with their findings."""
    spec = study.config.endpoints[name]
    assert spec.time is not None
    assert spec.event is not None
    event = EventSpec.parse(spec.event)
    for col, key in ((spec.time, "time"), (event.column, "event")):
        if col not in table.registry.types:
            return study.problem(("endpoints", name, key), "column is not in the data", col)
    text = table.raw_text(spec.time)
    time = q(f"{name}#rt")
    table.first.append(f"TRY_CAST({text} AS DOUBLE) AS {time}")
    table.first.append(f"{text} IS NOT NULL AS {q(name + '#rtgiven')}")
    table.findings.append(
        Finding(
            spec.time, f"{q(name + '#rtgiven')} AND {time} IS NULL", lit("time is not a number")
        )
    )
    table.findings.append(Finding(spec.time, f"{time} < 0", lit("time is negative")))
    verdict = table.verdict(event, f"{name}#re")
    table.findings.append(
        Finding(
            event.column,
            f"{verdict} = -1",
            lit(
                f"not an event value of '{spec.event}'; "
                'use 0/1, yes/no or say the codes: event = "column=CODE"'
            ),
        )
    )
    competing = []
    for i, col in enumerate(spec.competing or []):
        flag = EventSpec.parse(col)
        if flag.column not in table.registry.types:
            return study.problem(("endpoints", name, "competing", i), "column is not in the data",
                                 col)
        v = table.verdict(flag, f"{name}#rc{i}")
        table.findings.append(Finding(flag.column, f"{v} = -1", lit(
            f"not a competing-event value of '{col}'; use 0/1, yes/no or say the codes")))
        competing.append(f"CASE WHEN {v} >= 0 THEN {v} END")
    return ready_made_sql(
        name, spec, study.config, time, f"CASE WHEN {verdict} >= 0 THEN {verdict} END", competing
    )


def derive(
    study: StudyFile, typed: Typed, table: StudyTable
) -> tuple[list[Derived], list[Problem]]:
    """The endpoints and intervals of the study file (problems: a ready-made endpoint's column
    is missing); a missing interval date is a warning finding."""
    c = study.config
    derived: list[Derived] = []
    problems: list[Problem] = []
    for name, spec in c.endpoints.items():
        if spec.time is not None:
            got = _ready_made(study, table, name)
            if isinstance(got, Problem):
                problems.append(got)
                continue
            derived.append(got)
        else:
            derived.append(endpoint_sql(name, spec, c))
    for name, iv in c.intervals.items():
        derived.append(interval_sql(name, iv, c))
        for col in (iv.start, iv.end):
            table.findings.append(
                Finding(
                    col,
                    is_missing(col),
                    lit(f"date missing: interval {name} not computed for this patient"),
                    severity="warning",
                )
            )
    return derived, problems


def flags(study: StudyFile, typed: Typed, table: StudyTable) -> dict[str, tuple[str, str]]:
    """Date column → (its event flag column, SQL of the flag's verdict per row)."""
    out = {}
    for name, var in study.config.variables.items():
        if var.flag and name in typed.kinds and typed.kinds[name] == "date":
            spec = EventSpec.parse(var.flag)
            if spec.column in table.registry.types:
                out[name] = (spec.column, table.verdict(spec, f"{name}#flag"))
    return out


def labels(study: StudyFile, derived: list[Derived]) -> tuple[dict[str, str], dict[str, Key]]:
    """Labels of the columns (declared and derived), and the study-file key of each derived
    column (to point at it when its name clashes with a registry column)."""
    c = study.config
    labels = {name: var.label for name, var in c.variables.items() if var.label}
    where: dict[str, Key] = {}
    for d in derived:
        if d.event is not None:
            labels[d.time] = f"{d.label} ({d.unit})"
            labels[d.event] = f"{d.label}: event"
            where[d.time] = where[d.event] = ("endpoints", d.name)
            continue
        labels[d.time] = f"{d.label} ({d.unit})"
        where[d.time] = ("intervals", d.name)
        spec = c.intervals[d.name]
        if spec.flag and spec.flag_within_days is not None:
            labels[spec.flag] = spec.flag_label or spec.flag
            where[spec.flag] = ("intervals", d.name, "flag")
    return labels, where
