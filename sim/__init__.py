"""gridgov: a simulation workbench for urban grassroots governance.

    >>> from sim import load_scenario, simulate, replicate
    >>> scenario = load_scenario("params/luzhou_baseline.yaml", ["horizon_days=60"])
    >>> run = simulate(scenario, seed=1)            # case log, time series, KPIs
    >>> results = replicate(scenario, n=5, seed=1)  # per-replication KPIs and 95 % CIs

The public names are imported on first use (PEP 562), so that `import sim` is quick: the command
line parses its arguments, and a batch's notebook runner starts, without loading numpy, pandas,
scipy, pydantic or simpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC = {
    "InputError": ".errors",
    "Replications": ".experiment.runs",
    "Run": ".experiment.runs",
    "replicate": ".experiment.runs",
    "replicate_many": ".experiment.runs",
    "simulate": ".experiment.runs",
    "Scenario": ".params",
    "load_scenario": ".params",
    "provenance": ".params",
}

__all__ = ["InputError", "Replications", "Run", "Scenario", "load_scenario", "provenance", "replicate",
           "replicate_many", "simulate", "__version__"]

if TYPE_CHECKING:
    from .errors import InputError
    from .experiment.runs import Replications, Run, replicate, replicate_many, simulate
    from .params import Scenario, load_scenario, provenance


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
