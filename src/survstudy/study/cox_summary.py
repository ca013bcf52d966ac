"""What the report's Cox tables show beyond :class:`PrognosticTables`: the endpoint they model,
hazard ratios of continuous covariates per the unit the study file chooses (``[report]
hr_per``), and the proportional-hazards test of each model (R's ``cox.zph``).

The fitted tables stay as they are (per unit, in ``results.json`` under ``prognostic``); the
rescaled rows sit beside them with the scale that made them, so a reader can go back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survstudy.stats.regression.per_unit import per_units
from survstudy.stats.regression.zph import (
    PHTest,
    ProportionalHazardsTest,
    proportional_hazards_test,
)

if TYPE_CHECKING:
    from survstudy.stats.regression.prognostic import PrognosticRow, PrognosticTables
    from survstudy.study.load import Study

__all__ = ["CoxSummary", "cox_summary"]


@dataclass(frozen=True)
class CoxSummary:
    """The Cox tables as the report shows them.

    ``per`` holds, per rescaled covariate, the number of units one HR step stands for
    (``per_sd`` names those whose step is their standard deviation in the analysed cohort,
    sample SD). ``ph_univariable`` is each covariate's test in its model alone;
    ``ph_multivariable`` the per-term and global tests of the multivariable model. Both are
    empty / None for Firth's penalized fit (the score test is defined at the ordinary MLE).
    """

    endpoint: str
    per: Mapping[str, float]
    per_sd: tuple[str, ...]
    univariable: tuple[PrognosticRow, ...]
    multivariable: tuple[PrognosticRow, ...]
    ph_univariable: Mapping[str, PHTest]
    ph_multivariable: ProportionalHazardsTest | None

    @property
    def ph_global(self) -> PHTest | None:
        """The multivariable model's global proportional-hazards test (the text's number)."""
        if self.ph_multivariable is None:
            return None
        return next(t for t in self.ph_multivariable.tests if t.term == "GLOBAL")

    def to_dict(self) -> dict[str, Any]:
        multi = self.ph_multivariable
        return {
            "endpoint": self.endpoint,
            "hr_per": dict(self.per),
            "hr_per_sd": list(self.per_sd),
            "univariable": [r.to_dict() for r in self.univariable],
            "multivariable": [r.to_dict() for r in self.multivariable],
            "proportional_hazards": {
                "univariable": {c: t.to_dict() for c, t in self.ph_univariable.items()},
                "multivariable": None if multi is None else [t.to_dict() for t in multi.tests],
                "method": None if multi is None else multi.method,
                "transform": None if multi is None else multi.transform,
            },
        }


def cox_summary(study: Study, endpoint: str, tables: PrognosticTables) -> CoxSummary:
    """The report's view of ``tables`` (fitted for ``endpoint``) with the study file's scales."""
    chosen = study.config.report.hr_per
    per: dict[str, float] = {}
    per_sd = []
    for name, how in chosen.items():
        if how == "sd":
            sd = study.frame([name])[name].astype("float").std(ddof=1)
            per[name] = float(sd)
            per_sd.append(name)
        else:
            per[name] = float(how)
    ph_uni: dict[str, PHTest] = {}
    ph_multi = None
    if tables.method == "cox":
        for key, model in tables.models.items():
            if key.startswith("univariable:"):
                name = key.split(":", 1)[1]
                ph_uni[name] = next(t for t in proportional_hazards_test(model).tests
                                    if t.term == name)
        if "multivariable" in tables.models:
            ph_multi = proportional_hazards_test(tables.models["multivariable"])
    return CoxSummary(
        endpoint=endpoint,
        per=per,
        per_sd=tuple(per_sd),
        univariable=per_units(tables.univariable, per),
        multivariable=per_units(tables.multivariable, per),
        ph_univariable=ph_uni,
        ph_multivariable=ph_multi,
    )
