"""Workforce over time, wired into one replication: succession, the reserve pool, community splitting, grid staffing.

`Dynamics(district)` is created by `model.District` after its stations are built. It owns
- the `succession.SuccessionOffice` (secretaries and the reserve pool); while a community's
  secretary post is vacant, its community station works slower (`vacancy_work_multiplier`
  scales the station's stretch, so a service started during the vacancy takes longer);
- the community split (`territory.split_communities`) on its day: new community stations with
  their own community workers, queued cases moved to their grid's new community, and a
  secretary vacancy for each new community (filled from the pool or by a search);
- `staffing.GridStaffing` when grid workers leave or ramp up (it then replaces
  `District._hiring`).
At their defaults none of these acts on cases and no random stream is drawn, so existing
scenarios give the same results. `finish()` returns plain measures, step series and the cost
parts (`costs.cost_parts`) for `RawRun.people`; `kpis(raw)` turns them into KPIs. No I/O.
"""

from __future__ import annotations

import math

import numpy as np

from . import costs
from ..core.handling import COMMUNITY, GRID_OF, ID, Station
from .staffing import GridStaffing, staffing_is_dynamic
from .succession import HOURS_PER_DAY, SuccessionOffice, step_at, step_integral, succession_measures
from ..core.territory import split_communities

HOURS_PER_YEAR = 8_760.0

PEOPLE_KPI_UNITS = {
    "secretary_vacancy_days_per_community_year": "days",
    "secretary_vacancies_opened": "vacancies",
    "secretary_time_to_fill_mean_days": "days",
    "secretary_time_to_fill_p90_days": "days",
    "reserve_pool_stockout_probability": "share",
    "reserve_pool_stockouts": "vacancies",
    "reserve_pool_stockout_days": "days",
    "reserve_pool_mean": "candidates",
    "reserve_pool_trainees": "trainees",
    "grid_worker_vacancy_days": "post-days",
    "grid_days_uncovered": "grid-days",
    "grid_days_covered_by_neighbours": "grid-days",
    "grid_worker_departures": "workers",
    "communities": "communities",
    "annual_cost_yuan": "yuan/year",
    "cost_per_on_time_case_yuan": "yuan",
    **{f"annual_cost_{part}_yuan": "yuan/year" for part in costs.COST_PARTS},
}


class Dynamics:
    """The workforce-over-time mechanisms of one replication."""

    def __init__(self, district):
        self.district = district
        scenario = district.scenario
        self.scenario = scenario
        handling = district.handling
        stations = {id(s): s for s in handling.community_station_of_grid}.values()
        self.community_stations: list[Station] = sorted(stations, key=lambda s: s.index)
        self.community_stretch = 1.0 / district.mechanisms.community_case_time_share
        self.office = SuccessionOffice(
            district.env, district.streams, district.territory.n_communities, scenario.secretaries,
            scenario.reserve_pool, on_vacancy=self._vacant, on_fill=self._filled,
        )
        self.community_log: list[tuple[float, int]] = [(0.0, district.territory.n_communities)]
        self.grid = GridStaffing(district) if staffing_is_dynamic(scenario) else None

    @property
    def replaces_hiring(self) -> bool:
        return self.grid is not None

    def start(self) -> None:
        self.office.start()
        if self.scenario.community_split.enabled:
            self.district.env.process(self._split())
        if self.grid is not None:
            self.grid.start()

    # -- secretary vacancies slow the community --------------------------------------------------

    def _vacant(self, community: int) -> None:
        self.community_stations[community].stretch = self.community_stretch * self.scenario.secretaries.vacancy_work_multiplier

    def _filled(self, community: int) -> None:
        self.community_stations[community].stretch = self.community_stretch

    # -- community splitting ----------------------------------------------------------------------

    def _split(self):
        district, spec = self.district, self.scenario.community_split
        env, handling = district.env, district.handling
        delay = spec.day * HOURS_PER_DAY - env.now
        if delay > 0:
            yield env.timeout(delay)
        before = district.territory
        after, parent = split_communities(before, spec.max_households)
        new = list(range(before.n_communities, after.n_communities))
        if not new:
            return
        wf = self.scenario.workforce
        calendar = district.calendars["community_worker"]
        discipline = self.scenario.dispatch.queue_discipline
        for community in new:
            self.community_stations.append(
                Station(COMMUNITY, community, discipline, calendar, district.mechanisms.community_case_time_share))
        self.office.add_communities(len(new))  # each new community opens a secretary vacancy
        for community in new:
            handling.staff(self.community_stations[community], wf.community_workers_per_community)
        handling.community_station_of_grid = [self.community_stations[c] for c in after.grid_community.tolist()]
        moved: list[list] = []
        for community in sorted(set(parent[new].tolist())):
            moved += self.community_stations[community].queue.drain()
        handling.queued[COMMUNITY] -= len(moved)
        moved.sort(key=lambda case: case[ID])
        for case in moved:
            handling.push(case, handling.community_station_of_grid[case[GRID_OF]])
        district.territory = after
        district.community_workers_total = after.n_communities * wf.community_workers_per_community
        self.community_log.append((env.now, after.n_communities))

    # -- series for the model -----------------------------------------------------------------------

    def community_segments(self, end_h: float) -> list[tuple[float, float, int]]:
        times = [t for t, _ in self.community_log] + [end_h]
        return [(a, min(b, end_h), n) for (a, n), b in zip(self.community_log, times[1:]) if min(b, end_h) > a]

    def community_worker_segments(self, end_h: float) -> list[tuple[float, float, int]]:
        per = self.scenario.workforce.community_workers_per_community
        return [(a, b, n * per) for a, b, n in self.community_segments(end_h)]

    def grid_segments(self, end_h: float) -> list[tuple[float, float, int]]:
        return self.grid.segments(end_h)

    # -- results ------------------------------------------------------------------------------------

    def finish(self) -> dict:
        """Measures over the window, step series sampled hourly, and the cost parts: plain data."""
        district = self.district
        window = district.window
        a, b = window
        measures = succession_measures(self.office, window)
        if self.grid is not None:
            measures.update(self.grid.measures(window))
        else:
            nobody_h = sum(min(e, b) - max(s, a) for s, e, head in district._grid_segments() if head == 0 and min(e, b) > max(s, a))
            measures.update({"grid_worker_vacancy_days": 0.0, "grid_days_covered_by_neighbours": 0.0,
                             "grid_days_uncovered": district.territory.n_grids * nobody_h / HOURS_PER_DAY,
                             "grid_worker_departures": 0.0})
        community_years = sum(n * (min(e, b) - max(s, a)) for s, e, n in self.community_segments(district.end_h)
                              if min(e, b) > max(s, a)) / HOURS_PER_YEAR
        vacancy_years = measures["secretary_vacancy_days_per_community_year"] * community_years / 365.0 \
            if community_years > 0 else 0.0
        volumes = {
            "window_years": (b - a) / HOURS_PER_YEAR,
            "grid_worker_years": district._grid_worker_days() / 365.0,
            "community_worker_years": community_years * self.scenario.workforce.community_workers_per_community,
            "secretary_years": community_years - vacancy_years,
            "community_years": community_years,
            "trainees": measures["reserve_pool_trainees"],
        }
        measures["communities"] = float(district.territory.n_communities)
        return {"measures": measures, "volumes": volumes, "series": self._series()}

    def _series(self) -> dict[str, np.ndarray]:
        """Head count per role, pool and vacancies at the monitor's instants."""
        at = np.asarray(self.district.series["t_h"], dtype=float)
        log = self.office.log
        t = np.asarray(log["t_h"], dtype=float)
        out = {name: step_at(t, np.asarray(log[name]), at) for name in (
            "communities", "secretaries", "secretary_vacancies", "reserve_pool", "candidates_in_training")}
        out["community_workers"] = out["communities"] * self.scenario.workforce.community_workers_per_community
        if self.grid is not None:
            gt = np.asarray(self.grid.log["t_h"], dtype=float)
            for name in ("grid_worker_vacancies", "uncovered_grids"):
                out[name] = step_at(gt, np.asarray(self.grid.log[name]), at)
        else:
            out["grid_worker_vacancies"] = np.zeros(len(at), dtype=np.int64)
            out["uncovered_grids"] = np.zeros(len(at), dtype=np.int64)
        return out


def kpis(raw) -> dict[str, float]:
    """Workforce KPIs of one replication: vacancies, pool, uncovered grids, costs."""
    people = raw.people
    if not people:
        return {}
    result = dict(people["measures"])
    parts = costs.cost_parts(raw.scenario.costs, people["volumes"])
    years = people["volumes"]["window_years"]
    total = sum(parts.values())
    result["annual_cost_yuan"] = total / years if years > 0 else math.nan
    for part, value in parts.items():
        result[f"annual_cost_{part}_yuan"] = value / years if years > 0 else math.nan
    on_time = costs.on_time_cases(raw.cases, raw.window_h)
    result["cost_per_on_time_case_yuan"] = total / on_time if on_time else math.nan
    return result


__all__ = ["Dynamics", "kpis", "PEOPLE_KPI_UNITS", "step_integral"]
