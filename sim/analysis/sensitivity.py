"""Global sensitivity of a KPI to each uncertainty, with confidence intervals, by the index the design allows (SALib).

    Saltelli design (sampler "sobol")  Sobol first-order (S1) and total (ST) indices
    Morris trajectories ("morris")     mu* (mean absolute elementary effect) and sigma
    Latin hypercube ("lhs")            Spearman's rank correlation (sign and strength of a monotone effect); the
                                       global indices need their own designs, and with the few futures an LHS
                                       run affords, a given-data estimate of them would be noise

Sobol and Morris indices come with SALib's 95 % bootstrap interval (value ± conf, as SALib reports
it: an interval of an index near 0 may run below 0), Morris' sigma with none.
The design is on the unit cube (`sim.experiment.futures`): indices are those of the
uncertainties as distributed over their ranges.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

COLUMNS = ["kpi", "uncertainty", "index", "value", "ci_low", "ci_high", "method"]
RESAMPLES = 200
MORRIS_LEVELS = 4  # grid levels of the Morris design (sim.experiment.futures draws it)


def indices(problem: dict, sampler: str, unit: np.ndarray, y: np.ndarray, kpi: str, seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of y (one value per future, in design order) to each uncertainty, tidy (COLUMNS)."""
    y = np.asarray(y, dtype=float)
    names = problem["names"]
    if np.isnan(y).any() or len(y) < 2:
        return pd.DataFrame(columns=COLUMNS)
    if np.ptp(y) == 0:  # nothing varies: every index is 0, exactly
        kinds = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"), "lhs": ("spearman",)}[sampler]
        return pd.DataFrame([{"kpi": kpi, "uncertainty": n, "index": kind, "value": 0.0, "ci_low": 0.0,
                              "ci_high": 0.0, "method": "constant KPI"} for n in names for kind in kinds],
                            columns=COLUMNS)
    rows = []
    if sampler == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=0.95,
                               seed=seed, print_to_console=False)
        rows += _rows(kpi, names, result, (("S1", "S1_conf"), ("ST", "ST_conf")),
                      "Sobol (Saltelli design; SALib: Saltelli 2010 S1, Jansen ST)")
    elif sampler == "morris":
        from SALib.analyze import morris

        result = morris.analyze(problem, np.asarray(unit), y, num_resamples=RESAMPLES, conf_level=0.95,
                                num_levels=MORRIS_LEVELS, seed=seed, print_to_console=False)
        rows += _rows(kpi, names, result, (("mu_star", "mu_star_conf"),), "Morris elementary effects")
        rows += [{"kpi": kpi, "uncertainty": n, "index": "sigma", "value": float(s), "ci_low": math.nan,
                  "ci_high": math.nan, "method": "Morris elementary effects (no interval)"}
                 for n, s in zip(names, result["sigma"], strict=True)]
    elif sampler == "lhs":
        rows += _rank_correlations(kpi, names, np.asarray(unit), y)
    else:
        raise ValueError(f"no sensitivity index for the sampler {sampler!r}")
    return pd.DataFrame(rows, columns=COLUMNS)


def _rank_correlations(kpi: str, names: list[str], unit: np.ndarray, y: np.ndarray) -> list[dict]:
    """Spearman's rank correlation of the KPI with each uncertainty, with the Fisher z interval (Fieller, Hartley and
    Pearson's standard error 1.06 / sqrt(n - 3)); no interval below 5 futures."""
    from scipy import stats

    n = len(y)
    rows = []
    for j, name in enumerate(names):
        rho = float(stats.spearmanr(unit[:, j], y).statistic) if np.ptp(unit[:, j]) > 0 else math.nan
        low = high = math.nan
        if n >= 5 and not math.isnan(rho) and abs(rho) < 1:
            half = 1.959964 * 1.06 / math.sqrt(n - 3)
            low, high = math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half)
        rows.append({"kpi": kpi, "uncertainty": name, "index": "spearman", "value": rho, "ci_low": low,
                     "ci_high": high, "method": "Spearman rank correlation, Fisher z interval"})
    return rows


def _rows(kpi: str, names: list[str], result, pairs, method: str) -> list[dict]:
    rows = []
    for index, conf in pairs:
        for name, value, half in zip(names, result[index], result[conf], strict=True):
            rows.append({"kpi": kpi, "uncertainty": name, "index": index, "value": float(value),
                         "ci_low": float(value - half), "ci_high": float(value + half), "method": method})
    return rows
