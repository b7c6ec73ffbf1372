"""What leaving rows out does to the observed figures: on-time rate, median time to close and cases a day.

The rows a log cannot use or voids (see `logs`) are left out of the fit. Where a left-out row still
has a creation time, the figures are recomputed with that reason's rows put back (a voided case
then counts as the open or late case a naive reading of the log makes it), so the report shows
how much each exclusion moves what the scenario is fitted to.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .logs import CaseLog
from .moments import closure_moments


def _figures(frame: pd.DataFrame, start: pd.Timestamp, snapshot: pd.Timestamp, days: int) -> dict:
    hours = lambda t: ((t - start) / pd.Timedelta(hours=1)).to_numpy(float)  # noqa: E731
    cases = pd.DataFrame({"arrived_h": hours(frame["created"]), "closed_h": hours(frame["closed"]),
                          "due_h": np.nan_to_num(hours(frame["due"]), nan=np.inf),
                          "snapshot_h": (snapshot - start) / pd.Timedelta(hours=1)})
    stats = closure_moments(cases)
    return {"cases": len(frame), "on_time_rate": stats["on_time_rate"], "ttc_p50_h": stats["ttc_p50_h"],
            "cases_per_day": len(frame) / days if days else math.nan}


def exclusion_effects(log: CaseLog) -> pd.DataFrame:
    """One row for the rows used and one per reason rows were left out: the figures with that reason's rows back."""
    used = log.frame[["created", "closed", "due"]]
    base = _figures(used, log.start, log.snapshot, log.days)
    rows = [{"rows": "used", "count": base["cases"], **{k: base[k] for k in ("on_time_rate", "ttc_p50_h",
                                                                           "cases_per_day")}}]
    dropped = log.dropped if log.dropped is not None else pd.DataFrame(columns=["created", "closed", "due", "reason"])
    in_period = dropped[(dropped["created"] >= log.start) & (dropped["created"] < log.end)]
    for reason, group in in_period.groupby("reason"):
        if str(reason).startswith("unparseable"):
            continue  # without its closure or deadline, the row says nothing about either
        back = _figures(pd.concat([used, group[["created", "closed", "due"]]], ignore_index=True), log.start,
                        log.snapshot, log.days)
        rows.append({"rows": f"used + {reason}", "count": len(group),
                     **{k: back[k] for k in ("on_time_rate", "ttc_p50_h", "cases_per_day")}})
    return pd.DataFrame(rows)
