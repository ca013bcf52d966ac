"""The whole ``survstudy iptw`` command against ``survstudy cox`` on the same data (goal: ≤ 3×).

usage: .venv/bin/python benchmarks/bench_iptw.py [N]      (default: 1000000)

N patients, 8 covariates (6 normal, 2 binary), a treatment assigned by a logistic model of
them (so weighting has work to do), Weibull-like times rounded to days (deaths tie), about 30%
censored, written once to Parquet. Each command runs as a fresh process (import, reading,
checking, fitting, JSON output all included), best of 3: ``iptw`` (propensity score, weights,
balance, weighted Kaplan-Meier with IJ standard errors, weighted Cox with robust variance and
robust score test) and ``cox`` of the outcome on the treatment and the 8 covariates.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COVARIATES = [f"x{i}" for i in range(1, 7)] + ["b1", "b2"]
ENTRY = "import sys; from survstudy.cli import main; sys.argv[0] = 'survstudy'; main()"


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=(n, 6)), rng.integers(0, 2, size=(n, 2))])
    logit = -0.3 + x @ np.array([0.4, -0.3, 0.2, 0.1, 0.0, -0.2, 0.5, -0.4])
    treat = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    beta = np.array([0.3, 0.2, -0.1, 0.0, 0.1, 0.2, 0.4, -0.2])
    hazard = np.exp(x @ beta - 0.4 * treat) / 365.0
    event_time = rng.exponential(1.0 / hazard)
    censor_time = rng.exponential(2.5 * 365.0, size=n)
    frame = pd.DataFrame(x, columns=COVARIATES)
    frame["treat"] = treat
    frame["time"] = np.ceil(np.minimum(event_time, censor_time))
    frame["dead"] = (event_time <= censor_time).astype(int)
    return frame


def best_of(args: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", ENTRY, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        make_data(n).to_parquet(path)
        common = [str(path), "--time", "time", "--event", "dead", "--json"]
        iptw = best_of(["iptw", *common, "--treatment", "treat=1", "--covariates",
                        ",".join(COVARIATES), "--at", "365,730"])  # fmt: skip
        cox = best_of(["cox", *common, "--covariates", ",".join(["treat", *COVARIATES])])
    print(f"n = {n:,}, 8 covariates")
    print(f"survstudy cox  (treatment + 8 covariates): {cox:7.2f} s")
    print(f"survstudy iptw (8 covariates):             {iptw:7.2f} s")
    print(f"ratio iptw / cox: {iptw / cox:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
