"""Warm-up by rule: MSER-5 (White 1997; White, Cobb and Spratt 2000), the truncation point of an output series.

The series (the hourly backlog, averaged over replications) is cut into batches of 5; MSER picks
the number of leading batches d to drop that minimises the marginal standard error of the rest,

    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..m}))^2 / (m - d)^2,

searched over the first half of the series only (the statistic is unstable near the end, where
few batches are left). A minimum at the end of that half means the series has not settled within
it: the run is too short to say, and `settled` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BATCH = 5


@dataclass(frozen=True)
class WarmUp:
    """The truncation point MSER-5 finds, in observations, and the statistic along the search."""

    truncation: int  # observations to drop (a multiple of the batch size)
    settled: bool  # the minimum lies inside the first half of the series, not at its end
    statistic: np.ndarray  # MSER(d) for d = 0 .. m // 2 batches


def mser(series, batch: int = BATCH) -> WarmUp:
    """MSER-batch of a series: how many leading observations to drop so the rest estimates the steady mean best."""
    values = np.asarray(series, dtype=float)
    if np.isnan(values).any():
        raise ValueError("the series has missing values")
    m = len(values) // batch
    if m < 4:
        raise ValueError(f"MSER-{batch} needs at least {4 * batch} observations, got {len(values)}")
    z = values[: m * batch].reshape(m, batch).mean(axis=1)
    half = m // 2
    statistic = np.array([((z[d:] - z[d:].mean()) ** 2).sum() / (m - d) ** 2 for d in range(half + 1)])
    best = int(np.argmin(statistic))
    return WarmUp(best * batch, settled=best < half, statistic=statistic)
