"""GRIM: can a printed percentage or mean come from whole numbers at all?

A percentage of ``n`` patients is ``100 k / n`` for a whole ``k``; a mean of an
integer-valued variable (age in whole years, a score) is ``S / n`` for a whole sum ``S``. A
printed value that no ``k`` (or ``S``) rounds to cannot be right, whatever the data
(Brown and Heathers' granularity-related inconsistency of means). When the data are at hand,
:func:`rounding_rules` names the rule that turns the exact value into the printed one
(51.08 printed as 51.0 is truncation, not rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

__all__ = ["RULES", "Grim", "grim_mean", "grim_percent", "round_with", "rounding_rules"]

#: Rounding rules tried, by name, as :mod:`decimal` modes.
RULES: dict[str, str] = {
    "rounded half up": ROUND_HALF_UP,
    "rounded half to even": ROUND_HALF_EVEN,
    "truncated": ROUND_DOWN,
    "rounded down": ROUND_FLOOR,
    "rounded up": ROUND_CEILING,
}


@dataclass(frozen=True)
class Grim:
    """The whole numbers (counts ``k`` of ``n``, or sums ``S``) whose percentage or mean rounds
    half-up to ``printed`` at ``decimals``; ``consistent`` when there is one."""

    kind: str  # "percent" or "mean"
    printed: float
    n: int
    decimals: int
    candidates: range

    @property
    def consistent(self) -> bool:
        return bool(self.candidates)

    def nearest(self) -> tuple[float, float]:
        """The two attainable values either side of ``printed`` (percent or mean)."""
        scale = 100.0 if self.kind == "percent" else 1.0
        step = scale / self.n
        below = np.floor(self.printed / step) * step
        return float(below), float(below + step)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "printed": self.printed, "n": self.n,
                "decimals": self.decimals,
                # the first and last: a registry's mean has a million candidate sums
                "candidates": [self.candidates[0], self.candidates[-1]] if self.candidates else [],
                "consistent": self.consistent}


def round_with(x: float, decimals: int, rule: str = "rounded half up") -> float:
    """``x`` rounded at ``decimals`` by ``rule`` (on its shortest decimal text, not binary)."""
    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals),
                                                   rounding=RULES[rule]))


def _whole(printed: float, decimals: int, n: int, scale: float, top: int | None) -> range:
    if n < 1:
        raise ValueError("n must be at least 1")
    half = 0.5 * 10.0 ** (-decimals)
    # whole numbers w with printed - half <= scale * w / n < printed + half
    low = int(np.ceil((printed - half) * n / scale - 1e-9))
    high = int(np.floor((printed + half) * n / scale + 1e-9))
    if top is not None:
        low, high = max(low, 0), min(high, top)
    target = round_with(printed, decimals)

    def rounds(w: int) -> bool:
        return round_with(scale * w / n, decimals) == target

    # w / n increases with w and rounding keeps order, so the matches are one run: only its
    # ends (within the slack of the bounds above) need the exact decimal check
    while low <= high and not rounds(low):
        low += 1
    while high >= low and not rounds(high):
        high -= 1
    return range(low, high + 1)


def grim_percent(printed: float, n: int, decimals: int) -> Grim:
    """Counts ``k`` in ``0..n`` with ``100 k / n`` rounding half-up to ``printed``."""
    return Grim("percent", float(printed), n, decimals, _whole(printed, decimals, n, 100.0, n))


def grim_mean(printed: float, n: int, decimals: int) -> Grim:
    """Whole sums ``S`` with ``S / n`` rounding half-up to ``printed`` (a mean of ``n``
    integer-valued observations)."""
    return Grim("mean", float(printed), n, decimals, _whole(printed, decimals, n, 1.0, None))


def rounding_rules(exact: float, printed: float, decimals: int) -> tuple[str, ...]:
    """The rules of :data:`RULES` that turn ``exact`` into ``printed`` at ``decimals``."""
    target = round_with(printed, decimals)
    return tuple(name for name in RULES if round_with(exact, decimals, name) == target)
