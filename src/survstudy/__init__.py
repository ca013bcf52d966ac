"""survstudy: from a patient registry to a reproducible survival-study report.

The public API is what this module exports; the CLI and the web app call the same functions.
Heavy modules load on first use so that ``survstudy --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from survstudy._version import __version__
from survstudy.errors import InputError, Problem

__all__ = [
    "CharacteristicsTable",
    "CountTable",
    "CoxResult",
    "CumulativeIncidence",
    "EventSpec",
    "ExactLogRank",
    "FineGrayResult",
    "GrayTest",
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
    "cause_specific_cox",
    "characteristics_table",
    "compare_survival",
    "count_table",
    "cox_regression",
    "cumulative_incidence",
    "exact_log_rank",
    "fine_gray",
    "fisher_exact",
    "gray_test",
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
    "EventSpec": "survstudy.engine.events",
    "KaplanMeier": "survstudy.stats.survival.km",
    "kaplan_meier_counts": "survstudy.stats.survival.km",
    "kaplan_meier": "survstudy.api.survival",
    "survival_counts": "survstudy.api.survival",
    "compare_survival": "survstudy.api.survival",
    "SurvivalTest": "survstudy.stats.survival.logrank",
    "PairwiseTests": "survstudy.stats.survival.logrank",
    "weighted_log_rank": "survstudy.stats.survival.logrank",
    "stratified_log_rank": "survstudy.stats.survival.logrank",
    "trend_test": "survstudy.stats.survival.logrank",
    "pairwise_log_rank": "survstudy.stats.survival.logrank",
    "ExactLogRank": "survstudy.stats.survival.exact_logrank",
    "exact_log_rank": "survstudy.stats.survival.exact_logrank",
    "adjust_p_values": "survstudy.stats.survival.multiplicity",
    "CoxResult": "survstudy.stats.regression.cox_result",
    "cox_regression": "survstudy.api.regression",
    "PrognosticTables": "survstudy.stats.regression.prognostic",
    "prognostic_factors": "survstudy.api.regression",
    "ProportionalHazardsTest": "survstudy.stats.regression.zph",
    "proportional_hazards_test": "survstudy.stats.regression.zph",
    "IPTWResult": "survstudy.api.adjusted",
    "iptw": "survstudy.api.adjusted",
    "love_plot": "survstudy.report.loveplot",
    "km_figure": "survstudy.report.figures",
    "save_figure": "survstudy.report.figures",
    "CharacteristicsTable": "survstudy.stats.characteristics.table",
    "characteristics_table": "survstudy.api.characteristics",
    "fisher_exact": "survstudy.stats.characteristics.fisher",
    "Study": "survstudy.study",
    "load_study": "survstudy.study",
    "synthesize": "survstudy.synth",
    "write_synthetic": "survstudy.synth",
    "cumulative_incidence": "survstudy.api.competing",
    "gray_test": "survstudy.api.competing",
    "fine_gray": "survstudy.api.competing",
    "cause_specific_cox": "survstudy.api.competing",
    "CumulativeIncidence": "survstudy.stats.survival.cif",
    "GrayTest": "survstudy.stats.survival.cif",
    "FineGrayResult": "survstudy.stats.regression.finegray",
}

if TYPE_CHECKING:
    from survstudy.api.adjusted import IPTWResult, iptw
    from survstudy.api.characteristics import characteristics_table
    from survstudy.api.competing import (
        cause_specific_cox,
        cumulative_incidence,
        fine_gray,
        gray_test,
    )
    from survstudy.api.regression import cox_regression, prognostic_factors
    from survstudy.api.survival import compare_survival, kaplan_meier, survival_counts
    from survstudy.engine.counts import CountTable, count_table
    from survstudy.engine.events import EventSpec
    from survstudy.report.figures import km_figure, save_figure
    from survstudy.report.loveplot import love_plot
    from survstudy.stats.characteristics.fisher import fisher_exact
    from survstudy.stats.characteristics.table import CharacteristicsTable
    from survstudy.stats.regression.cox_result import CoxResult
    from survstudy.stats.regression.finegray import FineGrayResult
    from survstudy.stats.regression.prognostic import PrognosticTables
    from survstudy.stats.regression.zph import ProportionalHazardsTest, proportional_hazards_test
    from survstudy.stats.survival.cif import CumulativeIncidence, GrayTest
    from survstudy.stats.survival.exact_logrank import ExactLogRank, exact_log_rank
    from survstudy.stats.survival.km import KaplanMeier, kaplan_meier_counts
    from survstudy.stats.survival.logrank import (
        PairwiseTests,
        SurvivalTest,
        pairwise_log_rank,
        stratified_log_rank,
        trend_test,
        weighted_log_rank,
    )
    from survstudy.stats.survival.multiplicity import adjust_p_values
    from survstudy.study import Study, load_study
    from survstudy.synth import synthesize, write_synthetic


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'survstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
