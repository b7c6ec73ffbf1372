"""The robustness brief: one small self-contained HTML page (`robustness.html.j2`) with its two charts.

Each policy's share of futures meeting each target (with its Wilson interval), regret against the
best policy per future, the KPI's distribution across futures, the sensitivity indices and PRIM's
failure boxes; the charts are also written as PNG files beside the page.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import store

TEMPLATE = "robustness.html.j2"
INDEX_NOTES = {
    "sobol": "Sobol indices from Saltelli's design: S1 = share of the KPI's variance due to the uncertainty alone, "
             "ST = including its interactions; 95 % bootstrap intervals (SALib).",
    "morris": "Morris elementary effects: mu* = mean absolute effect of moving the uncertainty across its range "
              "(in the KPI's unit), sigma = spread of the effects (non-linearity, interactions); 95 % bootstrap "
              "interval of mu* (SALib).",
    "lhs": "From the Latin hypercube: Spearman's rank correlation of the KPI with each uncertainty (+1: the KPI "
           "rises with it, -1: falls), with its 95 % Fisher z interval. For global indices use --sampler sobol "
           "(Sobol indices) or, on a small budget, --sampler morris.",
}


def write_report(ensemble, tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """robustness.html and its charts (PNG) in out; returns the files written."""
    import jinja2

    charts = {"shares": _share_chart(tables["robustness"]),
              "distributions": _distribution_chart(tables["futures"], ensemble.targets)}
    written = []
    (out / "charts").mkdir(parents=True, exist_ok=True)
    for name, figure in charts.items():
        written.append(store.write_figure(figure, out / "charts" / f"robustness_{name}.png"))
    encoded = {name: base64.b64encode(path.read_bytes()).decode() for name, path in zip(charts, written, strict=True)}
    environment = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "."), autoescape=True)
    html = environment.get_template(TEMPLATE).render(
        ensemble=ensemble, futures=len(ensemble.futures), sampler=ensemble.futures.sampler,
        base=ensemble.futures.base, charts=encoded, robustness=tables["robustness"].to_dict("records"),
        regret=tables["regret"].to_dict("records"), sensitivity=_top_indices(tables["sensitivity"]),
        discovery=_boxes(tables["discovery"]), index_note=INDEX_NOTES[ensemble.futures.sampler])
    written.append(store.atomic_write(out / "robustness.html", lambda tmp: tmp.write_text(html, encoding="utf-8")))
    return written


def _share_chart(robustness: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(robustness))))
    labels = [f"{r.policy}  ({r.target})" for r in robustness.itertuples()]
    shares = robustness["share"].to_numpy()
    errors = [shares - robustness["ci_low"].to_numpy(), robustness["ci_high"].to_numpy() - shares]
    axis.barh(range(len(labels)), shares, xerr=errors, color="#4C72B0", capsize=3)
    axis.set_yticks(range(len(labels)), labels)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of futures meeting the target (Wilson 95 % interval)")
    figure.tight_layout()
    return figure


def _distribution_chart(futures: pd.DataFrame, targets):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kpis = list(dict.fromkeys(t.kpi for t in targets))
    policies = list(dict.fromkeys(futures["policy"]))
    figure, axes = plt.subplots(1, len(kpis), figsize=(8, 0.8 + 0.5 * len(policies)), squeeze=False)
    for axis, kpi in zip(axes[0], kpis, strict=True):
        data = [futures.loc[futures["policy"] == p, kpi].dropna().to_numpy() for p in policies]
        for i, values in enumerate(data):
            axis.scatter(values, [i] * len(values), s=14, alpha=0.6, color="#4C72B0")
            if len(values):
                axis.plot([float(np.median(values))] * 2, [i - 0.3, i + 0.3], color="#333", linewidth=2)
        axis.set_yticks(range(len(policies)), policies)
        for target in targets:
            if target.kpi == kpi:
                axis.axvline(target.value, color="#C44E52", linestyle="--", linewidth=1)
        axis.invert_yaxis()
        axis.set_xlabel(f"{kpi} across futures (dot: a future; bar: median; dashed: target)")
    figure.tight_layout()
    return figure


def _top_indices(sensitivity: pd.DataFrame, limit: int = 60) -> list[dict]:
    """The indices of the page's table: the first index kind of each KPI, the targets' KPIs first, the largest (in
    absolute value) first within a policy; all are in the CSV."""
    if sensitivity.empty:
        return []
    first = sensitivity.groupby("kpi")["index"].transform("first")
    rows = sensitivity[sensitivity["index"] == first].copy()
    order = {kpi: i for i, kpi in enumerate(dict.fromkeys(rows["kpi"]))}  # the targets' KPIs come first
    policies = {p: i for i, p in enumerate(dict.fromkeys(rows["policy"]))}
    rows["_order"] = [(order[k], policies[p], -abs(v) if v == v else 0.0)
                      for k, p, v in zip(rows["kpi"], rows["policy"], rows["value"], strict=True)]
    return rows.sort_values("_order").drop(columns="_order").head(limit).to_dict("records")


def _boxes(discovery: pd.DataFrame) -> list[dict]:
    """One row per policy and target, its box's limits in one text."""
    rows = []
    for (policy, target), group in discovery.groupby(["policy", "target"], sort=False):
        first = group.iloc[0]
        if first["note"] and first["uncertainty"] in ("", "(none)"):
            box = first["note"]
        else:
            box = "; ".join(f"{r.uncertainty} in [{_number(r.low)}, {_number(r.high)}]" for r in group.itertuples())
        rows.append({"policy": policy, "target": target, "failures": int(first["failures"]),
                     "futures": int(first["futures"]), "box": box, "coverage": first["coverage"],
                     "density": first["density"]})
    return rows


def _number(value: float) -> str:
    return "" if isinstance(value, float) and math.isnan(value) else f"{value:.4g}"
