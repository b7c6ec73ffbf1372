"""The back-test: the KPIs of every shipped scenario on a short horizon, stored and compared.

Every scenario file in params/ (not params/base/) runs one replication of 14 days (7 of warm-up,
then 7 of drain) with seed 2034; hiring batches, a community split and the next election are moved
into the short horizon in proportion (day d of a year becomes day d x 14 / 365) and the assessment
month is one week, so every code path the file uses still runs. The KPIs are compared with
`backtest_expected.json`: a change of the model that should leave a scenario alone is checked,
not claimed.

After an intended change of results, regenerate the stored figures and review the diff:

    python -m tests.backtest --update
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "backtest_expected.json"
HORIZON_DAYS, WARM_UP_DAYS, DRAIN_DAYS, SEED = 14, 7, 7, 2034


def scenario_files() -> list[Path]:
    return sorted((ROOT / "params").glob("*.yaml"))


def short_overrides(path: Path) -> list[str]:
    """Overrides that shorten a scenario to the back-test horizon, its dated events moved inside it."""
    from sim.params import load_scenario

    full = load_scenario(path)
    scale = HORIZON_DAYS / max(full.horizon_days, 365)
    overrides = [f"horizon_days={HORIZON_DAYS}", f"warm_up_days={WARM_UP_DAYS}", f"drain_days={DRAIN_DAYS}",
                 "assessment.month_weeks=1"]  # so that monthly judgements (corrective support) happen
    for i, batch in enumerate(full.workforce.hiring_batches):
        overrides.append(f"workforce.hiring_batches.{i}.start_day={math.floor(batch.start_day * scale)}")
    if full.community_split.enabled:
        overrides.append(f"community_split.day={math.floor(full.community_split.day * scale)}")
    if full.secretaries.elections.next_day is not None:
        overrides.append(f"secretaries.elections.next_day={math.floor(full.secretaries.elections.next_day * scale)}")
    return overrides


def headline_kpis(path: Path) -> dict[str, float]:
    from sim.experiment.runs import simulate
    from sim.params import load_scenario

    kpis = simulate(load_scenario(path, short_overrides(path)), seed=SEED, case_log=False).kpis
    return {name: kpis[name] for name in sorted(kpis)}


def run_all(jobs: int = 2) -> dict[str, dict[str, float]]:
    from sim.experiment.executors import pool_context

    files = scenario_files()
    with ProcessPoolExecutor(jobs, mp_context=pool_context()) as pool:  # in a test runner: spawn, never fork
        return {path.stem: kpis for path, kpis in zip(files, pool.map(headline_kpis, files), strict=True)}


def same(expected: float, actual: float) -> bool:
    """Equal to rounding (1e-9 relative): NaN equals NaN."""
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="store the current figures as the expected ones")
    args = parser.parse_args(argv)
    results = run_all()
    if args.update:
        EXPECTED.write_text(json.dumps(results, indent=1, sort_keys=True, allow_nan=True) + "\n")
        print(f"stored the KPIs of {len(results)} scenarios in {EXPECTED}")
        return 0
    expected = json.loads(EXPECTED.read_text())
    changed = [f"{name}.{kpi}: {expected.get(name, {}).get(kpi)} -> {value}" for name, kpis in results.items()
               for kpi, value in kpis.items() if kpi not in expected.get(name, {})
               or not same(expected[name][kpi], value)]
    print("\n".join(changed) or "no change")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
