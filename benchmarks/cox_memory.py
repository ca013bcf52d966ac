"""How much memory a Cox fit needs, to say how large a study fits in a machine's memory.

usage: .venv/bin/python benchmarks/cox_memory.py N [N ...]   (each size in its own process)

For each N: 5 covariates, data as in ``bench_cox.py``; the process's peak resident memory
before and after ``cox_regression`` (validation, design matrix, Efron fit, concordance).
Cox regression works on rows in memory (not on a count table), so its peak grows with N.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def _one(n: int) -> dict[str, float]:
    from bench_cox import COVARIATES, make_data

    from survstudy.api.regression import cox_regression

    frame = make_data(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result = cox_regression(frame, "time", "dead", COVARIATES)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert result.converged
    return {"rows": n, "seconds": round(seconds, 2), "data_mib": round(before),
            "peak_mib": round(peak), "mib_per_million_rows": round(peak / n * 1e6)}


def main(sizes: list[int]) -> None:
    print(f"{'rows':>12} {'fit (s)':>8} {'peak (MiB)':>11} {'MiB per 10^6 rows':>18}")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True)
        r = json.loads(out.stdout)
        print(f"{r['rows']:>12,} {r['seconds']:>8} {r['peak_mib']:>11,} "
              f"{r['mib_per_million_rows']:>18,}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(_one(int(sys.argv[2]))))
    else:
        main([int(float(a)) for a in sys.argv[1:]] or [1_000_000, 4_000_000])
