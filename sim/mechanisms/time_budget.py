"""The time budget: burden pushed down by departments (减负), other duties, and what is left of a shift for cases.

With patrols or burden on, the schema's `grid_case_time_share` is replaced by an explicit split
of every shift hour: a share b goes to the burden pushed down by departments (hours per week /
shift hours per week, after the reduction), a share o to other duties (meetings, training); the
rest (1 - b - o) goes to foreground work: cases, patrol or idling. Burden and other duties are
interleaved with foreground work, so every case or visit takes 1 / (1 - b - o) times its focused
hours of shift time (`params.derived.time_shares`). Community workers get the same split when
burden is on. Burden reduction (the admission system, the lists of removed certificates and
plaques) lowers b and so frees time for residents.

`time_use(raw)` accounts every role's shift, exactly: shift + overtime = cases + patrol + burden +
other + idle, where idle is the remainder; overtime (staff working to their time limits,
`deadline_response`) is all case work. Supervisors sent to a department by supervision (督办)
have a row of their own (`supervisor`): their hours from arrival to departure, their case work
taken out of the department's, so each row balances on its own people.
"""

from __future__ import annotations

import math

from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import COMMUNITY, GRID
from ..params.calendar import week_hours
from ..params.derived import time_shares
from ..units import HOURS_PER_YEAR


def shares_of(scenario) -> dict[str, float]:
    return time_shares(scenario.workforce, scenario.burden, scenario.patrol)


class TimeBudget(Mechanism):
    """Sets the case-time share of grid and community stations from the explicit split of a shift."""

    name = "time_budget"
    section = "burden"
    kpis = (
        Kpi("burden_hours_per_worker_week", "h", "lower", "time_use", "Burden per grid worker per week (h)",
            "网格员每周承担下派事务时数"),
        Kpi("burden_hours_per_community_worker_week", "h", "lower", "time_use",
            "Burden per community worker per week (h)", "社区工作者每周承担下派事务时数"),
        Kpi("burden_hours_freed", "h", "higher", "time_use", "Hours freed by burden reduction", "减负释放工时"),
        Kpi("burden_funding_yuan_per_year", "yuan/year", "neither", "time_use",
            "Funding that follows the remaining tasks (yuan a year)", "费随事转经费(元/年)"),
    )

    @classmethod
    def applies(cls, scenario) -> bool:
        return scenario.burden.enabled or scenario.patrol.enabled

    def __init__(self, district):
        super().__init__(district)
        self.shares = shares_of(district.scenario)

    def attach(self, hooks: Hooks) -> None:
        hooks.case_time_share.append(self.case_time_share)

    def case_time_share(self, role: int, share: float) -> float:
        if role == GRID:
            return self.shares["grid_case"]
        if role == COMMUNITY:
            return self.shares["community_case"]
        return share

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        s = raw.scenario
        if not s.burden.enabled:
            return {}
        use = {row["role"]: row for row in time_use(raw)}
        out = {}
        for role, name in (("grid_worker", "burden_hours_per_worker_week"),
                           ("community_worker", "burden_hours_per_community_worker_week")):
            worker_weeks = use[role]["shift_h"] / role_week_hours(s, role)
            out[name] = float(use[role]["burden_h"] / worker_weeks) if worker_weeks > 0 else math.nan
        out["burden_hours_freed"] = float(sum(row["burden_freed_h"] for row in use.values()))
        start, end = raw.window_h
        years = (end - start) / HOURS_PER_YEAR
        out["burden_funding_yuan_per_year"] = float(sum(row["burden_h"] for row in use.values())
                                                    * s.burden.funding_yuan_per_hour / years)
        return out


def role_week_hours(scenario, role: str) -> float:
    wf = scenario.workforce
    return week_hours({"grid_worker": wf.grid_worker_hours, "community_worker": wf.community_worker_hours}[role])


def time_use(raw) -> list[dict]:
    """Worker time accounting per role in the window: shift = cases + patrol + burden + other + idle.

    Cases and patrol are focused hours (the work itself); burden and other duties are their shares
    of every shift hour; idle is what is left. `burden_freed_h` is the burden the reduction removed.
    """
    s = raw.scenario
    shares = shares_of(s)
    patrol_h = raw.extensions.get("prevention", {}).get("patrol_visits_in_window", 0) * s.patrol.visit_h \
        if s.patrol.enabled else 0.0
    response = raw.extensions.get("deadline_response", {})
    overtime_h = response.get("overtime_h_by_role", {})
    supervisor_case_h = response.get("supervisor_case_h", 0.0)
    rows = []
    for role, key in (("grid_worker", "grid"), ("community_worker", "community"), ("department_staff", None)):
        shift = raw.shift_h[role]
        case_share = shares[f"{key}_case"] if key else 1.0
        burden = shares[f"{key}_burden"] * shift if key else 0.0
        other = shares[f"{key}_other"] * shift if key else 0.0
        overtime = overtime_h.get(role, 0.0)
        busy = raw.busy_h[role] - (supervisor_case_h if role == "department_staff" else 0.0)
        cases = busy * case_share + overtime
        patrol = patrol_h if role == "grid_worker" else 0.0
        freed = 0.0
        if key and s.burden.enabled:
            hours = s.burden.grid_worker_hours_per_week if key == "grid" else s.burden.community_worker_hours_per_week
            freed = hours * shift / role_week_hours(s, role) - burden
        rows.append({"role": role, "shift_h": shift, "overtime_h": overtime, "cases_h": cases, "patrol_h": patrol,
                     "burden_h": burden, "other_h": other, "idle_h": shift + overtime - cases - patrol - burden - other,
                     "burden_freed_h": freed})
    if raw.scenario.deadline_response.enabled and raw.scenario.deadline_response.supervision.enabled:
        shift = response["supervisor_shift_h"]
        rows.append({"role": "supervisor", "shift_h": shift, "overtime_h": 0.0, "cases_h": supervisor_case_h,
                     "patrol_h": 0.0, "burden_h": 0.0, "other_h": 0.0, "idle_h": shift - supervisor_case_h,
                     "burden_freed_h": 0.0})
    return rows
