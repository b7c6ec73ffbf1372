"""Warm-up by rule: MSER-5 (White 1997; White, Cobb and Spratt 2000), the truncation point of an output series.

The series (the hourly backlog, averaged over replications) is cut into batches of 5; MSER picks
the number of leading batches d to drop that minimises the marginal standard error of the rest,

    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..m}))^2 / (m - d)^2,

with the truncation point searched over the first half of the series (White's rule). The statistic
is also computed further, up to the last MIN_REST batches (below that, a few batches left make it
spuriously small): if it is smallest beyond the first half, the series is still drifting (a
backlog that keeps growing, say), the run is too short to say, and `settled` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BATCH = 5
MIN_REST = 10  # batches that must remain after truncation for the statistic to count


@dataclass(frozen=True)
class WarmUp:
    """The truncation point MSER-5 finds, in observations, and the statistic along the search."""

    truncation: int  # observations to drop (a multiple of the batch size)
    settled: bool  # the statistic is smallest within the first half of the series
    statistic: np.ndarray  # MSER(d) for d = 0 .. max(m // 2, m - MIN_REST) batches


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
    last = max(half, m - MIN_REST)
    statistic = np.array([((z[d:] - z[d:].mean()) ** 2).sum() / (m - d) ** 2 for d in range(last + 1)])
    best = int(np.argmin(statistic[: half + 1]))
    return WarmUp(best * batch, settled=int(np.argmin(statistic)) <= half, statistic=statistic)
