"""Index arithmetic on numpy arrays shared by the columns and the posting readers."""

from __future__ import annotations

import numpy as np


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The indices start..end-1 of every (start, end), one after another."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    # Each range's first index, less the indices of the ranges before it, plus a running count.
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
