"""The public survival functions: data in (a DataFrame or a file), immutable results out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from survstudy.data.events import EventSpec
from survstudy.data.sources import open_source
from survstudy.engine.counts import CountTable
from survstudy.engine.duckdb import duckdb_counts
from survstudy.stats.km import ConfType, KaplanMeier, kaplan_meier_counts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["kaplan_meier", "survival_counts"]



def _event(event: str | EventSpec) -> EventSpec:
    return event if isinstance(event, EventSpec) else EventSpec.parse(event)


def survival_counts(
    data: pd.DataFrame | str | Path,
    time: str,
    event: str | EventSpec,
    by: str | None = None,
    *,
    groups: Sequence[str] | None = None,
) -> CountTable:
    """Check the survival columns of ``data`` and aggregate them into a count table.

    ``event`` is a 0/1 (or true/false) column name, or ``"column=code,..."`` naming the codes
    that mean the event. Rows with a missing time, event or group are left out and counted.
    Raises :class:`survstudy.InputError` listing every problem found.
    """
    return duckdb_counts(open_source(data), time, _event(event), by, groups=groups)


def kaplan_meier(
    data: pd.DataFrame | str | Path,
    time: str,
    event: str | EventSpec,
    by: str | None = None,
    *,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    groups: Sequence[str] | None = None,
) -> KaplanMeier:
    """Kaplan-Meier curves overall or per group of ``by`` (see :func:`survival_counts`)."""
    counts = survival_counts(data, time, event, by, groups=groups)
    return kaplan_meier_counts(counts, conf_type=conf_type, conf_level=conf_level)
