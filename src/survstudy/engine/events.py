"""Event columns: which codes mean the event happened.

``status=2`` means the event happened where ``status`` is 2 (several codes: ``status=1,2``);
a bare ``died`` takes 0/1 or true/false (yes/no). Codes are compared as numbers when both
sides are numbers, so ``2`` matches ``2.0``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EventSpec"]

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _same(a: str, b: str) -> bool:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return x == y
    return a.strip().lower() == b.strip().lower()


@dataclass(frozen=True)
class EventSpec:
    """An event column and the codes that count as the event (empty: a 0/1 column)."""

    column: str
    codes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> EventSpec:
        """``"status=2"`` → column ``status``, codes ``("2",)``; ``"died"`` → 0/1 column."""
        column, sep, codes = text.partition("=")
        column = column.strip()
        if not column:
            raise ValueError(f"event {text!r} names no column; write COLUMN or COLUMN=CODE")
        values = tuple(c.strip() for c in codes.split(",") if c.strip()) if sep else ()
        if sep and not values:
            raise ValueError(f"event {text!r} gives no code after '='")
        return cls(column, values)

    def __str__(self) -> str:
        return self.column + ("=" + ",".join(self.codes) if self.codes else "")

    def describe(self) -> str:
        if self.codes:
            return f"{self.column} in {{{', '.join(self.codes)}}}"
        return f"{self.column} = 1"

    def classify(self, value: str) -> bool | None:
        """True for the event, False for censored, None for a value this spec does not know.

        With codes, every other non-missing value counts as censored.
        """
        if self.codes:
            return any(_same(value, c) for c in self.codes)
        v = value.strip().lower()
        n = _number(v)
        if n is not None:
            return True if n == 1 else False if n == 0 else None
        return True if v in _TRUE else False if v in _FALSE else None

    def check_codes(self, present: list[str]) -> list[str]:
        """Codes named in the spec that never occur in the data."""
        return [c for c in self.codes if not any(_same(v, c) for v in present)]
