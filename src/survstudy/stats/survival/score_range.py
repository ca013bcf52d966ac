"""Extremes of the log-rank chi-square ``U^2 / V`` over a Minkowski sum of (U, V) sets.

Two groups' event patterns add their score parts: ``U = u_x + u_y``, ``V = v_x + v_y``. With
millions of parts on each side the pairs cannot all be visited, but the extremes can be found
exactly. ``U^2 / V`` is jointly convex (quadratic over linear), so its maximum over the sum
lies at a sum of convex-hull vertices of the two sets. Its minimum is pruned: a first guess
from the nearest opposite ``u`` of each ``x``, then only pairs with ``|U|`` small enough to
beat it (at most ``sqrt(best * V_max)``) are evaluated.
"""

from __future__ import annotations

import numpy as np

from survstudy.arrays import FloatArray

__all__ = ["chi2_extremes", "chi2_of", "p_of", "p_of_chi2"]


#: Candidate pairs evaluated per step of the pruned search.
CHUNK = 2_000_000


def chi2_of(u: FloatArray, v: FloatArray) -> FloatArray:
    """``U^2 / V`` (0 where V is 0: no information, p = 1, as R's ``survdiff``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(v > 1e-12, u * u / np.where(v > 1e-12, v, 1.0), 0.0)
    return out


def p_of(u: FloatArray, v: FloatArray) -> FloatArray:
    """Two-group log-rank p on 1 df: ``erfc(sqrt(chi2 / 2))``."""
    return p_of_chi2(chi2_of(u, v))


def p_of_chi2(chi2: FloatArray) -> FloatArray:
    """Chi-square upper tail on 1 df."""
    from scipy.special import erfc

    return np.asarray(erfc(np.sqrt(np.asarray(chi2) / 2)), dtype=np.float64)


def _hull(points: FloatArray) -> FloatArray:
    """Vertices of the convex hull of 2-D points (all points when degenerate or few)."""
    pts = np.unique(points, axis=0)
    if len(pts) <= 3:
        return pts
    from scipy.spatial import ConvexHull, QhullError

    try:
        vertices: FloatArray = pts[ConvexHull(pts).vertices]
        return vertices
    except QhullError:  # collinear: the two ends of the line are its vertices
        order = np.lexsort((pts[:, 1], pts[:, 0]))
        return pts[order[[0, -1]]]


def _pairs_chi2(x: FloatArray, y: FloatArray) -> FloatArray:
    return chi2_of(np.add.outer(x[:, 0], y[:, 0]).ravel(), np.add.outer(x[:, 1], y[:, 1]).ravel())


def chi2_extremes(x: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Smallest and largest ``U^2 / V`` over every pair of rows (u, v) of ``x`` and ``y``."""
    high = float(_pairs_chi2(_hull(x), _hull(y)).max())
    order = np.argsort(y[:, 0], kind="stable")
    yu, yv = y[order, 0], y[order, 1]
    # first guess: for each x, the y whose u is nearest to -u_x (and its neighbours)
    j = np.searchsorted(yu, -x[:, 0])
    guess = np.inf
    for off in (-1, 0, 1):
        k = np.clip(j + off, 0, yu.size - 1)
        guess = min(guess, float(chi2_of(x[:, 0] + yu[k], x[:, 1] + yv[k]).min()))
    if guess <= 0:
        return 0.0, high
    # pairs that could beat it: (u_x + u_y)^2 < guess * (v_x + max v_y)
    reach = np.sqrt(guess * (x[:, 1] + yv.max())) + 1e-12
    lo = np.searchsorted(yu, -x[:, 0] - reach, side="left")
    hi = np.searchsorted(yu, -x[:, 0] + reach, side="right")
    best = guess
    counts = hi - lo
    start = 0
    while start < len(x):
        stop = start + 1
        total = int(counts[start])
        while stop < len(x) and total + counts[stop] <= CHUNK:
            total += int(counts[stop])
            stop += 1
        c = counts[start:stop]
        rows = np.repeat(np.arange(start, stop), c)
        first = np.repeat(lo[start:stop] - np.r_[0, np.cumsum(c)[:-1]], c)
        cols = first + np.arange(rows.size)
        if rows.size:
            best = min(best, float(chi2_of(x[rows, 0] + yu[cols], x[rows, 1] + yv[cols]).min()))
        start = stop
    return best, high
