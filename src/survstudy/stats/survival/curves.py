"""What every set of survival-type curves shares: access by group label, counts as integers
when unweighted, and one long table (one row per group and distinct time).

Used by :class:`~survstudy.stats.survival.km.KaplanMeier` and
:class:`~survstudy.stats.survival.cif.CumulativeIncidence`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import whole_counts
from survstudy.jsonsafe import fields_dict

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CurveSet",
    "LabelledCurve",
    "count_list",
    "count_value",
    "curve_columns",
    "curves_frame",
    "finite_or_none",
    "one_row_frame",
]


def count_value(x: float) -> int | float:
    """A count as an int when whole (unweighted data), else the float (case weights)."""
    return int(x) if float(x).is_integer() else float(x)


def count_list(values: NDArray[np.float64]) -> list[int] | list[float]:
    """Counts as ints when all are whole (unweighted data), else floats (case weights)."""
    out: list[int] | list[float] = whole_counts(values).tolist()
    return out


def finite_or_none(x: float) -> float | None:
    """``x`` as a float, or None when it is not finite (not estimable: null in JSON)."""
    return float(x) if np.isfinite(x) else None


def curve_columns(
    label: str, time: NDArray[np.float64], **counts: NDArray[np.float64]
) -> dict[str, object]:
    """The first columns of a curve's ``to_dict``: group, times and the counts at each time."""
    return {"group": label, "time": time.tolist(), **{k: count_list(v) for k, v in counts.items()}}


class LabelledCurve(Protocol):
    """A curve of one group: its label and a column-wise ``to_dict``."""

    @property
    def label(self) -> str: ...

    def to_dict(self) -> dict[str, object]: ...


C = TypeVar("C", bound=LabelledCurve)


class CountSummary(Protocol):
    """What a curve set reports of the count table it came from."""

    @property
    def excluded(self) -> int: ...

    @property
    def ties_merged(self) -> int: ...


class CurveSet(Generic[C]):
    """Mixin for a frozen result holding ``curves`` and their ``counts``: iterate, index by
    label, long table, and ``to_dict``."""

    curves: tuple[C, ...]
    counts: CountSummary

    def __iter__(self) -> Iterator[C]:
        return iter(self.curves)

    def __len__(self) -> int:
        return len(self.curves)

    def __getitem__(self, label: str) -> C:
        for c in self.curves:
            if c.label == label:
                return c
        raise KeyError(label)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.curves)

    def to_dict(self) -> dict[str, Any]:
        """The choices (every other field, in order), the curves, and the rows the count table
        left out and the near-tied times it merged."""
        choices = {k: v for k, v in fields_dict(self).items() if k not in ("curves", "counts")}
        return {
            **choices,
            "curves": [c.to_dict() for c in self.curves],
            "excluded": {"rows": self.counts.excluded},
            "ties_merged": self.counts.ties_merged,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per group and distinct time (the columns of each curve's ``to_dict``)."""
        return curves_frame(self.curves)


def curves_frame(curves: tuple[LabelledCurve, ...] | Any) -> pd.DataFrame:
    """The curves' ``to_dict`` columns stacked, with a leading ``group`` column."""
    import pandas as pd

    frames = [
        pd.DataFrame({"group": c.label, **{k: v for k, v in c.to_dict().items() if k != "group"}})
        for c in curves
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def one_row_frame(fields: dict[str, object]) -> pd.DataFrame:
    """A test's ``to_dict`` as a one-row frame: its scalar fields (lists and tuples left out)."""
    import pandas as pd

    return pd.DataFrame([{k: v for k, v in fields.items() if not isinstance(v, (list, tuple))}])
