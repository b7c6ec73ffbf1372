"""The explorer: widgets for the main levers that re-run a short simulation on change and redraw KPIs and charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis import messages
from ..errors import InputError
from ..experiment.runs import Replications, replicate_many
from ..params import Scenario, load_scenario
from ..params.base import in_language
from . import charts
from .batch_results import deadlines_of
from .display import display, kpi_frame, show_chart, show_table
from .notebook import as_overrides


@dataclass
class Lever:
    """One control of the explorer: a label, the scenario parameter it sets, and how to build the widget.

    `acts(scenario)` says whether moving the lever changes any behaviour in that scenario (a lever
    that does not is not offered there); `note` says what the lever does not do, next to it.
    """

    label: str
    path: str
    make: Callable[[Scenario], Any]
    to_overrides: Callable[[Any], list[str]]
    acts: Callable[[Scenario], bool] = lambda scenario: True
    note: str = ""


def schema_has(path: str) -> bool:
    """Whether the scenario schema has a parameter at this dotted path (used to switch levers on)."""
    from pydantic import BaseModel

    annotation: Any = Scenario
    for part in path.split("."):
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        fields = annotation.model_fields
        if part not in fields:
            return False
        annotation = fields[part].annotation
    return True


DEADLINE_NOTE = messages.text("explorer.deadline_note")


def levers(scenario: Scenario | None = None, language: str = "en") -> list[Lever]:
    """The explorer's main levers, declared as data: those whose parameter is in the schema and, given a
    scenario, that change some behaviour in it; labels in the language."""
    import ipywidgets as w

    t = lambda key: messages.text(key, language)  # noqa: E731

    def batches_widget(s: Scenario):
        total = sum(b.size for b in s.workforce.hiring_batches)
        return w.IntSlider(value=total, min=0, max=max(4000, total), step=50, description=t("explorer.hired"),
                           continuous_update=False, style={"description_width": "initial"})

    def batches_overrides(total: int) -> list[str]:
        if total <= 0:
            return ["workforce.hiring_batches=[]"]
        first = total // 2
        return [f"workforce.hiring_batches=[{{size: {first}, start_day: 7}}, {{size: {total - first}, start_day: 14}}]"]

    candidates = [
        Lever(t("explorer.grid_workers"), "workforce.grid_workers",
              lambda s: w.IntSlider(value=s.workforce.grid_workers, min=0, max=max(5000, 2 * s.workforce.grid_workers),
                                    step=10, description=t("explorer.grid_workers"), continuous_update=False),
              lambda v: [f"workforce.grid_workers={v}"]),
        Lever(t("explorer.hired"), "workforce.hiring_batches", batches_widget, batches_overrides),
        Lever(t("explorer.deadline"), "dispatch.resolution_deadline_h",
              lambda s: w.Dropdown(options=sorted({24.0, 48.0, 72.0, 120.0, 168.0, s.dispatch.resolution_deadline_h}),
                                   value=s.dispatch.resolution_deadline_h, description=t("explorer.deadline")),
              lambda v: [f"dispatch.resolution_deadline_h={v}"], note=t("explorer.deadline_note")),
        Lever(t("explorer.queue"), "dispatch.queue_discipline",
              lambda s: w.ToggleButtons(options=[(t("explorer.fifo"), "fifo"), (t("explorer.edf"), "edf")],
                                        value=s.dispatch.queue_discipline, description=t("explorer.queue")),
              lambda v: [f"dispatch.queue_discipline={v}"]),
        Lever(t("explorer.reserve"), "reserve_pool.ratio_to_communities",
              lambda s: w.FloatSlider(value=s.reserve_pool.ratio_to_communities, min=0, max=4, step=0.5,
                                      description=t("explorer.reserve"), continuous_update=False,
                                      style={"description_width": "initial"}),
              lambda v: [f"reserve_pool.ratio_to_communities={v}"], acts=lambda s: s.secretaries.leave),
        Lever(t("explorer.horizon"), "horizon_days",
              lambda s: w.IntSlider(value=s.horizon_days, min=s.warm_up_days + 7, max=max(365, s.horizon_days),
                                    step=7, description=t("explorer.horizon"), continuous_update=False,
                                    style={"description_width": "initial"}),
              lambda v: [f"horizon_days={v}"]),
    ]
    return [lever for lever in candidates
            if schema_has(lever.path) and (scenario is None or lever.acts(scenario))]


class Explorer:
    """Widgets for the main levers that re-run a short simulation on change and redraw KPIs and charts."""

    def __init__(self, scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), *,
                 replications: int = 1,
                 seed: int = 0, language: str = "en"):
        import ipywidgets as w

        self.files = {Path(f).stem: Path(f) for f in scenario_files}
        self.base_overrides = as_overrides(overrides)
        self.replications, self.seed, self.language = replications, seed, language
        self.output = w.Output()
        self.status = w.HTML()
        self.picker = w.Dropdown(options=list(self.files), description=messages.text("explorer.scenario", language))
        self.picker.observe(lambda _: self._rebuild(), names="value")
        self.box = w.VBox()
        self.widget = w.VBox([self.picker, self.box, self.status, self.output])
        self._rebuild(run=False)

    def _base(self) -> Scenario:
        return load_scenario(self.files[self.picker.value], self.base_overrides)

    def _rebuild(self, run: bool = True) -> None:
        import ipywidgets as w

        scenario = self._base()
        self.controls = [(lever, lever.make(scenario)) for lever in levers(scenario, self.language)]
        for _, control in self.controls:
            control.observe(lambda _: self.render(), names="value")
        rows = [w.HBox([c for _, c in self.controls[i:i + 3]]) for i in range(0, len(self.controls), 3)]
        notes = [f"<small><b>{lever.label}:</b> {lever.note}</small>" for lever, _ in self.controls if lever.note]
        self.box.children = rows + [w.HTML("<br>".join(notes))] * bool(notes)
        if run:
            self.render()

    def overrides(self) -> list[str]:
        result = list(self.base_overrides)
        for lever, control in self.controls:
            result += lever.to_overrides(control.value)
        return result

    def _scenario(self) -> Scenario:
        """The chosen scenario with the levers applied; hiring batches must fall inside the horizon."""

        overrides = self.overrides()
        try:
            return load_scenario(self.files[self.picker.value], overrides)
        except InputError:
            # e.g. hiring batches that start after a shortened horizon: run without them, and say so
            kept = [o for o in overrides if not o.startswith("workforce.hiring_batches=")]
            scenario = load_scenario(self.files[self.picker.value], kept + ["workforce.hiring_batches=[]"])
            self.note = messages.text("explorer.no_hiring", self.language)
            return scenario

    def render(self) -> Replications | None:
        """Run the short simulation with the current settings and redraw; return the results."""

        self.status.value = messages.text("explorer.running", self.language)
        self.note = ""
        with self.output:
            self.output.clear_output(wait=True)
            try:
                scenario = self._scenario()
            except InputError as error:
                self.status.value = messages.text("explorer.not_valid", self.language, error=error)
                return None
            results = replicate_many([scenario], self.replications, self.seed, keep_case_log=True)
            show_table(kpi_frame(results.summary, language=self.language).drop(
                columns=messages.text("table.scenario", self.language)))
            show_chart(charts.backlog_over_time(results.timeseries, self.language,
                                                scenarios={scenario.name: scenario}))
            show_chart(charts.time_to_close(results.case_logs, self.language, deadlines_of([scenario])))
        self.status.value = messages.text(
            "explorer.status", self.language, scenario=in_language(scenario.title, self.language, scenario.name),
            replications=self.replications, days=scenario.horizon_days,
            workers=messages.number(scenario.workforce.final_grid_workers, self.language), note=self.note)
        return results


def explore(scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), **kwargs) -> Explorer:
    """Show the explorer and render the default settings once."""
    explorer = Explorer(scenario_files, overrides, **kwargs)
    display(explorer.widget)
    explorer.render()
    return explorer
