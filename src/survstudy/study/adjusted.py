"""The study's ``[adjustment]`` section: an IPTW-adjusted comparison of the treatment on the
first analysed endpoint, computed on the cohort by the same core as ``survstudy iptw``
(:func:`survstudy.stats.adjustment.iptw.iptw_frame`), beside the crude Kaplan-Meier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from survstudy.stats.adjustment.iptw import IPTWResult
    from survstudy.stats.survival.km import KaplanMeier
    from survstudy.study.load import Study

__all__ = ["AdjustedResult", "adjusted_result"]


@dataclass(frozen=True)
class AdjustedResult:
    """IPTW result of ``endpoint`` by ``treatment``, with the crude (unweighted) curves of
    the same rows beside it."""

    endpoint: str
    label: str
    iptw: IPTWResult
    crude: KaplanMeier

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "label": self.label} | self.iptw.to_dict()


def adjusted_result(study: Study, endpoint: str) -> AdjustedResult | None:
    """IPTW on ``endpoint`` as ``[adjustment]`` asks (None when there is no such section)."""
    from survstudy.engine.counts import count_table
    from survstudy.engine.events import EventSpec
    from survstudy.stats.adjustment.iptw import iptw_frame
    from survstudy.stats.survival.km import kaplan_meier_counts

    cfg = study.config
    a = cfg.adjustment
    if a is None:
        return None
    time, event = study.endpoint_columns(endpoint)
    covariates = list(dict.fromkeys(a.covariates))
    categorical = [c for c in covariates
                   if (v := cfg.variables.get(c)) is not None and v.type == "categorical"]
    reference = {c: str(lv[0]) for c in categorical if (lv := cfg.variables[c].levels)}
    frame = study.frame([time, event, a.treatment, *covariates])
    frame[event] = frame[event].astype("Int8")
    for c in [a.treatment, *categorical]:
        frame[c] = frame[c].astype("string")
    result = iptw_frame(frame, a.treatment, str(a.treated), covariates, time,
                        EventSpec.parse(event), categorical=categorical, reference=reference,
                        estimand=a.estimand, stabilize=a.stabilize, trim=a.trim,
                        at=study.landmarks, conf_type=cfg.report.conf_type, source="cohort")
    import numpy as np

    labels = np.where(result.is_treated, result.treated, result.control)
    # the crude curves of the same rows (weights of 1), arms in the same order
    counts = count_table(result.time, result.event, labels, groups=[c.label for c in result.km])
    crude = kaplan_meier_counts(counts, conf_type=cfg.report.conf_type)
    return AdjustedResult(endpoint, cfg.endpoints[endpoint].label or endpoint, result, crude)

