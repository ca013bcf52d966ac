"""Published numbers set beside what the data give: reproduced or not, and why.

A study file may list numbers a paper printed (``[[published]]``). Each is recomputed from the
data and called reproduced when the recomputed value, rounded to the printed decimals, equals
the printed value. Nothing here is typed by hand except the printed number and its note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from survstudy.config.models import PublishedValue

__all__ = ["ClaimCheck", "check_claim", "printed_decimals"]


@dataclass(frozen=True)
class ClaimCheck:
    """One printed number, what the data give (None when they cannot give it), and the verdict."""

    claim: PublishedValue
    computed: float | None
    decimals: int
    reproduced: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "what": self.claim.what,
            "quantity": self.claim.quantity,
            "published": self.claim.value,
            "computed": self.computed,
            "decimals": self.decimals,
            "reproduced": self.reproduced,
            "reason": self.reason,
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
    """Recompute ``claim`` with ``compute`` (value, or None and why not) and compare."""
    decimals = printed_decimals(claim)
    value, why_not = compute(claim)
    if value is None:
        reason = claim.note or why_not
        return ClaimCheck(claim, None, decimals, False, reason)
    same = _rounded(value, decimals) == _rounded(claim.value, decimals)
    if same:
        reason = "the data give the printed value"
    else:
        reason = claim.note or "the data give a different value"
    return ClaimCheck(claim, value, decimals, same, reason)
