"""The notebooks: committed without outputs, parameterised, executable top to bottom under papermill.

The scenario and comparison notebooks are executed by the smoke batch (tests/test_batch.py);
the staffing and exploration notebooks run here with tiny parameters.
"""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import papermill
import pytest

from sim.batch.execute import execute_in_child
from sim.batch.plan import NOTEBOOK_DIR
from sim.reporting import notebook, staffing

from .conftest import PARAMS, SMALL

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_the_four_notebooks_are_shipped():
    assert {"explore.ipynb", "scenario.ipynb", "compare.ipynb", "staffing.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_is_committed_without_outputs_and_has_a_parameters_cell(path):
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in book.cells) == 1
    assert papermill.inspect_notebook(str(path))  # papermill can read every default


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_keeps_its_logic_in_sim(path):
    book = nbformat.read(path, as_version=4)
    lines = [line.strip() for c in book.cells if c.cell_type == "code" for line in c.source.splitlines()]
    for forbidden in ("def ", "class ", "for ", "while ", "import simpy", "import numpy", "import pandas"):
        assert not [line for line in lines if line.startswith(forbidden)], forbidden


def execute(name: str, tmp_path, **parameters):
    ok, error = execute_in_child(NOTEBOOK_DIR / name, tmp_path / name, parameters, tmp_path, timeout_s=120)
    assert ok, error
    return nbformat.read(tmp_path / name, as_version=4)


def test_the_staffing_notebook_reports_the_smallest_head_count_meeting_the_target(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDGOV_CACHE", str(tmp_path / "cache"))
    book = execute("staffing.ipynb", tmp_path, scenario_file=str(PARAMS / "luzhou_baseline.yaml"),
                   overrides=SMALL, head_counts=[4, 30], replications=2, reference_head_count=14,
                   reference_label="toy reference", target_on_time_rate=0.5, charts_dir=str(tmp_path / "charts"))
    text = json.dumps([c.outputs for c in book.cells if c.cell_type == "code"])
    assert "smallest head count" in text or "No head count" in text
    assert "toy reference (14 grid workers)" in text
    assert (tmp_path / "charts" / "staffing.png").exists() and (tmp_path / "charts" / "staffing.svg").exists()


def test_the_explore_notebook_renders_the_defaults_once(tmp_path):
    book = execute("explore.ipynb", tmp_path, scenario_files=[str(PARAMS / "luzhou_baseline.yaml")],
                   overrides=SMALL, replications=1, wait_for_first_run=True)
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_the_smallest_head_count_meeting_a_target_needs_the_whole_ci_above_it():
    table = pd.DataFrame({"head_count": [10, 20, 30], "on_time_mean": [0.90, 0.96, 0.99],
                          "on_time_ci_low": [0.85, 0.94, 0.97], "on_time_ci_high": [0.95, 0.98, 1.0]})
    assert staffing.smallest_meeting_target(table, 0.95) == 30
    assert staffing.smallest_meeting_target(table, 0.80) == 10
    assert staffing.smallest_meeting_target(table, 0.99) is None


def test_overrides_may_be_a_mapping_or_set_texts():
    assert notebook.as_overrides({"horizon_days": 30, "workforce.hiring_batches": []}) == [
        "horizon_days=30", "workforce.hiring_batches=[]"]
    assert notebook.as_overrides(["a.b=1"]) == ["a.b=1"]
