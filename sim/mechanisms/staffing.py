"""Grid workers over time: attrition as a hazard, replacement after a lead time, ramp-up of new workers.

Every worker hired (initial, batch or replacement) draws an exponential working life from the
"workforce.attrition" stream; when it ends the worker finishes the case in hand and leaves, the
slot is empty (`core.workforce.GridWorkforce.leave`), and a replacement is hired into it after
the lead time. New workers of a batch with a ramp-up, and replacements with one, start at a
fraction of full pace and reach it linearly over their ramp-up, updated daily (`Worker.pace`).
While a slot is empty its grids are re-shared among the remaining workers (`vacant_grids:
neighbours`) or left with their post (`uncovered`), whose cases wait for the replacement; the
core's workforce log shows both (post-days vacant, grid-days uncovered or covered). No I/O.
"""

from __future__ import annotations

from simpy.events import Timeout

from ..core.hooks import Hooks, Mechanism
from ..core.stations import Worker
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR


class GridStaffing(Mechanism):
    """Departures, replacements and ramp-up of the grid workers of one replication."""

    name = section = "grid_staffing"

    @classmethod
    def applies(cls, scenario) -> bool:
        return (scenario.grid_staffing.attrition_per_year > 0
                or any(b.ramp_up_days > 0 for b in scenario.workforce.hiring_batches))

    def __init__(self, district):
        super().__init__(district)
        self.env = district.env
        self.spec = district.scenario.grid_staffing
        self.rate_per_h = self.spec.attrition_per_year / HOURS_PER_YEAR
        self.attrition = district.streams["workforce.attrition"]
        self.ramping: dict[Worker, tuple[float, float]] = {}  # worker -> (hired_h, ramp_h)

    def attach(self, hooks: Hooks) -> None:
        hooks.hired.append(self._hired)

    def start(self) -> None:
        self.env.process(self._ramp())

    def _hired(self, worker: Worker, slot: int, ramp_up_days: float) -> None:
        if ramp_up_days > 0:
            worker.pace = 1.0 / self.spec.ramp_up_start_productivity
            self.ramping[worker] = (self.env.now, ramp_up_days * HOURS_PER_DAY)
        if self.rate_per_h > 0:
            life_h = self.attrition.exponential(1.0 / self.rate_per_h)
            if self.env.now + life_h < self.district.end_h:
                Timeout(self.env, life_h, slot).callbacks.append(self._leave)

    def _leave(self, event: Timeout) -> None:
        slot = event.value
        self.ramping.pop(self.district.grid_workforce.slots[slot], None)
        Timeout(self.env, self.spec.replacement_lead_days * HOURS_PER_DAY, slot).callbacks.append(self._replace)
        self.district.grid_workforce.leave(slot)

    def _replace(self, event: Timeout) -> None:
        self.district.grid_workforce.fill(event.value, self.spec.replacement_ramp_up_days)

    def _ramp(self):
        """Daily: raise the pace of workers in their ramp-up."""
        p0 = self.spec.ramp_up_start_productivity
        while True:
            yield self.env.timeout(HOURS_PER_DAY)
            now = self.env.now
            for worker, (hired_h, ramp_h) in list(self.ramping.items()):
                progress = (now - hired_h) / ramp_h
                if progress >= 1:
                    worker.pace = 1.0
                    del self.ramping[worker]
                else:
                    worker.pace = 1.0 / (p0 + (1 - p0) * progress)
