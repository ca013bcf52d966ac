"""Synthetic registry for the Kaplan-Meier benchmarks: two arms, months rounded to 0.1.

usage: .venv/bin/python benchmarks/make_data.py ROWS [ROWS ...]

Columns ``months`` (float, rounded to 0.1 so tens of thousands of patients share each time;
with ``continuous=True`` kept at full precision, so nearly every time is distinct),
``died`` (0/1) and ``arm`` (``control`` / ``treated``). Exponential survival with medians of
24 and 36 months, follow-up from 12 to 120 months (staggered entry). Written in chunks of
10^7 rows, so 10^8 rows need no more memory than 10^7, to ``benchmarks/data/`` (git-ignored)
and reused on later runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = ["DATA", "dataset", "path_for"]

DATA = Path(__file__).parent / "data"
VERSION = 1
CHUNK = 10_000_000
#: The continuous data set has always been written in chunks of this size (same draws).
CONTINUOUS_CHUNK = 5_000_000
MEDIANS = {"control": 24.0, "treated": 36.0}


def _chunk(rng: np.random.Generator, n: int, continuous: bool) -> dict[str, np.ndarray]:
    treated = rng.random(n) < 0.5
    median = np.where(treated, MEDIANS["treated"], MEDIANS["control"])
    death = rng.exponential(median / np.log(2))
    follow_up = rng.uniform(12.0, 120.0, n)
    months = np.minimum(death, follow_up)
    return {
        "months": months if continuous else np.round(months, 1),
        "died": (death <= follow_up).astype(np.int8),
        "arm": np.where(treated, "treated", "control"),
    }


def path_for(rows: int, continuous: bool = False) -> Path:
    """Where the data set of ``rows`` rows is cached."""
    return DATA / f"km{'_continuous' if continuous else ''}_v{VERSION}_{rows}.parquet"


def dataset(rows: int, seed: int = 2026, continuous: bool = False) -> Path:
    """The Parquet file with ``rows`` rows, generated on first use."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = path_for(rows, continuous)
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    rng = np.random.default_rng(seed)
    schema = pa.schema([("months", pa.float64()), ("died", pa.int8()), ("arm", pa.string())])
    with pq.ParquetWriter(partial, schema) as writer:
        left = rows
        while left > 0:
            n = min(CONTINUOUS_CHUNK if continuous else CHUNK, left)
            chunk = _chunk(rng, n, continuous)
            writer.write_table(pa.table(chunk, schema=schema), row_group_size=1 << 20)
            left -= n
    partial.rename(path)
    return path


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["100000"]:
        print(dataset(int(float(arg))))
