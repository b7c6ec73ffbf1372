"""Showing things in a notebook: Markdown, tables, and charts (displayed, saved as PNG 1920 x 1080 and SVG).

Displays go through IPython.display; nothing here prints.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis import messages, registry
from ..results import store
from . import charts, tables
from .formatting import difference_text, estimate_text

CHART_DPI = charts.CHART_DPI  # 13.33 x 7.5 in at 144 dpi = 1920 x 1080 px, a 16:9 slide


def display(obj) -> None:
    from IPython.display import display

    display(obj)


def markdown(text: str) -> None:
    from IPython.display import Markdown

    display(Markdown(text))


def save_chart(figure, folder: str | Path | None, stem: str) -> list[Path]:
    """Save a figure as PNG (1920 x 1080) and SVG into folder (if given); return the files."""
    if folder is None:
        return []
    folder = store.prepare_folder(Path(folder))
    name = store.safe_name(stem)
    return [charts.write(figure, folder / f"{name}.{fmt}", close=False) for fmt in ("png", "svg")]


def show_chart(figure, folder: str | Path | None = None, stem: str = "chart") -> list[Path]:
    """Display a figure in the notebook, save it as PNG and SVG if a folder is given, then close it."""
    import matplotlib.pyplot as plt

    try:
        display(figure)
        return save_chart(figure, folder, stem)
    finally:
        plt.close(figure)


def kpi_frame(summary: pd.DataFrame, kpis=None, differences: pd.DataFrame | None = None, language: str = "en",
              titles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per KPI and scenario: label, unit, mean [95 % CI], and (if given) the paired difference from baseline;
    column names and texts in the language, scenarios by their titles.

    Default: the KPIs of the service, flow and workload groups of the registry that the summary has.
    """
    t = lambda key: messages.text(key, language)  # noqa: E731
    kpis = kpis or [k for group in ("service", "flow", "workload") for k in tables.present(summary, group)]
    rows = []
    scenarios = list(dict.fromkeys(summary["scenario"]))
    for kpi in kpis:
        for scenario in scenarios:
            match = summary[(summary["kpi"] == kpi) & (summary["scenario"] == scenario)]
            if match.empty:
                continue
            r = match.iloc[0]
            row = {t("table.kpi"): messages.kpi_label(kpi, language),
                   t("table.unit"): messages.unit_text(registry.unit(kpi), language),
                   t("table.scenario"): (titles or {}).get(scenario, scenario),
                   t("table.estimate"): estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi,
                                                      language)}
            if differences is not None:
                row[t("table.difference")] = _difference_text(differences, scenario, kpi, language)
            rows.append(row)
    return pd.DataFrame(rows)


def _difference_text(differences: pd.DataFrame, scenario: str, kpi: str, language: str = "en") -> str:
    match = differences[(differences["scenario"] == scenario) & (differences["kpi"] == kpi)]
    if match.empty:
        return messages.text("baseline_cell", language)
    r = match.iloc[0]
    return difference_text(r["difference"], r["ci_low"], r["ci_high"], r["interval"], r["significant"], kpi, language)


def show_table(frame: pd.DataFrame) -> None:
    display(frame.style.hide(axis="index") if hasattr(frame, "style") else frame)
