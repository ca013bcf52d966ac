"""The distribution of a 2×2 table's first cell given its margins (Fisher's noncentral
hypergeometric), evaluated only where it is not zero in double precision.

R's ``fisher.test`` evaluates it on the whole support, ``min(k, m) - max(0, k - n) + 1`` values:
millions for a registry, and the odds ratio's root finding evaluates it a few hundred times.
The density is log-concave, so for each odds ratio the values within :data:`WINDOW` of the
largest log-density form one run around the mode, found by bisection on the ratio of
neighbouring terms; beyond it every term is ``exp(< -745)``, exactly 0 in double precision.
The terms kept are computed by the same expression as on the whole support, so each value is
the same number R's approach gives; only the order of the sums differs.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

__all__ = ["FirstCell"]

#: Log-density below the mode past which a term is dropped: ``exp(-745.2)`` is already 0.
WINDOW = 760.0
#: Support values per cached block of log-densities.
_BLOCK = 1 << 16


class FirstCell:
    """The first cell ``a`` of ``[[a, b], [c, d]]`` with the margins fixed."""

    def __init__(self, x: NDArray[np.int64]) -> None:
        self.m = int(x[:, 0].sum())  # first column
        self.n = int(x[:, 1].sum())
        self.k = int(x[0].sum())  # first row
        self.lo, self.hi = max(0, self.k - self.n), min(self.k, self.m)
        self.observed = int(x[0, 0])
        m, n, k = self.m, self.n, self.k
        self._constant = gammaln(m + n + 1) - gammaln(k + 1) - gammaln(m + n - k + 1)
        self._blocks: dict[int, NDArray[np.float64]] = {}

    def _logd(self, s: NDArray[np.int64]) -> NDArray[np.float64]:
        m, n, k = self.m, self.n, self.k
        return np.asarray(
            gammaln(m + 1)
            - gammaln(s + 1)
            - gammaln(m - s + 1)
            + gammaln(n + 1)
            - gammaln(k - s + 1)
            - gammaln(n - k + s + 1)
            - self._constant,
            dtype=np.float64,
        )

    def _log_term(self, s: int) -> float:
        """Unnormalised log-density at one ``s`` (for locating the window only)."""
        m, n, k = self.m, self.n, self.k
        return -(
            math.lgamma(s + 1)
            + math.lgamma(m - s + 1)
            + math.lgamma(k - s + 1)
            + math.lgamma(n - k + s + 1)
        )

    def logd(self, first: int, last: int) -> NDArray[np.float64]:
        """Log-densities of ``first..last`` (cached by blocks: root finding revisits them)."""
        parts = []
        for b in range((first - self.lo) // _BLOCK, (last - self.lo) // _BLOCK + 1):
            block = self._blocks.get(b)
            if block is None:
                start = self.lo + b * _BLOCK
                block = self._logd(np.arange(start, min(start + _BLOCK, self.hi + 1)))
                self._blocks[b] = block
            parts.append(block)
        offset = (first - self.lo) % _BLOCK
        return np.concatenate(parts)[offset : offset + last - first + 1]

    def _mode(self, log_ratio: float) -> int:
        """The mode at odds ratio ``exp(log_ratio)``: the first ``s`` whose next term is not
        larger (the ratio of neighbouring terms decreases in ``s``)."""
        m, n, k = self.m, self.n, self.k
        low, high = self.lo, self.hi
        while low < high:
            s = (low + high) // 2
            step = math.log((m - s) * (k - s)) - math.log((s + 1) * (n - k + s + 1)) + log_ratio
            if step > 0:
                low = s + 1
            else:
                high = s
        return low

    def window(self, log_ratio: float) -> tuple[int, int]:
        """The run of ``s`` whose terms are within :data:`WINDOW` of the largest."""

        def w(s: int) -> float:
            return self._log_term(s) + log_ratio * s

        mode = self._mode(log_ratio)
        floor = w(mode) - WINDOW
        low, high = self.lo, mode  # first s with w(s) >= floor: w increases up to the mode
        while low < high:
            s = (low + high) // 2
            low, high = (low, s) if w(s) >= floor else (s + 1, high)
        first = low
        low, high = mode, self.hi  # last s with w(s) >= floor: w decreases after it
        while low < high:
            s = (low + high + 1) // 2
            low, high = (s, high) if w(s) >= floor else (low, s - 1)
        return first, low

    def density(self, ncp: float) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The support values that matter at odds ratio ``ncp`` and their probabilities."""
        first, last = self.window(math.log(ncp))
        s = np.arange(first, last + 1)
        w = self.logd(first, last) + math.log(ncp) * s
        d = np.exp(w - w.max())
        return s, np.asarray(d / d.sum(), dtype=np.float64)
