"""Theory checks: the M/M/c reduction of the full model against the Erlang C formulas.

`mmc_scenario` switches everything but one queue off: one grid served by C identical grid
workers on round-the-clock shifts, Poisson arrivals, exponential work, FIFO, no deadlines, no
escalation, no reopening. `validate_mmc` runs it until the 95 % half-width of the mean wait is
within the target relative precision (sequentially adding replications) and compares
probability of waiting, mean wait and P(wait > t) with Erlang C.
"""

from __future__ import annotations

import math

import numpy as np

from ..analysis.statistics import t_interval
from ..mechanisms import run_replication
from ..params import Scenario
from ..params.calendar import round_the_clock
from .executors import Executor, run_tasks

MMC_HOUSEHOLDS = 10_000  # one grid whose households together make the arrival rate


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C), computed stably."""
    offered = arrival_rate / service_rate
    if offered >= servers:
        return 1.0
    # Erlang B by recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1 - rho + rho * b)


def mmc_theory(servers: int, arrival_rate: float, service_rate: float, tail_h: list[float]) -> dict:
    p_wait = erlang_c(servers, arrival_rate, service_rate)
    drain = servers * service_rate - arrival_rate
    return {
        "p_wait": p_wait,
        "mean_wait_h": p_wait / drain,
        "p_wait_gt": {str(t): p_wait * math.exp(-drain * t) for t in tail_h},
    }


def mmc_scenario(servers: int, arrival_rate: float, service_rate: float, horizon_days: int,
                 warm_up_days: int) -> Scenario:
    """The full model reduced to an M/M/c queue."""
    work = {"mean_h": 1.0 / service_rate, "distribution": "exponential"}
    return Scenario.model_validate(
        {
            "name": f"mmc_c{servers}_l{arrival_rate:g}_m{service_rate:g}",
            "horizon_days": horizon_days,
            "warm_up_days": warm_up_days,
            "drain_days": 7,
            "territory": {"subdistricts": 1, "communities": 1, "residential_grids": 1,
                          "households_per_grid_min": MMC_HOUSEHOLDS, "households_per_grid_max": MMC_HOUSEHOLDS,
                          "community_size_cv": 0},
            "workforce": {
                "grid_workers": servers,
                "grid_worker_hours": [h.model_dump() for h in round_the_clock()],
                "grid_case_time_share": 1.0,
                "community_workers_per_community": 1,
            },
            "departments": {"department": {"staff": 1}},
            "dispatch": {"resolution_deadline_h": 24 * 3650},
            "cases": {
                "categories": {
                    "case": {
                        "rate_per_household_per_year": arrival_rate * 8760.0 / MMC_HOUSEHOLDS,
                        "deadline_h": None,
                        "routing": {"grid": 1.0, "community": 0.0, "department": 0.0},
                        "escalation_probability": {"grid": 0.0, "community": 0.0},
                        "work": {"grid": work, "community": work, "department": work},
                        "department": "department",
                    }
                },
                "sources": {"arrival": 1.0},
                "hourly_profile": [1.0] * 24,
                "weekly_profile": [1.0] * 7,
                "reopen_probability": 0.0,
            },
        }
    )


def _waits(args: tuple[Scenario, int, int]) -> np.ndarray:
    scenario, seed, replication = args
    raw = run_replication(scenario, seed, replication)
    start, end = raw.window_h
    arrived = raw.cases["arrived_h"]
    window = (arrived >= start) & (arrived < end)
    return (raw.cases["started_h"] - arrived)[window]


def validate_mmc(
    servers: int,
    arrival_rate: float,
    service_rate: float,
    *,
    replications: int | None = None,
    seed: int = 0,
    horizon_days: int | None = None,
    relative_precision: float = 0.05,
    max_replications: int = 400,
    tail_h: list[float] | None = None,
    jobs: int = 1,
    progress: bool = False,
    executor: Executor | None = None,
) -> dict:
    """Simulate the M/M/c reduction and compare with Erlang C.

    With replications=None, replications are added until the 95 % half-width of the mean wait
    is within `relative_precision` of the mean (or max_replications is reached).
    """
    if servers < 1:
        raise ValueError(f"servers must be at least 1, got {servers}")
    if arrival_rate <= 0 or service_rate <= 0:
        raise ValueError(f"arrival and service rates must be positive, got {arrival_rate} and {service_rate}")
    rho = arrival_rate / (servers * service_rate)
    if rho >= 1:
        raise ValueError(f"utilisation arrival_rate / (servers x service_rate) = {rho:.3f} must be below 1 for a "
                         f"steady state")
    theory_drain = servers * service_rate - arrival_rate
    tail_h = tail_h or [round(x, 4) for x in (0.5 / theory_drain, 1.0 / theory_drain, 2.0 / theory_drain)]
    # Relaxation time of the queue length (heavy-traffic approximation): warm up for 5 of them.
    relaxation_h = 1.0 / (servers * service_rate * (1 - math.sqrt(rho)) ** 2)
    if horizon_days is None:
        # About 20,000 arrivals per replication, and at least 20 relaxation times.
        horizon_days = int(max(2, math.ceil(20_000 / (arrival_rate * 24)), math.ceil(20 * relaxation_h / 24)))
    warm_up_days = max(1, horizon_days // 10, math.ceil(5 * relaxation_h / 24))
    scenario = mmc_scenario(servers, arrival_rate, service_rate, horizon_days + warm_up_days, warm_up_days)

    def run(first: int, count: int) -> list[np.ndarray]:
        tasks = [(scenario, seed, r) for r in range(first, first + count)]
        return run_tasks(tasks, _waits, jobs=jobs, progress=progress, description="M/M/c replications",
                         executor=executor)

    waits = run(0, replications or 10)
    if replications is None:
        while len(waits) < max_replications:
            means = np.array([w.mean() for w in waits])
            mean, low, high = t_interval(means)
            if mean > 0 and (high - low) / 2 <= relative_precision * mean:
                break
            needed = math.ceil(len(waits) * (((high - low) / 2) / (relative_precision * max(mean, 1e-12))) ** 2)
            extra = min(max_replications, max(needed, len(waits) + 5)) - len(waits)
            waits += run(len(waits), extra)

    theory = mmc_theory(servers, arrival_rate, service_rate, tail_h)
    simulated = _summarise_waits(waits, tail_h)
    checks = {
        "p_wait": _check(simulated["p_wait_ci"], theory["p_wait"]),
        "mean_wait_h": _check(simulated["mean_wait_h_ci"], theory["mean_wait_h"]),
    }
    for t in tail_h:
        checks[f"p_wait_gt_{t}"] = _check(simulated["p_wait_gt_ci"][str(t)], theory["p_wait_gt"][str(t)])
    return {
        "servers": servers,
        "arrival_rate": arrival_rate,
        "service_rate": service_rate,
        "utilisation": rho,
        "replications": len(waits),
        "horizon_days": horizon_days,
        "warm_up_days": warm_up_days,
        "customers": int(sum(len(w) for w in waits)),
        "simulated": simulated,
        "analytical": theory,
        "checks": checks,
        "passed": all(checks.values()),
    }


def _summarise_waits(waits: list[np.ndarray], tail_h: list[float]) -> dict:
    def interval(values: list[float]) -> tuple[float, list[float]]:
        mean, low, high = t_interval(np.array(values))
        return mean, [low, high]

    p_wait, p_wait_ci = interval([float((w > 0).mean()) for w in waits])
    mean_wait, mean_wait_ci = interval([float(w.mean()) for w in waits])
    tails = {str(t): interval([float((w > t).mean()) for w in waits]) for t in tail_h}
    return {
        "p_wait": p_wait,
        "p_wait_ci": p_wait_ci,
        "mean_wait_h": mean_wait,
        "mean_wait_h_ci": mean_wait_ci,
        "p_wait_gt": {t: v[0] for t, v in tails.items()},
        "p_wait_gt_ci": {t: v[1] for t, v in tails.items()},
    }


def _check(ci: list[float], value: float) -> bool:
    return bool(ci[0] <= value <= ci[1])
