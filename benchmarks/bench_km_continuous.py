"""``survstudy km`` on continuous times against the NumPy floor, in the same run.

usage: .venv/bin/python benchmarks/bench_km_continuous.py [--rows N] [--repeat R]

The data: ``make_data.py`` with ``continuous=True`` (two arms, exponential survival with
medians 24 and 36 months, follow-up 12 to 120 months, ``months`` at full float64 precision),
so nearly every time is distinct (issue 16's first row). Parquet, generated once into
``benchmarks/data/``.

Contenders, each a whole process (``measure.py``):

- ``survstudy``: ``survstudy km FILE --time months --event died --group arm --at 12,36 --json``
- ``floor``: pyarrow read, ``np.unique``, ``bincount``, KM and log-rank in NumPy, with R's
  merging of near-tied times (``peers/floor_km_continuous.py``)

Both run once and must agree (survival at 12 and 36 months, medians, log-rank chi-square, to a
relative 1e-8) before ``--repeat`` timed runs each; prints best wall and CPU time, the largest
peak memory of the process tree, and survstudy's ratio to the floor.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import make_data
from bench_km import disagreements, numbers
from measure import measure, survstudy_command

PEERS = Path(__file__).parent / "peers"


def dataset(rows: int) -> Path:
    """Generated in a child process, so this process stays small (``wait4`` peaks)."""
    path = make_data.path_for(rows, continuous=True)
    if not path.exists():
        print(f"generating {rows:,} rows ...", flush=True)
        subprocess.run([sys.executable, __file__, "--make", str(rows)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e7", help="rows of the data set")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    parser.add_argument("--make", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make_data.dataset(int(float(args.make)), continuous=True)
        return
    rows = int(float(args.rows))
    path = dataset(rows)
    todo = {
        "survstudy": [
            *survstudy_command(), "km", str(path), "--time", "months", "--event", "died",
            "--group", "arm", "--at", "12,36", "--json",
        ],
        "floor": [sys.executable, str(PEERS / "floor_km_continuous.py"), str(path)],
    }  # fmt: skip
    first = {name: measure(cmd) for name, cmd in todo.items()}
    got = {n: numbers(n, r.output) for n, r in first.items()}
    problems, largest = disagreements(got)
    if problems:
        raise SystemExit("survstudy and the floor disagree:\n" + "\n".join(problems))
    print(f"{rows:,} rows: both agree (largest relative difference {largest:.1e})", flush=True)
    results: dict[str, Any] = {}
    for name, cmd in todo.items():
        runs = [measure(cmd) for _ in range(args.repeat)]
        results[name] = {
            "wall": min(r.wall for r in runs),
            "cpu": min(r.cpu for r in runs),
            "peak": max(r.peak for r in runs),
        }
    print(f"\nmachine: {platform.processor() or platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}")
    print("| contender | wall (s) | CPU (s) | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['peak'] / 2**20:.0f} |")
    s, f = results["survstudy"], results["floor"]
    ratio, memory = s["wall"] / f["wall"], s["peak"] / f["peak"]
    print(f"\n- wall ÷ floor: {ratio:.2f} (goal ≤ 1.5) -> {'met' if ratio <= 1.5 else 'NOT met'}")
    print(f"- peak memory ÷ floor's: {memory:.2f} (goal ≤ 1) -> "
          f"{'met' if memory <= 1 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
