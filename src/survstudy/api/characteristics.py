"""Table 1 from a DataFrame or a file: read the columns, then build the table.

The statistics are :func:`survstudy.stats.characteristics.table.characteristics_table_rows`;
this module only resolves ``data`` (the study layer and the DuckDB path give rows or counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from survstudy.api.inputs import Data, merged, open_data, typed_labels, typed_levels
from survstudy.engine.sources import read_frame
from survstudy.stats.characteristics.fisher import NetworkLimits
from survstudy.stats.characteristics.table import CharacteristicsTable, characteristics_table_rows
from survstudy.stats.characteristics.tests_continuous import ContinuousRule

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.engine.sources import Source

__all__ = ["characteristics_table"]


def characteristics_table(
    data: Data,
    group: str,
    categorical: Sequence[str] = (),
    continuous: Sequence[str] = (),
    *,
    tests: Mapping[str, str] | Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    conf_level: float = 0.95,
    fisher_limits: NetworkLimits | None = None,
    continuous_rule: ContinuousRule = "auto",
) -> CharacteristicsTable:
    """Patient characteristics of ``data`` by ``group``, with a test for each variable.

    ``tests`` forces a test per variable ({"age": "welch"} or ["age=welch"]); otherwise the
    rule of DESIGN.md chooses and the reason is recorded (``continuous_rule``: "auto" by a
    Shapiro-Wilk pre-test, "nonparametric" or "parametric" for every continuous variable).
    ``groups`` and ``levels`` ({variable: [value, ...]}) state the display order; by default a
    Study's declared levels or a pandas categorical's categories, else numeric order when all
    values are numbers, else text order. ``labels`` ({variable: {value: label}}, the group
    column too) renames values in the table; a Study's level labels are the default.
    Rows with a missing group are left out and counted. Raises :class:`survstudy.InputError`
    listing every problem in the data, ValueError for an impossible request.
    (:func:`survstudy.stats.characteristics.table_sql.characteristics_table_sql` does the same
    inside DuckDB.)
    """

    typed = typed_levels(data, [group, *categorical])
    if groups is None and group in typed:
        groups = typed.pop(group)
    typed.pop(group, None)

    def read(columns: Sequence[str]) -> tuple[pd.DataFrame, Source]:
        source = open_data(data)
        return read_frame(source, columns, as_text=True), source

    return characteristics_table_rows(
        read,
        group,
        categorical,
        continuous,
        tests=tests,
        groups=groups,
        levels=merged(levels, typed),
        labels=merged(labels, typed_labels(data)),
        conf_level=conf_level,
        fisher_limits=fisher_limits,
        continuous_rule=continuous_rule,
    )
