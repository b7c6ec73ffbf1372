"""How fast cases close, per replication: the share of the measured cases closed within each of a fixed grid of
hours since arrival (an empirical distribution function of time to close, thin enough to keep for every
replication).

The measured cases are those arriving in the measurement window (after the warm-up, before the
horizon), as for the KPIs; a case still open at the end never counts as closed, so a curve that
stays below 100 % shows the cases left open. The grid has `POINTS_PER_DECADE` points per decade
from `FIRST_HOUR`, the same points in every scenario and replication (a longer run only adds
points at its end), so curves can be averaged across replications and compared across scenarios.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import outcomes
from ..core.district import RawRun

FIRST_HOUR = 0.25
POINTS_PER_DECADE = 24
COLUMNS = ["hours", "share_closed", "cases"]


def hours_grid(longest_h: float) -> np.ndarray:
    """The grid's hours from FIRST_HOUR up to the first point at or beyond longest_h."""
    decades = math.log10(max(longest_h, FIRST_HOUR) / FIRST_HOUR)
    steps = int(math.ceil(decades * POINTS_PER_DECADE - 1e-9))
    return FIRST_HOUR * 10.0 ** (np.arange(steps + 1) / POINTS_PER_DECADE)


def share_closed_within(arrived: np.ndarray, closed: np.ndarray, longest_h: float) -> pd.DataFrame:
    """For each grid hour: the share of these cases closed within that many hours of arrival, and their count."""
    hours = hours_grid(longest_h)
    done = outcomes.is_closed(closed)
    taken = np.sort(closed[done] - arrived[done])
    n = len(arrived)
    shares = np.searchsorted(taken, hours, side="right") / n if n else np.full(len(hours), np.nan)
    return pd.DataFrame({"hours": hours, "share_closed": shares, "cases": n})


def closure_curve(raw: RawRun) -> pd.DataFrame:
    """The share of the window's cases closed within each grid hour, up to the longest time a case could take."""
    c = raw.cases
    start, end = raw.window_h
    in_window = (c["arrived_h"] >= start) & (c["arrived_h"] < end)
    return share_closed_within(c["arrived_h"][in_window], c["closed_h"][in_window], raw.end_h - start)


def from_case_log(log: pd.DataFrame) -> pd.DataFrame:
    """The same curve from a case log (every case in it; for results that kept only a case log)."""
    arrived, closed = log["arrived_h"].to_numpy(float), log["closed_h"].to_numpy(float)
    longest = float(np.nanmax(closed - arrived)) if outcomes.is_closed(closed).any() else FIRST_HOUR
    return share_closed_within(arrived, closed, longest)
