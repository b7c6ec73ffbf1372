"""Prevention and participation (issue 7): patrols and latent problems, informants, mediation, burden,
micro-wishes. Each test names the behaviour it specifies; all run on the small district."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis import registry
from sim.core.district import District
from sim.errors import InputError
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS, run_replication
from sim.mechanisms.micro_wishes import FULFILLED, IN_SERVICE, LAPSED, WAITING
from sim.mechanisms.prevention import ERUPTED, FOUND_INFORMANT, FOUND_PATROL

from .conftest import small_scenario

LATENT = ["latent.enabled=true"]
PATROL = ["patrol.enabled=true"]
INFORMANTS = [
    "informants.enabled=true",
    "informants.groups={chiefs: {per_1000_households: 70, households_each: 14, passes_per_week: 7, report_probability: "
    "0.1}}",
]


def outcomes(raw) -> np.ndarray:
    latent = raw.extensions["prevention"]["latent"]
    return latent["outcome"][latent["erupts_h"] < raw.end_h]


# --------------------------------------------------------------------------- switched off


def test_with_every_mechanism_off_nothing_new_is_drawn_or_reported(small):
    district = District(small, 3, 0, MECHANISMS)
    raw = district.run()
    assert sorted(raw.extensions) == ["costs", "succession"]  # these always run; with no departures they draw nothing
    prefixes = ("latent.", "patrol.", "mediation.", "wishes.")
    assert not [name for name in district.streams._generators if name.startswith(prefixes)]
    levers = {*registry.in_group("prevention"), *registry.in_group("participation"), *registry.in_group("time_use")}
    assert not levers & set(simulate(small, seed=3).kpis)


# --------------------------------------------------------------------------- latent problems and patrols


def test_with_patrols_and_informants_off_every_latent_problem_erupts():
    raw = run_replication(small_scenario(*LATENT), seed=1)
    assert len(outcomes(raw)) > 50
    assert (outcomes(raw) == ERUPTED).all()


def test_with_perfect_detection_no_latent_problem_erupts():
    raw = run_replication(small_scenario(*LATENT, *PATROL, "patrol.detection_probability=1",
                                         "latent.eruption_delay_mean_h=400", "latent.eruption_delay_cv=0",
                                         "workforce.grid_workers=44"), seed=1)
    assert len(outcomes(raw)) > 50
    assert (outcomes(raw) == FOUND_PATROL).all()


def test_an_erupted_problem_is_a_resident_complaint_with_more_work_and_a_shorter_deadline():
    scenario = small_scenario(*LATENT)
    run = simulate(scenario, seed=1)
    latent = run.tables["latent_problems"]
    erupted = latent[latent["outcome"] == "erupted"]
    cases = run.case_log.set_index("id").loc[erupted["case_id"]]
    assert (cases["source"] == "resident_report").all()
    cases = cases[cases["whistled_h"].isna()]  # a whistled case gets the department's limit instead
    deadline = cases["category"].map({n: c.deadline_h for n, c in scenario.cases.categories.items()}).astype(float)
    np.testing.assert_allclose(cases["due_h"] - cases["arrived_h"], deadline * scenario.latent.eruption_deadline_factor)


def test_patrol_coverage_falls_when_the_case_load_rises():
    """The trade-off is emergent: patrol is what case work leaves of a shift."""
    light = simulate(small_scenario(*PATROL, *LATENT), seed=2, case_log=False).kpis
    heavy = simulate(small_scenario(*PATROL, *LATENT, "cases.categories.sanitation.rate_per_household_per_year=2.5"),
                     seed=2, case_log=False).kpis
    assert heavy["patrol_coverage"] < light["patrol_coverage"]
    assert heavy["latent_found_before_eruption_share"] < light["latent_found_before_eruption_share"]


def test_with_patrols_on_a_grid_worker_shift_is_cases_patrol_burden_and_other_duties():
    """Conservation of worker time: idle (the remainder) is ~0 on shift when patrols fill it."""
    use = simulate(small_scenario(*PATROL, *LATENT, "burden.enabled=true"), seed=4).tables["time_use"]
    grid = use.set_index("role").loc["grid_worker"]
    assert grid["patrol_h"] > 0 and grid["cases_h"] > 0 and grid["burden_h"] > 0
    assert abs(grid["idle_h"]) < 0.015 * grid["shift_h"]
    parts = grid[["cases_h", "patrol_h", "burden_h", "other_h", "idle_h"]].sum()
    assert parts == pytest.approx(grid["shift_h"])


def test_a_case_waits_for_a_patrol_visit_to_end_so_patrols_cost_some_waiting():
    """Visits are not interrupted. Same case-time share (0.9 = 1 - other duties) with and without patrols."""
    same = ("workforce.grid_workers=30", "workforce.grid_case_time_share=0.9")
    off = simulate(small_scenario(*same), seed=2, case_log=False).kpis
    on = simulate(small_scenario(*same, *PATROL), seed=2, case_log=False).kpis
    assert on["patrol_coverage"] > 0.9
    assert on["wait_mean_h"] > off["wait_mean_h"]


# --------------------------------------------------------------------------- informants


def test_informants_report_latent_problems_and_doubling_them_finds_more_before_eruption():
    one = run_replication(small_scenario(*LATENT, *INFORMANTS), seed=1)
    two = run_replication(small_scenario(*LATENT, *INFORMANTS, "informants.groups.chiefs.per_1000_households=140"),
                          seed=1)
    a, b = outcomes(one), outcomes(two)
    assert (a == FOUND_INFORMANT).sum() > 0
    # Same problems (common random numbers), every report twice as early: whatever one finds, two finds.
    assert ((a == FOUND_INFORMANT) <= (b == FOUND_INFORMANT)).all()
    assert (b == FOUND_INFORMANT).sum() > (a == FOUND_INFORMANT).sum()


def test_an_informant_report_becomes_a_case_with_the_informant_source():
    run = simulate(small_scenario(*LATENT, *INFORMANTS), seed=1)
    latent = run.tables["latent_problems"]
    reported = latent[latent["outcome"] == "found_informant"]
    assert (run.case_log.set_index("id").loc[reported["case_id"], "source"] == "informant").all()
    assert run.kpis["informant_reports"] > 0


# --------------------------------------------------------------------------- mediation


def test_mediation_success_converges_to_its_probability():
    raw = run_replication(small_scenario("mediation.enabled=true", "mediation.success_probability=0.7",
                                         "cases.categories.disputes.rate_per_household_per_year=2",
                                         "mediation.mediators_per_1000_households=300"), seed=6)
    agreed = raw.extensions["mediation"]["agreed"]
    n = len(agreed)
    assert n > 1000
    assert abs(agreed.mean() - 0.7) < 4 * math.sqrt(0.7 * 0.3 / n)


def test_a_failed_mediation_is_whistled_to_the_department_with_its_deadline():
    scenario = small_scenario("mediation.enabled=true", "mediation.success_probability=0.5")
    run = simulate(scenario, seed=6)
    med = run.tables["mediations"]
    log = run.case_log.set_index("id")
    failed = log.loc[med[~med["agreed"]]["case_id"]]
    agreed = log.loc[med[med["agreed"]]["case_id"]]
    assert len(failed) > 5 and len(agreed) > 5
    assert failed["whistled_h"].notna().all()
    np.testing.assert_allclose(failed["due_h"] - failed["whistled_h"], scenario.dispatch.resolution_deadline_h)
    assert (agreed["level"] == "community").all() and agreed["whistled_h"].isna().all()
    assert (log.loc[med["case_id"], "category"] == "disputes").all()


def test_mediators_time_is_not_community_workers_time():
    raw = run_replication(small_scenario("mediation.enabled=true"), seed=6)
    assert raw.extensions["mediation"]["busy_h"] > 0
    assert len(raw.busy_h) == 3  # community utilisation counts community workers only


# --------------------------------------------------------------------------- burden


def test_burden_reduction_frees_exactly_the_hours_removed_and_they_go_to_patrol_and_cases():
    full = simulate(small_scenario(*PATROL, "burden.enabled=true"), seed=4)
    half = simulate(small_scenario(*PATROL, "burden.enabled=true", "burden.reduction_share=0.5"), seed=4)
    a, b = (r.tables["time_use"].set_index("role") for r in (full, half))
    removed = (a["burden_h"] - b["burden_h"]).sum()
    assert removed > 0
    assert half.kpis["burden_hours_freed"] == pytest.approx(removed)
    assert full.kpis["burden_hours_freed"] == 0
    grid_gain = (b.loc["grid_worker", ["cases_h", "patrol_h"]].sum() - a.loc["grid_worker", ["cases_h",
                                                                                             "patrol_h"]].sum())
    grid_removed = a.loc["grid_worker", "burden_h"] - b.loc["grid_worker", "burden_h"]
    assert grid_gain == pytest.approx(grid_removed, rel=0.05)
    assert half.kpis["burden_hours_per_worker_week"] == pytest.approx(0.5 * full.kpis["burden_hours_per_worker_week"])
    assert half.kpis["patrol_coverage"] > full.kpis["patrol_coverage"]


def test_burden_that_leaves_no_time_for_cases_is_rejected():
    with pytest.raises(InputError, match="burden"):
        small_scenario("burden.enabled=true", "burden.grid_worker_hours_per_week=44")


# --------------------------------------------------------------------------- micro-wishes


def test_every_micro_wish_is_fulfilled_lapsed_in_service_or_waiting():
    raw = run_replication(small_scenario("micro_wishes.enabled=true"), seed=2)
    state = raw.extensions["micro_wishes"]["state"]
    assert len(state) > 20
    counts = [(state == s).sum() for s in (FULFILLED, LAPSED, IN_SERVICE, WAITING)]
    assert sum(counts) == len(state) and counts[0] > 0


def test_without_volunteers_no_micro_wish_is_fulfilled():
    kpis = simulate(small_scenario("micro_wishes.enabled=true", "micro_wishes.volunteers_per_community=0"),
                    seed=2, case_log=False).kpis
    assert kpis["micro_wish_fulfilment_rate"] == 0 and kpis["micro_wish_lapsed_share"] > 0.9


def test_a_fulfilled_wish_waited_at_least_the_dispatch_delay():
    run = simulate(small_scenario("micro_wishes.enabled=true"), seed=2)
    w = run.tables["micro_wishes"]
    done = w[w["state"] == "fulfilled"]
    assert (done["accepted_h"] - done["posted_h"] >= 24 - 1e-9).all()
    assert (done["fulfilled_h"] > done["accepted_h"]).all()
    assert run.kpis["micro_wish_wait_p50_h"] >= 24


# --------------------------------------------------------------------------- staggered hours


def test_staggered_posts_keep_the_shift_hours_and_the_time_accounting_balances():
    office = simulate(small_scenario(*PATROL), seed=4).tables["time_use"].set_index("role").loc["grid_worker"]
    run = simulate(small_scenario(*PATROL, "staggered_hours.enabled=true", "staggered_hours.share_of_grid_posts=0.5"),
                   seed=4)
    staggered = run.tables["time_use"].set_index("role").loc["grid_worker"]
    assert staggered["shift_h"] == pytest.approx(office["shift_h"], rel=0.02)  # both calendars have 45 h a week
    assert abs(staggered["idle_h"]) < 0.015 * staggered["shift_h"]


def test_staggered_posts_work_on_saturday():
    district = District(small_scenario("staggered_hours.enabled=true", "staggered_hours.share_of_grid_posts=0.5"), 4, 0,
                        MECHANISMS)
    calendars = {id(s.calendar): s.calendar for s in district.handling.grid_station_of}
    saturday_noon = 5 * 24 + 12
    assert sorted(c.on_shift(saturday_noon) for c in calendars.values()) == [False, True]


def test_a_revisit_interval_caps_patrols_and_leaves_spare_time_idle():
    run = simulate(small_scenario(*PATROL, "workforce.grid_workers=44", "patrol.revisit_interval_h=12"), seed=4)
    grid = run.tables["time_use"].set_index("role").loc["grid_worker"]
    assert run.kpis["patrol_visits_per_grid_week"] <= 7
    assert run.kpis["patrol_coverage"] > 0.9
    assert grid["idle_h"] > 0.05 * grid["shift_h"]


# --------------------------------------------------------------------------- the notebook


def test_the_scorecard_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from .conftest import ROOT

    notebook = nbformat.read(ROOT / "notebooks" / "prevention_scorecards.ipynb", as_version=4)
    env_path = str(ROOT)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {env_path!r})"))
    nbclient.NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]


def test_on_saturday_only_the_staggered_posts_are_on_duty():
    raw = run_replication(small_scenario("staggered_hours.enabled=true", "staggered_hours.share_of_grid_posts=0.5"), 4)
    saturday_noon = list(raw.timeseries["t_h"]).index(5 * 24 + 12)
    on_duty = raw.timeseries["on_duty_grid_worker"][saturday_noon]
    assert 0 < on_duty < raw.timeseries["grid_workers"][saturday_noon]


def test_with_every_mechanism_on_the_same_seed_gives_identical_results():
    on = ["patrol.enabled=true", "latent.enabled=true", *INFORMANTS, "mediation.enabled=true", "burden.enabled=true",
          "micro_wishes.enabled=true", "staggered_hours.enabled=true", "patrol.revisit_interval_h=6"]
    a, b = simulate(small_scenario(*on), seed=9), simulate(small_scenario(*on), seed=9)
    np.testing.assert_equal(a.kpis, b.kpis)  # NaN equals NaN
    assert a.case_log.equals(b.case_log)
