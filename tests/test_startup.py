"""Starting is quick: `import sim`, building the command line and the batch's notebook child load no heavy library.

Each check runs in a fresh interpreter, so that what this test process has already imported
does not count. How long start-up takes is measured by benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim

HEAVY = ("numpy", "pandas", "scipy", "pydantic", "simpy", "matplotlib")


def heavy_modules_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running code."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_sim_and_building_the_command_line_imports_no_heavy_library():
    code = ("import contextlib, io, sim, sim.cli\n"
            "parser = sim.cli.build_parser()\n"
            "parser.parse_args(['run', 'params/luzhou_baseline.yaml', '-n', '3'])\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    parser.parse_args(['--help'])")
    assert heavy_modules_after(code) == []


def test_the_batch_notebook_child_imports_no_heavy_library():
    assert heavy_modules_after("import sim.batch.child") == []


def test_every_public_name_of_sim_is_there_on_first_use():
    from sim.errors import InputError
    from sim.experiment.runs import simulate
    from sim.params import load_scenario

    assert all(getattr(sim, name) is not None for name in sim.__all__)
    assert sim.InputError is InputError and sim.simulate is simulate and sim.load_scenario is load_scenario
    assert set(sim.__all__) <= set(dir(sim))


def test_a_name_sim_does_not_have_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        _ = sim.simulat


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="die_with_parent arms a Linux signal")
def test_a_notebook_child_whose_batch_is_gone_exits_at_once_without_running_the_notebook(tmp_path):
    spec = {"notebook": str(tmp_path / "missing.ipynb"), "output": str(tmp_path / "out.ipynb"), "parameters": {},
            "cwd": str(tmp_path), "kernel": "none", "shutdown_wait_s": 1, "parent": os.getpid() + 1_000_000}
    result = subprocess.run([sys.executable, "-m", "sim.batch.child", json.dumps(spec)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and result.stderr == "" and not (tmp_path / "out.ipynb").exists()
