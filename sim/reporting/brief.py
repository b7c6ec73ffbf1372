"""The meeting brief of a finished batch: findings first, then how far the figures go, the charts, the indicators,
and the technical audit last; as one self-contained HTML page (`report.html`) and as slides (`report.pptx`).

Findings are written from the paired differences (same random numbers in every scenario) and worded
only as strongly as their 95 % confidence interval allows: a difference whose interval includes
zero is said to be no clear difference, one from a single replication supports no claim, one
that is the same in every replication is stated without an interval. Every text comes from the
message catalogue (`sim.analysis.messages`) in the brief's language; scenarios are called by
their titles, and code identifiers (scenario names, parameter paths, hashes) appear only in the
audit appendix.
"""

from __future__ import annotations

import base64
import datetime
import importlib.metadata
import platform
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from .. import __version__
from ..analysis import messages, registry
from ..analysis.behaviour import TOLERANCE, yardstick_only, yardstick_split
from ..analysis.statistics import paired_differences
from ..params import provenance
from ..results import store
from . import charts, fonts
from .batch_results import BatchResults, deadlines_of
from .brief_content import Brief, Finding

TEMPLATE = "brief.html.j2"
KPI_GROUPS = ("service", "flow", "workload", "cost")
PACKAGES = ("simpy", "numpy", "pandas", "scipy", "matplotlib", "pydantic", "python-pptx", "babel",
            "pylopdf-fonts-zh-cn")
MAX_FINDINGS = 5


def t(key: str, language: str, **fields) -> str:
    return messages.text(key, language, **fields)


# --------------------------------------------------------------------------- numbers in sentences


def _decimals(kpi: str, value: float) -> int:
    return 0 if abs(value) >= 100 else 1


def value_text(value: float, kpi: str, language: str) -> str:
    """A KPI's value in a sentence: '82.5 %', '36.0 h', '125,000,000 yuan a year'."""
    unit = registry.unit(kpi)
    if unit == "share":
        return messages.percent(value, language)
    if unit == "h":
        return t("hours_value", language, value=messages.number(value, language, _decimals(kpi, value)))
    if unit == "yuan/year":
        return t("yuan_year_value", language, value=messages.number(value, language, 0))
    if unit == "yuan":
        return t("yuan_value", language, value=messages.number(value, language, 0))
    return _with_unit(messages.number(value, language, _decimals(kpi, value)), unit, language)


def _with_unit(number: str, unit: str, language: str) -> str:
    """'229 cases' / '229件': a space before the unit in English only."""
    return number + (" " if language == "en" else "") + messages.unit_text(unit, language)


def difference_text(value: float, kpi: str, language: str, with_unit: bool = True) -> str:
    """A paired difference, signed: '+10.5 points', '-12.0 h'."""
    unit = registry.unit(kpi)
    if unit == "share":
        return (messages.points(value, language) if with_unit
                else messages.number(100 * value, language, 1, signed=True))
    shown = messages.number(value, language, 0 if unit.startswith("yuan") else 1, signed=True)
    if not with_unit:
        return shown
    if unit == "h":
        return t("hours_value", language, value=shown)
    if unit == "yuan/year":
        return t("yuan_year_value", language, value=shown)
    return _with_unit(shown, unit, language)


def ci_text(low: float, high: float, kpi: str, language: str) -> str:
    """'95 % CI +8.0 to +13.0 points'."""
    return t("ci", language, low=difference_text(low, kpi, language, with_unit=False),
             high=difference_text(high, kpi, language))


# --------------------------------------------------------------------------- findings


def _mean(batch: BatchResults, scenario: str, kpi: str) -> float | None:
    summary = batch.results.summary
    match = summary[(summary["scenario"] == scenario) & (summary["kpi"] == kpi)]
    return None if match.empty else float(match.iloc[0]["mean"])


def _difference(differences: pd.DataFrame, scenario: str, kpi: str):
    match = differences[(differences["scenario"] == scenario) & (differences["kpi"] == kpi)]
    return None if match.empty else match.iloc[0]


def finding_for(batch: BatchResults, differences: pd.DataFrame, scenario: str, reference: str, kpi: str,
                language: str, chart: str) -> Finding | None:
    """The sentence for one paired difference, as strong as its interval allows; None if there is nothing."""
    row = _difference(differences, scenario, kpi)
    base, value = _mean(batch, reference, kpi), _mean(batch, scenario, kpi)
    if row is None or base is None or value is None or row["interval"] == "none":
        return None
    titles = batch.titles(language)
    fields = {"scenario": quoted(titles[scenario], language), "baseline": quoted(titles[reference], language),
              "kpi": sentence_label(kpi, language),
              "base": value_text(base, kpi, language), "value": value_text(value, kpi, language),
              "difference": difference_text(row["difference"], kpi, language)}
    claim = False
    if row["interval"] == "single":
        key = "finding.single"
    elif row["interval"] == "constant":
        cost = registry.unit(kpi).startswith("yuan")
        if cost:
            key = "finding.cost_same" if row["difference"] == 0 else "finding.cost_more" if row["difference"] > 0 \
                else "finding.cost_less"
            fields["amount"] = value_text(abs(row["difference"]), kpi, language)
        else:
            key = "finding.constant"
        claim = row["difference"] != 0
    else:
        fields["ci"] = ci_text(row["ci_low"], row["ci_high"], kpi, language)
        claim = bool(row["significant"])
        key = ("finding.raised" if row["difference"] > 0 else "finding.lowered") if claim else "finding.unclear"
    notes = [f"{titles[reference]}: {fields['base']}", f"{titles[scenario]}: {fields['value']}",
             f"{fields['difference']}" + (f" ({fields['ci']})" if "ci" in fields else ""),
             f"n = {int(row['n'])}"]
    return Finding(t(key, language, **fields), chart, notes, claim, kpi, str(row["interval"]),
                   bool(row["significant"]))


def table_label(kpi: str, language: str) -> str:
    """A KPI's label in a table with a unit column: without its unit in brackets."""
    return messages.kpi_name(kpi, language)


def sentence_label(kpi: str, language: str) -> str:
    """A KPI's label inside a sentence: without its unit in brackets, and in English not capitalised
    ('on-time closure rate')."""
    name = table_label(kpi, language)
    if language == "en" and len(name) > 1 and name[1].islower():
        name = name[0].lower() + name[1:]
    return name


def _best(batch: BatchResults, candidates: list[str]) -> str:
    rates = {name: _mean(batch, name, "on_time_rate") for name in candidates}
    return max(candidates, key=lambda name: rates[name] if rates[name] is not None else -1.0)


def findings(batch: BatchResults, language: str = "en") -> list[Finding]:
    """Three to five findings: the scenario with the highest on-time rate against the baseline (on-time closure,
    the slowest decile's time to close, cost), scenarios that differ only by the yardstick, and the strongest
    other scenario against the best one."""
    others = [name for name in batch.names if name != batch.baseline]
    if not others or batch.differences is None:
        return []
    best = _best(batch, others)
    result = [finding_for(batch, batch.differences, best, batch.baseline, kpi, language, chart)
              for kpi, chart in (("on_time_rate", "on_time_rate"), ("ttc_p90_h", "time_to_close"),
                                 ("backlog_mean", "backlog"), ("annual_cost_yuan", "cost_vs_on_time"))]
    result = [f for f in result if f is not None]
    groups = yardstick_only(batch.results.per_replication)
    for group in groups[:1]:
        titles = batch.titles(language)
        rates = messages.text("brief.list_sep", language).join(
            value_text(_mean(batch, name, "on_time_rate"), "on_time_rate", language) for name in group)
        result.insert(1, Finding(t("finding.same_behaviour", language,
                                   names=_listed([quoted(titles[n], language) for n in group], language),
                                   tolerance=messages.percent(TOLERANCE, language, 1), rates=rates),
                                 "time_to_close", [f"{titles[n]}" for n in group], claim=False))
    split = yardstick_finding(batch, language)
    if split is not None:
        result.insert(1, split)
    rest = [name for name in others if name != best and not any(best in g and name in g for g in groups)]
    if rest:
        against_best = paired_differences(batch.results.per_replication[
            batch.results.per_replication["scenario"].isin([best, *rest])], best)
        gaps = {name: abs(row["difference"]) for name in rest
                if (row := _difference(against_best, name, "on_time_rate")) is not None}
        if gaps:
            other = max(gaps, key=lambda name: gaps[name])
            extra = finding_for(batch, against_best, other, best, "on_time_rate", language, "on_time_rate")
            if extra is not None:
                result.append(extra)
    return result[:MAX_FINDINGS]


def yardstick_finding(batch: BatchResults, language: str = "en") -> Finding | None:
    """Where the scenarios' cases are also measured against one common limit: for the scenario whose on-time rate
    differs most from the baseline's, how much of the difference is behaviour and how much the yardstick."""
    split = yardstick_split(batch.results.per_replication, batch.baseline)
    if split.empty:
        return None
    parts = split.set_index(["scenario", "part"])
    scenario = max(dict.fromkeys(split["scenario"]), key=lambda name: abs(parts.loc[(name, "total"), "mean"]))
    titles = batch.titles(language)

    def shown(part: str) -> str:
        row = parts.loc[(scenario, part)]
        return (f"{difference_text(row['mean'], 'on_time_rate', language)} "
                f"({ci_text(row['low'], row['high'], 'on_time_rate', language)})")

    behaviour = parts.loc[(scenario, "behaviour")]
    low, high = float(behaviour["low"]), float(behaviour["high"])
    acts = bool(np.isfinite(low) and np.isfinite(high) and not low <= 0 <= high)
    key = "finding.yardstick_split" if acts else "finding.yardstick_split_unclear"
    text = t(key, language, scenario=quoted(titles[scenario], language),
             baseline=quoted(titles[batch.baseline], language), total=shown("total"),
             behaviour=shown("behaviour"), yardstick=shown("yardstick"))
    notes = [f"{part}: {shown(part)}" for part in ("total", "behaviour", "yardstick")]
    return Finding(text, "on_time_rate", notes, claim=acts)


def quoted(title: str, language: str) -> str:
    """A scenario's title inside a sentence, in quotation marks (titles such as '10 hired, first come first served'
    hold commas of their own)."""
    return t("brief.quoted", language, title=title)


def _listed(names: list[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return t("brief.list_sep", language).join(names[:-1]) + t("brief.list_and", language) + names[-1]


# --------------------------------------------------------------------------- sizing and caveats


def _precision_sizing(rule: dict | None, language: str) -> list[str]:
    """What the precision rule that chose the replication count asked for and reached (nothing without a rule)."""
    if not rule:
        return []
    from .formatting import value_text

    kpi = rule["kpi"]
    width = (lambda w: messages.points(w, language, signed=False)) if registry.unit(kpi) == "share" else \
        (lambda w: value_text(w, kpi, language) + ("" if language == "zh" else " ")
         + messages.unit_text(registry.unit(kpi), language))
    achieved = rule.get("half_width")
    return [t("sizing.precision_met" if rule.get("met") else "sizing.precision_not_met", language,
              kpi=messages.kpi_name(kpi, language), target=width(rule["half_width_target"]),
              achieved=width(achieved) if achieved is not None else messages.text("n_a", language),
              replications=messages.number(rule["replications"], language),
              cap=messages.number(rule["cap"], language))]


def sizing(batch: BatchResults, language: str = "en") -> list[str]:
    """How far the figures go: horizon, replications, district, assumptions, and what the model leaves out."""
    base = batch.scenarios[batch.baseline]
    titles = batch.titles(language)
    m = batch.manifest
    lines = [t("sizing.horizon", language, days=messages.number(base.horizon_days, language),
               warm_up=messages.number(base.warm_up_days, language),
               drain=messages.number(base.drain_days, language)),
             t("sizing.replications" if m["replications"] < 10 else "sizing.replications_many", language,
               replications=messages.number(m["replications"], language), seed=m["seed"]),
             *_precision_sizing(m.get("precision"), language),
             t("sizing.district", language, baseline=quoted(titles[batch.baseline], language),
               grids=messages.number(base.territory.residential_grids + base.territory.dedicated_grids, language),
               communities=messages.number(base.territory.communities, language),
               workers=messages.number(base.workforce.grid_workers, language))]
    rows = provenance(base)
    assumed = sum("assumption" in row["kind"] for row in rows)
    cited = sum("seed" in row["kind"] for row in rows)
    lines.append(t("sizing.assumptions", language, assumed=messages.number(assumed, language),
                   total=messages.number(len(rows), language), cited=messages.number(cited, language)))
    if yardstick_only(batch.results.per_replication):
        lines.append(t("sizing.no_response", language))
    description = batch.batch_text("description", language)
    if description:
        lines.append(t("sizing.toy", language, description=description))
    if batch.failed:
        lines.append(t("brief.failed", language, names=_listed([titles.get(s["name"], s["name"])
                                                                 for s in batch.failed], language)))
    return lines


# --------------------------------------------------------------------------- charts


def write_charts(batch: BatchResults, folder: Path, language: str = "en") -> dict[str, Path]:
    """The brief's charts as PNG (1920 x 1080) and SVG in folder; {stem: PNG}."""
    folder = store.prepare_folder(folder)
    titles = batch.titles(language)
    target = batch.manifest.get("target_on_time_rate")
    summary = batch.results.summary
    figures = {"on_time_rate": charts.kpi_bars(summary, "on_time_rate", language, target=target, titles=titles)}
    curves = closure_of(batch)
    if curves is not None:
        figures["time_to_close"] = charts.time_to_close(curves, language,
                                                        deadline_kinds(list(batch.scenarios.values())), titles)
    figures["backlog"] = charts.backlog_over_time(batch.results.timeseries, language, titles=titles,
                                                  scenarios=batch.scenarios)
    figures["ttc_p90_h"] = charts.kpi_bars(summary, "ttc_p90_h", language, titles=titles)
    cost = charts.cost_vs_on_time(summary, language, titles)
    if cost is not None:
        figures["cost_vs_on_time"] = cost
    trade_off = charts.deadline_trade_off(summary, language, titles)
    if trade_off is not None:
        figures["deadline_trade_off"] = trade_off
    written = {}
    for stem, figure in figures.items():
        charts.write(figure, folder / f"{stem}.svg", close=False)
        written[stem] = charts.write(figure, folder / f"{stem}.png")
    return written


def closure_of(batch: BatchResults):
    """What the time-to-close chart is drawn from: every replication's closure curve, or (results written before
    the batch kept them) replication 0's case logs; None when there is neither."""
    if batch.results.closure is not None and not batch.results.closure.empty:
        return batch.results.closure
    return batch.results.case_logs or None


def deadline_kinds(scenarios) -> list[tuple[float, str]]:
    """Every deadline that applies to cases, named: the departments' resolution limits and category deadlines."""
    department = {s.dispatch.resolution_deadline_h for s in scenarios}
    kinds = [(hours, "department") for hours in sorted(department)]
    kinds += [(hours, "category") for hours in deadlines_of(scenarios) if hours not in department]
    return kinds


# --------------------------------------------------------------------------- the indicators


def kpi_table(batch: BatchResults, language: str = "en") -> dict:
    """The indicators as rows (label and unit), scenarios as columns: mean [95 % CI], and under it the paired
    difference from the baseline; grouped as the registry groups them."""
    from .formatting import difference_text as difference_cell
    from .formatting import estimate_text
    from .tables import present

    summary = batch.results.summary
    titles = batch.titles(language)
    groups = []
    for group in KPI_GROUPS:
        rows = []
        for kpi in present(summary, group):
            cells = []
            for name in batch.names:
                match = summary[(summary["kpi"] == kpi) & (summary["scenario"] == name)]
                if match.empty:
                    cells.append(("", ""))
                    continue
                r = match.iloc[0]
                estimate = estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi, language)
                difference = ""
                if batch.differences is not None and name != batch.baseline:
                    d = _difference(batch.differences, name, kpi)
                    if d is not None:
                        difference = difference_cell(d["difference"], d["ci_low"], d["ci_high"], d["interval"],
                                                     bool(d["significant"]), kpi, language)
                cells.append((estimate, difference))
            rows.append({"label": table_label(kpi, language),
                         "unit": messages.unit_text(registry.unit(kpi), language), "cells": cells})
        if rows:
            groups.append({"heading": registry.GROUPS[group][1 if language == "zh" else 0], "rows": rows})
    return {"scenarios": [titles[n] for n in batch.names], "groups": groups}


# --------------------------------------------------------------------------- the audit


def audit(batch: BatchResults, language: str = "en") -> dict:
    """What ran: batch, file, code version, seed, every scenario's identifier, hash, key and overrides, package
    versions, and the provenance of the baseline's parameters."""
    m = batch.manifest
    versions = {"gridgov": __version__, "python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = messages.text("n_a", language)
    titles = batch.titles(language)
    return {
        "facts": [(t("audit.batch", language), m["batch"]), (t("audit.file", language), m.get("batch_file", "")),
                  (t("audit.code_version", language), m.get("code_version", "")),
                  (t("audit.seed", language), str(m["seed"])), (t("audit.language", language), language)],
        "scenarios": [{"title": titles.get(s["name"], s["name"]), "name": s["name"], "hash": s["content_hash"],
                       "key": s["key"], "status": s["status"], "overrides": s["overrides"]} for s in m["scenarios"]],
        "versions": versions,
        "provenance": provenance(batch.scenarios[batch.baseline]),
    }


# --------------------------------------------------------------------------- the brief


def build(batch: BatchResults, folder: Path, language: str = "en") -> Brief:
    """Everything the brief shows, with its charts written into folder/charts."""
    messages.check_language(language)
    titles = batch.titles(language)
    others = [titles[n] for n in batch.names if n != batch.baseline]
    question = batch.batch_text("question", language) or t(
        "brief.default_question", language, scenarios=_listed(others, language), baseline=titles[batch.baseline])
    descriptions = batch.descriptions(language)
    return Brief(
        language=language,
        title=batch.batch_text("title", language) or batch.manifest["batch"],
        question=question,
        findings=findings(batch, language),
        sizing=sizing(batch, language),
        charts=write_charts(batch, folder / "charts", language),
        kpi_table=kpi_table(batch, language),
        scenarios=[{"title": titles[n], "description": descriptions.get(n, ""),
                    "baseline": n == batch.baseline} for n in batch.names],
        audit=audit(batch, language),
        generated=t("brief.generated", language, date=datetime.date.today().isoformat(),
                    batch=batch.manifest["batch"], version=__version__),
    )


def render_html(brief: Brief) -> str:
    """The brief as one self-contained HTML page (charts embedded), `lang` set to its language."""
    environment = jinja2.Environment(loader=jinja2.PackageLoader("sim.reporting", "."),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]))
    images = {stem: base64.b64encode(path.read_bytes()).decode() for stem, path in brief.charts.items()}
    language = brief.language

    def render(font: str) -> str:
        return environment.get_template(TEMPLATE).render(
            brief=brief, images=images, lang=messages.HTML_LANG[language], font=font,
            families=", ".join(f'"{family}"' for family in fonts.page_families(language)),
            t=lambda key, **fields: t(key, language, **fields))

    page = render("")
    return render(fonts.embedded_cjk_font(page, latin=language == "zh"))


@dataclass
class BriefFiles:
    html: Path
    pptx: Path
    charts: list[Path]


def write_brief(batch: BatchResults, out: str | Path, language: str = "en") -> BriefFiles:
    """Write report.html, report.pptx and charts/ of a finished batch into out."""
    from .slides import write_slides

    out = store.prepare_folder(Path(out))
    brief = build(batch, out, language)
    html = store.atomic_write(out / "report.html", lambda tmp: tmp.write_text(render_html(brief), encoding="utf-8"))
    pptx = store.atomic_write(out / "report.pptx", lambda tmp: write_slides(brief, tmp))
    return BriefFiles(html, pptx, sorted((out / "charts").glob("*.*")))
