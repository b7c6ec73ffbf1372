"""The live explorer and `gridgov app` without a browser: levers from the schema, which levers act where,
background runs (progress, cancel, same results), the pinned comparison, the staffing cache, clean notebooks.

The browser test is tests/test_app_browser.py.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from sim.analysis import messages
from sim.experiment.background import BackgroundRuns
from sim.experiment.runs import replicate_many, simulate
from sim.params import load_scenario
from sim.reporting import app, explorer, levers, notebook_hygiene, staffing
from sim.reporting.staffing_view import StaffingView, head_counts

from .conftest import PARAMS, ROOT, SMALL, small_scenario

SHORT = ["horizon_days=21", "warm_up_days=7", "drain_days=7"]
BEHAVIOUR = ("ttc_mean_h", "backlog_mean", "wait_mean_h")  # what changes when someone works differently


def behaviour(scenario) -> tuple[float, ...]:
    k = simulate(scenario, 0, 0, case_log=False).kpis
    return tuple(k[name] for name in BEHAVIOUR)


# --------------------------------------------------------------------------- levers from the schema


@pytest.mark.parametrize("spec", levers.LEVERS, ids=lambda s: s.path)
def test_a_lever_is_a_parameter_of_the_schema_with_labels_in_both_languages(spec):
    levers.field_of(spec.path)
    for language in messages.LANGUAGES:
        assert messages.text(f"lever.{spec.path}", language)


def test_a_levers_bounds_and_choices_come_from_the_schema():
    scenario = small_scenario()
    by_path = {spec.path: levers.resolve(spec, scenario, "zh") for spec in levers.LEVERS}
    workers = by_path["workforce.grid_workers"]
    assert (workers.kind, workers.low, workers.value) == ("int", 0, 14)  # ge=0 in the schema
    assert workers.unit == messages.unit_text("people", "zh")
    queue = by_path["dispatch.queue_discipline"]
    assert [value for _, value in queue.options] == ["fifo", "fcfs", "edf", "lsf"]  # the schema's Literal
    assert queue.options[0][0] == messages.text("lever.dispatch.queue_discipline.fifo", "zh")
    deadline = by_path["dispatch.resolution_deadline_h"]
    assert deadline.unit == messages.unit_text("h", "zh")  # from the name's _h
    assert all(isinstance(value, float) for _, value in deadline.options)  # no "48.0" against 48
    assert [label for label, _ in deadline.options][:3] == ["24", "48", "72"]


def test_a_choice_that_would_make_the_scenario_invalid_is_not_offered():
    paced = small_scenario("dispatch.queue_discipline=lsf", "dispatch.start_slack_h=24")
    queue = levers.resolve(levers.SPECS["dispatch.queue_discipline"], paced)
    assert [value for _, value in queue.options] == ["lsf"]  # start_slack_h needs least slack first


def test_the_grid_worker_lever_changes_behaviour():
    assert behaviour(small_scenario(*SHORT)) != behaviour(small_scenario(*SHORT, "workforce.grid_workers=28"))


def test_the_queue_lever_changes_behaviour():
    runs = {q: behaviour(small_scenario(*SHORT, f"dispatch.queue_discipline={q}")) for q in ("fifo", "fcfs", "edf")}
    assert len(set(runs.values())) == 3


def test_the_deadline_is_not_offered_where_it_would_only_move_the_yardstick():
    scenario = small_scenario(*SHORT, "dispatch.queue_discipline=edf")
    assert not levers.deadline_is_read(scenario)
    shorter = small_scenario(*SHORT, "dispatch.queue_discipline=edf", "dispatch.resolution_deadline_h=24")
    assert behaviour(scenario) == behaviour(shorter)  # nobody works differently ...
    on_time = [simulate(s, 0, 0, case_log=False).kpis["on_time_rate"] for s in (scenario, shorter)]
    assert on_time[0] != on_time[1]  # ... only the share counted late moves


def test_the_deadline_is_offered_and_acts_where_departments_respond_to_it():
    responding = load_scenario(PARAMS / "luzhou_deadline_24h.yaml", SMALL + ["workforce.hiring_batches=[]"])
    assert levers.deadline_is_read(responding)
    assert behaviour(responding) != behaviour(responding.with_values({"dispatch.resolution_deadline_h": 72.0}))


def test_the_reserve_pool_is_offered_only_where_a_secretary_is_expected_to_leave_within_the_horizon():
    five_years = load_scenario(PARAMS / "reserve_pool_2x.yaml")
    assert levers.secretaries_leave(five_years)
    assert not levers.secretaries_leave(five_years.with_values({"horizon_days": 60, "warm_up_days": 7,
                                                                "workforce.hiring_batches": []}))
    assert not levers.secretaries_leave(load_scenario(PARAMS / "luzhou_baseline.yaml"))
    shown, hidden = levers.levers(load_scenario(PARAMS / "luzhou_baseline.yaml"), "en")
    assert "reserve_pool.ratio_to_communities" not in [lever.path for lever in shown]
    assert (messages.text("lever.reserve_pool.ratio_to_communities"), messages.text("app.hidden_reserve")) in hidden


# --------------------------------------------------------------------------- the simulated unit


def test_one_subdistrict_is_the_districts_share_of_territory_workers_and_teams():
    district = load_scenario(PARAMS / "luzhou_baseline.yaml")
    unit = explorer.one_subdistrict(district)
    assert unit.territory.subdistricts == 1
    assert unit.territory.communities == district.territory.communities // 10
    assert unit.workforce.grid_workers == 115
    assert unit.departments["urban_management"].staff == 30
    assert unit.departments["civil_affairs"].staff == 1  # at least one of each
    assert unit.workforce.community_workers_per_community == district.workforce.community_workers_per_community


def test_hiring_batches_are_put_on_duty_from_day_0():
    path = PARAMS / "luzhou_2034.yaml"
    scenario = load_scenario(path, explorer.hiring_on_duty(path) + ["horizon_days=28", "warm_up_days=7"])
    assert scenario.workforce.grid_workers == 1150 + 2034 and not scenario.workforce.hiring_batches


# --------------------------------------------------------------------------- background runs


@pytest.fixture(scope="module")
def runs():
    pool = BackgroundRuns(jobs=2)
    yield pool
    pool.close()


def wait_for(condition, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_background_study_gives_the_same_results_as_replicate_many_and_reports_progress(runs):
    scenario = small_scenario(*SHORT)
    progress, results = [], []
    runs.submit([scenario], 3, seed=4, on_progress=lambda done, total: progress.append((done, total)),
                on_done=results.append)
    wait_for(lambda: results)
    expected = replicate_many([scenario], 3, seed=4, keep_case_log=True)
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert results[0].summary.equals(expected.summary)


def test_a_new_study_cancels_the_one_it_makes_obsolete(runs):
    first_done, second_done = [], []
    slow = small_scenario("horizon_days=1800", "warm_up_days=7", "drain_days=7")  # seconds a replication
    first = runs.submit([slow], 4, on_done=first_done.append)
    time.sleep(0.5)
    started = time.monotonic()
    runs.submit([small_scenario(*SHORT)], 1, on_done=second_done.append)
    wait_for(lambda: second_done)
    time.sleep(0.5)
    assert first.cancelled and not first_done
    assert time.monotonic() - started < 60


def test_a_study_that_finished_is_not_cancelled_by_the_next_one(runs):
    first_done, second_done = [], []
    first = runs.submit([small_scenario(*SHORT)], 2, on_done=first_done.append)
    wait_for(lambda: first_done)
    runs.submit([small_scenario(*SHORT)], 1, on_done=second_done.append)
    wait_for(lambda: second_done)
    assert not first.cancelled and first.done == first.total


def test_a_worker_killed_from_outside_fails_its_study_and_the_next_study_runs_on_a_fresh_pool():
    pool = BackgroundRuns(jobs=1)
    try:
        errors, results = [], []
        pool.submit([small_scenario("horizon_days=1800", "warm_up_days=7", "drain_days=7")], 1,
                    on_error=errors.append)
        time.sleep(1.5)
        for worker in list(pool._pool._processes.values()):
            os.kill(worker.pid, signal.SIGKILL)  # as the out-of-memory killer would
        wait_for(lambda: errors, 60)
        pool.submit([small_scenario(*SHORT)], 1, on_done=results.append)
        wait_for(lambda: results, 120)
    finally:
        pool.close()
    assert "terminated abruptly" in str(errors[0]) and set(results[0].per_replication["replication"]) == {0}


def test_background_workers_are_spawned_not_forked_from_a_process_with_threads(runs):
    # a child forked while another thread holds a lock (an import, a stream) can wait for it forever
    assert runs._context.get_start_method() == "spawn"


def test_a_running_replication_of_a_cancelled_study_is_stopped_by_its_worker(runs):
    warm = []
    runs.submit([small_scenario(*SHORT)], 2, on_done=warm.append)
    wait_for(lambda: warm)  # both workers have started
    study = runs.submit([small_scenario("horizon_days=1800", "warm_up_days=7", "drain_days=7")], 2)
    time.sleep(1.5)
    runs.cancel()
    assert not concurrent.futures.wait(study.futures, timeout=60).not_done
    endings = ["dropped" if f.cancelled() else type(f.exception()).__name__ for f in study.futures]
    assert "TaskStopped" in endings and set(endings) <= {"TaskStopped", "dropped"}


# --------------------------------------------------------------------------- the explorer's widgets


@pytest.fixture
def page(runs):
    view = explorer.Explorer([PARAMS / "luzhou_baseline.yaml", PARAMS / "luzhou_2034.yaml"], SMALL + SHORT,
                             replications=2, runs=runs, debounce_s=0.2)
    yield view
    view._timer and view._timer.cancel()


def test_quick_changes_are_debounced_into_one_run(page, runs):
    submitted = []
    original = runs.submit
    runs.submit = lambda *a, **k: submitted.append(a) or original(*a, **k)
    try:
        workers = page.controls[0][1]
        for value in (10, 11, 12):
            workers.value = value
            time.sleep(0.02)
        assert "gridgov-stale" in page.table_box._dom_classes
        page.wait()
    finally:
        runs.submit = original
    assert len(submitted) == 1 and submitted[0][0][0].workforce.grid_workers == 12
    assert "gridgov-stale" not in page.table_box._dom_classes


def test_a_pinned_run_gives_paired_differences_with_intervals(page):
    page.start()
    page.wait()
    page.pin()
    page.controls[0][1].value = 30
    page.wait()
    difference = messages.text("app.difference")
    assert difference in page.table.value and messages.text("app.pinned_run") in page.table.value
    rows = explorer.kpi_rows(page.current, page.pinned, ["service"])
    on_time = next(r for r in rows if r[messages.text("table.kpi")] == messages.kpi_label("on_time_rate"))
    assert on_time[difference].startswith("+") and "[" in on_time[difference]  # more workers: more on time


def test_one_replication_says_it_has_no_interval(page):
    page.replications.value = 1
    page.wait()
    assert messages.text("no_interval") in page.table.value
    assert messages.text("no_interval") in page.status.value


def test_switching_scenario_says_what_it_resets(page):
    page.controls[0][1].value = 20
    page.picker.value = "luzhou_2034"
    note = page.scenario_note.value
    assert messages.text("lever.workforce.grid_workers") in note and "20" in note and "→" in note


def test_a_lever_is_hidden_as_soon_as_the_setting_stops_it_acting(runs):
    view = explorer.Explorer([PARAMS / "luzhou_deadline_24h.yaml"], SMALL + SHORT + ["workforce.hiring_batches=[]"],
                             replications=1, runs=runs, debounce_s=0.05)
    assert view.boxes["dispatch.resolution_deadline_h"].layout.display == ""
    view._offer(view.base().with_values({"deadline_response.enabled": False}))
    assert view.boxes["dispatch.resolution_deadline_h"].layout.display == "none"
    assert messages.text("app.hidden_deadline") in view.hidden_note.value


def test_a_setting_the_schema_refuses_is_said_on_the_page_and_nothing_runs(page):
    page.bases[page.picker.value] = page.base().with_values(
        {"horizon_days": 91, "workforce.hiring_batches": [{"size": 1, "start_day": 80}]})
    page.start()  # at the page's 21 days the batch would start after the horizon
    assert "gridgov-error" in page.status.value and "horizon" in page.status.value
    assert page._error is not None


# --------------------------------------------------------------------------- staffing: computed once


def test_a_staffing_sweep_is_computed_once_and_read_back(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("GRIDGOV_CACHE", str(tmp_path))
    scenario = small_scenario(*SHORT)
    view = StaffingView(lambda: scenario, replications=2, runs=runs)
    view.start()
    wait_for(lambda: "gridgov-done" in view.status._dom_classes)
    assert list(tmp_path.glob("staffing/*.csv"))
    computed = view.table.value
    again = StaffingView(lambda: scenario, replications=2, runs=runs)  # a new page: the cache on disk
    monkeypatch.setattr(runs, "submit", lambda *a, **k: pytest.fail("the sweep ran again"))
    again.start()
    assert again.table.value == computed
    assert messages.text("app.staffing_reused") in again.status.value
    assert head_counts(scenario) == [7, 10, 14, 18, 21, 28]


def test_the_staffing_verdict_is_in_chinese_too():
    import pandas as pd

    table = pd.DataFrame({"head_count": [10, 20], "on_time_mean": [0.9, 0.97], "on_time_ci_low": [0.85, 0.96],
                          "on_time_ci_high": [0.95, 0.98]})
    text = staffing.staffing_verdict(table, 0.95, 20, "参考", "zh")
    assert "**20**名网格员" in text and "能有把握地达到目标" in text


# --------------------------------------------------------------------------- the app and clean notebooks


def test_the_app_serves_a_copy_of_the_explorer_without_prose_in_its_language(tmp_path):
    page = app.parameterised_explorer(tmp_path, "zh")
    book = nbformat.read(page, as_version=4)
    assert all(cell.cell_type == "code" for cell in book.cells)
    source = "\n".join(cell.source for cell in book.cells)
    assert "language = \"zh\"" in source and str(PARAMS / "luzhou_baseline.yaml") in source
    assert {"--port=8123", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"} <= set(app.command(page, 8123))


def test_app_refuses_an_unknown_language_with_exit_2():
    result = subprocess.run([sys.executable, "-m", "sim", "app", "--language", "fr"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "--language" in result.stderr and "Traceback" not in result.stderr


def notebook_with_outputs() -> dict:
    return {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 3,
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]},
                      {"cell_type": "markdown", "source": "# t", "metadata": {}}],
            "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
            "nbformat": 4, "nbformat_minor": 5}


def test_saving_a_shipped_notebook_strips_its_outputs_and_widget_state():
    class Manager:
        root_dir = str(ROOT)

    model = {"type": "notebook", "content": notebook_with_outputs()}
    notebook_hygiene.strip_on_save(model, "notebooks/explore.ipynb", Manager())
    code = model["content"]["cells"][0]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert "widgets" not in model["content"]["metadata"]


def test_saving_a_notebook_elsewhere_keeps_its_outputs(tmp_path):
    class Manager:
        root_dir = str(tmp_path)

    model = {"type": "notebook", "content": notebook_with_outputs()}
    notebook_hygiene.strip_on_save(model, "mine.ipynb", Manager())
    assert model["content"]["cells"][0]["outputs"]


def test_jupyter_is_configured_to_strip_on_save():
    config = json.loads((ROOT / "jupyter-config/jupyter_server_config.d/gridgov.json").read_text())
    hook = config["ContentsManager"]["pre_save_hook"]
    assert hook == "sim.reporting.notebook_hygiene.strip_on_save"
    installed = ROOT / ".venv/etc/jupyter/jupyter_server_config.d/gridgov.json"
    if sys.prefix == str(ROOT / ".venv"):
        assert json.loads(installed.read_text()) == config  # make install put it where Jupyter looks


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_a_committed_notebook_has_no_outputs_and_no_widget_state(path):
    book = json.loads(path.read_text())
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in book["cells"]
               if c["cell_type"] == "code")
    assert "widgets" not in book["metadata"]


def test_a_background_thread_may_update_the_page_while_a_run_goes_on(page):
    page.start()
    moved = threading.Event()
    threading.Thread(target=lambda: (setattr(page.controls[0][1], "value", 9), moved.set())).start()
    assert moved.wait(5)  # the page answers while replications run in worker processes
    page.wait()
