"""The protocol between the model core and the mechanisms: named hooks and the mechanism lifecycle.

The core never imports a mechanism. It calls them through `Hooks`, whose every hook is a list,
so two mechanisms never overwrite each other's: a transform hook (a post's calendar, a role's
case-time share) is applied in list order; a decision hook (divert a case, give an idle worker
other work) stops at the first mechanism that acts; a notification hook calls them all.

A mechanism (`Mechanism`) declares its schema section and KPIs, and lives through the
lifecycle of one replication (after desmod's components):

1. `applies(scenario)`: whether the scenario switches it on (otherwise it is not built, and
   draws nothing: scenarios that leave it off give the results they gave before it existed);
2. `__init__(district)`: builds its own state from the scenario, the territory and the streams;
3. `attach(hooks)`: adds its callbacks, before the core builds its stations and workforce;
4. `start()`: after the stations exist and before time 0 runs: starts its SimPy processes;
5. `results()` and `series(at)`: after the run, its outputs as plain data (in `RawRun.extensions`);
6. `measure(raw)` and `tables(raw, case_log)`: its KPIs and tables, computed from the raw run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from ..params import Scenario
    from .calendar import Calendar
    from .case import Case
    from .outcomes import Kpi
    from .stations import Station, Worker


class Hooks:
    """The named extension points of one replication."""

    def __init__(self):
        # transforms, applied in order
        self.post_calendar: list[Callable[[int, int, Calendar], Calendar]] = []  # (post, n_posts, calendar)
        self.case_time_share: list[Callable[[int, float], float]] = []  # (role, share of a shift for cases)
        self.divert: list[Callable[[Case, Station], Station]] = []  # a case about to join a station
        self.service: list[Callable[[Worker, Case, float], float]] = []  # (worker, case, shift hours) of a service
        self.reopen_probability: list[Callable[[Case, float], float]] = []  # (case, probability) at its closure
        # decisions: the first that returns True has acted
        self.idle: list[Callable[[Worker], bool]] = []  # a worker with nothing queued: other work (a patrol)?
        self.hold: list[Callable[[Case, Station], bool]] = []  # a case about to join a station: put aside for now?
        # notifications
        self.hired: list[Callable[[Worker, int, float], None]] = []  # (worker, slot, ramp_up_days): a new grid worker
        self.communities_added: list[Callable[[list[int], np.ndarray], None]] = []  # (new, parent of each community)
        self.staffed: list[Callable[[Station, list[Worker]], None]] = []  # workers added to a station (not grid posts)
        self.closed: list[Callable[[Case], None]] = []  # a case closed for good (not reopened)
        # a shift of this calendar begins (after the cases waiting for it are taken)
        self.shift_start: list[Callable[[Calendar], None]] = []


class Mechanism:
    """A policy lever acting on one replication; subclasses override what they need."""

    name: ClassVar[str]  # key of its outputs in RawRun.extensions
    section: ClassVar[str]  # the scenario section it reads
    kpis: ClassVar[tuple[Kpi, ...]] = ()  # every KPI `measure` may return, declared once

    def __init__(self, district: Any):
        self.district = district

    @classmethod
    def applies(cls, scenario: Scenario) -> bool:
        """Whether the scenario switches the mechanism on (default: its section's `enabled`)."""
        return bool(getattr(scenario, cls.section).enabled)

    def attach(self, hooks: Hooks) -> None:
        """Add callbacks to the hooks (before the core builds its stations)."""

    def start(self) -> None:
        """Start processes (after the stations are built, before the run)."""

    def results(self) -> dict:
        """Outputs of the run as plain data (numpy arrays, numbers, dicts)."""
        return {}

    def series(self, at: np.ndarray) -> dict[str, np.ndarray]:
        """Step series sampled at the monitor's instants `at`, added to the run's time series."""
        return {}

    @classmethod
    def measure(cls, raw: Any) -> dict[str, float]:
        """The mechanism's KPIs of one raw run (names declared in `kpis`)."""
        return {}

    @classmethod
    def tables(cls, raw: Any, case_log: Any) -> dict[str, Any]:
        """The mechanism's tables of one raw run (pandas DataFrames)."""
        return {}
