"""What a case's outcome is, defined once, and how a measured outcome (a KPI) is declared.

A case with a deadline is *decided* once it is closed or its due time has passed; it is *on
time* if it closed by its due time. Its *time to close* is closure minus arrival, and a case
still open counts at its age at the instant of measurement (a lower bound, so a saturated
system shows instead of hiding). The KPIs, the case log, the scorecards, the costs and the
calibration all use these functions; nothing else decides what "on time" means.

`Kpi` is the declaration every outcome makes once (core KPIs in `analysis.kpis`, each
mechanism's in its own module); `analysis.registry` collects them for tables, charts and
reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNITS = ("share", "h", "days", "cases", "cases/day", "visits", "problems", "wishes", "vacancies", "people",
         "post-days", "grid-days", "communities", "yuan", "yuan/year", "ratio")
BETTER = ("higher", "lower", "neither")


@dataclass(frozen=True)
class Kpi:
    """One measured outcome: its name, unit, which direction is better, its group and its labels.

    A name ending in `_*` declares a family (one KPI per handling level or case category, say
    `on_time_rate_*`); the labels then take the member's suffix in place of `{}`.
    """

    name: str
    unit: str
    better: str
    group: str
    en: str
    zh: str

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"KPI {self.name}: unit {self.unit!r} is not one of {UNITS}")
        if self.better not in BETTER:
            raise ValueError(f"KPI {self.name}: better {self.better!r} is not one of {BETTER}")

    @property
    def is_family(self) -> bool:
        return self.name.endswith("_*")


def has_deadline(due: np.ndarray) -> np.ndarray:
    return np.isfinite(due)


def is_closed(closed: np.ndarray) -> np.ndarray:
    return ~np.isnan(closed)


def decided(closed: np.ndarray, due: np.ndarray, at: float | np.ndarray) -> np.ndarray:
    """Cases with a deadline that are closed, or open past their due time, at instant `at`."""
    return has_deadline(due) & (is_closed(closed) | (due < at))


def on_time(closed: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Cases closed by their due time (meaningful for decided cases)."""
    return is_closed(closed) & (closed <= due)


def decided_at(closed: np.ndarray, due: np.ndarray) -> np.ndarray:
    """When each case is decided: its closure if it closed on time, else its due time (inf: never)."""
    return np.where(on_time(closed, due), closed, due)


def time_to_close(arrived: np.ndarray, closed: np.ndarray, at: float | np.ndarray) -> np.ndarray:
    """Closure minus arrival; a case open at `at` counts at its age then."""
    # In place rather than np.where(closed - arrived, at - arrived): one array of the cases' size, not three
    # (a five-year replication has some 8 million cases). The values are the same.
    ttc = closed - arrived
    np.subtract(at, arrived, out=ttc, where=np.isnan(closed))
    return ttc


def deadline_position(arrived: np.ndarray, closed: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Closure time relative to the allowed time, (closed - arrived) / (due - arrived): 1 at the due time.

    NaN for cases without a deadline, still open, or with no time allowed.
    """
    allowed = due - arrived
    with np.errstate(invalid="ignore", divide="ignore"):
        position = (closed - arrived) / allowed
    return np.where(has_deadline(due) & is_closed(closed) & (allowed > 0), position, np.nan)


def deadline_ratios(position: np.ndarray) -> tuple[float, float]:
    """Closures around the deadline, from `deadline_position` (NaNs ignored).

    spike = closures in the last tenth of the allowed time (0.9, 1.0] over those in the tenth
    before (0.8, 0.9]; drop = closures in the first tenth after due (1.0, 1.1] over those in the
    last tenth before. A closure exactly at the due time is on time, so it is in the last tenth
    before. NaN where the denominator is empty.
    """
    p = position[np.isfinite(position)]
    before = np.count_nonzero((p > 0.8) & (p <= 0.9))
    last = np.count_nonzero((p > 0.9) & (p <= 1.0))
    after = np.count_nonzero((p > 1.0) & (p <= 1.1))
    return (last / before if before else float("nan"), after / last if last else float("nan"))
