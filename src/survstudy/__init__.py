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
    "CharacteristicsTable",
    "CountTable",
    "CoxResult",
    "EventSpec",
    "ExactLogRank",
    "IPTWResult",
    "InputError",
    "KaplanMeier",
    "PairwiseTests",
    "Problem",
    "PrognosticTables",
    "ProportionalHazardsTest",
    "Study",
    "SurvivalTest",
    "__version__",
    "adjust_p_values",
    "characteristics_table",
    "compare_survival",
    "count_table",
    "cox_regression",
    "exact_log_rank",
    "fisher_exact",
    "iptw",
    "kaplan_meier",
    "kaplan_meier_counts",
    "km_figure",
    "load_study",
    "love_plot",
    "pairwise_log_rank",
    "prognostic_factors",
    "proportional_hazards_test",
    "save_figure",
    "stratified_log_rank",
    "survival_counts",
    "synthesize",
    "trend_test",
    "weighted_log_rank",
    "write_synthetic",
]

_LAZY = {
    "CountTable": "survstudy.engine.counts",
    "count_table": "survstudy.engine.counts",
    "EventSpec": "survstudy.data.events",
    "KaplanMeier": "survstudy.stats.km",
    "kaplan_meier_counts": "survstudy.stats.km",
    "kaplan_meier": "survstudy.analysis",
    "survival_counts": "survstudy.analysis",
    "compare_survival": "survstudy.analysis",
    "SurvivalTest": "survstudy.stats.compare",
    "PairwiseTests": "survstudy.stats.compare",
    "weighted_log_rank": "survstudy.stats.compare",
    "stratified_log_rank": "survstudy.stats.compare",
    "trend_test": "survstudy.stats.compare",
    "pairwise_log_rank": "survstudy.stats.compare",
    "ExactLogRank": "survstudy.stats.exact_logrank",
    "exact_log_rank": "survstudy.stats.exact_logrank",
    "adjust_p_values": "survstudy.stats.multiplicity",
    "CoxResult": "survstudy.stats.cox",
    "cox_regression": "survstudy.stats.cox",
    "PrognosticTables": "survstudy.stats.prognostic",
    "prognostic_factors": "survstudy.stats.prognostic",
    "ProportionalHazardsTest": "survstudy.stats.zph",
    "proportional_hazards_test": "survstudy.stats.zph",
    "IPTWResult": "survstudy.adjusted",
    "iptw": "survstudy.adjusted",
    "love_plot": "survstudy.report.loveplot",
    "km_figure": "survstudy.report.figures",
    "save_figure": "survstudy.report.figures",
    "CharacteristicsTable": "survstudy.stats.tables",
    "characteristics_table": "survstudy.stats.tables",
    "fisher_exact": "survstudy.stats.fisher",
    "Study": "survstudy.study",
    "load_study": "survstudy.study",
    "synthesize": "survstudy.synth",
    "write_synthetic": "survstudy.synth",
}

if TYPE_CHECKING:
    from survstudy.adjusted import IPTWResult, iptw
    from survstudy.analysis import compare_survival, kaplan_meier, survival_counts
    from survstudy.data.events import EventSpec
    from survstudy.engine.counts import CountTable, count_table
    from survstudy.report.figures import km_figure, save_figure
    from survstudy.report.loveplot import love_plot
    from survstudy.stats.compare import (
        PairwiseTests,
        SurvivalTest,
        pairwise_log_rank,
        stratified_log_rank,
        trend_test,
        weighted_log_rank,
    )
    from survstudy.stats.cox import CoxResult, cox_regression
    from survstudy.stats.exact_logrank import ExactLogRank, exact_log_rank
    from survstudy.stats.fisher import fisher_exact
    from survstudy.stats.km import KaplanMeier, kaplan_meier_counts
    from survstudy.stats.multiplicity import adjust_p_values
    from survstudy.stats.prognostic import PrognosticTables, prognostic_factors
    from survstudy.stats.tables import CharacteristicsTable, characteristics_table
    from survstudy.stats.zph import ProportionalHazardsTest, proportional_hazards_test
    from survstudy.study import Study, load_study
    from survstudy.synth import synthesize, write_synthetic


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'survstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
