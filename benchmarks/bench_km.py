"""Kaplan-Meier by group + log-rank + medians + survival at 12 and 36 months, as whole processes.

usage: .venv/bin/python benchmarks/bench_km.py [--rows N,N,...] [--repeat R] [--spark]

Default sizes 10^5, 10^6 and 10^7 rows (two arms, months rounded to 0.1, Parquet; generated
once into ``benchmarks/data/``). Above 2 * 10^7 rows only survstudy and the floor run
(lifelines and statsmodels hold every row in pandas: 10^8 rows would need about 20 GiB).

Each contender runs once to check that all agree (survival at 12 and 36 months and median per
arm, log-rank chi-square), which also warms the file cache; then ``--repeat`` timed runs each,
reporting the best wall time and CPU time (other load on the machine only adds to them) and
the largest peak resident memory (the process tree: ``wait4``, and the sum over processes
sampled from ``/proc`` every 50 ms, which counts Spark's JVM; Linux only). Contenders:

- ``survstudy``: ``survstudy km FILE --time months --event died --group arm --at 12,36 --json``
- ``lifelines``: KaplanMeierFitter per arm + logrank_test (``peers/lifelines_km.py``)
- ``statsmodels``: SurvfuncRight per arm + survdiff (``peers/statsmodels_km.py``)
- ``floor``: one DuckDB GROUP BY + NumPy (``peers/floor_km.py``)
- ``survstudy-spark`` (``--spark``): ``survstudy km --engine spark`` if the CLI has it, else
  ``peers/spark_km.py`` (``spark_counts`` then the same estimators).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from make_data import path_for
from measure import measure, survstudy_command

PEERS = Path(__file__).parent / "peers"
#: Larger than this, only survstudy and the floor run.
IN_MEMORY_LIMIT = 20_000_000
#: Agreement required before timing (relative; the medians must be equal).
TOLERANCE = 1e-8


def _has_spark_option() -> bool:
    done = subprocess.run(
        [*survstudy_command(), "km", "--help"], capture_output=True, text=True, check=False
    )
    return "--engine" in done.stdout


def commands(path: Path, spark: bool) -> dict[str, list[str]]:
    km = [
        *survstudy_command(), "km", str(path), "--time", "months", "--event", "died",
        "--group", "arm", "--at", "12,36", "--json",
    ]  # fmt: skip
    out = {
        "survstudy": km,
        "floor": [sys.executable, str(PEERS / "floor_km.py"), str(path)],
        "lifelines": [sys.executable, str(PEERS / "lifelines_km.py"), str(path)],
        "statsmodels": [sys.executable, str(PEERS / "statsmodels_km.py"), str(path)],
    }
    if spark:
        out["survstudy-spark"] = (
            [*km, "--engine", "spark"]
            if _has_spark_option()
            else [sys.executable, str(PEERS / "spark_km.py"), str(path)]
        )
    return out








def numbers(name: str, output: str) -> dict[str, Any]:
    """``{"groups": {arm: {s12, s36, median}}, "logrank": chi2}`` from any contender."""
    data = json.loads(output)
    if name.startswith("survstudy") and "test" in data:  # the CLI's document
        groups = {
            g["group"]: {"s12": g["at"][0]["survival"], "s36": g["at"][1]["survival"],
                         "median": g["median"]}
            for g in data["groups"]
        }  # fmt: skip
        return {"groups": groups, "logrank": data["test"]["statistic"]}
    return dict(data)


def disagreements(results: dict[str, dict[str, Any]]) -> tuple[list[str], float]:
    """What differs from survstudy beyond :data:`TOLERANCE`, and the largest relative gap."""
    want = results["survstudy"]
    problems, largest = [], 0.0
    for name, got in results.items():
        pairs = [("logrank", got["logrank"], want["logrank"])]
        for arm, w in want["groups"].items():
            g = got["groups"].get(arm, {})
            pairs += [(f"{arm} {k}", g.get(k), w[k]) for k in ("s12", "s36", "median")]
        for what, a, b in pairs:
            if a is None or b is None:
                if a != b:
                    problems.append(f"{name}: {what} {a} vs {b}")
                continue
            gap = abs(a - b) / max(abs(b), 1e-300)
            largest = max(largest, gap)
            exact = what.endswith("median")
            if (exact and a != b) or gap > TOLERANCE:
                problems.append(f"{name}: {what} {a!r} vs survstudy {b!r}")
    return problems, largest


def dataset(rows: int) -> Path:
    """The cached data set, generated in a separate process if missing.

    Never in this process: a child's peak memory (``wait4``) counts from the parent's at the
    fork, so this process must stay small.
    """
    path = path_for(rows)
    if not path.exists():
        print(f"generating {rows:,} rows ...", flush=True)
        script = Path(__file__).parent / "make_data.py"
        subprocess.run(
            [sys.executable, str(script), str(rows)], check=True, stdout=subprocess.DEVNULL
        )
    return path


def bench(rows: int, repeat: int, spark: bool) -> list[dict[str, Any]]:
    path = dataset(rows)
    todo = commands(path, spark)
    if rows > IN_MEMORY_LIMIT:
        todo = {k: v for k, v in todo.items() if k not in ("lifelines", "statsmodels")}
    first = {name: measure(cmd) for name, cmd in todo.items()}
    problems, largest = disagreements({n: numbers(n, r.output) for n, r in first.items()})
    if problems:
        raise SystemExit(f"contenders disagree on {rows} rows:\n" + "\n".join(problems))
    print(f"{rows:,} rows: all agree (largest relative difference {largest:.1e})", flush=True)
    out = []
    for name, cmd in todo.items():
        runs = [measure(cmd) for _ in range(repeat)]
        out.append(
            {
                "rows": rows,
                "name": name,
                "wall": min(r.wall for r in runs),
                "cpu": min(r.cpu for r in runs),
                "peak": max(r.peak for r in runs),
            }
        )
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| rows | contender | wall (s) | CPU (s) | peak memory (MiB) | wall ÷ floor | "
        "lifelines wall ÷ this |"
    )
    lines = [head, "|---:|---|---:|---:|---:|---:|---:|"]
    for rows in sorted({r["rows"] for r in results}):
        group = {r["name"]: r for r in results if r["rows"] == rows}
        floor = group["floor"]["wall"]
        lifelines = group.get("lifelines", {}).get("wall")
        for name, r in group.items():
            vs_lifelines = f"{lifelines / r['wall']:.1f}" if lifelines else "–"
            lines.append(
                f"| {rows:.0e} | {name} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                f"{r['peak'] / 2**20:.0f} | "
                f"{r['wall'] / floor:.2f} | {vs_lifelines} |"
            )
    return "\n".join(lines)


def goals(results: list[dict[str, Any]]) -> list[str]:
    """The issue's goals, met or not, with the numbers."""
    at = {(r["rows"], r["name"]): r for r in results}
    out = []
    if (10**7, "survstudy") in at:
        s, f = at[10**7, "survstudy"], at[10**7, "floor"]
        ratio = s["wall"] / f["wall"]
        out.append(f"10^7 within 1.5x of the floor: {ratio:.2f}x -> {_met(ratio <= 1.5)}")
        if (10**7, "lifelines") in at:
            speedup = at[10**7, "lifelines"]["wall"] / s["wall"]
            out.append(f"10^7 at least 5x faster than lifelines: {speedup:.1f}x -> "
                       f"{_met(speedup >= 5)}")  # fmt: skip
        mib = s["peak"] / 2**20
        out.append(f"10^7 peak memory under 300 MiB: {mib:.0f} MiB -> {_met(mib < 300)}")
    for (rows, name), r in sorted(at.items()):
        if rows >= 10**8 and name == "survstudy":
            mib = r["peak"] / 2**20
            out.append(
                f"{rows:.0e} completes with peak memory under 1 GiB: {r['wall']:.1f} s, "
                f"{mib:.0f} MiB -> {_met(mib < 1024)}"
            )
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e5,1e6,1e7", help="sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    parser.add_argument("--spark", action="store_true", help="also time the Spark engine")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    sizes = [int(float(x)) for x in args.rows.split(",") if x.strip()]
    started = time.perf_counter()
    results = []
    for rows in sizes:
        results += bench(rows, args.repeat, args.spark)
    print()
    print(table(results))
    print()
    for line in goals(results):
        print("-", line)
    print(f"\n(total {math.ceil(time.perf_counter() - started)} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
