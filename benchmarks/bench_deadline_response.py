"""Benchmark: what the departments' responses to deadlines cost in cases per second, against the same scenario off.

    python benchmarks/bench_deadline_response.py             # Luzhou after the reform, 60 days, 3 rounds
    python benchmarks/bench_deadline_response.py --days 365  # the district-year
    python benchmarks/bench_deadline_response.py --quick     # a smoke test (a few seconds)

Side by side in one process, in alternating rounds (off, on, paced, local), so that a busy machine
slows all four alike: `luzhou_deadline_24h` with its responses off (the mechanism not built), with
them on (overtime, compression, supervision), with least slack first and late starts too
(`luzhou_deadline_24h_lsf`), and with grid and community workers responding as well
(`luzhou_deadline_24h_local`). Every variant simulates the same cases (common random numbers);
the figure is cases per CPU second (process time, not wall time), and the change of on and paced
against off is what to compare (target: at most 15 % fewer cases per second).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VARIANTS = {
    "off": ("luzhou_deadline_24h.yaml", ["deadline_response.enabled=false"]),
    "on": ("luzhou_deadline_24h.yaml", []),
    "paced": ("luzhou_deadline_24h_lsf.yaml", []),
    "local": ("luzhou_deadline_24h_local.yaml", []),
}


def scenario(file: str, overrides: list[str], days: int, quick: bool):
    from sim.params import load_scenario

    small = ["territory.subdistricts=2", "territory.communities=8", "territory.residential_grids=150",
             "territory.dedicated_grids=15", "workforce.grid_workers=60", "workforce.hiring_batches=[]",
             "departments.urban_management.staff=15", "departments.housing.staff=5",
             "departments.emergency_management.staff=6", "departments.public_security.staff=2",
             "departments.market_regulation.staff=5", "departments.civil_affairs.staff=1"] if quick else []
    timing = [f"horizon_days={days}", f"warm_up_days={min(14, days // 4)}", "drain_days=14"]
    if not quick:  # both hiring batches inside the horizon, in proportion
        first, second = days * 14 // 365, days * 120 // 365
        timing.append(f"workforce.hiring_batches=[{{size: 1017, start_day: {first}}}, "
                      f"{{size: 1017, start_day: {second}}}]")
    return load_scenario(ROOT / "params" / file, small + timing + overrides)


def measure(days: int, rounds: int, quick: bool, seed: int) -> dict:
    from sim.analysis.kpis import kpis
    from sim.mechanisms import run_replication

    scenarios = {name: scenario(file, overrides, days, quick) for name, (file, overrides) in VARIANTS.items()}
    cpu = dict.fromkeys(scenarios, 0.0)
    cases = {}
    for _ in range(rounds):
        for name, s in scenarios.items():
            start = time.process_time()
            raw = run_replication(s, seed, 0)
            kpis(raw)
            cpu[name] += time.process_time() - start
            cases[name] = len(raw.cases["arrived_h"])
    rate = {name: rounds * cases[name] / cpu[name] for name in scenarios}
    return {"days": days, "rounds": rounds, "cases": cases["off"],
            **{f"cases_per_cpu_second_{name}": rate[name] for name in scenarios},
            "cost_on": 1 - rate["on"] / rate["off"], "cost_paced": 1 - rate["paced"] / rate["off"],
            "cost_local": 1 - rate["local"] / rate["off"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a small district, 14 days, one round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(14 if args.quick else args.days, 1 if args.quick else args.rounds, args.quick, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['cases']:,} cases, {result['days']} days, {result['rounds']} rounds")
        for name in VARIANTS:
            print(f"  {name:6s} {result[f'cases_per_cpu_second_{name}']:10,.0f} cases per CPU second")
        print(f"  responses on: {100 * result['cost_on']:.1f} % fewer cases per second; with least slack and late "
              f"starts: {100 * result['cost_paced']:.1f} %; with grid and community workers responding too: "
              f"{100 * result['cost_local']:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
