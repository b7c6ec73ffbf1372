"""Yearly costs of the community-level system and the cost per case closed on time.

Costs are built from person-years and community-years inside the measurement window (so a
hiring batch in mid-year, a vacancy or a split costs what it lasted), each times its yearly
figure in `scenario.costs`:
- grid workers: worker-years present x pay (an assumption: the seeds give no grid worker pay);
- community workers: worker-years x average pay (seed 004: 66,300 yuan), plus the expected
  certified social worker allowance (seed 004: 150 / 300 / 500 yuan a month for 292 of 800+);
- secretaries: serving secretary-years x their cell of the 3 posts x 18 grades table (seeds
  000, 001 name the scale; its figures are assumptions);
- community funds: community-years x (operating funds, seed 004: 390,000; special fund, seed
  002: 200,000 where a scenario sets it);
- reserve pool training: trainees in classes started in the window x cost per trainee.
Department staff are not counted: they are paid by their departments and do not change with
these levers.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import outcomes
from ..core.hooks import Mechanism
from ..core.outcomes import Kpi
from ..params.costs import Costs

COST_PARTS = ("grid_workers", "community_workers", "allowances", "secretaries", "community_funds", "training")


def cost_parts(spec: Costs, volumes: dict[str, float]) -> dict[str, float]:
    """Cost of each part over the window (yuan), from person-years and community-years."""
    return {
        "grid_workers": volumes["grid_worker_years"] * spec.grid_worker_pay_yuan_per_year,
        "community_workers": volumes["community_worker_years"] * spec.community_worker_pay_yuan_per_year,
        "allowances": volumes["community_worker_years"] * spec.allowance_yuan_per_community_worker_year(),
        "secretaries": volumes["secretary_years"] * spec.secretary_pay_yuan_per_year(),
        "community_funds": volumes["community_years"]
        * (spec.community_operating_funds_yuan_per_year + spec.community_special_fund_yuan_per_year),
        "training": volumes["trainees"] * spec.training_cost_yuan_per_trainee,
    }


def on_time_cases(cases: dict[str, np.ndarray], window_h: tuple[float, float], at: float) -> int:
    """Cases arriving in the window that were decided on time by instant `at` (`core.outcomes`)."""
    a, b = window_h
    in_window = (cases["arrived_h"] >= a) & (cases["arrived_h"] < b)
    closed, due = cases["closed_h"][in_window], cases["due_h"][in_window]
    return int(np.count_nonzero(outcomes.decided(closed, due, at) & outcomes.on_time(closed, due)))


COST_LABELS = {
    "grid_workers": ("grid workers", "网格员"), "community_workers": ("community workers", "社区工作者"),
    "allowances": ("social worker allowances", "社工津贴"), "secretaries": ("secretaries", "书记"),
    "community_funds": ("community funds", "社区经费"), "training": ("reserve pool training", "后备人才培训"),
}


class CostModel(Mechanism):
    """Costs are computed after the run from person-years, community-years and trainees; nothing acts on cases."""

    name = section = "costs"
    kpis = (
        Kpi("annual_cost_yuan", "yuan/year", "lower", "cost", "Annual cost (yuan)", "年度成本(元)"),
        Kpi("cost_per_on_time_case_yuan", "yuan", "lower", "cost", "Cost per case closed on time (yuan)",
            "每件按时办结案件成本(元)"),
        *(Kpi(f"annual_cost_{part}_yuan", "yuan/year", "lower", "cost", f"Annual cost: {en} (yuan)",
              f"年度成本:{zh}(元)")
          for part, (en, zh) in COST_LABELS.items()),
    )

    @classmethod
    def applies(cls, scenario) -> bool:
        return True

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        succession = raw.extensions["succession"]["measures"]
        volumes = dict(raw.volumes)
        community_years = volumes["community_years"]
        vacancy_years = (succession["secretary_vacancy_days_per_community_year"] * community_years / 365.0
                         if community_years > 0 else 0.0)
        volumes["secretary_years"] = community_years - vacancy_years
        volumes["trainees"] = succession["reserve_pool_trainees"]
        parts = cost_parts(raw.scenario.costs, volumes)
        years = volumes["window_years"]
        total = sum(parts.values()) + overtime_pay(raw)
        result = {"annual_cost_yuan": total / years if years > 0 else math.nan}
        for part, value in parts.items():
            result[f"annual_cost_{part}_yuan"] = value / years if years > 0 else math.nan
        on_time = on_time_cases(raw.cases, raw.window_h, raw.end_h)
        result["cost_per_on_time_case_yuan"] = total / on_time if on_time else math.nan
        return result


def overtime_pay(raw) -> float:
    """Overtime paid inside the window when staff respond to deadlines (`deadline_response`), else 0."""
    response = raw.extensions.get("deadline_response")
    if response is None:
        return 0.0
    return float(sum(response["overtime_h_by_role"].values())) * raw.scenario.deadline_response.overtime.yuan_per_hour
