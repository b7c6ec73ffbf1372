"""Text tables for the terminal: KPIs with their intervals grouped as the registry groups them, paired differences,
marginal costs, provenance, and the JSON summary."""

from __future__ import annotations

import math

import pandas as pd

from ..analysis import messages, registry
from ..params import Scenario, provenance
from .formatting import difference_text, estimate_text

# The figures a comparison leads with (the differences table of `gridgov batch`, the notebooks' first table).
HEADLINE_KPIS = ("on_time_rate", "ttc_p50_h", "ttc_p90_h", "overdue_cases", "backlog_mean", "grid_worker_utilisation",
                 "annual_cost_yuan")


def present(summary: pd.DataFrame, group: str) -> list[str]:
    """The KPIs of a registry group that the summary holds, in declaration order."""
    have = set(summary["kpi"])
    return [kpi for kpi in registry.in_group(group) if kpi in have]


def kpi_table(summary: pd.DataFrame, kpis, language: str = "en") -> str:
    """KPIs as rows (label and name), scenarios as columns: 'mean [ci_low, ci_high]'."""
    scenarios = list(dict.fromkeys(summary["scenario"]))
    rows = []
    for kpi in kpis:
        row = {messages.text("table.kpi", language): f"{registry.label(kpi, language)} ({kpi})"}
        for scenario in scenarios:
            match = summary[(summary["kpi"] == kpi) & (summary["scenario"] == scenario)]
            if match.empty:
                row[scenario] = messages.text("n_a", language)
                continue
            r = match.iloc[0]
            row[scenario] = estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi, language)
        rows.append(row)
    return pd.DataFrame(rows).to_string(index=False) if rows else "(none)"


def _by_group(frame: pd.DataFrame, table, language: str = "en") -> str:
    """`table(frame, kpis, language)` for each registry group the frame has KPIs of, under the group's heading."""
    parts = []
    for group, (heading, heading_zh) in registry.GROUPS.items():
        kpis = present(frame, group)
        if kpis:
            parts.append(f"{heading_zh if language == 'zh' else heading}:\n\n{table(frame, kpis, language)}")
    return "\n\n".join(parts)


def kpi_tables(summary: pd.DataFrame, language: str = "en") -> str:
    """One table per registry group the summary has KPIs of, each under the group's heading."""
    return _by_group(summary, kpi_table, language)


def differences_table(differences: pd.DataFrame, kpis, language: str = "en") -> str:
    t = lambda key: messages.text(key, language)  # noqa: E731
    rows = []
    for kpi in kpis:
        for _, r in differences[differences["kpi"] == kpi].iterrows():
            rows.append({
                t("table.scenario"): r["scenario"], t("table.kpi"): f"{registry.label(kpi, language)} ({kpi})",
                t("table.difference"): difference_text(r["difference"], r["ci_low"], r["ci_high"], r["interval"],
                                                       r["significant"], kpi, language),
            })
    return pd.DataFrame(rows).to_string(index=False) if rows else "(no differences)"


def differences_tables(differences: pd.DataFrame, language: str = "en") -> str:
    """Paired differences, one table per registry group."""
    return _by_group(differences, differences_table, language)


def marginal_cost_table(marginal: dict) -> str:
    """One line per scenario: extra yuan a year per percentage point of on-time rate, with its CI."""
    lines = []
    for name, m in marginal.items():
        ci = "" if math.isnan(m["ci_low"]) else f" [{m['ci_low']:,.0f}, {m['ci_high']:,.0f}]"
        if m["cost_difference_yuan"] == 0:
            ratio = "no cost difference"
        elif math.isnan(m["yuan_per_pp"]):
            ratio = "n/a (no on-time difference)"
        else:
            ratio = f"{m['yuan_per_pp']:,.0f} yuan/pp{ci}"
        lines.append(f"{name} vs {m['baseline']}: {m['cost_difference_yuan']:+,.0f} yuan/year, "
                     f"{m['on_time_difference_pp']:+.2f} pp on time -> {ratio}")
    return "\n".join(lines) if lines else "(no comparison)"


def provenance_frame(scenario: Scenario) -> pd.DataFrame:
    return pd.DataFrame(provenance(scenario))


def json_summary(summary: pd.DataFrame, scenario: str) -> dict:
    rows = summary[summary["scenario"] == scenario]
    return {
        r["kpi"]: {"mean": _clean(r["mean"]), "ci_low": _clean(r["ci_low"]), "ci_high": _clean(r["ci_high"]),
                   "interval": r["interval"]}
        for _, r in rows.iterrows()
    }


def _clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
