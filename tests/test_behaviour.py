"""Scenarios that handle their cases alike: their on-time differences come from the yardstick alone."""

from __future__ import annotations

import pandas as pd

from sim.analysis.behaviour import BEHAVIOUR_KPIS, same_behaviour, yardstick_only


def per_replication(behaviour: dict[str, list[float]], on_time: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for scenario, values in behaviour.items():
        for replication, value in enumerate(values):
            rows += [{"scenario": scenario, "replication": replication, "kpi": kpi, "value": value}
                     for kpi in BEHAVIOUR_KPIS]
            rows.append({"scenario": scenario, "replication": replication, "kpi": "on_time_rate",
                         "value": on_time[scenario][replication]})
    return pd.DataFrame(rows)


def test_deadlines_that_change_nothing_but_the_count_of_late_cases_are_the_yardstick_alone():
    frame = per_replication({"h24": [20.0, 21.0], "h72": [20.0, 21.0], "more_staff": [15.0, 16.0]},
                            {"h24": [0.8, 0.81], "h72": [0.9, 0.91], "more_staff": [0.95, 0.96]})
    assert same_behaviour(frame) == [["h24", "h72"]]
    assert yardstick_only(frame) == [["h24", "h72"]]


def test_scenarios_alike_within_a_tenth_of_a_percent_are_grouped_but_not_beyond():
    frame = per_replication({"a": [20.0, 21.0], "b": [20.01, 21.0], "c": [20.1, 21.0]},
                            {"a": [0.8, 0.8], "b": [0.9, 0.9], "c": [0.9, 0.9]})
    assert same_behaviour(frame) == [["a", "b"]]


def test_scenarios_alike_in_everything_are_not_a_yardstick_difference():
    frame = per_replication({"a": [20.0, 21.0], "a_again": [20.0, 21.0]}, {"a": [0.8, 0.8], "a_again": [0.8, 0.8]})
    assert same_behaviour(frame) == [["a", "a_again"]]
    assert yardstick_only(frame) == []
