"""Speed of the published-number checks: attainable Kaplan-Meier values and pattern ranges.

usage: PYTHONPATH=src .venv/bin/python benchmarks/bench_audit.py [--repeat R]

Two cases, best of ``--repeat`` wall times (after one warm-up run, which also imports SciPy):

- ``seed, 13 patients``: the seed study's 13 printed survival times. Every single-curve check
  (each group and all patients at 12 and 36 months, over all 2^7, 2^6 and 2^13 patterns),
  then the 64 patterns that reproduce the three reproducible group rates, with the range of the
  overall 1- and 3-year survival and of the log-rank p over them. Target: < 0.5 s.
- ``25 per group``: two groups of 25 (exponential times, 0.1-month grid, fixed seed). Each
  group's attainable 1- and 3-year survival (2^25 patterns each, by dynamic programming), then
  the range of the log-rank p over every pattern reproducing the four printed group rates.
  Target: < 10 s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from survstudy.engine.counts import count_table
from survstudy.stats.survival.attainable import attainable_survival
from survstudy.stats.survival.km import kaplan_meier_counts
from survstudy.stats.survival.patterns import PrintedRate, pattern_range

SOLITARY = [39.3, 54.4, 50.2, 15.6, 17.6, 15.2, 57.9]
EXTRAHEPATIC = [13.1, 12.5, 25.0, 7.1, 11.8, 7.6]


def seed() -> str:
    time_ = np.array(SOLITARY + EXTRAHEPATIC)
    group = np.array(["solitary"] * 7 + ["extrahepatic"] * 6)
    for at in (12.0, 36.0):
        attainable_survival(time_, at)
        attainable_survival(SOLITARY, at)
        attainable_survival(EXTRAHEPATIC, at)
    rates = [PrintedRate("solitary", 36, 66.7, 1), PrintedRate("extrahepatic", 12, 80.0, 1),
             PrintedRate("extrahepatic", 36, 0.0, 1)]
    groups = ("solitary", "extrahepatic")
    pattern_range(time_, group, groups, rates, at=12.0, printed=(83.1, 1))
    pattern_range(time_, group, groups, rates, at=36.0, printed=(49.2, 1))
    p = pattern_range(time_, group, groups, rates, printed=(0.001, 3))
    assert p is not None
    return f"{p.n_patterns} patterns, p {p.minimum:.4f}-{p.maximum:.3f}"


def per_group_25() -> str:
    rng = np.random.default_rng(3)
    time_ = np.round(np.r_[rng.exponential(30, 25), rng.exponential(20, 25)], 1)
    group = np.array(["a"] * 25 + ["b"] * 25)
    died = rng.random(50) < 0.6
    km = kaplan_meier_counts(count_table(time_, died, group))
    rates = []
    for g in ("a", "b"):
        for at in (12.0, 36.0):
            attainable_survival(time_[group == g], at)
            s = km[g].at([at])[0].survival
            assert s is not None
            rates.append(PrintedRate(g, at, round(100 * s, 1), 1))
    p = pattern_range(time_, group, ("a", "b"), rates, printed=(0.05, 2))
    assert p is not None
    return f"{p.n_patterns:,} patterns, p {p.minimum:.4f}-{p.maximum:.4f}"


def best(run: Callable[[], str], repeat: int) -> tuple[float, str]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name, run, target in (("seed, 13 patients", seed, 0.5),
                              ("25 per group", per_group_25, 10.0)):
        seconds, result = best(run, args.repeat)
        print(f"{name:<20} {seconds:7.3f} s  (target < {target:g} s)  {result}")


if __name__ == "__main__":
    main()
