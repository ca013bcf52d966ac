"""Problems found in registry rows, as SQL: what is wrong where, and the rows to show.

A :class:`Finding` is a predicate over the study table and a message; :func:`locate` counts
every finding in one scan, then fetches only the first :data:`ROWS_SHOWN` rows of each to name
the file, row (as the user counts it), column and value. A registry of millions of rows with a
problem in every row still yields a short, complete list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from survstudy.data.registry import REGISTRY, ROWS_SHOWN, Registry, display_value
from survstudy.data.sql import lit, q
from survstudy.errors import Problem, Severity

__all__ = ["EXCLUDED", "Finding", "locate"]

#: Added to an error of a patient the cohort leaves out (it becomes a warning).
EXCLUDED = " (patient excluded from the cohort, so not used)"


@dataclass(frozen=True)
class Finding:
    """Rows of ``column`` where ``where`` holds share a problem.

    ``message`` is SQL giving each row's message (a quoted literal when it is the same for all
    rows). A data error in a patient the cohort excludes is only a warning (``cohort_only``).
    """

    column: str
    where: str
    message: str
    severity: Severity = "error"
    cohort_only: bool = True

    @property
    def fixed(self) -> bool:
        return self.message.startswith("'")


@dataclass(frozen=True)
class _Variant:
    finding: Finding
    where: str
    message: str
    severity: Severity
    excluded: bool
    #: the conditions (SQL, wanted truth value) a row must meet besides the finding's own
    needs: tuple[tuple[str, bool], ...] = ()


def _variants(
    findings: Sequence[Finding], keep: str | None, reading: Mapping[Finding, tuple[str, str]]
) -> list[_Variant]:
    out = []
    for f in findings:
        if keep is None or not f.cohort_only or f.severity != "error":
            out.append(_Variant(f, f"({f.where})", f.message, f.severity, False))
            continue
        out.append(
            _Variant(f, f"({f.where}) AND {keep}", f.message, "error", False, ((keep, True),))
        )
        excluded = f"({f.where}) AND NOT {keep}"
        needs: tuple[tuple[str, bool], ...] = ((keep, False),)
        if f in reading:
            read, why = reading[f]
            out.append(
                _Variant(
                    f,
                    f"{excluded} AND {read}",
                    f"({f.message}) || {lit(why)}",
                    "error",
                    False,
                    (*needs, (read, True)),
                )
            )
            excluded += f" AND NOT {read}"
            needs = (*needs, (read, False))
        out.append(
            _Variant(f, excluded, f"({f.message}) || '{EXCLUDED}'", "warning", True, needs)
        )
    return out


def locate(
    registry: Registry,
    table: str,
    findings: Sequence[Finding],
    keep: str | None = None,
    reading: Mapping[Finding, tuple[str, str]] | None = None,
) -> list[Problem]:
    """Problems for ``findings`` over ``table`` (which has ``__row``); ``keep`` is SQL of "in
    the cohort" (errors outside it become warnings).

    ``reading`` maps a finding to SQL of "a cohort step that excluded the patient read this
    value" and the words saying so: there the error stays an error, since the exclusion itself
    rests on the unusable value.
    """
    variants = _variants(findings, keep, reading or {})
    if not variants:
        return []
    counts = _counts(registry, table, variants)
    out: list[Problem] = []
    for v, total in zip(variants, counts, strict=True):
        if total:
            out += _rows(registry, table, v, int(total))
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in out:
        k = (p.file, p.row, p.column, p.message, p.severity)
        if k not in seen:
            seen.add(k)
            unique.append(p)
    return unique


def _counts(registry: Registry, table: str, variants: Sequence[_Variant]) -> list[int]:
    """How many rows each variant has, in one scan: each finding's predicate is counted once
    per combination of the conditions that split it (in the cohort, read by a cohort step)."""
    conditions = list(dict.fromkeys(c for v in variants for c, _ in v.needs))
    findings = list(dict.fromkeys(v.finding for v in variants))
    columns = [f"({c})" for c in conditions]
    counts = [f"count(*) FILTER (WHERE ({f.where}))" for f in findings]
    group = f" GROUP BY {', '.join(columns)}" if columns else ""
    rows = registry.engine.sql(
        f"SELECT {', '.join([*columns, *counts])} FROM {table}{group}"
    ).fetchall()
    k = len(conditions)
    at = {c: i for i, c in enumerate(conditions)}
    where = {f: k + i for i, f in enumerate(findings)}
    return [
        sum(
            int(row[where[v.finding]])
            for row in rows
            if all(row[at[c]] is want for c, want in v.needs)  # NULL meets neither
        )
        for v in variants
    ]


def _rows(registry: Registry, table: str, v: _Variant, total: int) -> list[Problem]:
    column = v.finding.column
    origin = registry.origin.get(column, registry.main)
    row = registry.row_of[origin]
    value = f"r.{q(column)}" if column in registry.types else "NULL"
    rows = registry.engine.sql(
        f"SELECT s.msg, {row.format(t='r')}, "
        f"{value} FROM (SELECT __row, {v.message} AS msg FROM {table} WHERE {v.where} "
        f"ORDER BY __row LIMIT {ROWS_SHOWN}) s JOIN {REGISTRY} r ON r.__row = s.__row "
        "ORDER BY s.__row"
    ).fetchall()
    out = [
        Problem(
            str(msg),
            file=origin,
            row=None if n is None else int(n),
            column=column,
            value=display_value(raw),
            severity=v.severity,
        )
        for msg, n, raw in rows
    ]
    if total > ROWS_SHOWN:
        first = str(rows[0][0]) if v.finding.fixed and not v.excluded else "same problem"
        out.append(
            Problem(
                f"{first} ({total - ROWS_SHOWN} more rows like this)",
                file=origin,
                column=column,
                severity=v.severity,
            )
        )
    return out
