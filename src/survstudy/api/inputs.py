"""What the public functions accept as ``data``: a path, a DataFrame or a loaded :class:`Study`.

A :class:`~survstudy.study.load.Study` gives its cohort (:meth:`Study.frame`: one row per
patient, categorical variables as pandas categoricals in their declared order, endpoints as
``NAME_time`` / ``NAME_event``), its categorical levels and its level labels. A DataFrame
gives the order of its pandas categoricals. So ``ss.kaplan_meier(study, "os_time", "os_event",
by="arm")`` lists the arms in the study's order, and ``ss.characteristics_table(study, ...)``
shows the levels in their declared order, under their labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

from survstudy.engine.sources import Source, open_source

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.study.load import Study

__all__ = [
    "Data",
    "as_study",
    "merged",
    "open_data",
    "plain",
    "study_coding",
    "typed_labels",
    "typed_levels",
]

#: Everything a public function takes as ``data``.
Data = Union["pd.DataFrame", str, Path, "Study"]


def as_study(data: Any) -> Study | None:
    """``data`` when it is a loaded :class:`Study`, else None (without loading the study
    layer for a path or a DataFrame)."""
    if isinstance(data, (str, Path)):
        return None
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return None
    from survstudy.study.load import Study

    return data if isinstance(data, Study) else None


def plain(data: Data) -> pd.DataFrame | str | Path:
    """``data`` as a path or a DataFrame: a Study's cohort (:attr:`Study.data`)."""
    study = as_study(data)
    return cast("pd.DataFrame | str | Path", data) if study is None else study.data


def open_data(data: Data) -> Source:
    """The :class:`Source` of ``data``; a Study is read as its cohort."""
    study = as_study(data)
    if study is None:
        return open_source(plain(data))
    return Source(name=f"cohort of {study.file.path}", kind="frame", frame=study.data)


def typed_levels(data: Data, columns: Sequence[str]) -> dict[str, list[str]]:
    """The stated order of the values of ``columns`` that have one: a Study's categorical
    levels, or the categories of a pandas categorical (those present in the data)."""
    study = as_study(data)
    if study is not None:
        return {c: list(study.levels[c]) for c in columns if c in study.levels}
    if isinstance(data, (str, Path)):
        return {}
    frame = cast("pd.DataFrame", data)
    out = {}
    for c in columns:
        series = frame[c] if c in frame.columns else None
        if series is not None and hasattr(series, "cat"):
            present = set(series.dropna().astype(str))
            out[c] = [str(v) for v in series.cat.categories if str(v) in present]
    return out


def typed_labels(data: Data) -> dict[str, dict[str, str]]:
    """A Study's level labels ({variable: {level: label}}) from ``[variables.NAME] labels``."""
    study = as_study(data)
    if study is None:
        return {}
    return {name: dict(v.labels) for name, v in study.config.variables.items() if v.labels}


def study_coding(
    data: Data,
    covariates: Sequence[str],
    categorical: Sequence[str],
    reference: Mapping[str, str] | Sequence[str] | None,
) -> tuple[list[str], Mapping[str, str] | Sequence[str] | None]:
    """For a Study: its categorical variables among ``covariates`` are categorical (unless
    ``categorical`` is given), each against its first declared level (unless ``reference``
    is given). Anything else: as given."""
    categorical = list(categorical)
    if as_study(data) is None:
        return categorical, reference
    levels = typed_levels(data, covariates)
    if not categorical:
        categorical = [c for c in covariates if c in levels]
    if reference is None:
        reference = {c: levels[c][0] for c in categorical if levels.get(c)}
    return categorical, reference


def merged(
    given: Mapping[str, Any] | None, typed: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What the caller gave, over what the data states; None when neither says anything."""
    out = {**typed, **(given or {})}
    return out or None
