"""The tables of one replication beyond the case log: scorecards, time use, and each mechanism's logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.district import RawRun
from ..mechanisms import MECHANISMS
from ..mechanisms.time_budget import time_use
from .scorecards import three_level_scorecards


def weekly_visited(raw: RawRun):
    visits = raw.extensions.get("prevention", {}).get("patrol_weekly_visits")
    return None if visits is None else visits > 0


def supervised_at(raw: RawRun, n_cases: int):
    """When each case was flagged for supervision (NaN: never), if the departments' supervision ran; else None."""
    response = raw.extensions.get("deadline_response")
    if response is None or not raw.scenario.deadline_response.supervision.enabled:
        return None
    at = np.full(n_cases, np.nan)
    flagged = response["flagged"]
    at[flagged[:, 0].astype(np.int64)] = flagged[:, 1]
    return at


def tables(raw: RawRun, case_log: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Three-level scorecards, the worker time accounting and the logs of the mechanisms that ran."""
    s = raw.scenario
    cards = three_level_scorecards(
        case_log, raw.territory, s.horizon_days, weekly_visited=weekly_visited(raw),
        month_weeks=s.assessment.month_weeks, quarter_weeks=s.assessment.quarter_weeks,
        on_time_threshold=s.assessment.on_time_threshold, supervised_h=supervised_at(raw, len(case_log)))
    out = {f"scorecard_{name}": frame for name, frame in cards.items()}
    out["time_use"] = pd.DataFrame(time_use(raw))
    for mechanism in MECHANISMS:
        if mechanism.name in raw.extensions:
            out.update(mechanism.tables(raw, case_log))
    return out
