"""Cox regression speed against lifelines and statsmodels on the same data, in one run.

usage: .venv/bin/python benchmarks/bench_cox.py [N ...]      (default: 100000 1000000)

For each size: 5 covariates (3 normal, 2 binary), Weibull-like times rounded to days so that
deaths tie, about 30% censored. Times each library's Efron fit once (after a warm-up on a
small sample), prints the time ratios to survstudy and the largest coefficient difference.
survstudy is timed twice: the model fit alone (``fit_cox`` on prepared arrays, the same work
the peers do) and ``cox_regression`` from a DataFrame (validation, design matrix,
concordance included).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

COVARIATES = ["x1", "x2", "x3", "b1", "b2"]
BETA = np.array([0.5, -0.3, 0.1, 0.7, -0.4])


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=(n, 3)), rng.integers(0, 2, size=(n, 2))])
    hazard = np.exp(x @ BETA) / 365.0
    event_time = rng.exponential(1.0 / hazard)
    censor_time = rng.exponential(2.5 * 365.0, size=n)
    t = np.ceil(np.minimum(event_time, censor_time))
    frame = pd.DataFrame(x, columns=COVARIATES)
    frame["time"] = t
    frame["dead"] = (event_time <= censor_time).astype(int)
    return frame


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def survstudy_fit(frame: pd.DataFrame) -> np.ndarray:
    from survstudy.stats.regression.cox import fit_cox
    from survstudy.stats.regression.design import Design, ModelData

    design = Design(tuple(COVARIATES), tuple(COVARIATES), frame[COVARIATES].to_numpy(float), {}, {})
    data = ModelData(
        frame["time"].to_numpy(float),
        frame["dead"].to_numpy(bool),
        None,
        (),
        design,
        len(frame),
        0,
        {},
        "time",
        "dead",
        None,
        "bench",
    )
    return fit_cox(data, with_concordance=False).coef


def survstudy_full(frame: pd.DataFrame) -> np.ndarray:
    from survstudy.api.regression import cox_regression

    return cox_regression(frame, "time", "dead", COVARIATES).coef


def lifelines_fit(frame: pd.DataFrame) -> np.ndarray:
    from lifelines import CoxPHFitter

    cph = CoxPHFitter()
    cph.fit(frame[[*COVARIATES, "time", "dead"]], "time", "dead")
    return cph.params_[COVARIATES].to_numpy()


def statsmodels_fit(frame: pd.DataFrame) -> np.ndarray:
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(
        frame["time"].to_numpy(float),
        frame[COVARIATES].to_numpy(float),
        status=frame["dead"].to_numpy(float),
        ties="efron",
    )
    return np.asarray(model.fit().params)


RUNNERS = {
    "survstudy fit": survstudy_fit,
    "survstudy cox_regression": survstudy_full,
    "lifelines CoxPHFitter": lifelines_fit,
    "statsmodels PHReg": statsmodels_fit,
}


def main(sizes: list[int]) -> None:
    warnings.simplefilter("ignore")
    small = make_data(2000, seed=9)
    for fn in RUNNERS.values():  # warm-up: imports and first-call costs
        fn(small)
    print(f"{'rows':>9} {'library':<26} {'seconds':>9} {'× survstudy fit':>16} {'max |Δcoef|':>12}")
    for n in sizes:
        frame = make_data(n)
        results = {
            name: timed(lambda fn=fn, frame=frame: fn(frame)) for name, fn in RUNNERS.items()
        }
        base_time, base_coef = results["survstudy fit"]
        for name, (seconds, coef) in results.items():
            diff = float(np.max(np.abs(np.asarray(coef) - base_coef)))
            print(f"{n:>9} {name:<26} {seconds:>9.2f} {seconds / base_time:>16.1f} {diff:>12.2e}")
            if diff > 1e-4:
                print(f"  WARNING: {name} coefficients differ from survstudy by {diff:.2e}")
        print(
            f"{'':>9} events {int(frame['dead'].sum())}, distinct times "
            f"{frame['time'].nunique()}, coefficients {np.round(base_coef, 4).tolist()}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
