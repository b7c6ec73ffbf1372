"""gridgov: a simulation workbench for urban grassroots governance.

    >>> from sim import load_scenario, simulate, replicate
    >>> scenario = load_scenario("params/luzhou_baseline.yaml", ["horizon_days=60"])
    >>> run = simulate(scenario, seed=1)            # case log, time series, KPIs
    >>> results = replicate(scenario, n=5, seed=1)  # per-replication KPIs and 95 % CIs
"""

__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .experiment.runs import Replications, Run, replicate, replicate_many, simulate  # noqa: E402
from .params import Scenario, load_scenario, provenance  # noqa: E402

__all__ = ["InputError", "Replications", "Run", "Scenario", "load_scenario", "provenance", "replicate",
           "replicate_many", "simulate", "__version__"]
