"""What a batch runs: its scenarios resolved (sweeps expanded, overrides applied), their keys, folders and notebooks.

A scenario's key is what its results depend on: the scenario's content hash, the replications,
the seed and the code version (`sim.results.code_version`, with the scenario notebook's code
cells). A scenario folder whose `complete.json` holds the key of what would be run now is
complete and current (`sim.results.markers`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..limits import MAX_BATCH_SCENARIOS
from ..params import Scenario, load_scenario
from ..params.base import in_language
from ..results import store
from ..results.code_version import code_version
from .execute import declared_parameters
from .schema import Batch, BatchPrecision, BatchScenario, read_batch

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"  # the shipped notebooks, beside sim/


@dataclass
class PlannedScenario:
    """One scenario of a batch, resolved: its file, overrides, validated scenario and key."""

    name: str
    file: Path
    overrides: list[str]
    scenario: Scenario
    key: str = ""
    folder: Path = Path()
    notebook: Path = Path()
    status: str = "pending"
    error: str = ""
    seconds: float = 0.0
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """A batch file resolved: every scenario to run, the notebooks, the code version and the baseline."""

    batch: Batch
    path: Path
    scenarios: list[PlannedScenario]
    scenario_notebook: Path
    compare_notebook: Path | None
    code_version: str = ""
    baseline: str = ""
    replications: int = 0  # the count every scenario runs; with precision, 0 until the rule has sized the batch
    precision: BatchPrecision | None = None


def plan_batch(path: str | Path, out: Path | None = None, precision: BatchPrecision | None = None) -> Plan:
    """Resolve a batch file into validated scenarios with their keys, folders and notebook paths.

    precision (from `gridgov batch --precision`) replaces the file's; with either, the scenarios'
    keys are set once the rule has found the replications (`set_replications`).
    """
    path = Path(path)
    batch = read_batch(path)
    precision = precision or batch.precision
    out = Path(out) if out is not None else default_out(batch)
    common = list(batch.set)
    for field_name in ("horizon_days", "warm_up_days", "drain_days"):
        value = getattr(batch, field_name)
        if value is not None:
            common.append(f"{field_name}={value}")
    scenario_notebook = find_notebook(batch.notebooks.scenario, path.parent, "notebooks.scenario", path)
    compare_notebook = (find_notebook(batch.notebooks.compare, path.parent, "notebooks.compare", path)
                        if batch.notebooks.compare else None)
    check_scenario_count(batch, path)
    version = code_version([scenario_notebook])
    planned: list[PlannedScenario] = []
    for index, entry in enumerate(batch.scenarios):
        file = path.parent / entry.file
        for (name, sets), values in zip(sweep_entries(entry), sweep_values(entry), strict=True):
            overrides = common + sets + [f"name={json.dumps(name, ensure_ascii=False)}"]
            scenario = _load_entry(path, index, entry, file, overrides)
            planned.append(PlannedScenario(name=name, file=_resolved(file), overrides=overrides, scenario=scenario,
                                           title=scenario_title(entry, scenario, values),
                                           description=scenario_description(entry, scenario, values)))
    names = [p.name for p in planned]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"scenario names must be distinct; repeated: {', '.join(duplicates)}", where=str(path))
    folders = [store.safe_name(n) for n in names]
    if len(set(folders)) != len(folders):
        raise InputError(f"scenario names {names} map to the same folder names {folders}; rename them", where=str(path))
    baseline = batch.baseline or names[0]
    if baseline not in names:
        raise InputError(f"baseline: {baseline!r} is not a scenario of this batch; scenarios: {', '.join(names)}",
                         where=str(path))
    for item in planned:
        item.folder = out / "scenarios" / store.safe_name(item.name)
        item.notebook = out / "notebooks" / f"{store.safe_name(item.name)}.ipynb"
    inputs = [path, scenario_notebook, *([compare_notebook] if compare_notebook else []), *(p.file for p in planned)]
    check_out_holds_no_input(out, inputs)
    plan = Plan(batch, path, planned, scenario_notebook, compare_notebook, version, baseline, precision=precision)
    if precision is None:
        set_replications(plan, int(batch.replications or 0))
    return plan


def set_replications(plan: Plan, replications: int) -> None:
    """Every scenario runs this many replications: their keys follow."""
    plan.replications = replications
    for item in plan.scenarios:
        item.key = scenario_key(item.scenario, replications, plan.batch.seed, plan.code_version, plan.batch.language)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def check_scenario_count(batch: Batch, path: Path) -> None:
    """Refuse, before expanding anything, a batch whose sweeps multiply out to more than MAX_BATCH_SCENARIOS."""
    total = 0
    for entry in batch.scenarios:
        combinations = 1
        for values in entry.sweep.values():
            combinations *= len(values)
            if combinations > MAX_BATCH_SCENARIOS:
                break
        total += combinations
        if total > MAX_BATCH_SCENARIOS:
            sizes = " x ".join(str(len(v)) for v in entry.sweep.values()) or "1"
            raise InputError(f"scenarios.{entry.name}: the batch would hold more than {MAX_BATCH_SCENARIOS:,} "
                             f"scenarios once its sweeps are expanded (this entry's sweep: {sizes} combinations); "
                             "split it into several batches or sweep fewer values", where=str(path))


def _load_entry(path: Path, index: int, entry: BatchScenario, file: Path, overrides: list[str]) -> Scenario:
    """The scenario of one batch entry; a problem the batch's values cause is blamed on the batch file, not on the
    scenario file."""
    try:
        return load_scenario(file, overrides)
    except InputError as error:
        try:
            load_scenario(file)
        except InputError as alone:
            if str(alone) == str(error):
                raise  # the scenario file itself is wrong (or cannot be read)
        message = str(error).removeprefix(f"{error.where}: ") if error.where else str(error)
        raise InputError(f"scenarios[{index}] ({entry.name!r}, file {entry.file}): the batch's values (set:, sweep: "
                         f"or the batch-wide horizon_days/warm_up_days/drain_days) make the scenario invalid: "
                         f"{message}", where=str(path)) from None


def check_out_holds_no_input(out: Path, inputs: list[Path]) -> None:
    """Refuse an output folder where the batch would write over (or clean up) one of its own input files."""
    root = _resolved(Path(out))
    for source in inputs:
        resolved = _resolved(Path(source))
        if resolved == root or resolved.is_relative_to(root):
            raise InputError(f"--out {out} holds the batch's input file {source}; the batch would write over or "
                             "clean up its own inputs there. Choose an output folder that holds none of them")


def default_out(batch: Batch) -> Path:
    """Where a batch writes without --out: outputs/<batch name>."""
    return Path("outputs") / store.safe_name(batch.name)


def sweep_entries(entry: BatchScenario) -> list[tuple[str, list[str]]]:
    """(name, overrides) for every combination of a sweep; one entry without a sweep."""
    paths = list(entry.sweep or {})
    leaves = [p.split(".")[-1] for p in paths]
    check_name_format(entry, leaves)
    if not entry.sweep:
        return [(entry.name, list(entry.set))]
    out = []
    for values in itertools.product(*(entry.sweep[p] for p in paths)):
        if entry.name_format:
            try:
                name = entry.name_format.format(**{leaf: _plain(v) for leaf, v in zip(leaves, values, strict=True)})
            except (KeyError, IndexError, ValueError, TypeError) as error:
                raise InputError(f"scenarios.{entry.name}.name_format {entry.name_format!r}: cannot fill it "
                                 f"({error}); available keys: {', '.join(leaves)}") from None
        else:
            name = "_".join([entry.name, *(str(_plain(v)) for v in values)])
        sets = [f"{p}={json.dumps(v, ensure_ascii=False)}" for p, v in zip(paths, values, strict=True)]
        out.append((name, list(entry.set) + sets))
    return out


_FORMAT_SPEC = re.compile(r"^[<>^=]?[+\- ]?0?\d{0,2}(\.\d{1,2})?[dfgeEsx%]?$")


def check_name_format(entry: BatchScenario, leaves: list[str]) -> None:
    """name_format, and the entry's titles, may only name swept parameters ({deadline_h}), with a short format spec
    ({share:.2f})."""
    templates = [("name_format", entry.name_format)]
    for key in ("title", "description"):
        text = getattr(entry, key)
        if text is not None:
            templates += [(f"{key}.{language}", getattr(text, language)) for language in ("en", "zh")]
    for key, template in templates:
        if template:
            check_format(f"scenarios.{entry.name}.{key} {template!r}", template, leaves)


def check_format(where: str, template: str, leaves: list[str]) -> None:
    """A template filled with swept values: swept keys only (no attribute access or indexing), short specs only."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise InputError(f"{where}: {error}; write swept keys in braces, e.g. {{{leaves[0] if leaves else 'x'}}}"
                         ) from None
    for _, key, spec, conversion in parts:
        if key is None:
            continue
        if key not in leaves:
            raise InputError(f"{where}: {{{key}}} is not a swept key (no attribute access or indexing); "
                             f"available keys: {', '.join(leaves) or 'none (no sweep)'}")
        if conversion is not None or not _FORMAT_SPEC.match(spec or "") or "{" in (spec or ""):
            raise InputError(f"{where}: the format {{{key}{'!' + conversion if conversion else ''}:{spec}}} is not "
                             "allowed; use a short format such as {x}, {x:.2f} or {x:03d} (width at most 99)")


def sweep_values(entry: BatchScenario) -> list[dict[str, Any]]:
    """{last part of each swept path: value} for every combination of a sweep, in sweep_entries' order."""
    if not entry.sweep:
        return [{}]
    leaves = [p.split(".")[-1] for p in entry.sweep]
    return [{leaf: _plain(v) for leaf, v in zip(leaves, values, strict=True)}
            for values in itertools.product(*entry.sweep.values())]


def scenario_title(entry: BatchScenario, scenario: Scenario, values: dict[str, Any]) -> dict[str, str]:
    """{language: title}: the batch entry's title with the swept values filled in, else the scenario file's title,
    else the name."""
    if entry.title is not None:
        try:
            return {language: getattr(entry.title, language).format(**values) for language in ("en", "zh")}
        except (KeyError, IndexError, ValueError) as error:
            raise InputError(f"scenarios.{entry.name}.title: cannot fill it ({error}); available keys: "
                             f"{', '.join(values) or 'none (no sweep)'}") from None
    if scenario.title is not None:
        return {"en": scenario.title.en, "zh": scenario.title.zh}
    return {"en": scenario.name, "zh": scenario.name}


def scenario_description(entry: BatchScenario, scenario: Scenario, values: dict[str, Any]) -> dict[str, str]:
    """{language: description}: the batch entry's with the swept values filled in, else the scenario file's (a
    plain text serves both)."""
    if entry.description is not None:
        return {language: getattr(entry.description, language).format(**values) for language in ("en", "zh")}
    return {language: in_language(scenario.description, language) for language in ("en", "zh")}


def _plain(value: Any) -> Any:
    """24.0 -> 24, so that a swept value reads the same in a scenario name as in the batch file."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def find_notebook(name: str, batch_dir: Path, key: str = "notebooks", batch_file: Path | None = None) -> Path:
    """A notebook named in a batch file: beside the batch file, else one of the shipped notebooks; it must be a
    Jupyter notebook with a parameters cell that is Python (checked here, before anything runs)."""
    for candidate in (batch_dir / name, NOTEBOOK_DIR / name):
        if os.path.lexists(candidate):
            path = _resolved(candidate)
            declared_parameters(path)
            return path
    raise InputError(f"{key}: notebook {name!r} not found (looked in {batch_dir} and {NOTEBOOK_DIR})",
                     where=str(batch_file) if batch_file else None)


def scenario_key(scenario: Scenario, replications: int, seed: int, code_version: str, language: str = "en") -> str:
    """What a scenario's results depend on: its content, replications, seed, code version and the language of its
    notebook's texts and charts (a batch re-run in another language redoes its scenario notebooks)."""
    payload = json.dumps({"content_hash": scenario.content_hash(), "replications": replications, "seed": seed,
                          "code_version": code_version, "language": language}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]
