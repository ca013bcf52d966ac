"""Median follow-up by the reverse Kaplan-Meier method (Schemper and Smith, 1996).

Censoring is treated as the event and deaths as censored, so the estimate is the potential
follow-up: how long patients would have been followed had they not died. It is computed from
the same count table as the survival curves, with the two count columns swapped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from survstudy.engine.counts import CountTable
from survstudy.stats.survival.km import ConfType, Quantile, kaplan_meier_counts

__all__ = ["FollowUp", "reverse_counts", "reverse_km_follow_up"]


@dataclass(frozen=True)
class FollowUp:
    """Median potential follow-up per group (reverse Kaplan-Meier) with its CI."""

    groups: tuple[str, ...]
    medians: tuple[Quantile, ...]
    method: str = "reverse Kaplan-Meier"

    def __getitem__(self, label: str) -> Quantile:
        return self.medians[self.groups.index(label)]

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "groups": {g: m.to_dict() for g, m in zip(self.groups, self.medians, strict=True)},
        }


def reverse_counts(counts: CountTable) -> CountTable:
    """The count table with events and censorings exchanged."""
    return replace(counts, n_event=counts.n_censor, n_censor=counts.n_event)


def reverse_km_follow_up(
    counts: CountTable, conf_type: ConfType = "log-log", conf_level: float = 0.95
) -> FollowUp:
    """Median follow-up of each group of ``counts`` (and of all patients when pooled)."""
    km = kaplan_meier_counts(reverse_counts(counts), conf_type=conf_type, conf_level=conf_level)
    return FollowUp(km.groups, tuple(c.median for c in km))
