"""JSON that every reader accepts: NaN and infinities as null, NumPy scalars and dates plain.

The CLI's ``--json`` output and the report's ``results.json`` / ``manifest.json`` use it, so a
number that is not estimable reads the same (null) everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

__all__ = ["dumps", "json_safe"]


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
