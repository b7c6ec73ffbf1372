"""Studies that run one mechanism alone, fast, for many replications: the secretaries and the reserve pool.

`succession_study` runs `mechanisms.secretary_office.SuccessionOffice` without cases for each scenario:
five years of vacancies and pool in a fraction of a second, so its KPIs get hundreds of
replications where the full model affords a handful.
"""

from __future__ import annotations

import pandas as pd

from ..core.streams import Streams
from ..core.territory import build_territory
from ..mechanisms.secretary_office import simulate_succession, succession_measures
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR


def succession_study(scenarios: list, replications: int, seed: int = 0) -> pd.DataFrame:
    """Secretary and reserve pool KPIs of each scenario, run alone (no cases, no split), per replication.

    Replication r of every scenario uses the streams of (seed, r), as the full model does, so
    scenarios are paired. Returns tidy rows (scenario, replication, seed, kpi, value), including
    the yearly reserve-pool training cost and secretary pay.
    """
    rows = []
    for scenario in scenarios:
        window = (scenario.warm_up_days * HOURS_PER_DAY, scenario.horizon_days * HOURS_PER_DAY)
        years = (window[1] - window[0]) / HOURS_PER_YEAR
        n = scenario.territory.communities
        for replication in range(replications):
            office = simulate_succession(scenario.secretaries, scenario.reserve_pool, n,
                                         scenario.horizon_days + scenario.drain_days, seed, replication,
                                         community_subdistrict(scenario, seed, replication))
            m = succession_measures(office, window)
            serving_years = n * years - m["secretary_vacancy_days_per_community_year"] * n * years / 365.0
            training = m["reserve_pool_trainees"] * scenario.costs.training_cost_yuan_per_trainee
            m["annual_cost_training_yuan"] = training / years
            m["annual_cost_secretaries_yuan"] = serving_years * scenario.costs.secretary_pay_yuan_per_year() / years
            rows += [{"scenario": scenario.name, "replication": replication, "seed": seed, "kpi": k, "value": v}
                     for k, v in m.items()]
    return pd.DataFrame(rows)


def community_subdistrict(scenario, seed: int, replication: int) -> list[int] | None:
    """The subdistrict of each community, as the full model lays the territory out (only a subdistrict pool needs
    it)."""
    if scenario.reserve_pool.scope != "subdistrict":
        return None
    return build_territory(scenario.territory, Streams(seed, replication)).community_subdistrict.tolist()
