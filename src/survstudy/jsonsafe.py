"""JSON that every reader accepts: NaN and infinities as null, NumPy scalars and dates plain.

The CLI's ``--json`` output and the report's ``results.json`` / ``manifest.json`` use it, so a
number that is not estimable reads the same (null) everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

__all__ = ["ListRecord", "Record", "dumps", "fields_dict", "json_safe", "plain_lists"]


def fields_dict(result: Any) -> dict[str, Any]:
    """A result dataclass as {field: value} in field order (shallow: values as they are)."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}


class Record:
    """Mixin for a result dataclass whose ``to_dict()`` is its fields, in order."""

    def to_dict(self) -> dict[str, Any]:
        return fields_dict(self)


def plain_lists(value: Any) -> Any:
    """``value`` with every tuple (nested too) made a list, as JSON will read it."""
    if isinstance(value, tuple):
        return [plain_lists(v) for v in value]
    return value


class ListRecord:
    """Mixin for a result dataclass whose ``to_dict()`` is its fields, in order, tuples as lists."""

    def to_dict(self) -> dict[str, Any]:
        return {k: plain_lists(v) for k, v in fields_dict(self).items()}


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf → None, NumPy scalars → Python numbers, dates → ISO text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def dumps(payload: Any) -> str:
    """Indented JSON of ``payload`` made safe; never writes the invalid token ``NaN``."""
    return json.dumps(json_safe(payload), indent=1, allow_nan=False)
