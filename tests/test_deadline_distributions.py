"""Per-case time limits drawn from a distribution, for a category's cases and for the department's limit when
they are whistled: each from a stream of its own, off by default, validated with the parameter named."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.arrivals import limits_from_uniform
from sim.core.district import District
from sim.core.stations import DEPARTMENT
from sim.errors import InputError
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS
from sim.params.deadlines import DeadlineDistribution

from .conftest import small_scenario

SANITATION = "cases.categories.sanitation"
FACILITIES = "cases.categories.public_facilities"  # 30 % of its cases go straight to a department
LOGNORMAL = f"{SANITATION}.deadline_distribution={{form: lognormal, mean_h: 48, cv: 0.8}}"
ATOMS = (f"{SANITATION}.deadline_distribution={{form: quantiles, quantiles: [{{p: 0, deadline_h: 73.5}}, "
         "{p: 0.87, deadline_h: 73.5}, {p: 0.870001, deadline_h: 720}, {p: 1, deadline_h: 720}]}")


def cases_of(*overrides: str, seed: int = 3):
    return District(small_scenario(*overrides), seed, 0, MECHANISMS).run().cases


def arrival_limits(log, category: int = 0) -> np.ndarray:
    """The limits of a category's cases never whistled (whose due time is the one drawn at arrival)."""
    kept = (log["category"] == category) & np.isnan(log["whistled_h"])
    return (log["due_h"] - log["arrived_h"])[kept]


def whistle_limits(log, category: int) -> np.ndarray:
    whistled = (log["category"] == category) & ~np.isnan(log["whistled_h"])
    return (log["due_h"] - log["whistled_h"])[whistled]


# --------------------------------------------------------------------------- the distributions themselves


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["lognormal", "gamma"]), st.floats(1, 500), st.floats(0.1, 3), st.lists(
    st.floats(0, 1), min_size=2, max_size=20))
def test_a_higher_uniform_always_gives_a_longer_limit(form, mean, cv, us):
    spec = DeadlineDistribution(form=form, mean_h=mean, cv=cv)
    u = np.sort(np.asarray(us))
    limits = limits_from_uniform(spec, u)
    assert np.all(np.diff(limits) >= 0) and np.all(limits > 0)


@pytest.mark.parametrize("form", ["lognormal", "gamma"])
def test_a_parametric_limit_has_the_mean_and_cv_it_is_given(form):
    u = (np.arange(200_000) + 0.5) / 200_000  # an even grid of quantiles: the integral of the quantile function
    limits = limits_from_uniform(DeadlineDistribution(form=form, mean_h=48, cv=0.8), u)
    assert limits.mean() == pytest.approx(48, rel=0.01)
    assert limits.std() / limits.mean() == pytest.approx(0.8, rel=0.03)


def test_a_truncated_limit_stays_within_its_bounds_and_keeps_the_order_of_the_uniforms():
    spec = DeadlineDistribution(form="gamma", mean_h=48, cv=1.5, min_h=12, max_h=96)
    u = np.linspace(0, 1, 1001)
    limits = limits_from_uniform(spec, u)
    assert limits.min() >= 12 - 1e-9 and limits.max() <= 96 + 1e-9
    assert limits[0] == pytest.approx(12, rel=1e-6) and limits[-1] == pytest.approx(96, rel=1e-6)


def test_an_empirical_quantile_function_is_interpolated_between_its_points():
    spec = DeadlineDistribution(form="quantiles", quantiles=[{"p": 0, "deadline_h": 24}, {"p": 0.5, "deadline_h": 48},
                                                             {"p": 1, "deadline_h": 168}])
    assert limits_from_uniform(spec, np.array([0, 0.25, 0.5, 0.75, 1])).tolist() == [24, 36, 48, 108, 168]


# --------------------------------------------------------------------------- a category's limit drawn per case


def test_a_category_s_limits_are_drawn_from_its_distribution_from_a_stream_of_their_own():
    plain, drawn = cases_of(), cases_of(LOGNORMAL)
    limits = arrival_limits(drawn)
    assert len(limits) > 500
    assert len(np.unique(np.round(limits, 9))) > 0.99 * len(limits)  # a continuous distribution, not one limit
    assert limits.mean() == pytest.approx(48, rel=0.1)
    np.testing.assert_array_equal(plain["arrived_h"], drawn["arrived_h"])  # the other draws do not move
    np.testing.assert_array_equal(plain["grid"], drawn["grid"])
    np.testing.assert_array_equal(plain["initial_level"], drawn["initial_level"])
    assert set(np.round(arrival_limits(plain), 9)) == {48.0}  # off by default: the category's one limit


def test_an_empirical_quantile_function_with_two_atoms_reproduces_a_log_s_mixture():
    limits = arrival_limits(cases_of(ATOMS))
    assert np.mean(np.isclose(limits, 720.0)) == pytest.approx(0.13, abs=0.02)
    assert np.mean(np.isclose(limits, 73.5) | np.isclose(limits, 720.0)) > 0.999


def test_drawn_limits_change_which_cases_are_served_first_not_only_the_yardstick():
    """Earliest deadline first: the same cases in another order, so times to close move."""
    plain = simulate(small_scenario("dispatch.queue_discipline=edf"), seed=3, case_log=False).kpis
    drawn = simulate(small_scenario("dispatch.queue_discipline=edf", LOGNORMAL), seed=3, case_log=False).kpis
    assert drawn["wait_mean_h"] != pytest.approx(plain["wait_mean_h"], rel=1e-6)
    assert drawn["ttc_p90_h"] != pytest.approx(plain["ttc_p90_h"], rel=1e-6)


# --------------------------------------------------------------------------- the department's limit when whistled


def test_a_whistled_case_gets_the_department_s_limit_drawn_from_its_category_s_mixture():
    mix = f"{FACILITIES}.resolution_deadline_mix=[{{deadline_h: 720, share: 0.13}}, {{deadline_h: 73.5, share: 0.87}}]"
    plain, drawn = cases_of(), cases_of(mix)
    limits = whistle_limits(drawn, 1)
    assert len(limits) > 100 and set(np.round(limits, 6)) == {720.0, 73.5}
    assert np.mean(np.isclose(limits, 720.0)) == pytest.approx(0.13, abs=0.09)  # 3 sd with 148 cases
    np.testing.assert_array_equal(arrival_limits(plain, 1), arrival_limits(drawn, 1))  # only the whistle's moves
    others = whistle_limits(drawn, 2)
    assert len(others) > 0 and set(np.round(others, 6)) == set(np.round(whistle_limits(plain, 2), 6)) == {168.0}


def test_a_whistled_case_keeps_its_quantile_whatever_the_distribution_of_the_limit():
    """Common random numbers: the same case is as far up a 24 h as a 72 h lognormal (same cv)."""
    def limits(mean: int) -> np.ndarray:
        log = cases_of("dispatch.queue_discipline=fcfs",
                       f"{FACILITIES}.resolution_deadline_distribution={{form: lognormal, mean_h: {mean}, cv: 0.5}}")
        direct = (log["category"] == 1) & (log["initial_level"] == DEPARTMENT)
        return (log["due_h"] - log["whistled_h"])[direct]

    short, long = limits(24), limits(72)
    assert len(short) > 20
    np.testing.assert_allclose(long, 3 * short, rtol=1e-9)


def test_a_drawn_department_limit_changes_what_the_departments_do():
    """With the responses on, a limit drawn around 24 h rather than one 72 h limit brings overtime forward."""
    on = ["deadline_response.enabled=true", "deadline_response.overtime.enabled=true",
          "deadline_response.compression.enabled=true"]
    drawn = f"{FACILITIES}.resolution_deadline_distribution={{form: gamma, mean_h: 24, cv: 1, min_h: 2}}"
    plain = simulate(small_scenario(*on, "dispatch.resolution_deadline_h=72"), seed=3, case_log=False).kpis
    short = simulate(small_scenario(*on, "dispatch.resolution_deadline_h=72", drawn), seed=3, case_log=False).kpis
    assert short["compressed_share"] > plain["compressed_share"]
    assert short["whistled_ttc_mean_h"] != pytest.approx(plain["whistled_ttc_mean_h"], rel=1e-6)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("override", "named"), [
    (f"{SANITATION}.deadline_distribution={{form: lognormal, mean_h: 48}}", "takes mean_h and cv"),
    (f"{SANITATION}.deadline_distribution={{form: weibull, mean_h: 48, cv: 1}}", "'lognormal', 'gamma' or 'quantiles'"),
    (f"{SANITATION}.deadline_distribution={{form: gamma, mean_h: 48, cv: -1}}", "cv: got -1"),
    (f"{SANITATION}.deadline_distribution={{form: gamma, mean_h: 48, cv: 1, min_h: 50}}", "mean_h = 48"),
    (f"{SANITATION}.deadline_distribution={{form: quantiles, quantiles: [{{p: 0.1, deadline_h: 5}}, "
     "{p: 1, deadline_h: 9}]}", "from p = 0 to p = 1"),
    (f"{SANITATION}.deadline_distribution={{form: quantiles, quantiles: [{{p: 0, deadline_h: 9}}, "
     "{p: 1, deadline_h: 5}]}", "must not decrease"),
    (f"{SANITATION}.deadline_distribution={{form: quantiles, mean_h: 4, quantiles: [{{p: 0, deadline_h: 5}}, "
     "{p: 1, deadline_h: 9}]}", "takes only quantiles"),
    (f"{SANITATION}.resolution_deadline_mix=[{{deadline_h: 24, share: 0.5}}]", "resolution_deadline_mix shares"),
])
def test_a_bad_limit_distribution_is_refused_with_the_parameter_named(override, named):
    with pytest.raises(InputError, match=re.escape(named)) as error:
        small_scenario(override)
    assert "cases.categories.sanitation" in str(error.value)


def test_a_limit_is_given_one_way_only():
    with pytest.raises(InputError, match="give at most one of deadline_mix, deadline_distribution"):
        small_scenario(LOGNORMAL, f"{SANITATION}.deadline_mix=[{{deadline_h: 24, share: 1}}]")
    with pytest.raises(InputError, match="resolution_deadline_h and resolution_deadline_distribution"):
        small_scenario(f"{SANITATION}.resolution_deadline_h=24",
                       f"{SANITATION}.resolution_deadline_distribution={{form: lognormal, mean_h: 48, cv: 1}}")


def test_the_limit_stays_finite_and_positive_however_long_the_tail():
    spec = DeadlineDistribution(form="lognormal", mean_h=48, cv=10)
    limits = limits_from_uniform(spec, np.array([0.0, 1e-300, 0.5, 1 - 1e-16, 1.0]))
    assert np.all(np.isfinite(limits)) and np.all(limits > 0) and limits.max() <= 24 * 3650 + 1e-6
    assert not math.isnan(limits.sum())
