"""REDCap: a raw CSV export read with its data dictionary (``[data] dictionary``).

The dictionary says what the export's codes mean: radio, dropdown, yesno and truefalse choices
(``1, Male | 2, Female``) become the levels (the codes) and labels of a categorical variable;
a checkbox field becomes one yes/no variable per choice (``field___code``, 0/1) labelled with the
choice; ``date_*`` and ``datetime_*`` validation types say how dates are written;
``number_Ndp_comma_decimal`` says the decimal mark; a field marked ``Identifier? = y`` is left out
of the data read (so it can appear in no output) unless ``[report] show_ids`` is set.

A longitudinal export (``redcap_event_name``) or one with repeating instruments
(``redcap_repeat_instrument``) has several rows per patient: it is refused unless
``[data] redcap_event`` names the baseline event to analyse (repeat-instrument rows are then
left out).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from survstudy.config.models import Key, StudyFile, _SourceFields
from survstudy.data.registry import Table
from survstudy.engine.dialect import CsvDialect, dialect_csv_parquet, read_csv_sql
from survstudy.engine.fileinfo import ColumnInfo, SourceInfo
from survstudy.errors import InputError, Problem

__all__ = ["Field", "read_dictionary", "redcap_info", "redcap_table"]

#: Dictionary headers (REDCap's names; matched without case, spaces or punctuation).
_HEADERS = {
    "name": "variablefieldname",
    "form": "formname",
    "type": "fieldtype",
    "label": "fieldlabel",
    "choices": "choicescalculationsorsliderlabels",
    "validation": "textvalidationtypeorshowslidernumber",
    "identifier": "identifier",
}

_DATE_FORMATS = {"dmy": "%d-%m-%Y", "mdy": "%m-%d-%Y", "ymd": "%Y-%m-%d"}
_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_NUMBER = re.compile(r"(number|integer)(_\d+dp)?(_comma_decimal)?")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Field:
    """One row of a REDCap data dictionary."""

    name: str
    form: str
    type: str
    label: str
    choices: dict[str, str]
    validation: str
    identifier: bool

    @property
    def comma_decimal(self) -> bool:
        return self.validation.endswith("_comma_decimal")

    def columns(self) -> dict[str, ColumnInfo]:
        """The export columns this field gives, with what the dictionary says of each."""
        label = self.label or None
        if self.type == "checkbox":
            return {
                f"{self.name}___{_checkbox_code(code)}": ColumnInfo(
                    label=f"{self.label}: {text}" if self.label else text,
                    kind="categorical",
                    value_labels={"0": "No", "1": "Yes"},
                    identifier=self.identifier,
                )
                for code, text in self.choices.items()
            }
        if self.type in ("radio", "dropdown"):
            info = ColumnInfo(label, "categorical", dict(self.choices), identifier=self.identifier)
        elif self.type == "yesno":
            info = ColumnInfo(label, "categorical", {"0": "No", "1": "Yes"},
                              identifier=self.identifier)
        elif self.type == "truefalse":
            info = ColumnInfo(label, "categorical", {"0": "False", "1": "True"},
                              identifier=self.identifier)
        elif self.validation.startswith(("date_", "datetime_")):
            order = self.validation.split("_")[-1]
            fmt = _DATE_FORMATS.get(order)
            if fmt and self.validation.startswith("datetime_seconds"):
                fmt += " %H:%M:%S"
            elif fmt and self.validation.startswith("datetime"):
                fmt += " %H:%M"
            info = ColumnInfo(label, "date", date_format=fmt, identifier=self.identifier)
        elif _NUMBER.fullmatch(self.validation) or self.type in ("calc", "slider"):
            info = ColumnInfo(label, "continuous", identifier=self.identifier)
        elif self.type in ("descriptive",):
            return {}
        else:
            info = ColumnInfo(label, None, identifier=self.identifier)
        return {self.name: info}


def _checkbox_code(code: str) -> str:
    """How REDCap writes a checkbox choice code in a column name (lower case, ``-`` → ``_``)."""
    return code.strip().lower().replace("-", "_").replace(".", "_")


def _key(header: str) -> str:
    return re.sub(r"[^a-z]", "", header.lower())


def _choices(text: str) -> dict[str, str]:
    out = {}
    for item in text.split("|"):
        code, sep, label = item.partition(",")
        if sep and code.strip():
            out[code.strip()] = _TAG.sub("", label).strip()
    return out


def read_dictionary(path: Path, name: str | None = None) -> list[Field]:
    """The fields of a REDCap data dictionary CSV (UTF-8, with or without BOM)."""
    shown = name or str(path)
    if not path.is_file():
        raise InputError(Problem("data dictionary not found; check dictionary =", file=shown))
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise InputError(Problem("the data dictionary is not UTF-8 text", file=shown)) from None
    if not rows:
        raise InputError(Problem("the data dictionary is empty", file=shown))
    where = {_key(h): i for i, h in enumerate(rows[0])}
    missing = [h for k, h in _HEADERS.items() if h not in where and k in ("name", "type")]
    if missing:
        raise InputError(
            Problem(
                "not a REDCap data dictionary: no 'Variable / Field Name' and 'Field Type' "
                "columns (export it from Project Setup → Data Dictionary)",
                file=shown,
            )
        )

    def cell(row: list[str], k: str) -> str:
        i = where.get(_HEADERS[k])
        return row[i].strip() if i is not None and i < len(row) else ""

    return [
        Field(
            name=cell(r, "name"),
            form=cell(r, "form"),
            type=cell(r, "type").lower(),
            label=_TAG.sub("", cell(r, "label")).strip(),
            choices=_choices(cell(r, "choices")) if cell(r, "type").lower() in (
                *_CHOICE_TYPES,) else {},
            validation=cell(r, "validation").lower(),
            identifier=cell(r, "identifier").lower() in ("y", "yes", "1"),
        )
        for r in rows[1:]
        if r and cell(r, "name")
    ]


def _fields(spec: _SourceFields, study: StudyFile) -> list[Field]:
    assert spec.dictionary is not None
    return read_dictionary(Path(study.resolve(spec.dictionary)), spec.dictionary)


def redcap_info(spec: _SourceFields, study: StudyFile) -> SourceInfo:
    """What the data dictionary says of each export column."""
    columns: dict[str, ColumnInfo] = {}
    for f in _fields(spec, study):
        columns.update(f.columns())
    return SourceInfo(str(spec.dictionary), columns)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def redcap_table(spec: _SourceFields, study: StudyFile, key: Key, path: Path) -> Table:
    """The export as a Parquet-backed table: one row per patient, identifiers left out."""
    import duckdb

    name = str(path)
    fields = _fields(spec, study)
    dialect = CsvDialect(spec.delimiter, spec.decimal or ".", spec.encoding or "utf-8")
    con = duckdb.connect()
    scan = read_csv_sql(path, name, dialect, all_varchar="true")
    try:
        header = [str(r[0]) for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise InputError(Problem(f"cannot read the REDCap export: {first}", file=name)) from None
    c = study.config
    conditions = []
    event = getattr(c.data, "redcap_event", None) if spec is c.data else None
    longitudinal = "redcap_event_name" in header
    repeating = "redcap_repeat_instrument" in header
    if (longitudinal or repeating) and event is None:
        events = ""
        if longitudinal:
            found = con.sql(
                f"SELECT DISTINCT redcap_event_name FROM {scan} "
                "WHERE redcap_event_name IS NOT NULL ORDER BY 1 LIMIT 10"
            ).fetchall()
            events = " (events: " + ", ".join(str(r[0]) for r in found) + ")"
        what = "a longitudinal export" if longitudinal else "an export with repeating instruments"
        raise InputError(
            study.problem(
                (*key, "source"),
                f"{what} has several rows per patient; name the baseline event to analyse "
                f'with redcap_event = "..." in [data]{events}',
                spec.source,
            )
        )
    if event is not None:
        if longitudinal:
            conditions.append(f"redcap_event_name = {_lit(event)}")
        if repeating:
            conditions.append("redcap_repeat_instrument IS NULL")
    columns: dict[str, ColumnInfo] = {}
    for f in fields:
        columns.update(f.columns())
    drop = set()
    if not c.report.show_ids:
        drop = {col for col, info in columns.items() if info.identifier and col != c.data.id}
    comma = {
        col
        for f in fields
        if f.comma_decimal
        for col in f.columns()
    }
    continuous = {n for n, v in c.variables.items() if v.type == "continuous"}
    parquet = dialect_csv_parquet(
        path,
        name,
        dialect,
        continuous=continuous,
        comma_columns=comma,
        drop=drop & set(header),
        where=" AND ".join(conditions) or None,
    )
    return Table(name, None, 2, path=parquet, kind="parquet")
