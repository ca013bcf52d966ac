"""``survstudy check`` on a CSV registry against a typed DuckDB scan of the same file (issue 16).

usage: .venv/bin/python benchmarks/bench_check.py [--sizes 1e6,1e7] [--repeat R] [--json FILE]

Data: ``survstudy synth --patients N --seed 2026`` as CSV (23 columns), cached in
``benchmarks/data/`` and shared with ``bench_report.py``, with the bundled liver_resection
study file pointing at it (only ``[data] source`` changed).

Contenders, each a whole process:

- ``survstudy check``: ``survstudy check STUDY --json``: reads the registry, types every
  column, derives the endpoints and intervals, runs every check and prints the problems;
- ``floor``: a fresh DuckDB, on-disk database in a temporary folder with the same memory limit
  as survstudy's (``SURVSTUDY_MEMORY_LIMIT``, default 1GB), running
  ``CREATE TABLE t AS SELECT * FROM read_csv(FILE, header=true)``: reading every column with
  the type DuckDB detects.

Each contender runs once untimed (it warms the file cache; the check's output is hashed so
that two versions can be compared), then ``--repeat`` timed runs (default 2, 1 from 10^7):
the best wall and CPU time and the largest peak resident memory of the process tree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import machine, registry, study_file
from measure import Run, measure, survstudy_command

CHECK, FLOOR = "survstudy check", "floor"


def floor(path: str) -> None:
    """The floor, run as its own process: a typed DuckDB read of every column into a table."""
    import shutil
    import tempfile

    import duckdb

    folder = tempfile.mkdtemp(prefix="floor-")
    try:
        con = duckdb.connect(str(Path(folder) / "floor.duckdb"))
        limit = os.environ.get("SURVSTUDY_MEMORY_LIMIT", "1GB")
        con.sql(f"SET memory_limit = '{limit}'")
        con.sql(f"SET temp_directory = '{Path(folder) / 'spill'}'")
        con.sql(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', header=true)")
        (n,) = con.sql("SELECT count(*) FROM t").fetchall()[0]
        print(json.dumps({"rows": n, "columns": len(con.sql("DESCRIBE t").fetchall())}))
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _digest(output: str) -> str:
    """A hash of the check's JSON output, without the study file's path."""
    data = json.loads(output)
    data.pop("study_file", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def bench(rows: int, repeat: int) -> list[dict[str, Any]]:
    data = registry(rows, "csv")
    study = study_file(data)
    commands = {
        CHECK: [*survstudy_command(), "check", str(study), "--json"],
        FLOOR: [sys.executable, __file__, "--floor", str(data)],
    }
    first = {name: measure(command) for name, command in commands.items()}
    problems = len(json.loads(first[CHECK].output)["problems"])
    print(
        f"{rows:,} rows: check output {_digest(first[CHECK].output)} ({problems} problems); "
        f"floor read {first[FLOOR].output.strip()}",
        flush=True,
    )
    out = []
    for name, command in commands.items():
        timed: list[Run] = [measure(command) for _ in range(repeat)]
        out.append(
            {
                "rows": rows,
                "tool": name,
                "wall": min(r.wall for r in timed),
                "cpu": min(r.cpu for r in timed),
                "peak": max(r.peak for r in timed),
            }
        )
        print(f"  {name}: {out[-1]['wall']:.2f} s", flush=True)
    return out


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| rows | tool | wall (s) | CPU (s) | peak RSS (MiB) | wall ÷ floor |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        base = next(p for p in results if (p["rows"], p["tool"]) == (r["rows"], FLOOR))
        lines.append(
            f"| 10^{round(math.log10(r['rows']))} | {r['tool']} | {r['wall']:.2f} | "
            f"{r['cpu']:.2f} | {r['peak'] / 2**20:,.0f} | {r['wall'] / base['wall']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--floor":
        floor(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6", help="rows, comma-separated (1e6, 1e7)")
    parser.add_argument("--repeat", type=int, help="timed runs each (default 2; 1 from 10^7)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    sizes = [int(float(x)) for x in args.sizes.split(",") if x.strip()]
    where = machine()
    print(
        f"{where['date']}: nproc {where['nproc']}, {where['mem_total_gib']} GiB RAM, "
        f"load {where['load_average'][0]:.2f}; memory limit "
        f"{os.environ.get('SURVSTUDY_MEMORY_LIMIT', '1GB')}",
        flush=True,
    )
    started = time.perf_counter()
    results = []
    for rows in sizes:
        results += bench(rows, args.repeat or (2 if rows < 10**7 else 1))
    print()
    print(table(results))
    load = os.getloadavg()[0]
    print(f"\n(total {math.ceil(time.perf_counter() - started)} s; load average now {load:.2f})")
    if args.json:
        args.json.write_text(json.dumps({"machine": where, "results": results}, indent=1))


if __name__ == "__main__":
    main()
