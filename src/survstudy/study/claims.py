"""Published numbers set beside what the data give: a verdict, and why.

A study file may list numbers a paper printed (``[[published]]``). Each is recomputed from the
data and called reproduced when the recomputed value, rounded to the printed decimals, equals
the printed value. :mod:`survstudy.study.verdicts` then works out why the others are not
(contradicts, impossible, outside-range, not-derivable, differs). Nothing here is typed by
hand except the printed number; its ``note`` is shown beside the verdict, never instead of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from survstudy.config.models import PublishedValue

__all__ = ["VERDICTS", "ClaimCheck", "Verdict", "check_claim", "printed_decimals"]

Verdict = Literal["reproduced", "contradicts", "impossible", "outside-range", "not-derivable",
                  "differs"]
VERDICTS: tuple[Verdict, ...] = ("reproduced", "contradicts", "impossible", "outside-range",
                                 "not-derivable", "differs")


@dataclass(frozen=True)
class ClaimCheck:
    """One printed number, what the data give (None when they cannot give it), the verdict
    and its generated reason; ``attainable`` is the (min, max) that the checks found possible
    (None when none was worked out) and ``contradicted_by`` the indices of the other
    ``[[published]]`` entries printing the same quantity with another value."""

    claim: PublishedValue
    computed: float | None
    decimals: int
    verdict: Verdict
    reason: str
    attainable: tuple[float, float] | None = None
    contradicted_by: tuple[int, ...] = ()

    @property
    def reproduced(self) -> bool:
        return self.verdict == "reproduced"

    def to_dict(self) -> dict[str, object]:
        return {
            "what": self.claim.what,
            "quantity": self.claim.quantity,
            "published": self.claim.value,
            "printed": self.claim.value,
            "computed": self.computed,
            "decimals": self.decimals,
            "verdict": self.verdict,
            "reproduced": self.reproduced,
            "reason": self.reason,
            "note": self.claim.note,
            "attainable": None if self.attainable is None else {
                "min": self.attainable[0], "max": self.attainable[1]},
            "contradicted_by": list(self.contradicted_by),
            "source": self.claim.source,
        }


def printed_decimals(claim: PublishedValue) -> int:
    """Decimals the number was printed with (``decimals`` if stated, else from the value)."""
    if claim.decimals is not None:
        return claim.decimals
    text = repr(float(claim.value))
    return 0 if text.endswith(".0") and claim.quantity == "count" else len(text.split(".")[1])


def _rounded(x: float, decimals: int) -> Decimal:
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def check_claim(
    claim: PublishedValue, compute: Callable[[PublishedValue], tuple[float | None, str]]
) -> ClaimCheck:
    """Recompute ``claim`` with ``compute`` (value, or None and why not) and compare: a first
    verdict (reproduced, not-derivable or differs) that the verdict logic refines."""
    decimals = printed_decimals(claim)
    value, why_not = compute(claim)
    if value is None:
        return ClaimCheck(claim, None, decimals, "not-derivable", why_not)
    if _rounded(value, decimals) == _rounded(claim.value, decimals):
        return ClaimCheck(claim, value, decimals, "reproduced",
                          f"the data give {value:.{decimals + 2}f}, which rounds half-up to "
                          f"the printed {claim.value:.{decimals}f}")
    return ClaimCheck(claim, value, decimals, "differs", "the data give a different value")
