"""What a calibration produces: the scenario, the observed and simulated moments, and how the search went."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..params import Scenario
from .logs import CaseLog


@dataclass
class Calibration:
    """Everything `gridgov calibrate` produces: the scenario, observed and simulated moments, the search history."""

    log: CaseLog
    raw: dict
    scenario: Scenario
    observed: dict
    simulated: dict
    history: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)  # deadline mixtures, bounds hit, the work/delay split, season
