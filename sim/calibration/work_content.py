"""What a model category's cases need before they close: work that holds staff, and a delay that does not.

The log does not record how long staff work on a case, only when it closed. Time to close is
split in two, per work key (a category, or "other" at one unit):

- **work** (holds a member of the unit's staff, during working hours): a lognormal as long as the
  quickest closures allow: a case's time to close is its work plus waiting, so each quantile of the
  work (p10, p25, p50) is at most that of the time to close (`work_cap`), and its median is at most
  the p10 of time to close counted in working hours. Its spread is read off the log and kept
  moderate. Timestamps alone cannot tell work from waiting below that bound (the staff are not in
  the log), so the work is an upper bound and the staff tied to it too;
- **delay** (holds no staff, in calendar hours: a contractor, a scheduled pickup, a season): a
  lognormal searched by simulation (see `search`) until the key's time to close matches.

Everything is bounded, and every bound the fit ends at is reported (`bounds_hit`): the work cap,
the delay median's range, the schema's coefficient-of-variation limit of 10 and its mean limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MAX_WORK_SIGMA = math.sqrt(math.log1p(10.0**2))  # the schema's cv limit of 10
MAX_MEAN_H = 9_000.0  # below the schema's 10,000 h limit on a mean
MIN_DELAY_MEDIAN_H = 0.01  # a delay median this small is no delay at all
MAX_DELAY_MEDIAN_H = 8_000.0  # about 11 months
MIN_WORK_MEDIAN_H = 1e-3
MIN_WORK_CAP_H = 0.05
MAX_WORK_SPREAD = 1.0  # lognormal sigma of the work: staff work varies less than waiting does


def _mean(median: float, sigma: float) -> float:
    return median * math.exp(sigma**2 / 2)


def _cv(sigma: float) -> float:
    return min(10.0, math.sqrt(math.expm1(sigma**2)))


@dataclass
class WorkFit:
    """The fitted time a work key's cases need: lognormal work (holds staff) and lognormal delay (holds none)."""

    work_median_h: float
    work_sigma: float
    delay_median_h: float = MIN_DELAY_MEDIAN_H
    delay_sigma: float = 1.0
    work_cap_h: float = math.inf
    loss: float = math.inf
    notes: list[str] = field(default_factory=list)
    fixed: bool = False  # closed-at-once and left-open parts: not searched
    exponential: bool = False  # the work is exponential (closed-at-once parts), its median work_median_h

    def work_mean_h(self) -> float:
        if self.exponential:
            return min(MAX_MEAN_H, self.work_median_h / math.log(2.0))
        return min(MAX_MEAN_H, _mean(self.work_median_h, self.work_sigma))

    def work_cv(self) -> float:
        return 1.0 if self.exponential else _cv(self.work_sigma)

    def work_distribution(self) -> str:
        return "exponential" if self.exponential else "lognormal"

    def delay_mean_h(self) -> float:
        return min(MAX_MEAN_H, _mean(self.delay_median_h, self.delay_sigma))

    def delay_cv(self) -> float:
        return _cv(self.delay_sigma)

    def set_sigma(self, sigma: float) -> None:
        """Set the spread of the delay, within the schema's limits on cv and mean."""
        self.delay_sigma = float(np.clip(sigma, 0.05, MAX_WORK_SIGMA))
        while _mean(self.delay_median_h, self.delay_sigma) >= MAX_MEAN_H and self.delay_sigma > 0.05:
            self.delay_sigma *= 0.95

    def set_delay_median(self, median: float) -> None:
        self.delay_median_h = float(np.clip(median, MIN_DELAY_MEDIAN_H, MAX_DELAY_MEDIAN_H))
        self.set_sigma(self.delay_sigma)

    def set_work_median(self, median: float) -> None:
        self.work_median_h = float(np.clip(median, MIN_WORK_MEDIAN_H, self.work_cap_h))

    def copy(self) -> WorkFit:
        return WorkFit(**{**self.__dict__, "notes": list(self.notes)})

    def bounds_hit(self, requested_sigma: float | None = None) -> list[str]:
        """Every bound this fit ends at, in words naming the parameter."""
        hit: list[str] = []
        if self.fixed:
            return hit
        if self.work_median_h >= self.work_cap_h * 0.999:
            hit.append(f"work median at its cap {self.work_cap_h:,.2f} h (set by the quickest closures)")
        if self.work_median_h <= MIN_WORK_MEDIAN_H * 1.001:
            hit.append(f"work median at its floor {MIN_WORK_MEDIAN_H} h")
        if self.delay_median_h >= MAX_DELAY_MEDIAN_H * 0.999:
            hit.append(f"delay median at its upper bound {MAX_DELAY_MEDIAN_H:,.0f} h")
        if self.delay_median_h <= MIN_DELAY_MEDIAN_H * 1.001:
            hit.append(f"delay median at its floor {MIN_DELAY_MEDIAN_H} h (no delay)")
        if self.delay_sigma >= MAX_WORK_SIGMA * 0.999:
            hit.append("delay spread at the schema's cv limit of 10")
        if requested_sigma is not None and self.delay_sigma < requested_sigma * 0.99 \
                and _mean(self.delay_median_h, self.delay_sigma / 0.95) >= MAX_MEAN_H:
            hit.append(f"delay spread lowered to keep its mean under {MAX_MEAN_H:,.0f} h")
        if _mean(self.delay_median_h, self.delay_sigma) >= MAX_MEAN_H * 0.95:
            hit.append(f"delay mean near its limit {MAX_MEAN_H:,.0f} h")
        return hit


LEFT_OPEN_DELAY_H = MAX_MEAN_H  # a left-open case waits longer than a year: it stays open, as in the log


def fixed_fit(closure: dict, instant: bool) -> WorkFit:
    """The fit of a closed-at-once part (its logged median, no delay) or a left-open part (a delay past the log)."""
    if instant:
        # Closures at once are cut off at 6 minutes: an exponential of their logged mean follows their quantiles
        # (Boston: p25, p50, p75 0.005, 0.013, 0.038 h logged, 0.007, 0.017, 0.033 h so) far better than a
        # lognormal, whose long tail would put too few of them in the lowest minutes.
        mean = closure.get("ttc_mean_closed_h", math.nan)
        mean = max(MIN_WORK_MEDIAN_H, mean if np.isfinite(mean) else closure["ttc_p50_h"] / math.log(2.0))
        median = mean * math.log(2.0)
        return WorkFit(work_median_h=median, work_sigma=0.0, work_cap_h=median, fixed=True, exponential=True,
                       notes=["closed on intake: exponential work of the logged mean time to close, no delay"])
    return WorkFit(work_median_h=MIN_WORK_CAP_H, work_sigma=0.3, delay_median_h=LEFT_OPEN_DELAY_H, delay_sigma=0.05,
                   work_cap_h=MIN_WORK_CAP_H, fixed=True,
                   notes=[f"left open: a fixed delay of {LEFT_OPEN_DELAY_H:,.0f} h keeps it open, as in the log"])


def work_cap(closure: dict, sigma: float) -> float:
    """The largest median work a lognormal of spread sigma can have without taking longer than the time to close.

    A case's time to close is its work plus waiting, so every quantile of the work is at most the same
    quantile of the time to close: the median work m satisfies m e^(z_q sigma) <= T_q at q = 10, 25 and
    50 % (z_q the standard normal quantile), and the quickest closures bind.
    """
    bounds = [closure["ttc_p50_h"], closure["ttc_p25_h"] * math.exp(0.6745 * sigma),
              closure["ttc_p10_h"] * math.exp(1.2816 * sigma)]
    finite = [b for b in bounds if np.isfinite(b)]
    return max(MIN_WORK_CAP_H, min(finite) if finite else MIN_WORK_CAP_H)


def first_guess(closure: dict, hours_per_week: float) -> WorkFit:
    """A starting split from a work key's closure moments.

    The work's spread is that of a lognormal with the observed p90 / p50 ratio (1.2816 is the standard
    normal's 90th percentile), within [0.3, `MAX_WORK_SPREAD`]; its median starts at its cap: the
    `work_cap` of the quantiles, and at most the p10 of time to close counted in working hours (beyond
    a day, the unit's `hours_per_week` out of 168: the quickest tenth of the cases, had they waited
    for nothing but working hours). The rest of the time to close is delay, which starts at what the work leaves
    of the median time to close.
    """
    median = max(closure["ttc_p50_h"], 0.05)
    spread = math.log(max(closure["ttc_p90_h"], median * 1.01) / median) / 1.2816
    sigma = float(np.clip(spread, 0.3, MAX_WORK_SPREAD))
    p10 = closure["ttc_p10_h"] if np.isfinite(closure["ttc_p10_h"]) else median
    day_h = min(24.0, hours_per_week / 5.0)  # the first day counts a working day's hours, later ones their share
    quickest = min(p10, day_h) + max(0.0, p10 - 24.0) * hours_per_week / 168.0
    fit = WorkFit(work_median_h=0.0, work_sigma=sigma,
                  work_cap_h=min(work_cap(closure, sigma), max(MIN_WORK_CAP_H, quickest)))
    fit.set_work_median(fit.work_cap_h)
    fit.set_delay_median(median - fit.work_median_h * 168.0 / max(hours_per_week, 1.0))
    fit.set_sigma(spread)
    return fit
