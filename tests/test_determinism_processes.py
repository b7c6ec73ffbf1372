"""Determinism across processes: a scenario and seed give the same results in any Python process.

Set and dict iteration over strings (and over objects hashed by id) can differ between
processes: string hashes are salted per process (PYTHONHASHSEED) and ids are addresses, which
depend on everything the process allocated before. A model that lets such an order decide who
is served or patrolled gives results that depend on the process, which a second run in the same
process does not show: patrols iterating a set of stations at shift start did exactly that. So
each run here is a fresh interpreter, and the runs compared differ in their string-hash salt
(checked).

The district is the small one of conftest.py with patrols, latent problems, informants,
mediation and burden on, and fully staffed with frequent revisits, so that workers are idle at
shift starts and the order in which posts set out changes the results. With conftest's 14
workers it does not (no one is idle then: reversing the order leaves the case log unchanged), and
this test could not fail. Checked against the code before the fix (patrols over
`set(grid_station_of)`, commit c90a90a): PYTHONHASHSEED 0, 1, 4 and 5 gave four different case
logs there, and the same one after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import PARAMS, ROOT, SMALL
from .test_prevention import INFORMANTS, LATENT, PATROL

# The small district with the mechanisms whose order of events once depended on the process.
MECHANISMS = [*PATROL, *LATENT, *INFORMANTS, "mediation.enabled=true", "burden.enabled=true"]
# One worker per grid, frequent revisits: workers are idle at shift starts, so the order they set out in matters.
ORDER_MATTERS = ["workforce.grid_workers=44", "patrol.revisit_interval_h=6"]
SEED = 11
HASH_SEEDS = ["0", "1", "4", "5"]

CHILD = """
import hashlib, json, sys
from sim.experiment.runs import simulate
from sim.params import load_scenario

path, overrides, seed = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
run = simulate(load_scenario(path, overrides), seed=seed)
print(json.dumps({
    "string_hash": hash("gridgov"),
    "kpis": run.kpis,
    "case_log_sha256": hashlib.sha256(run.case_log.to_csv(index=False).encode()).hexdigest(),
}, sort_keys=True, default=lambda value: value.item()))
"""


def run_in_fresh_processes(hash_seeds: list[str | None]) -> list[dict]:
    """One run of the scenario per hash seed, each in a new interpreter, concurrently (None: a random salt)."""
    children = []
    for hash_seed in hash_seeds:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
        if hash_seed is not None:
            env["PYTHONHASHSEED"] = hash_seed
        argv = [sys.executable, "-c", CHILD, str(PARAMS / "luzhou_baseline.yaml"),
                json.dumps(SMALL + MECHANISMS + ORDER_MATTERS), str(SEED)]
        children.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True))
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    return results


def kpi_json(result: dict) -> str:
    return json.dumps(result["kpis"], sort_keys=True)


@pytest.fixture(scope="module")
def runs():
    """Two runs with a random string-hash salt each, then one per fixed PYTHONHASHSEED, all started at once."""
    results = run_in_fresh_processes([None, None, *HASH_SEEDS])
    return {"random": results[:2], "fixed": results[2:]}


@pytest.fixture(scope="module")
def random_salts(runs):
    return runs["random"]


@pytest.fixture(scope="module")
def fixed_salts(runs):
    return runs["fixed"]


def test_the_runs_compared_are_in_processes_with_different_string_hashes(random_salts, fixed_salts):
    assert random_salts[0]["string_hash"] != random_salts[1]["string_hash"]
    assert len({r["string_hash"] for r in fixed_salts}) == len(HASH_SEEDS)


def test_the_mechanisms_under_test_are_on_and_report_kpis(random_salts):
    kpis = random_salts[0]["kpis"]
    for name in ("patrol_coverage", "latent_erupted", "informant_reports", "mediation_success_rate",
                 "burden_hours_per_worker_week"):
        assert name in kpis


def test_the_same_seed_gives_identical_kpis_in_two_fresh_processes(random_salts):
    assert kpi_json(random_salts[0]) == kpi_json(random_salts[1])


def test_the_same_seed_gives_identical_case_logs_in_two_fresh_processes(random_salts):
    assert random_salts[0]["case_log_sha256"] == random_salts[1]["case_log_sha256"]


def test_the_same_seed_gives_identical_kpis_under_different_pythonhashseed_values(fixed_salts):
    kpis = {seed: kpi_json(r) for seed, r in zip(HASH_SEEDS, fixed_salts, strict=True)}
    assert kpis == dict.fromkeys(HASH_SEEDS, kpi_json(fixed_salts[0]))


def test_the_same_seed_gives_identical_case_logs_under_different_pythonhashseed_values(fixed_salts):
    digests = {seed: r["case_log_sha256"] for seed, r in zip(HASH_SEEDS, fixed_salts, strict=True)}
    assert digests == dict.fromkeys(HASH_SEEDS, fixed_salts[0]["case_log_sha256"])
