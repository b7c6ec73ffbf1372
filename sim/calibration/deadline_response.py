"""Closures around the deadline in a real case log: the observed side of the departments' deadline response.

`observed_deadline_ratios` computes, from a case log read by `logs.read_case_log`, the two KPIs the
model computes from its own log (`core.outcomes.deadline_ratios`): `deadline_spike_ratio`, closures
in the last tenth of the allowed time over those in the tenth before, and `deadline_drop_ratio`,
closures in the first tenth after due over those in the last tenth before, on the cases with a
deadline that closed (before the log was taken). `deadline_position_histogram` gives the
distribution of closure time relative to the deadline, (closed - created) / (due - created), for
a fit report. The calibration fits the response parameters to these figures (`response`, `search`),
on the same definitions (`moments.deadline_closures`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import outcomes
from .logs import CaseLog

BIN_EDGES = np.round(np.arange(0.0, 2.01, 0.1), 10)  # tenths of the allowed time, up to twice it


def observed_positions(log: CaseLog) -> np.ndarray:
    """Each closed case's closure time relative to its deadline (1 at the due time); NaN without one."""
    frame = log.frame
    start = frame["created"].min()
    hours = lambda t: ((t - start) / pd.Timedelta(hours=1)).to_numpy(float)  # noqa: E731
    due = hours(frame["due"])
    return outcomes.deadline_position(hours(frame["created"]), hours(frame["closed"]),
                                      np.where(np.isnan(due), np.inf, due))


def observed_deadline_ratios(log: CaseLog) -> dict[str, float]:
    """The log's deadline_spike_ratio and deadline_drop_ratio, and how many closed cases with a deadline they use."""
    position = observed_positions(log)
    spike, drop = outcomes.deadline_ratios(position)
    return {"deadline_spike_ratio": float(spike), "deadline_drop_ratio": float(drop),
            "closed_with_deadline": int(np.isfinite(position).sum())}


def deadline_position_histogram(position: np.ndarray) -> pd.DataFrame:
    """Share of closures in each tenth of the allowed time, 0 to 2 (closures later than twice it are left out)."""
    finite = position[np.isfinite(position)]
    counts, _ = np.histogram(finite, bins=BIN_EDGES)
    share = counts / len(finite) if len(finite) else np.full(len(counts), np.nan)
    return pd.DataFrame({"from": BIN_EDGES[:-1], "to": BIN_EDGES[1:], "closures": counts, "share": share})
