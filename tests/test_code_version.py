"""One code version decides whether finished work is reused: resumed replications and batch scenarios alike.

It hashes the sources themselves (and, for a batch, the scenario notebook's code cells), so an
edit that is not committed changes it too; the git commit is only recorded, never compared.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.batch.plan import plan_batch
from sim.experiment.runs import Run
from sim.results import code_version as versions
from sim.results import store
from sim.results.resume import ReplicationLog

from .conftest import PARAMS

THE_PACKAGE = Path(versions.__file__).resolve().parents[1]


@pytest.fixture
def sources(tmp_path, monkeypatch) -> Path:
    """A copy of the sim/ package that code_version hashes instead of the real one."""
    copy = tmp_path / "sim"
    shutil.copytree(versions.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(versions, "PACKAGE_DIR", copy)
    return copy


def edit(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n# an uncommitted edit\n")


def finished_replication(scenario) -> Run:
    return Run(scenario.name, 1, 0, {"on_time_rate": 0.5}, pd.DataFrame({"hour": [0.0], "backlog": [3]}))


def test_the_code_version_depends_on_the_sources_not_on_where_they_are(sources, monkeypatch):
    copied = versions.code_version()
    monkeypatch.setattr(versions, "PACKAGE_DIR", THE_PACKAGE)
    assert versions.code_version() == copied and copied.startswith(f"{versions.__version__}+")


def test_changing_the_bytes_of_a_source_file_changes_the_code_version(sources):
    before = versions.code_version()
    edit(sources / "core" / "queues.py")
    assert versions.code_version() != before


def test_the_git_commit_does_not_decide_reuse(monkeypatch, small, tmp_path):
    out = tmp_path / "out"
    ReplicationLog(out).save(small, finished_replication(small))
    monkeypatch.setattr(store, "git_commit", lambda: "0" * 40)
    assert ReplicationLog(out).load(small, 1, 0, case_log=False) is not None


def test_a_resume_after_a_source_file_changed_recomputes_the_replication(sources, small, tmp_path):
    out = tmp_path / "out"
    ReplicationLog(out).save(small, finished_replication(small))
    assert ReplicationLog(out).load(small, 1, 0, case_log=False) is not None  # same code: reused
    edit(sources / "core" / "queues.py")
    assert ReplicationLog(out).load(small, 1, 0, case_log=False) is None


def test_a_batch_uses_the_same_code_version_with_its_scenario_notebook(sources):
    plan = plan_batch(PARAMS / "batches" / "smoke.yaml")
    assert plan.code_version == versions.code_version([plan.scenario_notebook])
    assert plan.code_version != versions.code_version()
    edit(sources / "analysis" / "kpis.py")
    assert {s.key for s in plan_batch(PARAMS / "batches" / "smoke.yaml").scenarios}.isdisjoint(
        s.key for s in plan.scenarios)
