"""The work content of a model category's cases: a lognormal whose median and spread the search moves.

The log does not record how long staff work on a case, only when it closed, so the work content
is searched by simulation (see `search`). It starts from a guess read off the category's time to
close and stays within the scenario schema's limits (a coefficient of variation of at most 10,
a mean of at most `MAX_MEAN_WORK_H`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_WORK_SIGMA = math.sqrt(math.log1p(10.0**2))  # the schema's work cv limit of 10
MAX_MEAN_WORK_H = 9_000.0


@dataclass
class WorkFit:
    """The searched work content of one work key (a category, or "other" at one unit): lognormal median and spread."""

    work_median_h: float
    work_sigma: float
    loss: float = math.inf

    def work_mean_h(self) -> float:
        return min(MAX_MEAN_WORK_H, self.work_median_h * math.exp(self.work_sigma**2 / 2))

    def work_cv(self) -> float:
        return min(10.0, math.sqrt(math.expm1(self.work_sigma**2)))

    def set_sigma(self, sigma: float) -> None:
        """Set the spread of the work content, within the schema's limits on cv and mean."""
        self.work_sigma = float(np.clip(sigma, 0.05, MAX_WORK_SIGMA))
        while self.work_mean_h() >= MAX_MEAN_WORK_H and self.work_sigma > 0.05:
            self.work_sigma *= 0.95


def first_guess(closure: dict, hours_per_week: float) -> WorkFit:
    """A starting work content from a work key's closure moments and its unit's working hours a week.

    The spread is that of a lognormal with the observed p90 / p50 ratio (1.2816 is the standard normal's
    90th percentile); the median work is half the median time to close, counted in working hours only.
    """
    median = max(closure["ttc_p50_h"], 0.05)
    spread = math.log(max(closure["ttc_p90_h"], median * 1.01) / median) / 1.2816
    return WorkFit(work_median_h=float(np.clip(median * hours_per_week / 168.0 / 2, 1e-3, 500.0)),
                   work_sigma=float(np.clip(spread, 0.3, MAX_WORK_SIGMA)))
