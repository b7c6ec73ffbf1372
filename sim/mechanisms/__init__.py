"""The policy levers, each a mechanism on the core's protocol (`core.hooks.Mechanism`), and the model they make.

Every mechanism lives in its own module, reads its own schema section and declares its own
KPIs. `MECHANISMS` lists them in the order they are built and started; one that a scenario
leaves off is not built and draws nothing, so scenarios that do not use a lever give exactly
the results they gave before it existed (tests/test_backtest.py checks it).

    time_budget      burden pushed down and its reduction, the explicit split of a shift
    staggered_hours  some grid posts work evenings and weekends
    succession       community secretaries, vacancies, the reserve pool and its training cohorts
    split            communities above the household cap split on a given day
    staffing         grid worker attrition, replacement and ramp-up
    prevention       latent problems, patrols, informants
    mediation        resident mediators take disputes
    micro_wishes     order-dispatch-accept small requests taken by volunteers
    corrective_support  a community the monthly assessment flags gets help for a month
    deadline_response  departments respond to their time limits: overtime, compression, supervision
    costs            yearly costs and the cost per case closed on time
"""

from __future__ import annotations

from ..core.district import RawRun, run_district
from ..core.hooks import Mechanism
from ..params import Scenario
from .corrective_support import CorrectiveSupport
from .costs import CostModel
from .deadline_response import DeadlineResponse
from .mediation import Mediation
from .micro_wishes import MicroWishes
from .prevention import Prevention
from .split import CommunitySplit
from .staffing import GridStaffing
from .staggered_hours import StaggeredHours
from .succession import Succession
from .time_budget import TimeBudget

MECHANISMS: tuple[type[Mechanism], ...] = (
    TimeBudget, StaggeredHours, Succession, CommunitySplit, GridStaffing, Prevention, Mediation, MicroWishes,
    CorrectiveSupport, DeadlineResponse, CostModel,
)


def active(scenario: Scenario) -> list[type[Mechanism]]:
    """The mechanisms this scenario switches on."""
    return [mechanism for mechanism in MECHANISMS if mechanism.applies(scenario)]


def run_replication(scenario: Scenario, seed: int, replication: int = 0) -> RawRun:
    """Simulate one replication of a scenario with every mechanism it switches on."""
    return run_district(scenario, seed, replication, MECHANISMS)


__all__ = ["MECHANISMS", "Mechanism", "RawRun", "active", "run_replication"]
