"""Competing risks: ``survstudy cif`` against ``survstudy km`` on the same file, and Fine-Gray.

usage: .venv/bin/python benchmarks/bench_cif.py [--rows N] [--fg-rows N] [--r-rows N] [--repeat R]

1. ``cif`` (two arms, event 1 with competing event 2, Gray's test, CIF at 12 and 36 months)
   against ``km`` (the same file, event 1, competing events censored, log-rank) on 10^7 rows
   by default. The goal is ``cif`` within 1.5x of ``km``.
2. Fine-Gray (``survstudy finegray``, one numeric and one two-level covariate) on 10^5 rows.
   No Python peer is benchmarked: lifelines, scikit-survival and statsmodels have no Fine-Gray
   model; the PyPI package ``cmprsk`` wraps R. R's ``cmprsk::crr`` itself runs as the peer
   when ``Rscript`` is installed, on ``--r-rows`` rows (default 5000: its variance,
   ``crrvv``, loops over pairs and triples of patients, so 10^5 rows would take hours),
   with survstudy timed on the same file for the ratio.

Data (Parquet for 1, CSV for 2) are generated once into ``benchmarks/data/``. Whole-process
wall and CPU times (best of ``--repeat``); ratios printed. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from make_data import DATA
from measure import Run, measure, survstudy_command

R_SCRIPT = """
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv(commandArgs(TRUE)[1])
t0 <- proc.time()
fit <- crr(d$months, d$status, cbind(d$age, d$arm == "treated"), failcode = 1, cencode = 0)
cat(sprintf("%.10g %.10g\\n", fit$coef[1], fit$coef[2]))
"""


def competing_data(rows: int, suffix: str) -> Path:
    """Two arms; cause 1 (median 36/48 months), cause 2 (median 60), follow-up 12-120."""
    path = DATA / f"competing_{rows}.{suffix}"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(17)
    treated = rng.random(rows) < 0.5
    age = np.round(rng.normal(62, 10, rows), 1)
    t1 = rng.exponential(np.where(treated, 48.0, 36.0) / np.log(2) * np.exp(-(age - 62) / 50))
    t2 = rng.exponential(60.0 / np.log(2), rows)
    follow = rng.uniform(12.0, 120.0, rows)
    end = np.minimum(np.minimum(t1, t2), follow)
    status = np.where(end == follow, 0, np.where(t1 < t2, 1, 2))
    import pandas as pd

    frame = pd.DataFrame({"months": np.round(end, 1), "status": status.astype(np.int8),
                          "arm": np.where(treated, "treated", "control"), "age": age})
    if suffix == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def best(command: list[str], repeat: int) -> Run:
    runs = [measure(command) for _ in range(repeat)]
    return min(runs, key=lambda r: r.wall)


def show(name: str, run: Run) -> None:
    # no memory column: measure()'s peak is the largest child of this process so far
    print(f"  {name:<30} {run.wall:8.2f} s wall  {run.cpu:8.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--fg-rows", type=int, default=100_000)
    parser.add_argument("--r-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ss = survstudy_command()

    path = competing_data(args.rows, "parquet")
    common = [str(path), "--time", "months", "--group", "arm", "--at", "12,36", "--json"]
    cif = [*ss, "cif", *common, "--event", "status=1", "--competing", "status=2"]
    km = [*ss, "km", *common, "--event", "status=1"]
    print(f"cif vs km, {args.rows:,} rows ({path.name})")
    measure(cif), measure(km)  # warm the file cache
    r_cif, r_km = best(cif, args.repeat), best(km, args.repeat)
    show("survstudy cif (+ Gray)", r_cif)
    show("survstudy km (+ log-rank)", r_km)
    print(f"  ratio cif / km: {r_cif.wall / r_km.wall:.2f} (goal <= 1.5)")

    for rows, with_r in ((args.fg_rows, False), (args.r_rows, shutil.which("Rscript"))):
        path = competing_data(rows, "csv")
        fg = [*ss, "finegray", str(path), "--time", "months", "--event", "status=1",
              "--competing", "status=2", "--covariates", "age,arm", "--categorical", "arm",
              "--json"]
        print(f"Fine-Gray, {rows:,} rows ({path.name})")
        r_fg = best(fg, args.repeat)
        show("survstudy finegray", r_fg)
        if with_r:
            script = DATA / "crr_bench.R"
            script.write_text(R_SCRIPT)
            r_r = best(["Rscript", str(script), str(path)], 1)
            show("R cmprsk::crr (whole process)", r_r)
            ours = json.loads(r_fg.output)["coefficients"]
            theirs = [float(x) for x in r_r.output.split()]
            agree = max(abs(o["coef"] - t) / abs(t) for o, t in zip(ours, theirs, strict=True))
            print(f"  ratio R / survstudy: {r_r.wall / r_fg.wall:.1f}; "
                  f"max relative coefficient difference {agree:.1e}")


if __name__ == "__main__":
    main()
