"""The NumPy array types every floor annotates with (one definition, imported everywhere)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "IndexArray", "IntArray"]

#: float64 values: times, counts with weights, estimates.
FloatArray = NDArray[np.float64]
#: int64 values: codes and whole counts.
IntArray = NDArray[np.int64]
#: Positions into another array (NumPy's index type, ``np.intp``).
IndexArray = NDArray[np.intp]
#: Masks.
BoolArray = NDArray[np.bool_]
