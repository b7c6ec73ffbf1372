"""Parameters: the scenario schema by section, scenario files (`extends:`, `--set`), messages, provenance.

This layer imports nothing above it: a scenario is data, validated at the edge.
"""

from .files import load_scenario, merge_scenario, read_yaml, validate_scenario
from .messages import describe_validation_error
from .provenance import provenance
from .scenario import Scenario

__all__ = ["Scenario", "describe_validation_error", "load_scenario", "merge_scenario", "provenance", "read_yaml",
           "validate_scenario"]
