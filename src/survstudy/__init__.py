"""survstudy: from a patient registry to a reproducible survival-study report.

The public API is what this module exports; the CLI and the web app call the same functions.
Heavy modules load on first use so that ``survstudy --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from survstudy.errors import InputError, Problem

__version__ = "0.1.0"

__all__ = [
    "CountTable",
    "EventSpec",
    "InputError",
    "KaplanMeier",
    "Problem",
    "__version__",
    "count_table",
    "kaplan_meier",
    "kaplan_meier_counts",
    "survival_counts",
]

_LAZY = {
    "CountTable": "survstudy.engine.counts",
    "count_table": "survstudy.engine.counts",
    "EventSpec": "survstudy.data.events",
    "KaplanMeier": "survstudy.stats.km",
    "kaplan_meier_counts": "survstudy.stats.km",
    "kaplan_meier": "survstudy.analysis",
    "survival_counts": "survstudy.analysis",
}

if TYPE_CHECKING:
    from survstudy.analysis import kaplan_meier, survival_counts
    from survstudy.data.events import EventSpec
    from survstudy.engine.counts import CountTable, count_table
    from survstudy.stats.km import KaplanMeier, kaplan_meier_counts


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'survstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
