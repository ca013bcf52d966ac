"""Time survstudy's exact Fisher test and compare with scipy (and R, when Rscript is found).

usage: .venv/bin/python benchmarks/bench_fisher.py [--r] [--seed N]

* n = 300, 20×2 tables (the acceptance size: under 10 s each), including the slowest shape
  found while developing (near-equal rows, first column ≈ 40%);
* the lung 18×2 ``inst`` × ``sex`` table (R needs ``workspace = 2e8`` for it);
* a few r×c shapes;
* 2×2 tables against ``scipy.stats.fisher_exact`` (exact there too);
* r×c tables against ``scipy.stats.fisher_exact`` where this scipy accepts them: scipy ≥ 1.15
  computes r×c p-values by Monte Carlo permutation (not exact), so its p differs at random.

Prints wall time, CPU time, p-values and ratios. ``--r`` also runs R's ``fisher.test``.

"R DIFFERS" marks tables where R 4.2.2's FEXACT p is not the exact p. In every such table seen,
FEXACT was lower, and R's own ``simulate.p.value`` (10^6 replicates) agreed with survstudy's
exact value, not with FEXACT (two of them are kept as regression tests in
tests/reference/table1_tests.json, ``fexact_off``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

from survstudy.stats.characteristics.fisher import fisher_exact

LUNG_INST = [
    [24, 12],
    [2, 3],
    [11, 8],
    [3, 1],
    [5, 4],
    [10, 4],
    [5, 3],
    [1, 3],
    [10, 8],
    [15, 8],
    [13, 7],
    [4, 2],
    [8, 8],
    [10, 3],
    [12, 5],
    [1, 5],
    [2, 5],
    [1, 1],
]
SLOWEST_20x2 = [
    [1, 16],
    [2, 14],
    [4, 9],
    [1, 7],
    [6, 19],
    [2, 5],
    [1, 11],
    [1, 12],
    [11, 14],
    [4, 10],
    [4, 13],
    [8, 15],
    [2, 18],
    [2, 10],
    [6, 5],
    [6, 8],
    [5, 9],
    [1, 9],
    [3, 8],
    [2, 16],
]


def tables_20x2(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    out = []
    for i in range(count):
        concentration = (1.0, 5.0, 0.3)[i % 3]
        share = (0.5, 0.4, 0.3)[(i // 3) % 3]
        rows = rng.multinomial(300, rng.dirichlet(np.full(20, 5 * concentration)))
        rows = rows[rows > 0]
        first = rng.binomial(rows, share)
        t = np.column_stack([first, rows - first])
        out.append(t[:, t.sum(axis=0) > 0])
    return out


def tables_rxc(rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for r, c, n in [(4, 3, 60), (5, 4, 80), (6, 5, 70), (10, 4, 100), (7, 6, 60), (12, 3, 100)]:
        probs = np.outer(rng.dirichlet(np.ones(r) * 2), rng.dirichlet(np.ones(c) * 2))
        t = rng.multinomial(n, probs.ravel()).reshape(r, c)
        out.append(t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0])
    return out


def timed(f, *args, **kwargs):
    w, c = time.perf_counter(), time.process_time()
    value = f(*args, **kwargs)
    return value, time.perf_counter() - w, time.process_time() - c


def r_times(tables: list[np.ndarray]) -> list[tuple[float | None, float | None]]:
    """p and elapsed seconds of R's fisher.test(workspace = 4e8) for each table."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "t.json"
        dst = Path(tmp) / "r.json"
        src.write_text(json.dumps([t.tolist() for t in tables]))
        script = (
            f'tabs <- jsonlite::fromJSON("{src}", simplifyVector = FALSE)\n'
            "out <- lapply(tabs, function(t) { m <- do.call(rbind, lapply(t, unlist));\n"
            "  s <- system.time(p <- tryCatch(fisher.test(m, workspace = 4e8)$p.value,\n"
            "    error = function(e) NA)); list(p = p, s = unname(s[3])) })\n"
            f'writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA), "{dst}")\n'
        )
        subprocess.run(["Rscript", "-e", script], check=True, capture_output=True, timeout=3600)
        return [(r["p"], r["s"]) for r in json.loads(dst.read_text())]


def show(label: str, tables: list[np.ndarray], with_r: bool, scipy_rxc: bool) -> float:
    r = r_times(tables) if with_r else [(None, None)] * len(tables)
    worst = 0.0
    for t, (rp, rs) in zip(tables, r, strict=True):
        res, wall, cpu = timed(fisher_exact, t)
        worst = max(worst, wall)
        line = (
            f"{label:<8} {t.shape[0]:>2}x{t.shape[1]} n={int(t.sum()):>3}  "
            f"survstudy {res.method} p={res.p_value:.10g}  {wall:6.2f} s wall "
            f"{cpu:6.2f} s cpu"
        )
        if rp is not None:
            line += f" | R p={rp:.10g} {rs:6.2f} s (R/survstudy {rs / wall:5.2f})"
            if abs(rp - res.p_value) > 1e-6 * res.p_value:
                line += " R DIFFERS"
        if scipy_rxc:
            sp, swall, _ = timed(stats.fisher_exact, t)
            line += f" | scipy (Monte Carlo) p={sp.pvalue:.4g} {swall:5.2f} s"
        print(line, flush=True)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r", action="store_true", help="also time R's fisher.test")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=9, help="random 20x2 tables")
    args = parser.parse_args()
    with_r = args.r and shutil.which("Rscript") is not None
    rng = np.random.default_rng(args.seed)
    print(f"scipy {scipy.__version__}; R: {'yes' if with_r else 'not run (use --r)'}")
    rxc_ok = True
    try:
        stats.fisher_exact(np.array([[1, 2, 3], [3, 2, 1]]))
    except ValueError:
        rxc_ok = False
    print(f"scipy.stats.fisher_exact r×c: {'Monte Carlo permutation' if rxc_ok else 'no'}")

    print("\n== n = 300, 20×2 (acceptance: under 10 s each) ==")
    big = [np.array(SLOWEST_20x2), *tables_20x2(rng, args.count)]
    worst = show("20x2", big, with_r, False)
    print(f"slowest: {worst:.2f} s wall -> {'PASS' if worst < 10 else 'FAIL'} (< 10 s)")

    print("\n== lung inst × sex ==")
    show("lung", [np.array(LUNG_INST)], with_r, rxc_ok)

    print("\n== r×c shapes ==")
    show("rxc", tables_rxc(rng), with_r, rxc_ok)

    print("\n== 2×2 against scipy.stats.fisher_exact (exact in both) ==")
    twos = [rng.integers(0, 60, size=(2, 2)) for _ in range(200)]
    _, ours, _ = timed(lambda: [fisher_exact(t).p_value for t in twos])
    _, theirs, _ = timed(lambda: [stats.fisher_exact(t).pvalue for t in twos])
    diff = max(abs(fisher_exact(t).p_value - stats.fisher_exact(t).pvalue) for t in twos)
    print(
        f"200 tables: survstudy {ours:.3f} s (with conditional MLE odds ratio and CI), "
        f"scipy {theirs:.3f} s, ratio {ours / theirs:.1f}; max |p difference| {diff:.2g}"
    )


if __name__ == "__main__":
    main()
