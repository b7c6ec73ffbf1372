"""The live staffing view: the on-time rate and cost against grid worker head count for the explorer's scenario,
swept in the background with a progress bar, computed once and read back from the cache after that."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable

from ..analysis import messages
from ..errors import InputError
from ..experiment.background import BackgroundRuns
from ..params import Scenario
from . import charts, staffing
from .page import RENDER, STYLE, png

SWEEP_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # head counts swept, as multiples of the scenario's own
TARGET = 0.95


def head_counts(scenario: Scenario) -> list[int]:
    """The head counts swept: half to twice the scenario's own, the scenario's own among them."""
    own = scenario.workforce.final_grid_workers
    return sorted({max(1, round(own * factor)) for factor in SWEEP_FACTORS})


class StaffingView:
    """A button that sweeps the head count for the scenario the explorer shows; a sweep done once is reused."""

    def __init__(self, scenario: Callable[[], Scenario], *, replications: int = 4, seed: int = 0,
                 language: str = "en", runs: BackgroundRuns | None = None, target: float = TARGET):
        import ipywidgets as w

        self.scenario, self.replications, self.seed = scenario, replications, seed
        self.language, self.target = messages.check_language(language), target
        self.runs = runs  # its own pool is started on the first sweep: most readers never ask for one
        self.memory: dict[str, object] = {}
        t = lambda key, **f: messages.text(key, language, **f)  # noqa: E731
        self.button = w.Button(description=t("app.staffing_button"), layout=w.Layout(width="auto"))
        self.button.on_click(lambda _: self.start())
        self.progress = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="240px"))
        self.status = w.HTML()
        self.status.add_class("gridgov-staffing-status")
        self.table = w.HTML()
        self.table.add_class("gridgov-kpis")
        self.chart = w.Image(format="png", layout=w.Layout(max_width="880px"))
        self.verdict = w.HTML()
        self.widget = w.VBox([w.HTML(STYLE + f"<h3>{html.escape(t('app.staffing_title'))}</h3>"
                                     f"<p class='gridgov-note'>{html.escape(t('app.staffing_note'))}</p>"),
                              w.HBox([self.button, self.progress, self.status],
                                     layout=w.Layout(align_items="center", flex_flow="row wrap")),
                              self.verdict, self.table, self.chart])
        self.widget.add_class("gridgov-staffing")

    def t(self, key: str, **fields) -> str:
        return messages.text(key, self.language, **fields)

    def start(self) -> None:
        """Sweep the head count for the current scenario, or show the sweep computed before."""
        try:
            base = self.scenario()
        except InputError as error:
            self.status.value = f"<span class='gridgov-error'>{html.escape(self.t('app.failed', error=error))}</span>"
            return
        scenarios = staffing.sweep_scenarios(base, head_counts(base))
        key = staffing.sweep_key(scenarios, self.replications, self.seed)
        table = self.memory.get(key)
        if table is None:
            table = staffing.cached(key)
        if table is not None:
            self.memory[key] = table
            self.progress.max = self.progress.value = len(scenarios) * self.replications
            self._show(table, base, self.t("app.staffing_reused"))
            return
        total = len(scenarios) * self.replications
        self.progress.max, self.progress.value = total, 0
        self.status.remove_class("gridgov-done")
        self.status.value = html.escape(self.t("app.running", done=0, total=total))
        started = time.perf_counter()

        def done(results) -> None:
            table = staffing.staffing_table(results.summary, staffing.head_count_of(scenarios))
            staffing.remember(key, table)
            self.memory[key] = table
            threading.Thread(target=self._show, daemon=True, args=(
                table, base, self.t("app.staffing_done", seconds=f"{time.perf_counter() - started:.1f}"))).start()

        if self.runs is None:
            self.runs = BackgroundRuns()
        self.runs.submit(scenarios, self.replications, self.seed, keep_case_log=False,
                         on_progress=lambda n, total: self._progress(n, total), on_done=done,
                         on_error=lambda error: setattr(self.status, "value", "<span class='gridgov-error'>"
                                                        + html.escape(self.t("app.failed", error=error)) + "</span>"))

    def _progress(self, done: int, total: int) -> None:
        self.progress.value = done
        self.status.value = html.escape(self.t("app.running", done=done, total=total))

    def _show(self, table, base: Scenario, status: str) -> None:
        own = base.workforce.final_grid_workers
        label = self.t("app.staffing_reference")
        frame = staffing.staffing_frame(table, self.language)
        self.table.value = frame.to_html(index=False, escape=True, classes="gridgov-kpi-table", border=0)
        verdict = staffing.staffing_verdict(table, self.target, own, label, self.language)
        self.verdict.value = "<p>" + "<br>".join(html.escape(line.strip()).replace("**", "")
                                                 for line in verdict.split("\n")) + "</p>"
        with RENDER:
            self.chart.value = png(charts.staffing_curve(table, self.target, own, label, self.language))
        self.status.value = html.escape(status)
        self.status.add_class("gridgov-done")
