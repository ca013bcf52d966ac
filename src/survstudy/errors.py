"""Problems found in a user's input, reported all at once.

A :class:`Problem` names where it is (file, row as the user counts it with the header as
row 1, column, value) and what to do. :class:`InputError` carries every problem found so the
CLI can print them together and exit with status 2 instead of showing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["InputError", "Problem", "Severity"]

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as it can be."""

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = []
        # in a study file the place is a line and a key, in a data file a row and a column
        in_toml = self.file is not None and str(self.file).endswith(".toml")
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"{'line' if in_toml else 'row'} {self.row}")
        if self.column is not None:
            where.append(f"{'key' if in_toml else 'column'} '{self.column}'")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def to_dict(self) -> dict[str, object]:
        value = self.value
        if value is not None and not isinstance(value, (int, float, str, bool)):
            value = str(value)
        return {
            "severity": self.severity,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": value,
            "message": self.message,
        }


class InputError(Exception):
    """The input cannot be analysed; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
