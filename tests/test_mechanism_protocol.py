"""The protocol between the core and the mechanisms: hooks are lists, posts are built in one place,
every KPI is declared once, and a lever left off builds nothing and draws nothing."""

from __future__ import annotations

import pytest

from sim.analysis import registry
from sim.core.district import District
from sim.core.hooks import Mechanism
from sim.core.outcomes import BETTER, UNITS
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS, run_replication
from sim.mechanisms.prevention import Prevention

from .conftest import small_scenario

EVERY_LEVER = ["patrol.enabled=true", "latent.enabled=true", "burden.enabled=true", "burden.reduction_share=0.25",
               "staggered_hours.enabled=true", "staggered_hours.share_of_grid_posts=0.5", "mediation.enabled=true",
               "micro_wishes.enabled=true", "informants.enabled=true",
               "informants.groups={riders: {per_1000_households: 5, households_each: 300, passes_per_week: 10, "
               "report_probability: 0.05}}"]


def test_dynamic_grid_staffing_keeps_every_mechanism_s_posts():
    # Defect: re-shared posts ignored staggered hours and the burden budget once attrition was on.
    hiring = "workforce.hiring_batches=[{size: 6, start_day: 10}]"
    static = simulate(small_scenario(*EVERY_LEVER, hiring), seed=5, case_log=False).kpis
    nobody_leaves = simulate(small_scenario(*EVERY_LEVER, hiring, "grid_staffing.attrition_per_year=1e-9"), seed=5,
                             case_log=False).kpis
    assert nobody_leaves["grid_worker_departures"] == 0
    assert nobody_leaves == static


class Counting(Mechanism):
    """A test mechanism on the same idle hook as the patrols: it only counts and never takes the worker."""

    name = section = "counting"
    calls = 0

    @classmethod
    def applies(cls, scenario) -> bool:
        return True

    def attach(self, hooks) -> None:
        hooks.idle.append(self.count)

    def count(self, worker) -> bool:
        type(self).calls += 1
        return False


def test_two_mechanisms_on_one_hook_both_act():
    scenario = small_scenario("patrol.enabled=true")
    alone = District(scenario, 2, 0, MECHANISMS).run()
    Counting.calls = 0
    both = District(scenario, 2, 0, (Counting, *MECHANISMS)).run()
    assert Counting.calls > 0
    visits = [run.extensions["prevention"]["patrol_visits_in_window"] for run in (both, alone)]
    assert visits[0] == visits[1] > 0


def test_a_lever_left_off_is_not_built_and_draws_nothing():
    district = District(small_scenario(), 3, 0, MECHANISMS)
    assert not [m for m in district.mechanisms if isinstance(m, Prevention)]
    district.run()
    assert not [name for name in district.streams._generators if name.startswith(("latent.", "patrol.", "wishes."))]


def test_every_kpi_a_run_reports_is_declared_with_its_unit_direction_and_labels():
    kpis = simulate(small_scenario(*EVERY_LEVER), seed=1, case_log=False).kpis
    undeclared = [name for name in kpis if registry.find(name) is None]
    assert not undeclared
    for name in kpis:
        declaration = registry.kpi(name)
        assert declaration.unit in UNITS and declaration.better in BETTER and declaration.group in registry.GROUPS
        assert declaration.en and declaration.zh and declaration.zh != declaration.en


def test_every_mechanism_declares_what_it_measures():
    raw = run_replication(small_scenario(*EVERY_LEVER), seed=1)
    for mechanism in MECHANISMS:
        if mechanism.name in raw.extensions:
            declared = {k.name for k in mechanism.kpis}
            assert set(mechanism.measure(raw)) <= declared, mechanism.name


def test_a_kpi_family_member_gets_its_family_s_labels():
    assert registry.label("on_time_rate_grid") == "On-time closure rate: grid"
    assert registry.label("on_time_rate_grid", "zh") == "按时办结率:网格"
    with pytest.raises(KeyError, match="not declared"):
        registry.kpi("no_such_kpi")
