"""The package's architecture: one-way imports between its layers, and a docstring on every module.

The contracts live in pyproject.toml (`[tool.importlinter]`); `lint-imports` checks them from the
command line, and these tests check them through import-linter's Python API, each contract a test
that fails with the import chains that break it. The layers, bottom to top: the foundations
(`errors`, `units`, `children`, `limits`), `safe_io` (reading user-named files), `params` (the
scenario schema), `core` (the SimPy model), `mechanisms`, `analysis`, `experiment`, `results`,
`calibration`, then `reporting` and `batch` (independent of each other), then `cli`. Imports inside functions count.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
from importlinter import api  # noqa: F401  (importing it configures import-linter)
from importlinter.application import output, use_cases

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "sim"
MODULES = sorted(PACKAGE.rglob("*.py"))
CONTRACTS = ("layers", "core-and-params-write-no-files", "params-without-model")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.fixture(scope="module")
def report():
    """Every contract of pyproject.toml checked once against the package's import graph."""
    use_cases._register_built_in_contract_types()  # what `lint-imports` does before create_report
    options = use_cases.read_user_options(str(PYPROJECT))
    return use_cases.create_report(options, cache_dir=None)


@pytest.fixture(scope="module")
def contracts(report):
    return {contract.contract_options["id"]: contract for contract, _ in report.get_contracts_and_checks()}


def broken_chains(contract, check) -> str:
    """The contract's failure as lint-imports prints it: every import chain that breaks it."""
    with output.console.capture() as captured:
        contract.render_broken_contract(check)
    warnings = "".join(f"\nwarning: {w}" for w in check.warnings)
    return f"{contract.name}: BROKEN\n{captured.get()}{warnings}"


def check_of(contract, graph):
    return contract.check(copy.deepcopy(graph), verbose=False)


# --------------------------------------------------------------------------- the contracts hold



def with_imports(report, *imports: tuple[str, str]):
    """A copy of the package's import graph with the given (importer, imported) pairs added."""
    graph = copy.deepcopy(report.graph)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    return graph

def test_pyproject_defines_exactly_the_documented_contracts(contracts):
    assert sorted(contracts) == sorted(CONTRACTS)


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_contract_is_kept(report, contract_id):
    checks = {c.contract_options["id"]: (c, check) for c, check in report.get_contracts_and_checks()}
    contract, check = checks[contract_id]
    assert check.kept, broken_chains(contract, check)


def test_the_graph_holds_every_module_of_the_package(report):
    """A module the graph does not see is checked by no contract (e.g. a new folder without __init__.py
    that is not listed in `root_packages`)."""
    missing = {module_name(path) for path in MODULES} - set(report.graph.modules)
    assert not missing, f"not in the import graph, so unchecked: {sorted(missing)}; add them to root_packages"


# --------------------------------------------------------------------------- the contracts can fail


def test_a_pandas_import_in_the_model_breaks_the_contract_and_names_the_chain(report, contracts):
    graph = with_imports(report, ("sim.core.queues", "pandas"))
    check = check_of(contracts["core-and-params-write-no-files"], graph)
    assert not check.kept
    assert "sim.core.queues -> pandas" in broken_chains(contracts["core-and-params-write-no-files"], check)


def test_an_indirect_import_of_the_results_layer_from_the_schema_breaks_the_contract(report, contracts):
    graph = with_imports(report, ("sim.params.scenario", "sim.analysis.statistics"),
                         ("sim.analysis.statistics", "sim.results.store"))
    check = check_of(contracts["core-and-params-write-no-files"], graph)
    assert not check.kept
    assert "sim.analysis.statistics -> sim.results.store" in broken_chains(contracts["core-and-params-write-no-files"],
                                                                         check)


def test_the_schema_importing_the_model_breaks_both_the_layers_and_its_own_contract(report, contracts):
    graph = with_imports(report, ("sim.params.files", "sim.core.district"))
    assert not check_of(contracts["layers"], graph).kept
    assert not check_of(contracts["params-without-model"], graph).kept


def test_the_model_importing_a_mechanism_breaks_the_layers(report, contracts):
    graph = with_imports(report, ("sim.core.handling", "sim.mechanisms.mediation"))
    check = check_of(contracts["layers"], graph)
    assert not check.kept
    assert "sim.core.handling -> sim.mechanisms.mediation" in broken_chains(contracts["layers"], check)


def test_batch_importing_reporting_breaks_the_layers(report, contracts):
    graph = with_imports(report, ("sim.batch.runner", "sim.reporting.charts"))
    assert not check_of(contracts["layers"], graph).kept


# --------------------------------------------------------------------------- docstrings

@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_has_a_docstring(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert docstring and docstring.strip(), f"{path.relative_to(ROOT)}: no module docstring"
