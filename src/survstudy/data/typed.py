"""Type every registry column inside DuckDB, as the study file declares or as its values allow.

Dates are parsed by :func:`survstudy.data.dates.parse_dates` on the *distinct* values of a
column (a registry of millions of rows has a few thousand distinct dates), and the day numbers
are joined back to the rows in SQL; numbers, levels and missing-value codes are plain SQL. The
result is the table :data:`TYPED`: ``__row``, then each column typed (dates as DATE), and per
date column ``c#d`` (day number since 1970-01-01), ``c#m`` (truly empty) and, for any column
whose values can be unusable, ``c#why`` (why, NULL when the value is fine).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from survstudy.config.models import Key, StudyFile, did_you_mean
from survstudy.data.dates import MISSING, OK, parse_dates
from survstudy.data.findings import Finding
from survstudy.data.registry import REGISTRY, Registry
from survstudy.data.sql import lit, lookup_table, q, text_of
from survstudy.engine.dialect import COMMA_NUMBER, comma_problem
from survstudy.engine.events import EventSpec
from survstudy.errors import Problem

__all__ = ["TYPED", "Typed", "date_columns", "days", "is_missing", "type_registry", "why"]

#: The DuckDB table of typed columns (one row per registry row, same ``__row``).
TYPED = "typed"

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
)


def days(column: str) -> str:
    """SQL of a date column's day number (DOUBLE, NULL when missing or unusable)."""
    return q(f"{column}#d")


def is_missing(column: str) -> str:
    """SQL of "this date is truly empty" (not merely unusable)."""
    return q(f"{column}#m")


def why(column: str) -> str:
    """SQL of why a value of ``column`` is unusable (NULL when fine)."""
    return q(f"{column}#why")


@dataclass(frozen=True)
class Typed:
    """What typing found: each column's kind, categorical levels, problems and findings."""

    kinds: dict[str, str]
    levels: dict[str, list[str]]
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def dates(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == "date"]


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
        for i, col in enumerate(ep.competing or [] if ep.origin else []):
            out.setdefault(col, ("endpoints", name, "competing", i))
        if ep.censor:
            out.setdefault(ep.censor, ("endpoints", name, "censor"))
    for name, iv in c.intervals.items():
        out.setdefault(iv.start, ("intervals", name, "start"))
        out.setdefault(iv.end, ("intervals", name, "end"))
    return out


def _hint(name: str, registry: Registry) -> str:
    names = list(registry.columns)
    close = did_you_mean(name, names)
    return f"; did you mean '{close}'?" if close else f"; columns are: {', '.join(names)}"


def _missing_problems(study: StudyFile, registry: Registry) -> list[Problem]:
    c = study.config
    present = set(registry.columns)
    needed = date_columns(study)
    problems = [
        study.problem(key, f"column '{col}' is not in the data" + _hint(col, registry), col)
        for col, key in needed.items()
        if col not in present
    ]
    for name, var in c.variables.items():
        if name not in present and name not in needed:
            problems.append(
                study.problem(
                    ("variables", name),
                    f"variable '{name}' is not a column of the data" + _hint(name, registry),
                    name,
                )
            )
        if var.flag and EventSpec.parse(var.flag).column not in present:
            problems.append(
                study.problem(
                    ("variables", name, "flag"),
                    "flag column not in the data" + _hint(var.flag, registry),
                    var.flag,
                )
            )
    return problems


class _Builder:
    """Collects the SELECT list and joins of the typed table, column by column."""

    def __init__(self, study: StudyFile, registry: Registry) -> None:
        self.study, self.registry = study, registry
        self.engine = registry.engine
        self.select: list[str] = ["r.__row"]
        self.joins: list[str] = []
        self.kinds: dict[str, str] = {}
        self.levels: dict[str, list[str]] = {}
        self.problems: list[Problem] = []
        self.findings: list[Finding] = []

    def text(self, col: str) -> str:
        """The column as text, missing-value codes turned into NULL."""
        c = self.study.config
        declared = c.variables.get(col)
        codes = {str(v) for v in [*c.data.missing, *(declared.missing if declared else [])]}
        text = text_of(self.raw(col), self.registry.types[col])
        if not codes:
            return text
        listed = ", ".join(lit(v) for v in sorted(codes))
        return f"(CASE WHEN {text} IN ({listed}) THEN NULL ELSE {text} END)"

    def raw(self, col: str) -> str:
        return f"r.{q(col)}"

    def comma(self, col: str, text: str, example: str, *, error: bool) -> None:
        """A column of decimal commas, named with the first row holding ``example``."""
        origin = self.registry.origin[col]
        row_sql = self.registry.row_of[origin].format(t="r")
        (row,) = self.engine.sql(
            f"SELECT min({row_sql}) FROM {REGISTRY} r WHERE {text} = {lit(example)}"
        ).fetchall()[0]
        problem = comma_problem(col, origin, example, error=error)
        self.problems.append(problem if row is None else replace(problem, row=int(row)))

    def date(self, col: str) -> None:
        c = self.study.config
        declared = c.variables.get(col)
        sql_type = self.registry.types[col].upper()
        self.kinds[col] = "date"
        if sql_type == "DATE" or sql_type.startswith("TIMESTAMP"):
            as_date = f"CAST({self.raw(col)} AS DATE)"
            d = f"CAST(date_diff('day', DATE '1970-01-01', {as_date}) AS DOUBLE)"
            self.select += [
                f"CAST({self.raw(col)} AS DATE) AS {q(col)}",
                f"{d} AS {days(col)}",
                f"{self.raw(col)} IS NULL AS {is_missing(col)}",
                f"CAST(NULL AS VARCHAR) AS {why(col)}",
            ]
            return
        text = self.text(col)
        distinct = self.engine.sql(
            f"SELECT t, count(*) FROM (SELECT {text} AS t FROM {REGISTRY} r) "
            "WHERE t IS NOT NULL GROUP BY t"
        ).fetchall()
        origin = self.registry.origin[col]
        system = c.data.excel_date_system or self.registry.excel_system.get(origin) or 1900
        fmt = (declared.format if declared else None) or c.data.date_format
        values = [str(t) for t, _ in distinct]
        parsed = parse_dates(values, format=fmt, excel_system=system)
        reasons = [parsed.reason(i) for i in range(len(values))]
        alias = f"__d{len(self.joins)}"
        name = lookup_table(
            self.engine,
            f"__dates_{len(self.joins)}",
            {
                "t": values,
                "d": parsed.days.tolist(),
                "code": parsed.code.tolist(),
                "why": [
                    f"date {w}" if k not in (OK, MISSING) else None
                    for w, k in zip(reasons, parsed.code.tolist(), strict=True)
                ],
            },
            {"t": "VARCHAR", "d": "DOUBLE", "code": "INTEGER", "why": "VARCHAR"},
        )
        self.joins.append(f"LEFT JOIN {name} {alias} ON {text} = {alias}.t")
        d = f"{alias}.d"
        self.select += [
            f"CAST(DATE '1970-01-01' + CAST({d} AS INTEGER) AS DATE) AS {q(col)}",
            f"{d} AS {days(col)}",
            f"({text} IS NULL OR {alias}.code = {MISSING}) AS {is_missing(col)}",
            f"{alias}.why AS {why(col)}",
        ]
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", why(col)))
        serial_rows = sum(n for (_, n), s in zip(distinct, parsed.serial, strict=True) if s)
        if (
            serial_rows
            and c.data.excel_date_system is None
            and (self.registry.excel_system.get(origin) is None)
        ):
            self.problems.append(
                Problem(
                    f"{serial_rows} value(s) read as Excel serial day numbers in the 1900 "
                    "date system; if the workbook used the 1904 system set "
                    "excel_date_system = 1904 in [data]",
                    file=origin,
                    column=col,
                    severity="warning",
                )
            )

    def continuous(self, col: str) -> None:
        self.kinds[col] = "continuous"
        text = self.text(col)
        if self.registry.types[col].upper() in _NUMERIC:
            value = f"CASE WHEN {text} IS NULL THEN NULL ELSE CAST({self.raw(col)} AS DOUBLE) END"
        else:
            value = f"TRY_CAST({text} AS DOUBLE)"
            (comma,) = self.engine.sql(
                f"SELECT {_comma_example('t')} FROM (SELECT {text} AS t FROM {REGISTRY} r)"
            ).fetchall()[0]
            if comma is not None:
                self.comma(col, text, comma, error=True)
        message = "not a number (this variable is continuous)"
        self.select += [
            f"{value} AS {q(col)}",
            f"CASE WHEN {text} IS NOT NULL AND {value} IS NULL THEN {lit(message)} END "
            f"AS {why(col)}",
        ]
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", lit(message)))
        self.range(col, value)

    def range(self, col: str, value: str) -> None:
        """Values outside the declared ``min``/``max`` (errors); without ``min``, negative
        values that are at most a tenth of the values, the others all >= 0 (warnings: an
        age, a count or a size cannot be negative, a difference can)."""
        declared = self.study.config.variables.get(col)
        lo = declared.min if declared else None
        hi = declared.max if declared else None
        for bound, op, word in ((lo, "<", "below"), (hi, ">", "above")):
            if bound is not None:
                key = "min" if op == "<" else "max"
                self.findings.append(Finding(
                    col, f"{q(col)} {op} {bound!r}",
                    lit(f"{word} the plausible range ({key} = {bound:g} in [variables.{col}])"),
                ))
        if lo is not None:
            return
        (negative, total) = self.engine.sql(
            f"SELECT sum(CASE WHEN v < 0 THEN 1 ELSE 0 END), count(v) "
            f"FROM (SELECT {value} AS v FROM {REGISTRY} r)"
        ).fetchall()[0]
        if negative and negative * 10 <= total:
            message = (
                "negative, while the other values are >= 0 (an age, a count or a size cannot "
                f"be negative); if negative values are valid, set min in [variables.{col}]"
            )
            self.findings.append(Finding(col, f"{q(col)} < 0", lit(message), "warning"))

    def categorical(self, col: str, declared: list[str] | None) -> None:
        self.kinds[col] = "categorical"
        text = self.text(col)
        if declared:
            levels = declared
        else:
            found = self.engine.sql(
                f"SELECT DISTINCT t FROM (SELECT {text} AS t FROM {REGISTRY} r) WHERE t IS NOT NULL"
            ).fetchall()
            levels = sorted(str(t) for (t,) in found)
        self.levels[col] = levels
        listed = ", ".join(lit(v) for v in levels) or "NULL"
        message = "value is not one of the declared levels: " + ", ".join(levels)
        self.select += [
            f"CASE WHEN {text} IN ({listed}) THEN {text} END AS {q(col)}",
            f"CASE WHEN {text} IS NOT NULL AND {text} NOT IN ({listed}) THEN {lit(message)} "
            f"END AS {why(col)}",
        ]
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", lit(message)))

    def plain(self, col: str, kind: str) -> None:
        """Text, or an undeclared column (numbers if every value is one, else text)."""
        sql_type = self.registry.types[col].upper()
        text = self.text(col)
        if kind == "text":
            self.kinds[col] = "text"
            self.select.append(f"{text} AS {q(col)}")
            return
        if (
            sql_type in _NUMERIC
            or sql_type == "BOOLEAN"
            or sql_type == "DATE"
            or (sql_type.startswith("TIMESTAMP"))
        ):
            self.kinds[col] = "number" if sql_type in _NUMERIC else "other"
            self.select.append(
                f"CASE WHEN {text} IS NULL THEN NULL ELSE {self.raw(col)} END AS {q(col)}"
            )
            return
        (numeric, comma) = self.engine.sql(
            f"SELECT count(t) = count(TRY_CAST(t AS DOUBLE)), {_comma_example('t')} FROM "
            f"(SELECT {text} AS t FROM {REGISTRY} r)"
        ).fetchall()[0]
        if comma is not None:  # never read decimal commas silently as text
            self.comma(col, text, comma, error=False)
        self.kinds[col] = "number" if numeric else "text"
        self.select.append(f"{'TRY_CAST(' + text + ' AS DOUBLE)' if numeric else text} AS {q(col)}")


def _comma_example(t: str) -> str:
    """SQL: a value of text column ``t`` written with a decimal comma when every value is a
    number so written (NULL otherwise)."""
    # regexp_matches and LIKE: sqlglot translates both for Spark
    match = f"regexp_matches({t}, {lit('^' + COMMA_NUMBER + '$')})"
    return (
        f"CASE WHEN count({t}) > 0 AND count({t}) = count(CASE WHEN {match} THEN 1 END) "
        f"THEN max(CASE WHEN {t} LIKE '%,%' THEN {t} END) END"
    )


def type_registry(study: StudyFile, registry: Registry) -> Typed:
    """Create :data:`TYPED` from the registry; problems name the study-file key or column."""
    c = study.config
    b = _Builder(study, registry)
    b.problems += _missing_problems(study, registry)
    needed = date_columns(study)
    for col in registry.columns:
        declared = c.variables.get(col)
        if col == registry.id_column:
            b.kinds[col] = "id"
            b.select.append(f"{text_of(b.raw(col), registry.types[col])} AS {q(col)}")
            continue
        kind = (declared.type if declared else None) or ("date" if col in needed else None)
        if kind == "date":
            b.date(col)
        elif kind == "continuous":
            b.continuous(col)
        elif kind == "categorical":
            assert declared is not None
            b.categorical(col, [str(v) for v in declared.levels] if declared.levels else None)
        else:
            b.plain(col, kind or "guess")
    registry.engine.create_table(
        TYPED, f"SELECT {', '.join(b.select)} FROM {REGISTRY} r {' '.join(b.joins)}"
    )
    return Typed(b.kinds, b.levels, b.problems, b.findings)
