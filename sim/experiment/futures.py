"""Futures: points of the uncertainty space drawn by a design (Latin hypercube, Saltelli's Sobol design, Morris
trajectories) and each future applied to a scenario.

A design is drawn on the unit cube (one column per uncertainty) and every column is mapped to its
range through the uncertainty's quantile function (`sim.params.uncertainty.Uncertainty.quantile`),
so the same design serves uniform, triangular and log-uniform ranges, and the sensitivity
indices (`sim.analysis.sensitivity`) are those of the uncertainties as distributed. The design's
seed is derived from the ensemble's seed through a named SeedSequence stream, so it moves none of
the model's own draws.

    lhs     N futures, a Latin hypercube (scipy.stats.qmc, optimised for space filling)
    sobol   Saltelli's design for Sobol indices (SALib): N (a power of 2) x (k + 2) futures
    morris  Morris' elementary effects (SALib): N trajectories x (k + 1) futures, for small budgets
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.sensitivity import MORRIS_LEVELS
from ..core.streams import stream_key
from ..params import Scenario
from ..params.uncertainty import Uncertainty, future_values

SAMPLERS = ("lhs", "sobol", "morris")


@dataclass(frozen=True)
class Futures:
    """The futures of an ensemble: the design on the unit cube, the values it maps to, how it was drawn."""

    names: list[str]  # uncertainty paths, the columns
    unit: np.ndarray  # futures x uncertainties, in [0, 1]
    values: np.ndarray  # futures x uncertainties, in the uncertainties' ranges
    sampler: str
    base: int  # N as asked for (Saltelli: base sample size; Morris: trajectories)
    seed: int

    def __len__(self) -> int:
        return self.unit.shape[0]

    def problem(self) -> dict:
        """The SALib problem of the unit-cube design."""
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [[0.0, 1.0]] * len(self.names)}


def design_seed(seed: int) -> int:
    """The design's own seed: a named stream of the ensemble's seed ('futures.design')."""
    sequence = np.random.SeedSequence(seed, spawn_key=(stream_key("futures.design"),))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def draw_futures(uncertainties: dict[str, Uncertainty], n: int, sampler: str = "lhs", seed: int = 0) -> Futures:
    """N futures over the ranges by the sampler's design (see the module's table for how many futures that is)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if not uncertainties:
        raise ValueError("there are no uncertainties to draw futures over")
    if n < 1:
        raise ValueError(f"the number of futures must be at least 1, got {n}")
    names = list(uncertainties)
    k = len(names)
    own_seed = design_seed(seed)
    if sampler == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=k, seed=np.random.default_rng(own_seed)).random(n)
    else:
        problem = {"num_vars": k, "names": names, "bounds": [[0.0, 1.0]] * k}
        if sampler == "sobol":
            if n & (n - 1):
                raise ValueError(f"Saltelli's design needs N a power of 2 (its Sobol sequence), got {n}")
            from SALib.sample import sobol as saltelli

            unit = saltelli.sample(problem, n, calc_second_order=False, scramble=True, seed=own_seed)
        else:
            from SALib.sample import morris

            unit = morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=own_seed)
    unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
    values = np.column_stack([[uncertainties[name].quantile(u) for u in unit[:, j]] for j, name in enumerate(names)])
    return Futures(names, unit, values, sampler, n, seed)


def future_scenario(scenario: Scenario, futures: Futures, index: int) -> Scenario:
    """The scenario in one future: every uncertain parameter set to that future's value (rounded where whole)."""
    values: dict[str, float | int] = {}
    for j, path in enumerate(futures.names):
        values.update(future_values(scenario, path, scenario.uncertainties[path], float(futures.values[index, j])))
    return scenario.with_values(values)
