"""The explorer: a live page of levers over a short simulation, run in the background, compared with a pinned run.

Moving a lever greys the results (they are for the old setting), waits a moment for further
moves (debounce), then starts the replications in worker processes; a newer setting cancels the
run it makes obsolete. A progress bar counts the replications. "Pin this run" keeps a run as the
reference: the KPI table then shows it, the current run, and their paired difference (same
replications and seeds) with its 95 % CI. The levers come from the schema (`levers`).

By default the explorer simulates one subdistrict's share of the district (`one_subdistrict`):
28 days (7 of warm-up, 14 of drain) in 4 replications answer in a few seconds, where the whole
district takes 10-15 s for one replication. Shares and times are comparable with the district's;
counts are one subdistrict's. The same widgets run in JupyterLab and in `gridgov app` (Voilà).
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import messages, registry
from ..analysis.statistics import paired_differences, summarise
from ..errors import InputError
from ..experiment.background import BackgroundRuns
from ..experiment.runs import Replications
from ..params import Scenario, load_scenario
from ..params.base import in_language
from . import charts, levers
from .batch_results import deadlines_of
from .display import display
from .formatting import difference_text, estimate_text
from .notebook import as_overrides
from .page import RENDER, STYLE, font_face, png

DEFAULT_REPLICATIONS = 4
DEBOUNCE_S = 0.4
UNITS = ("subdistrict", "district")
PINNED = "pinned"
CURRENT = "current"




def one_subdistrict(scenario: Scenario) -> Scenario:
    """One subdistrict's share of the district: territory, grid workers, hiring and department teams divided by the
    number of subdistricts (at least one of each); community staffing and every rate and share unchanged."""
    n = scenario.territory.subdistricts
    if n <= 1:
        return scenario
    share = lambda count, least=1: max(least, round(count / n))  # noqa: E731
    t = scenario.territory
    values: dict[str, Any] = {
        "territory.subdistricts": 1, "territory.communities": share(t.communities),
        "territory.residential_grids": max(share(t.residential_grids), share(t.communities)),
        "territory.dedicated_grids": share(t.dedicated_grids, 0),
        "workforce.grid_workers": share(scenario.workforce.grid_workers, 0),
        "reserve_pool.cohorts.max_size": share(scenario.reserve_pool.cohorts.max_size),
    }
    for i, batch in enumerate(scenario.workforce.hiring_batches):
        values[f"workforce.hiring_batches.{i}.size"] = share(batch.size)
    for name, department in scenario.departments.items():
        staff = share(department.staff)
        values[f"departments.{name}.staff"] = staff
        if department.block_staff is not None:
            values[f"departments.{name}.block_staff"] = [min(staff, share(b, 0)) for b in department.block_staff]
    return scenario.with_values(values, name=scenario.name)


def hiring_on_duty(path: str | Path) -> list[str]:
    """Overrides that put every hiring batch of a scenario file on duty from day 0 (the explorer looks at a short
    steady stretch, not the hiring path; a batch would often start after its short horizon)."""
    final = load_scenario(path).workforce.final_grid_workers
    return [f"workforce.grid_workers={final}", "workforce.hiring_batches=[]"]


@dataclass
class Shown:
    """A finished run as the page shows it: its scenario, settings, per-replication KPIs and time series."""

    scenario: Scenario
    settings: dict[str, Any]
    replications: int
    seed: int
    results: Replications


HEADLINE = {"cost": ("annual_cost_yuan", "cost_per_on_time_case_yuan")}  # of a group, only these in the table


def in_table(group: str) -> list[str]:
    """The KPIs of a registry group that the explorer's table shows (all, or the group's headline ones)."""
    return [kpi for kpi in registry.in_group(group) if group not in HEADLINE or kpi in HEADLINE[group]]


def kpi_rows(current: Shown, pinned: Shown | None, groups: list[str], language: str = "en") -> list[dict[str, str]]:
    """The KPI table's rows: label, unit, this run's mean [CI] and, with a pinned run, its mean [CI] and the paired
    difference from it (same replications and seeds) [95 % CI]; KPIs of the registry groups given, in order."""
    t = lambda key: messages.text(key, language)  # noqa: E731
    wanted = [kpi for group in groups for kpi in in_table(group)]
    per = current.results.per_replication.assign(scenario=CURRENT)
    if pinned is not None:
        per = pd.concat([per, pinned.results.per_replication.assign(scenario=PINNED)], ignore_index=True)
    per = per[per["kpi"].isin(wanted)]
    summary = summarise(per)
    differences = paired_differences(per, PINNED) if pinned is not None else None
    rows = []
    for group in groups:
        for kpi in in_table(group):
            here = summary[(summary["scenario"] == CURRENT) & (summary["kpi"] == kpi)]
            if here.empty:
                continue
            r = here.iloc[0]
            row = {t("table.kpi"): messages.kpi_label(kpi, language),
                   t("table.unit"): messages.unit_text(registry.unit(kpi), language),
                   t("app.this_run"): estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi, language)}
            if differences is not None:
                there = summary[(summary["scenario"] == PINNED) & (summary["kpi"] == kpi)].iloc[0]
                row[t("app.pinned_run")] = estimate_text(there["mean"], there["ci_low"], there["ci_high"],
                                                         there["interval"], kpi, language)
                d = differences[differences["kpi"] == kpi].iloc[0]
                row[t("app.difference")] = difference_text(d["difference"], d["ci_low"], d["ci_high"], d["interval"],
                                                           bool(d["significant"]), kpi, language)
                row["_direction"] = _direction(kpi, d)
            rows.append(row)
    return rows


def _direction(kpi: str, difference: pd.Series) -> str:
    """'better' or 'worse' for a difference whose interval excludes zero, by the KPI's better direction."""
    better = registry.kpi(kpi).better
    if not difference["significant"] or better not in ("higher", "lower"):
        return ""
    up = difference["difference"] > 0
    return "better" if up == (better == "higher") else "worse"


def kpi_table_html(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    columns = [c for c in rows[0] if not c.startswith("_")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, column in enumerate(columns):
            css = "num" if i >= 2 else ""
            if row.get("_direction") and i == len(columns) - 1:
                css += f" gridgov-{row['_direction']}"
            cells.append(f'<td class="{css.strip()}">{html.escape(row[column])}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="gridgov-kpi-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


class Explorer:
    """The live explorer's widgets and their behaviour (see the module's docstring)."""

    def __init__(self, scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), *,
                 replications: int = DEFAULT_REPLICATIONS, seed: int = 0, language: str = "en",
                 unit: str = "subdistrict", jobs: int | None = None, debounce_s: float = DEBOUNCE_S,
                 runs: BackgroundRuns | None = None):
        import ipywidgets as w

        if unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
        self.language, self.seed, self.unit, self.debounce_s = messages.check_language(language), seed, unit, debounce_s
        self.base_overrides = as_overrides(overrides)
        self.files = {Path(f).stem: Path(f) for f in scenario_files}
        self.runs = runs or BackgroundRuns(jobs)
        self.current: Shown | None = None
        self.pinned: Shown | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.RLock()
        self._study = 0
        self._finished = -1  # the last study whose results and charts are on the page
        self._error: str | None = None
        self._started = 0.0
        self.timings: list[float] = []  # seconds from a run's start to its results on the page
        t = self.t

        self.bases = {name: self._load(path) for name, path in self.files.items()}
        self.picker = w.Dropdown(options=[(self._title(s), name) for name, s in self.bases.items()],
                                 layout=w.Layout(width="360px"))
        counts = sorted({1, 2, 4, 6, 8, 10, replications})
        self.replications = w.Dropdown(options=[(t("app.one_replication") if n == 1 else str(n), n) for n in counts],
                                       value=replications, layout=w.Layout(width="200px"))
        self.horizon = w.IntSlider(min=14, max=91, step=7, continuous_update=False, layout=w.Layout(width="240px"))
        self.pin_button = w.Button(description=t("app.pin"), disabled=True,
                                   layout=w.Layout(width="auto"))
        self.unpin_button = w.Button(description=t("app.unpin"), disabled=True, layout=w.Layout(width="auto"))
        self.pin_button.on_click(lambda _: self.pin())
        self.unpin_button.on_click(lambda _: self.unpin())
        self.progress = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="240px"))
        self.status = w.HTML()
        self.status.add_class("gridgov-status")
        self.scenario_note = w.HTML()
        self.lever_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.hidden_note = w.HTML()
        self.pinned_note = w.HTML()
        self.table = w.HTML()
        self.table.add_class("gridgov-kpis")
        self.backlog_chart = w.Image(format="png", layout=w.Layout(max_width="880px"))
        self.ttc_chart = w.Image(format="png", layout=w.Layout(max_width="880px"))
        self.table_box = w.VBox([self.pinned_note, self.table])
        self.chart_box = w.VBox([self.backlog_chart, self.ttc_chart])
        self.results = w.VBox([self.table_box, self.chart_box])
        self.results.add_class("gridgov-results")

        def labelled(key: str, widget, wide: bool = False) -> Any:
            box = w.VBox([w.HTML(f"<b>{html.escape(t(key))}</b>"), widget])
            box.add_class("gridgov-lever")
            if wide:
                box.add_class("gridgov-wide")
            return box

        settings = w.HBox([labelled("app.scenario", self.picker, wide=True),
                           labelled("app.replications", self.replications), labelled("app.horizon", self.horizon)],
                          layout=w.Layout(flex_flow="row wrap"))
        actions = w.HBox([self.pin_button, self.unpin_button, self.progress, self.status],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        titles = "".join(in_language(s.title, "zh", s.name) for s in self.bases.values())
        head = STYLE + font_face(self.language, titles) + f"<h2>{html.escape(t('app.title'))}</h2>"
        self.widget = w.VBox([w.HTML(head + f"<p class='gridgov-note'>{html.escape(self._unit_text())}</p>"),
                              settings, self.scenario_note, self.lever_box, self.hidden_note, actions, self.results])
        self.widget.add_class("gridgov-explorer")
        self.picker.add_class("gridgov-scenario")
        self.controls: list[tuple[levers.Lever, Any]] = []
        self._build_levers(previous=None)
        self.picker.observe(lambda change: self._switch(change["old"]), names="value")
        self.replications.observe(lambda _: self.changed(), names="value")
        self.horizon.observe(lambda _: self.changed(), names="value")

    # ------------------------------------------------------------------ texts and scenarios

    def t(self, key: str, **fields: Any) -> str:
        return messages.text(key, self.language, **fields)

    def _title(self, scenario: Scenario) -> str:
        """A scenario's title in the language, with its name where another scenario of the page has the same title."""
        title = in_language(scenario.title, self.language, scenario.name)
        same = [s for s in self.bases.values() if in_language(s.title, self.language, s.name) == title]
        return f"{title} ({scenario.name})" if len(same) > 1 else title

    def _unit_text(self) -> str:
        return self.t("app.unit_subdistrict" if self.unit == "subdistrict" else "app.unit_district")

    def _load(self, path: Path) -> Scenario:
        scenario = load_scenario(path, hiring_on_duty(path) + self.base_overrides)
        return one_subdistrict(scenario) if self.unit == "subdistrict" else scenario

    def base(self) -> Scenario:
        return self.bases[self.picker.value]

    def settings(self) -> dict[str, Any]:
        """The levers' values and the horizon, as parameter paths."""
        values: dict[str, Any] = {lever.path: control.value for lever, control in self.controls}
        values["horizon_days"] = self.horizon.value
        return values

    def scenario(self) -> Scenario:
        """The chosen scenario with the levers and the horizon applied (InputError if that is not valid)."""
        base = self.base()
        values = self.settings()
        values["horizon_days"] = max(values["horizon_days"], base.warm_up_days + 7)
        try:
            return base.with_values(values, name=base.name)
        except ValueError as error:
            errors = getattr(error, "errors", None)  # pydantic's: one message per broken rule
            text = "; ".join(e["msg"].removeprefix("Value error, ") for e in errors()) if errors else str(error)
            raise InputError(text) from None

    # ------------------------------------------------------------------ levers

    def _build_levers(self, previous: dict[str, Any] | None) -> None:
        import ipywidgets as w

        scenario = self.base()
        self.controls = []
        self.boxes: dict[str, Any] = {}
        for lever in [levers.resolve(spec, scenario, self.language) for spec in levers.LEVERS]:
            control = self._widget(w, lever)
            control.observe(lambda _: self.changed(), names="value")
            self.controls.append((lever, control))
            title = html.escape(lever.label) + (f" ({html.escape(lever.unit)})" if lever.unit else "")
            box = w.VBox([w.HTML(f"<b title='{html.escape(lever.description)}'>{title}</b>"), control,
                          w.HTML(f"<span class='gridgov-note'>{html.escape(lever.hint(self.language))}</span>")])
            box.add_class("gridgov-lever")
            box.add_class("gridgov-lever-" + lever.path.replace(".", "-").replace("_", "-"))
            self.boxes[lever.path] = box
        self.lever_box.children = list(self.boxes.values())
        self._offer(scenario)
        with self.horizon.hold_trait_notifications():
            self.horizon.min = scenario.warm_up_days + 7
            self.horizon.value = min(max(scenario.horizon_days, self.horizon.min), self.horizon.max)
        self.scenario_note.value = self._reset_text(previous, scenario)

    def _offer(self, scenario: Scenario) -> None:
        """Show the levers that act in the scenario as set now, and say why each other one is not offered."""
        hidden = []
        for path, box in self.boxes.items():
            spec = levers.SPECS[path]
            acts = spec.acts(scenario)
            box.layout.display = "" if acts else "none"
            if not acts:
                hidden.append(levers.hidden_text(spec, self.language))
        self.hidden_note.value = "".join(
            f"<p class='gridgov-note gridgov-hidden'>{html.escape(self.t('app.hidden', lever=label, reason=reason))}"
            f"</p>" for label, reason in hidden)

    @staticmethod
    def _widget(w, lever: levers.Lever):
        if lever.kind == "choice":
            return w.Dropdown(options=lever.options, value=lever.value, layout=w.Layout(width="240px"))
        slider = w.IntSlider if lever.kind == "int" else w.FloatSlider
        return slider(value=lever.value, min=lever.low, max=lever.high, step=lever.step, continuous_update=False,
                      layout=w.Layout(width="240px"), readout_format="d" if lever.kind == "int" else ".1f")

    def _reset_text(self, previous: dict[str, Any] | None, scenario: Scenario) -> str:
        """After a switch of scenario: which settings went back to the new scenario's own values."""
        if previous is None:
            return ""
        now = self.settings()
        labels = {lever.path: lever.label for lever, _ in self.controls}
        labels["horizon_days"] = self.t("app.horizon")
        changes = [self.t("app.reset_item", lever=labels[path], old=self._shown(path, previous[path]),
                          new=self._shown(path, now[path]))
                   for path in now if path in previous and previous[path] != now[path]]
        title = self._title(scenario)
        text = self.t("app.switched", scenario=title, changes="; ".join(changes) or self.t("app.nothing_reset"))
        if self.pinned is not None:
            text += " " + self.t("app.pin_kept")
        return f"<p class='gridgov-note'><b>{html.escape(text)}</b></p>"

    def _shown(self, path: str, value: Any) -> str:
        """A setting as the page shows it: a choice by its label, a number in the language with its unit."""
        lever = next((lever for lever, _ in self.controls if lever.path == path), None)
        if lever is not None and lever.kind == "choice" and isinstance(value, str):
            return next((label for label, v in lever.options if v == value), value)
        shown = messages.number(value, self.language, 0 if float(value).is_integer() else 1)
        unit = lever.unit if lever is not None else messages.unit_text("days", self.language)
        return f"{shown} {unit}" if unit and self.language == "en" else f"{shown}{unit}"

    def _switch(self, old: str) -> None:
        previous = {lever.path: control.value for lever, control in self.controls}
        previous["horizon_days"] = self.horizon.value
        self._build_levers(previous)
        self.changed()

    # ------------------------------------------------------------------ running

    def changed(self) -> None:
        """A setting changed: grey the results and (re)start the debounce timer."""
        with self._lock:
            self._study += 1
            self.table_box.add_class("gridgov-stale")
            self.chart_box.add_class("gridgov-stale")
            self.status.remove_class("gridgov-done")
            self.progress.value = 0
            self.status.value = html.escape(self.t("app.changed"))
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.debounce_s, self.start, args=(self._study,))
            self._timer.daemon = True
            self._timer.start()

    def start(self, study: int | None = None) -> None:
        """Start the replications of the current settings in the background (cancelling an obsolete run)."""
        with self._lock:
            if study is not None and study != self._study:
                return  # a newer change came in meanwhile
            study = self._study
            self._error = None
            try:
                scenario = self.scenario()
                self._offer(scenario)
            except InputError as error:
                self._error = str(error)
                self.runs.cancel()
                self.status.value = (f"<span class='gridgov-error'>"
                                     f"{html.escape(self.t('explorer.not_valid', error=error))}</span>")
                return
            replications = self.replications.value
            settings = self.settings()
            self.progress.max, self.progress.value = replications, 0
            self.status.value = html.escape(self.t("app.running", done=0, total=replications))
            self._started = time.perf_counter()
            try:
                self.runs.submit([scenario], replications, self.seed,
                                 on_progress=lambda done, total: self._progress(study, done, total),
                                 on_done=lambda results: threading.Thread(
                                     target=self._show, args=(study, Shown(scenario, settings, replications, self.seed,
                                                                           results)), daemon=True).start(),
                                 on_error=lambda error: self._failed(study, error))
            except Exception as error:  # in the debounce timer's thread, a failure would otherwise reach no one
                self._failed(study, error)

    def _progress(self, study: int, done: int, total: int) -> None:
        if study == self._study:
            self.progress.value = done
            self.status.value = html.escape(self.t("app.running", done=done, total=total))

    def _failed(self, study: int, error: BaseException) -> None:
        if study == self._study:
            self._error = str(error)
            self.status.value = f"<span class='gridgov-error'>{html.escape(self.t('app.failed', error=error))}</span>"

    def _show(self, study: int, shown: Shown, redraw: bool = False) -> None:
        """Put a finished run on the page, the table first, then the charts (in a thread of its own, so the pool's
        thread stays free); a failure is said on the page."""
        try:
            self._draw(study, shown, redraw)
        except Exception as error:  # in a thread, a failure would otherwise reach no one
            self._failed(study, error)

    def _draw(self, study: int, shown: Shown, redraw: bool) -> None:
        with RENDER:
            if study != self._study:
                return
            pinned = self.pinned if self._pairable(shown) else None
            groups = levers.kpis_moved(shown.scenario)
            table = kpi_table_html(kpi_rows(shown, pinned, groups, self.language))
            with self._lock:
                if study != self._study:
                    return
                self.current = shown
                self.table.value = table
                self.pinned_note.value = self._pinned_text(shown)
                self.table_box.remove_class("gridgov-stale")
                self.pin_button.disabled = False
                elapsed = time.perf_counter() - self._started
                if not redraw:
                    self.timings.append(elapsed)
                title = self._title(shown.scenario)
                interval = self.t("no_interval") if shown.replications == 1 else self.t("app.with_interval")
                self.status.value = html.escape(self.t("app.done", scenario=title, replications=shown.replications,
                                                       days=shown.scenario.horizon_days, seconds=f"{elapsed:.1f}",
                                                       interval=interval))
            backlog, ttc = self._charts(shown, pinned)
            with self._lock:
                if study != self._study:
                    return
                self.backlog_chart.value, self.ttc_chart.value = backlog, ttc
                self.chart_box.remove_class("gridgov-stale")
                self.status.add_class("gridgov-done")
                self._finished = study

    def _pairable(self, shown: Shown) -> bool:
        p = self.pinned
        return p is not None and p.replications == shown.replications and p.seed == shown.seed

    def _pinned_text(self, shown: Shown) -> str:
        p = self.pinned
        if p is None:
            return f"<p class='gridgov-note'>{html.escape(self.t('app.no_pin'))}</p>"
        title = self._title(p.scenario)
        if not self._pairable(shown):
            return (f"<p class='gridgov-note'>"
                    f"{html.escape(self.t('app.pin_unpaired', scenario=title, replications=p.replications))}</p>")
        settings = "; ".join(f"{self._label(path)} {self._shown(path, value)}" for path, value in p.settings.items()
                             if path == "horizon_days" or levers.SPECS[path].acts(p.scenario))
        return f"<p class='gridgov-note'>{html.escape(self.t('app.pinned', scenario=title, settings=settings))}</p>"

    def _label(self, path: str) -> str:
        return self.t("app.horizon") if path == "horizon_days" else messages.text(f"lever.{path}", self.language)

    def _charts(self, shown: Shown, pinned: Shown | None) -> tuple[bytes, bytes]:
        titles = {CURRENT: self.t("app.this_run_short")}
        series = shown.results.timeseries.assign(scenario=CURRENT)
        logs = {CURRENT: next(iter(shown.results.case_logs.values()))}
        scenarios = {CURRENT: shown.scenario}
        if pinned is not None:
            titles[PINNED] = self.t("app.pinned_short")
            series = pd.concat([pinned.results.timeseries.assign(scenario=PINNED), series], ignore_index=True)
            logs = {PINNED: next(iter(pinned.results.case_logs.values())), **logs}
            scenarios[PINNED] = pinned.scenario
        backlog = png(charts.backlog_over_time(series, self.language, titles=titles, scenarios=scenarios))
        ttc = png(charts.time_to_close(logs, self.language, deadlines_of(list(scenarios.values())), titles=titles))
        return backlog, ttc

    # ------------------------------------------------------------------ pinning

    def pin(self) -> None:
        """Keep the current run as the reference; the table shows differences from it from now on."""
        with self._lock:
            if self.current is None:
                return
            self.pinned = self.current
            self.unpin_button.disabled = False
        self._redraw()

    def unpin(self) -> None:
        with self._lock:
            self.pinned = None
            self.unpin_button.disabled = True
        self._redraw()

    def _redraw(self) -> None:
        if self.current is not None and not self.runs.busy():
            threading.Thread(target=self._show, args=(self._study, self.current, True), daemon=True).start()

    def wait(self, timeout_s: float = 600) -> None:
        """Block until the latest settings' results, charts included, are on the page (or the run failed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._finished == self._study or self._error is not None:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"the explorer's run did not finish within {timeout_s} s")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.runs.close()


def explore(scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), *, wait: bool = False,
            staffing: bool = True, **kwargs) -> Explorer:
    """Show the explorer (and below it the staffing view of its scenario) and start the first run of the default
    settings (with wait, return once it is shown)."""
    import ipywidgets as w

    from .staffing_view import StaffingView

    explorer = Explorer(scenario_files, overrides, **kwargs)
    if staffing:
        explorer.staffing = StaffingView(explorer.scenario, replications=explorer.replications.value,
                                         seed=explorer.seed, language=explorer.language)
        display(w.VBox([explorer.widget, explorer.staffing.widget]))
    else:
        display(explorer.widget)
    explorer.start()
    if wait:
        explorer.wait()
    return explorer
