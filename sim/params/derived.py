"""Quantities derived from the parameters alone: the split of a worker's shift and the informants' report rate.

They are checked when a scenario is loaded (a burden that leaves no time for cases is bad input)
and read by the mechanisms that act on them.
"""

from __future__ import annotations

from ..units import HOURS_PER_WEEK
from .calendar import week_hours
from .district import Workforce
from .prevention import Informants, Patrol
from .time_use import Burden

MIN_CASE_TIME_SHARE = 0.05


def time_shares(workforce: Workforce, burden: Burden, patrol: Patrol) -> dict[str, float]:
    """Shares of a shift: grid and community burden (b), other duties (o) and case-time share (1 - b - o).

    Without patrols or burden the schema's `grid_case_time_share` / `community_case_time_share`
    stand unchanged. Raises ValueError if burden and other duties leave no time.
    """
    wf = workforce
    shares = {"grid_burden": 0.0, "grid_other": 1.0 - wf.grid_case_time_share, "grid_case": wf.grid_case_time_share,
              "community_burden": 0.0, "community_other": 1.0 - wf.community_case_time_share,
              "community_case": wf.community_case_time_share}
    keep = 1.0 - burden.reduction_share if burden.enabled else 0.0
    if burden.enabled or patrol.enabled:
        b = burden.grid_worker_hours_per_week * keep / week_hours(wf.grid_worker_hours)
        shares.update(grid_burden=b, grid_other=burden.grid_other_duties_share,
                      grid_case=1.0 - b - burden.grid_other_duties_share)
    if burden.enabled:
        b = burden.community_worker_hours_per_week * keep / week_hours(wf.community_worker_hours)
        shares.update(community_burden=b, community_other=burden.community_other_duties_share,
                      community_case=1.0 - b - burden.community_other_duties_share)
    for role in ("grid", "community"):
        if shares[f"{role}_case"] <= MIN_CASE_TIME_SHARE:
            raise ValueError(
                f"burden ({shares[f'{role}_burden']:.2f} of the shift) and other duties "
                f"({shares[f'{role}_other']:.2f}) leave {role} workers {shares[f'{role}_case']:.2f} of their shift "
                "for cases and patrols; lower burden.*_hours_per_week or burden.*_other_duties_share")
    return shares


def informant_rate_per_h(informants: Informants) -> float:
    """Rate (per hour) at which informants report one hidden problem: sum over the groups."""
    if not informants.enabled:
        return 0.0
    return sum(g.per_1000_households / 1000.0 * g.households_each * g.passes_per_week / HOURS_PER_WEEK
               * g.report_probability for g in informants.groups.values())
