"""Yearly costs of the community-level system, cost per case closed on time, and marginal cost per point of on-time rate.

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
import pandas as pd

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


def on_time_cases(cases: dict[str, np.ndarray], window_h: tuple[float, float]) -> int:
    """Cases arriving in the window and closed by their due time (a case without a deadline: once closed)."""
    a, b = window_h
    in_window = (cases["arrived_h"] >= a) & (cases["arrived_h"] < b)
    closed = cases["closed_h"][in_window]
    return int(np.count_nonzero(~np.isnan(closed) & (closed <= cases["due_h"][in_window])))


def marginal_cost_per_point(per_replication: pd.DataFrame, baseline: str, scenario: str,
                            confidence: float = 0.95) -> dict[str, float]:
    """Extra yearly cost per percentage point of on-time rate, scenario against baseline.

    The ratio of the mean paired differences (same replications, common random numbers), with
    a delta-method confidence interval; no interval when the on-time difference's own interval
    includes 0 (the ratio is then unbounded).
    """
    from ..analysis.kpis import t_interval  # metrics imports the model, which imports this module

    wide = per_replication[per_replication["kpi"].isin(["annual_cost_yuan", "on_time_rate"])].pivot_table(
        index="replication", columns=["kpi", "scenario"], values="value", observed=True)
    d_cost = (wide[("annual_cost_yuan", scenario)] - wide[("annual_cost_yuan", baseline)]).to_numpy(float)
    d_pp = 100 * (wide[("on_time_rate", scenario)] - wide[("on_time_rate", baseline)]).to_numpy(float)
    cost_mean, _, _ = t_interval(d_cost, confidence)
    pp_mean, pp_low, pp_high = t_interval(d_pp, confidence)
    result = {"scenario": scenario, "baseline": baseline, "cost_difference_yuan": cost_mean,
              "on_time_difference_pp": pp_mean, "yuan_per_pp": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if not pp_mean:
        return result
    ratio = cost_mean / pp_mean
    result["yuan_per_pp"] = ratio
    n = len(d_cost)
    if n >= 2 and (pp_low > 0 or pp_high < 0):
        from scipy import stats

        # Delta method: var(R) ~ (var(C) - 2 R cov(C, P) + R^2 var(P)) / (n mean(P)^2)
        cov = np.cov(d_cost, d_pp, ddof=1)
        var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (n * pp_mean**2)
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * math.sqrt(max(var, 0.0)))
        result["ci_low"], result["ci_high"] = ratio - half, ratio + half
    return result
