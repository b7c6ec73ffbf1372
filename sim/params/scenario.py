"""The scenario: one district under one policy, composed of the schema's sections, with its cross-checks.

Units are in the names (`_h` hours, `_days`, `_per_year`, `_yuan`). Every value is labelled: the
`sources:` map cites the seed document a figure comes from, the `assumptions:` map gives the
reason for every figure that is not in the seeds; defaults left in the schema carry their reason
in their description (see `provenance`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field, model_validator

from .base import MAX_HORIZON_DAYS, LocalText, Strict
from .cases import Cases
from .costs import Costs
from .deadlines import DeadlineResponse
from .derived import time_shares
from .district import Department, Dispatch, Territory, Workforce
from .participation import Mediation, MicroWishes
from .people import CommunitySplit, GridStaffing, ReservePool, Secretaries
from .prevention import Informants, LatentProblems, Patrol
from .time_use import Assessment, Burden, CorrectiveSupport, StaggeredHours
from .uncertainty import Uncertainty, check_nominal, future_values

MAX_EXPECTED_CASES = 60_000_000


class Scenario(Strict):
    """One district under one policy: everything a replication needs, nothing else."""

    name: str = Field(min_length=1, max_length=120)
    title: LocalText | None = Field(None, description="what the brief and the charts call the scenario (en, zh); "
                                    "default: its name")
    description: str | LocalText = ""
    horizon_days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    warm_up_days: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    drain_days: int = Field(
        30,
        ge=0,
        le=MAX_HORIZON_DAYS,
        description="assumption: after the horizon, 30 days without new arrivals let open cases close so their times "
                    "are known",
    )
    territory: Territory
    workforce: Workforce
    departments: dict[str, Department] = Field(min_length=1)
    dispatch: Dispatch
    cases: Cases
    assessment: Assessment = Field(default_factory=Assessment)
    corrective_support: CorrectiveSupport = Field(default_factory=CorrectiveSupport)
    deadline_response: DeadlineResponse = Field(default_factory=DeadlineResponse)
    mediation: Mediation = Field(default_factory=Mediation)
    patrol: Patrol = Field(default_factory=Patrol)
    latent: LatentProblems = Field(default_factory=LatentProblems)
    informants: Informants = Field(default_factory=Informants)
    burden: Burden = Field(default_factory=Burden)
    micro_wishes: MicroWishes = Field(default_factory=MicroWishes)
    staggered_hours: StaggeredHours = Field(default_factory=StaggeredHours)
    grid_staffing: GridStaffing = Field(default_factory=GridStaffing)
    secretaries: Secretaries = Field(default_factory=Secretaries)
    reserve_pool: ReservePool = Field(default_factory=ReservePool)
    community_split: CommunitySplit = Field(default_factory=CommunitySplit)
    costs: Costs = Field(default_factory=Costs)
    sources: dict[str, str] = Field(default_factory=dict, description="parameter path -> seed citation")
    assumptions: dict[str, str] = Field(default_factory=dict, description="parameter path -> reason")
    uncertainties: dict[str, Uncertainty] = Field(
        default_factory=dict, description="parameter path (may hold *) -> plausible range and its reason "
        "(sim.params.uncertainty); used by gridgov robustness, never by a single run")

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if self.warm_up_days >= self.horizon_days:
            raise ValueError(
                f"warm_up_days ({self.warm_up_days}) must be shorter than horizon_days ({self.horizon_days})"
            )
        for name, category in self.cases.categories.items():
            for department in category.department_shares():
                if department not in self.departments:
                    raise ValueError(
                        f"cases.categories.{name}.department = {department!r} is not a department; "
                        f"allowed: {sorted(self.departments)}"
                    )
            for field in ("department_work", "department_external_delay"):
                for department in getattr(category, field) or {}:
                    if department not in category.department_shares():
                        raise ValueError(
                            f"cases.categories.{name}.{field} names {department!r}, which gets none of the "
                            f"category's cases; allowed: {sorted(category.department_shares())}"
                        )
        for batch in self.workforce.hiring_batches:
            if batch.start_day >= self.horizon_days:
                raise ValueError(
                    f"a hiring batch starts on day {batch.start_day}, after the horizon of {self.horizon_days} days"
                )
        if self.community_split.enabled and self.community_split.day >= self.horizon_days:
            raise ValueError(
                f"community_split.day ({self.community_split.day}) must be before the horizon of {self.horizon_days} "
                f"days"
            )
        if self.deadline_response.pacing.enabled and self.dispatch.start_slack_h is not None:
            raise ValueError(
                f"deadline_response.pacing (a share of the cases paced) and dispatch.start_slack_h = "
                f"{self.dispatch.start_slack_h} (every case paced) exclude each other; set one of them"
            )
        pacing_departments = self.deadline_response.pacing.departments or []
        unknown = [name for name in pacing_departments if name not in self.departments]
        if unknown:
            raise ValueError(
                f"deadline_response.pacing.departments names {unknown}, which are not departments of this scenario; "
                f"allowed: {sorted(self.departments)}"
            )
        households = self.territory.residential_grids * (
            self.territory.households_per_grid_min + self.territory.households_per_grid_max
        ) / 2 + self.territory.dedicated_grids * self.territory.dedicated_grid_household_equivalent
        rate = sum(c.rate_per_household_per_year for c in self.cases.categories.values())
        expected = households * rate * (self.horizon_days / 365.0)
        if expected > MAX_EXPECTED_CASES:
            raise ValueError(
                f"this scenario would simulate about {expected:,.0f} cases in one replication; "
                f"the limit is {MAX_EXPECTED_CASES:,}. Shorten horizon_days or lower the rates."
            )
        self._check_mechanisms()
        for path in list(self.sources) + list(self.assumptions):
            if not path_exists(self, path):
                raise ValueError(f"the citation key {path!r} is not a parameter path of this scenario")
        self._check_uncertainties()
        return self

    def _check_uncertainties(self) -> None:
        """Each range names numeric parameters, holds the scenario's value, and gives a valid scenario at both ends."""
        for path, uncertainty in self.uncertainties.items():
            check_nominal(self, path, uncertainty)
            for end in (uncertainty.low, uncertainty.high):
                try:
                    self.with_values(future_values(self, path, uncertainty, end))
                except ValueError as error:
                    first = str(error).splitlines()
                    detail = " ".join(line.strip() for line in first[1:3]) or first[0]
                    raise ValueError(f"uncertainties: {path!r} at {end:g} gives an invalid scenario: "
                                     f"{detail}") from None

    def with_values(self, values: dict[str, float | int], name: str | None = None) -> Scenario:
        """This scenario with some parameters set (concrete dotted paths), validated, without its uncertainties."""
        # Only what was set is dumped, so validators that look at the fields set see the same scenario; a part of a
        # path left at its default is filled in from the full dump.
        data = self.model_dump(mode="python", exclude_unset=True)
        full = self.model_dump(mode="python")
        data["uncertainties"] = {}
        if name is not None:
            data["name"] = name
        for path, value in values.items():
            node: Any = data
            whole: Any = full
            parts = path.split(".")
            for part in parts[:-1]:
                key: Any = int(part) if isinstance(node, list) else part
                whole = whole[key]
                if not isinstance(node, list) and key not in node:
                    node[key] = copy.deepcopy(whole)
                node = node[key]
            node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value
        return Scenario.model_validate(data)

    def _check_mechanisms(self) -> None:
        """Cross-checks of the prevention and participation mechanisms (issue 7)."""
        for where, names in (("mediation.categories", self.mediation.categories if self.mediation.enabled else []),
                             ("latent.categories", list(self.latent.categories) if self.latent.enabled else [])):
            for name in names:
                if name not in self.cases.categories:
                    raise ValueError(f"{where}: {name!r} is not a case category; allowed: "
                                     f"{sorted(self.cases.categories)}")
        if self.latent.enabled:
            for source in ("patrol", "resident_report", "informant"):
                if source not in self.cases.sources:
                    raise ValueError(f"latent problems need the case source {source!r} in cases.sources "
                                     f"(it may have share 0); have: {sorted(self.cases.sources)}")
        if self.burden.enabled or self.patrol.enabled:
            time_shares(self.workforce, self.burden,
                        self.patrol)  # the split of a shift, checked here so bad input fails at load

    # Derived views used by the model and the reports.
    def category_names(self) -> list[str]:
        return list(self.cases.categories)

    def department_names(self) -> list[str]:
        return list(self.departments)

    def content_hash(self) -> str:
        """A stable hash of everything that affects results (not the name, description or citations)."""
        payload = self.model_dump(mode="json", exclude={"name", "title", "description", "sources", "assumptions",
                                                        "uncertainties"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]



def path_exists(scenario: BaseModel, path: str) -> bool:
    """Whether a dotted parameter path names a value in this scenario."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                return False
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        else:
            return False
    return True
