"""What a data file says about its own columns, and how it fills in the study file.

SPSS, Stata and SAS files carry variable labels, value labels, user-missing codes and date
formats; a REDCap data dictionary says the same of a CSV export. Each reader returns a
:class:`SourceInfo`; :func:`with_metadata` folds it into the study file's ``[variables]``
*where the study file says nothing*: a key the user wrote always wins. Value labels become the
labels of a categorical variable whose levels stay the codes (the code 2, read as 2.0, is the
level "2"), so a study file written for the CSV export works unchanged on the labelled file.

Files converted for reading (SPSS/Stata/SAS, CSV dialects, REDCap exports) are written as
Parquet into one private folder per process (:func:`workspace`), removed at exit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survstudy.engine.fileinfo import ColumnInfo, SourceInfo, workspace

if TYPE_CHECKING:
    from survstudy.config.models import StudyFile, Variable, _SourceFields

__all__ = ["ColumnInfo", "SourceInfo", "source_info", "with_metadata", "workspace"]

def source_info(spec: _SourceFields, study: StudyFile) -> SourceInfo | None:
    """The metadata of one ``[data]`` / ``[[data.join]]`` source, None if it carries none."""
    source = spec.source
    if "://" in source:
        return None
    path = Path(study.resolve(source))
    if getattr(spec, "dictionary", None):
        from survstudy.data.redcap import redcap_info

        return redcap_info(spec, study)
    from survstudy.engine.statfiles import STAT_SUFFIXES, stat_info

    if path.suffix.lower() in STAT_SUFFIXES and path.is_file():
        catalog = getattr(spec, "catalog", None)
        return stat_info(path, study.resolve(catalog) if catalog else None)
    return None


def _used_as_numbers(study: StudyFile) -> set[str]:
    """Columns the study reads as numbers or codes whatever their labels say: the id and the
    ready-made endpoint times and events."""
    c = study.config
    out = {c.data.id}
    for ep in c.endpoints.values():
        if ep.time:
            out.add(ep.time)
        if ep.event:
            out.add(ep.event.partition("=")[0].strip())
    return out


def merge(declared: Variable | None, info: ColumnInfo, numbers: bool) -> dict[str, Any] | None:
    """The fields of ``declared`` completed by ``info`` (None when nothing is added)."""
    base: dict[str, Any] = declared.model_dump(by_alias=True) if declared else {}
    out = dict(base)
    if info.label and not out.get("label"):
        out["label"] = info.label
    kind = out.get("type") or (None if numbers else info.kind)
    if kind and not out.get("type"):
        out["type"] = kind
    if kind == "categorical" and info.value_labels and not out.get("labels"):
        out["labels"] = dict(info.value_labels)
    if info.missing:
        out["missing"] = list(dict.fromkeys([*base.get("missing", []), *info.missing]))
    if info.date_format and kind == "date" and not out.get("format"):
        out["format"] = info.date_format
    if out == base:
        return None
    return {k: v for k, v in out.items() if v is not None}


def with_metadata(study: StudyFile) -> StudyFile:
    """``study`` with its sources' metadata folded into ``[variables]`` (declared keys win)."""
    from survstudy.config.models import Variable

    c = study.config
    infos = [source_info(c.data, study), *(source_info(j, study) for j in c.data.join)]
    numbers = _used_as_numbers(study)
    variables = dict(c.variables)
    for info in infos:
        if info is None:
            continue
        for col, ci in info.columns.items():
            if ci.identifier and not c.report.show_ids and col != c.data.id:
                continue  # left out of the data read (data/redcap.py)
            fields = merge(variables.get(col), ci, col in numbers)
            if fields is not None:
                variables[col] = Variable.model_validate(fields)
    if variables == dict(c.variables):
        return study
    return dataclasses.replace(study, config=c.model_copy(update={"variables": variables}))
