"""Sensitivity indices through the ensemble's code path: Sobol indices of the Ishigami function recovered within
their CIs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.robustness import parse_target
from sim.analysis.sensitivity import indices
from sim.batch.ensemble import Ensemble, sensitivity_table
from sim.experiment.futures import draw_futures
from sim.params.uncertainty import Uncertainty

# Ishigami and Homma (1990), a = 7, b = 0.1, inputs uniform on [-pi, pi]: the analytical indices.
A, B = 7.0, 0.1
VARIANCE = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
EXACT = {("x1", "S1"): V1 / VARIANCE, ("x2", "S1"): V2 / VARIANCE, ("x3", "S1"): 0.0,
         ("x1", "ST"): (V1 + V13) / VARIANCE, ("x2", "ST"): V2 / VARIANCE, ("x3", "ST"): V13 / VARIANCE}
ISHIGAMI = {name: Uncertainty(low=-math.pi, high=math.pi, reason="Ishigami test function")
            for name in ("x1", "x2", "x3")}


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ensemble(futures) -> Ensemble:
    """An ensemble of one policy whose 'on-time rate' is the Ishigami function of the future."""
    return Ensemble("ishigami", None, None, ["ishigami"], ISHIGAMI, futures, [parse_target("on_time_rate>=0.5")],
                    replications=1, seed=7, code_version="test")


def test_sobol_indices_of_the_ishigami_function_lie_in_their_intervals():
    futures = draw_futures(ISHIGAMI, 1024, "sobol", seed=7)
    frame = pd.DataFrame({"future": range(len(futures)), "policy": "ishigami",
                          "on_time_rate": ishigami(futures.values)})
    table = sensitivity_table(_ensemble(futures), frame)
    table = table[table["kpi"] == "on_time_rate"].set_index(["uncertainty", "index"])
    assert len(futures) == 1024 * (3 + 2)
    for key, exact in EXACT.items():
        row = table.loc[key]
        assert row["ci_low"] <= exact <= row["ci_high"], (key, exact, row["value"], row["ci_low"], row["ci_high"])
        assert row["ci_high"] - row["ci_low"] < 0.2  # an interval that says something


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes_across_the_ranges():
    futures = draw_futures(ISHIGAMI, 20, "morris", seed=7)
    y = 4 * futures.values[:, 0] - 2 * futures.values[:, 1]
    table = indices(futures.problem(), "morris", futures.unit, y, "y", seed=7).set_index(["uncertainty", "index"])
    assert len(futures) == 20 * (3 + 1)
    width = 2 * math.pi  # the design is on the unit cube: an effect is per whole range
    for name, slope in (("x1", 4), ("x2", 2), ("x3", 0)):
        assert table.loc[(name, "mu_star"), "value"] == pytest.approx(slope * width)
        assert table.loc[(name, "sigma"), "value"] == pytest.approx(0, abs=1e-9)


def test_a_kpi_that_does_not_vary_has_zero_indices_not_noise():
    futures = draw_futures(ISHIGAMI, 8, "sobol", seed=1)
    table = indices(futures.problem(), "sobol", futures.unit, np.full(len(futures), 0.9), "on_time_rate")
    assert (table["value"] == 0).all() and (table["method"] == "constant KPI").all()


def test_rank_correlation_of_a_latin_hypercube_finds_the_sign_of_each_effect():
    futures = draw_futures(ISHIGAMI, 64, "lhs", seed=2)
    y = 3 * futures.values[:, 0] - futures.values[:, 1]
    table = indices(futures.problem(), "lhs", futures.unit, y, "y").set_index("uncertainty")
    assert table.loc["x1", "ci_low"] > 0 and table.loc["x2", "ci_high"] < 0
    assert table.loc["x3", "ci_low"] < 0 < table.loc["x3", "ci_high"]


def test_saltelli_design_needs_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        draw_futures(ISHIGAMI, 12, "sobol")


def test_futures_are_the_same_for_the_same_seed_and_differ_for_another():
    first, again, other = (draw_futures(ISHIGAMI, 10, "lhs", seed=s) for s in (3, 3, 4))
    assert np.array_equal(first.values, again.values) and not np.array_equal(first.values, other.values)
