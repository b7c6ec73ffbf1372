"""The tables of one raw run: the case log (one row per case, names instead of codes) and the time series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import outcomes
from ..core.district import RawRun
from ..params.cases import LEVELS


def case_log(raw: RawRun) -> pd.DataFrame:
    """One row per case. `on_time` is true or false once the case is decided (`core.outcomes`), else missing."""
    c = raw.cases
    territory = raw.territory
    scenario = raw.scenario
    decided = outcomes.decided(c["closed_h"], c["due_h"], raw.end_h)
    on_time = outcomes.on_time(c["closed_h"], c["due_h"])
    n_cases = len(c["arrived_h"])
    return pd.DataFrame(
        {
            "id": np.arange(n_cases, dtype=np.int32 if n_cases < 2**31 else np.int64),
            "category": pd.Categorical.from_codes(c["category"], categories=scenario.category_names()),
            "source": pd.Categorical.from_codes(c["source"], categories=list(scenario.cases.sources)),
            "level": pd.Categorical.from_codes(c["level"], categories=list(LEVELS)),
            "initial_level": pd.Categorical.from_codes(c["initial_level"], categories=list(LEVELS)),
            "department": pd.Categorical.from_codes(c["department"], categories=list(scenario.departments)),
            "grid": c["grid"],
            "community": _per_case(territory.grid_community, c["grid"]),
            "subdistrict": _per_case(territory.grid_subdistrict(), c["grid"]),
            "arrived_h": c["arrived_h"],
            "due_h": c["due_h"],
            "closed_h": c["closed_h"],
            "started_h": c["started_h"],
            "whistled_h": c["whistled_h"],
            "accepted_h": c["accepted_h"],
            "on_time": pd.arrays.BooleanArray(on_time, ~decided),  # missing until decided; no object array
            "escalations": c["escalations"],
            "reopened": c["reopened"],
        },
        copy=False,  # the model's columns as they are: a five-year log is not held twice
    )


def _per_case(per_grid: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A grid's unit code for each case, as int32 like the grid itself (half the memory of a long log)."""
    return per_grid.astype(np.int32).take(grid)


def timeseries(raw: RawRun) -> pd.DataFrame:
    """The hourly series (backlog, queues, staff on duty, workforce), with the day as a column."""
    frame = pd.DataFrame(raw.timeseries)
    frame["day"] = frame["t_h"] / 24.0
    return frame
