"""Benchmark: the model against idiomatic SimPy, interleaved; scaling in households and years; memory; parallel runs.

    python benchmarks/bench_model.py              # full sizes, 3 rounds (about 10 minutes on 2 idle cores)
    python benchmarks/bench_model.py --rounds 5   # more rounds: a tighter median on a busy machine
    python benchmarks/bench_model.py --json       # one JSON object instead of one line per figure
    python benchmarks/bench_model.py --quick      # every size shrunk: a smoke test (about a minute)
    python benchmarks/bench_model.py --five-years # also one five-year replication of reserve_pool_1x (peak memory)

Every measured item runs in a fresh Python process (so its peak resident memory, ru_maxrss, is its
own), and every item is measured *next to the reference*: each round runs, for each item, the
reference and the item back to back, the reference first in even rounds and second in odd ones
(ABBA), and the item's ratio in that round is its cases per CPU second over the reference's
customers per CPU second in the same pair. A change of load on a shared machine then moves both
halves of a pair together, not one item against another. Each ratio is reported as the median
over the rounds with its spread (min to max); a spread wider than `WIDE` of the median is called
too wide to trust. CPU seconds are the primary figure (wall seconds on a machine shared with
other work include time spent waiting for a core); wall-time ratios are reported beside them.

Items:
1. the reference: idiomatic SimPy M/M/c (one process per customer, `simpy.Resource`, c = 50,
   lambda = 45/h, mu = 1/h) -> customers per CPU second;
2. the model's M/M/c reduction (`gridgov validate mmc` path), about as many cases -> ratio to (1);
3. the full `luzhou_2034` scenario (hiring batches, 72 h department deadlines: the main batch's
   mechanisms) for one simulated year (`simulate(..., case_log=False)`, KPIs included) -> ratio
   to (1), peak RSS, bytes per case;
4. scaling in households: the same year at 1/4, 1/2 and 1 x the households (grids, communities,
   grid workers, hiring batches and department teams scaled together) -> CPU microseconds per case,
   each also relative to the reference of its pair; linear when the largest over the smallest is
   within 1.10;
5. scaling in years (`horizon_scaling`): 1/4 of the district over 1, 2 and 5 years, the same way;
6. 8 replications (a shortened horizon) with 1 process, a pool of 2 and a Dask LocalCluster of 2
   single-threaded workers -> speed-ups and whether the per-replication KPIs are identical;
7. with `--five-years`: one five-year replication of `reserve_pool_1x` (full model, succession and
   the reserve pool on) -> CPU seconds, cases, peak RSS (the 1.2 GiB target).

The machine's load average (1 minute) is printed at the start, after every round and at the end.
Ratios, not absolute rates, are the figures to compare between machines.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "params" / "luzhou_2034.yaml"
SERVERS, ARRIVAL_RATE, SERVICE_RATE = 50, 45.0, 1.0

FIVE_YEARS = ROOT / "params" / "reserve_pool_1x.yaml"
WIDE = 0.20  # a spread (max - min) wider than this share of the median is too wide to trust
LINEAR = 1.10  # cost per case from the smallest to the largest size within this factor: linear

FULL = {"ref_customers": 100_000, "mmc_customers": 100_000, "days": 365, "scale": 1.0,
        "fractions": (0.25, 0.5, 1.0), "horizon_scale": 0.25, "years": (1, 2, 5),
        "reps": 8, "reps_days": 30, "reps_scale": 1.0, "rounds": 3}
QUICK = {"ref_customers": 5_000, "mmc_customers": 5_000, "days": 14, "scale": 0.04,
         "fractions": (0.25, 0.5, 1.0), "horizon_scale": 0.02, "years": (1, 2),
         "reps": 4, "reps_days": 7, "reps_scale": 0.02, "rounds": 2}


# --------------------------------------------------------------------------- measured items (child process)


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def item_reference(customers: int, seed: int = 0) -> dict:
    """Idiomatic SimPy: a generator process per customer queueing for a Resource of c servers."""
    import random

    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    waits: list[float] = []

    def customer(env, servers):
        arrived = env.now
        with servers.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(SERVICE_RATE))

    def source(env, servers):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(ARRIVAL_RATE))
            env.process(customer(env, servers))

    start, cpu = time.perf_counter(), time.process_time()
    env.process(source(env, servers))
    env.run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"cases": len(waits), "seconds": seconds, "cpu_seconds": cpu, "mean_wait_h": sum(waits) / len(waits)}


def item_mmc(customers: int, seed: int = 0) -> dict:
    """The model's M/M/c reduction, run as `gridgov validate mmc` runs each replication."""
    from sim.experiment.validation import _waits, mmc_scenario

    horizon = max(2, math.ceil(customers / (ARRIVAL_RATE * 24)))
    scenario = mmc_scenario(SERVERS, ARRIVAL_RATE, SERVICE_RATE, horizon, 1)
    from sim.mechanisms import run_replication

    start, cpu = time.perf_counter(), time.process_time()
    raw = run_replication(scenario, seed, 0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    waits = _waits((scenario, seed, 0))  # same replication again, only to report the mean wait
    return {"cases": int(len(raw.cases["arrived_h"])), "seconds": seconds, "cpu_seconds": cpu,
            "mean_wait_h": float(waits.mean())}


def scaled_scenario(scale: float, days: int, drain_days: int | None = None, file: Path = SCENARIO):
    """luzhou_2034 (or `file`) with `scale` x the households (and staff), over `days` days."""
    from sim.params import load_scenario, validate_scenario

    raw = load_scenario(file).model_dump(mode="json")

    def times(value: int, least: int = 1) -> int:
        return max(least, round(value * scale))

    t = raw["territory"]
    t["residential_grids"] = times(t["residential_grids"])
    t["dedicated_grids"] = times(t["dedicated_grids"], 0)
    t["communities"] = min(times(t["communities"]), t["residential_grids"])
    t["subdistricts"] = min(times(t["subdistricts"]), t["communities"])
    w = raw["workforce"]
    w["grid_workers"] = times(w["grid_workers"])
    w["hiring_batches"] = [dict(b, size=times(b["size"])) for b in w["hiring_batches"] if b["start_day"] < days]
    for department in raw["departments"].values():
        department["staff"] = times(department["staff"])
    raw["horizon_days"] = days
    raw["warm_up_days"] = min(raw["warm_up_days"], max(1, days // 4))
    if drain_days is not None:
        raw["drain_days"] = drain_days
    if scale != 1.0 or days != 365 or file != SCENARIO:
        raw["name"] = f"{raw['name']}_x{scale:g}_{days}d"
    return validate_scenario(raw, where="benchmark")


def item_full(scale: float, days: int, seed: int = 0, file: str = str(SCENARIO)) -> dict:
    """One replication of luzhou_2034 (KPIs, no case-log DataFrame), as `replicate` runs it."""
    from sim.core.streams import Streams
    from sim.core.territory import build_territory
    from sim.experiment.runs import simulate

    scenario = scaled_scenario(scale, days, file=Path(file))
    households = build_territory(scenario.territory, Streams(seed, 0)).households
    base_rss = _rss_now()
    start, cpu = time.perf_counter(), time.process_time()
    run = simulate(scenario, seed, 0, case_log=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    cases = round(run.kpis["cases_per_day"] * (scenario.horizon_days - scenario.warm_up_days))
    total = _count_cases(scenario, seed)
    return {"households": households, "cases": total, "cases_in_window": cases, "seconds": seconds, "cpu_seconds": cpu,
            "base_rss_bytes": base_rss, "on_time_rate": run.kpis["on_time_rate"]}


def _count_cases(scenario, seed: int) -> int:
    """All cases that arrived (the window KPIs leave out the warm-up): drawn again, cheaply, block by block."""
    from sim.core.arrivals import CaseSource
    from sim.core.district import ARRIVAL_BLOCK_DAYS
    from sim.core.streams import Streams
    from sim.core.territory import build_territory

    streams = Streams(seed, 0)
    source = CaseSource(scenario, build_territory(scenario.territory, streams), streams)
    return sum(len(source.block(d, min(ARRIVAL_BLOCK_DAYS, scenario.horizon_days - d)))
               for d in range(0, scenario.horizon_days, ARRIVAL_BLOCK_DAYS))


def _timed_task(task: tuple) -> tuple:
    """One replication as `replicate` runs it, with the CPU seconds it took and the process that ran it."""
    from sim.experiment.runs import _task

    cpu = time.process_time()
    run = _task(task)
    return run, time.process_time() - cpu, os.getpid()


def _cpu_speedup(serial_cpu: float, timed: list[tuple]) -> float:
    """Serial CPU time over the busiest worker's CPU time: the speed-up two idle cores would give."""
    per_process: dict[int, float] = {}
    for _, cpu, pid in timed:
        per_process[pid] = per_process.get(pid, 0.0) + cpu
    return serial_cpu / max(per_process.values())


def item_replications(reps: int, days: int, scale: float, seed: int = 0) -> dict:
    """The same replications in 1 process, a pool of 2, and a Dask LocalCluster of 2 workers."""
    from sim.experiment.executors import make_executor
    from sim.experiment.runs import collect

    scenario = scaled_scenario(scale, days, drain_days=min(14, days))
    tasks = [(scenario, seed, r, False) for r in range(reps)]
    timings, frames, timed = {}, {}, {}

    def batch(label: str, executor) -> None:
        start = time.perf_counter()
        timed[label] = executor.map(_timed_task, tasks)
        frames[label] = collect([run for run, _, _ in timed[label]]).per_replication
        timings[label] = time.perf_counter() - start

    for label, kind, jobs in (("local", "local", 1), ("process", "process", 2)):
        with make_executor(kind, jobs=jobs) as executor:
            batch(label, executor)
    start = time.perf_counter()
    with make_executor("dask", jobs=2) as executor:
        executor.client.run(importlib.import_module,
                            "sim.experiment")  # workers import the model before the clock starts
        timings["dask_startup"] = time.perf_counter() - start
        batch("dask", executor)
    serial_cpu = sum(cpu for _, cpu, _ in timed["local"])
    return {
        "reps": reps, "days": days, "scale": scale, **{f"{k}_seconds": v for k, v in timings.items()},
        "serial_cpu_seconds": serial_cpu,
        "process_speedup_cpu": _cpu_speedup(serial_cpu, timed["process"]),
        "dask_speedup_cpu": _cpu_speedup(serial_cpu, timed["dask"]),
        "process_identical": frames["process"].equals(frames["local"]),
        "dask_identical": frames["dask"].equals(frames["local"]),
    }


ITEMS = {"reference": item_reference, "mmc": item_mmc, "full": item_full, "replications": item_replications}


def child(spec: dict) -> None:
    result = ITEMS[spec.pop("item")](**spec)
    result["peak_rss_bytes"] = _peak_rss()
    print(json.dumps(result))


# --------------------------------------------------------------------------- orchestration (parent)


def measure(item: str, **kwargs) -> dict:
    """Run one item in a fresh interpreter and return what it measured."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    spec = json.dumps({"item": item, **kwargs})
    done = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark item {item} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> float:
    return os.getloadavg()[0]


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> dict:
    """Median, min, max and whether (max - min) / median is too wide to trust."""
    mid = median(values)
    width = (max(values) - min(values)) / mid if mid else math.inf
    return {"median": mid, "min": min(values), "max": max(values), "rounds": len(values), "width": width,
            "too_wide": len(values) < 2 or width > WIDE}


def shown(s: dict, digits: int = 2) -> str:
    verdict = " TOO WIDE TO TRUST" if s["too_wide"] else ""
    return (f"{s['median']:.{digits}f} [{s['min']:.{digits}f}, {s['max']:.{digits}f}] "
            f"(median [min, max] of {s['rounds']} rounds, spread {100 * s['width']:.0f} %{verdict})")


def pairs(items: dict[str, tuple[str, dict]], sizes: dict, seed: int, say) -> tuple[dict, list[float]]:
    """Every item next to a fresh reference, in `rounds` rounds (ABBA); returns name -> [(ref, item)] and loads."""
    out: dict[str, list[tuple[dict, dict]]] = {name: [] for name in items}
    loads = []
    for r in range(sizes["rounds"]):
        for name, (item, kwargs) in items.items():
            if r % 2 == 0:
                ref = measure("reference", customers=sizes["ref_customers"], seed=seed + r)
                point = measure(item, seed=seed, **kwargs)
            else:
                point = measure(item, seed=seed, **kwargs)
                ref = measure("reference", customers=sizes["ref_customers"], seed=seed + r)
            out[name].append((ref, point))
            say(f"   round {r + 1}, {name}: {point['cases']:,} cases in {point['cpu_seconds']:.2f} CPU-s, reference "
                f"{ref['cases'] / ref['cpu_seconds']:,.0f} customers per CPU-s, ratio {ratios([(ref, point)])[0]:.3f}")
        loads.append(load())
        say(f"   round {r + 1} of {sizes['rounds']} done, load average {loads[-1]:.1f} on {os.cpu_count()} cores")
    return out, loads


def rate(m: dict, clock: str = "cpu_seconds") -> float:
    return m["cases"] / m[clock]


def ratios(measured: list[tuple[dict, dict]], clock: str = "cpu_seconds") -> list[float]:
    """The item's cases per second over its pair's reference customers per second, one per round."""
    return [rate(point, clock) / rate(ref, clock) for ref, point in measured]


def growth(measured: dict[str, list[tuple[dict, dict]]], names: list[str]) -> list[float]:
    """Per round: the largest over the smallest cost per case, each relative to its pair's reference."""
    out = []
    for r in range(len(measured[names[0]])):
        cost = [1.0 / ratios([measured[n][r]])[0] for n in names]
        out.append(max(cost) / min(cost))
    return out


def run(sizes: dict, seed: int, say, five_years: bool = False) -> dict:
    load_start = load()
    say(f"load average {load_start:.1f} on {os.cpu_count()} cores at the start; {sizes['rounds']} rounds, "
        f"every item next to a fresh reference ({sizes['ref_customers']:,} customers)")
    scale, days = sizes["scale"], sizes["days"]
    items: dict[str, tuple[str, dict]] = {"mmc": ("mmc", {"customers": sizes["mmc_customers"]})}
    for fraction in sizes["fractions"]:
        items[f"x{fraction:g}"] = ("full", {"scale": scale * fraction, "days": days})
    for years in sizes["years"]:
        key = f"x{sizes['horizon_scale'] / scale:g}" if years == 1 else f"{years}y"
        if key not in items:
            items[key] = ("full", {"scale": sizes["horizon_scale"], "days": days * years})
    measured, loads = pairs(items, sizes, seed, say)
    full_key = "x1"
    refs = [ref for pairs_ in measured.values() for ref, _ in pairs_]
    ref_cpu = [ref["cpu_seconds"] / ref["cases"] for ref in refs]
    say(f"1. reference, idiomatic SimPy M/M/{SERVERS} (lambda {ARRIVAL_RATE:g}/h, mu {SERVICE_RATE:g}/h): "
        f"{median([1 / c for c in ref_cpu]):,.0f} customers per CPU second (median of {len(refs)} runs, "
        f"{min(1 / c for c in ref_cpu):,.0f} to {max(1 / c for c in ref_cpu):,.0f})")

    mmc = spread(ratios(measured["mmc"]))
    mmc_wall = spread(ratios(measured["mmc"], "seconds"))
    say(f"2. model, M/M/c reduction ({measured['mmc'][0][1]['cases']:,} cases): ratio to (1) in CPU time "
        f"{shown(mmc)}; in wall time {mmc_wall['median']:.2f}")

    full_points = [p for _, p in measured[full_key]]
    full = spread(ratios(measured[full_key]))
    full_wall = spread(ratios(measured[full_key], "seconds"))
    peak = max(p["peak_rss_bytes"] for p in full_points)
    base = median([p["base_rss_bytes"] for p in full_points])
    first = full_points[0]
    per_case = (peak - base) / max(1, first["cases"])
    say(f"3. model, luzhou_2034 x{scale:g} for {days} days ({first['households']:,} households, "
        f"{first['cases']:,} cases, {median([rate(p) for p in full_points]):,.0f} cases per CPU second): "
        f"ratio to (1) in CPU time {shown(full)}; in wall time {full_wall['median']:.2f}; "
        f"peak RSS {peak / 2**20:,.0f} MiB, {per_case:,.0f} bytes/case above the {base / 2**20:,.0f} MiB after imports")

    def point_row(key: str, **extra) -> dict:
        points = [p for _, p in measured[key]]
        cpu = median([p["cpu_seconds"] for p in points])
        return {**extra, "households": points[0]["households"], "cases": points[0]["cases"],
                "seconds": median([p["seconds"] for p in points]), "cpu_seconds": cpu,
                "us_per_case": 1e6 * cpu / points[0]["cases"],
                "ratio_to_reference": median(ratios(measured[key])),
                "peak_rss_bytes": max(p["peak_rss_bytes"] for p in points)}

    scaling = []
    for fraction in sizes["fractions"]:
        row = point_row(f"x{fraction:g}", fraction=fraction)
        scaling.append(row)
        say(f"4. scaling {fraction:g} x households ({row['households']:,}, {row['cases']:,} cases): CPU "
            f"{row['cpu_seconds']:.1f} s, {row['us_per_case']:.1f} us/case, "
            f"ratio to (1) {row['ratio_to_reference']:.2f}, "
            f"peak RSS {row['peak_rss_bytes'] / 2**20:,.0f} MiB")
    households_growth = spread(growth(measured, [f"x{f:g}" for f in sizes["fractions"]]))
    say(f"   cost per case, largest over smallest (each against its reference): {shown(households_growth)}; "
        f"linear (within {LINEAR:.2f}): {'yes' if households_growth['median'] <= LINEAR else 'NO'}")

    horizon_keys = [f"x{sizes['horizon_scale'] / scale:g}" if y == 1 else f"{y}y" for y in sizes["years"]]
    horizon = []
    for years, key in zip(sizes["years"], horizon_keys, strict=True):
        row = point_row(key, years=years)
        horizon.append(row)
        say(f"5. scaling in years, x{sizes['horizon_scale']:g} households, {years} x {days} days "
            f"({row['cases']:,} cases): "
            f"CPU {row['cpu_seconds']:.1f} s, {row['us_per_case']:.1f} us/case, ratio to (1) "
            f"{row['ratio_to_reference']:.2f}, peak RSS {row['peak_rss_bytes'] / 2**20:,.0f} MiB")
    years_growth = spread(growth(measured, horizon_keys))
    say(f"   cost per case, largest over smallest (each against its reference): {shown(years_growth)}; "
        f"linear (within {LINEAR:.2f}): {'yes' if years_growth['median'] <= LINEAR else 'NO'}")

    reps = None if sizes.get("skip_replications") else measure(
        "replications", reps=sizes["reps"], days=sizes["reps_days"], scale=sizes["reps_scale"], seed=seed)
    if reps is not None:
        speedup = reps["local_seconds"] / reps["process_seconds"]
        say(f"6. {reps['reps']} replications of {reps['days']} days: 1 process {reps['local_seconds']:.1f} s, "
            f"2 processes {reps['process_seconds']:.1f} s, speed-up {speedup:.2f} "
            f"(in CPU time, the busiest worker against 1 process: {reps['process_speedup_cpu']:.2f}; "
            f"identical: {'yes' if reps['process_identical'] else 'NO'})")
        dask_speedup = reps["local_seconds"] / reps["dask_seconds"]
        say(f"   the same on a Dask LocalCluster of 2 workers: {reps['dask_seconds']:.1f} s "
            f"(cluster start-up {reps['dask_startup_seconds']:.1f} s, not counted), speed-up {dask_speedup:.2f} "
            f"(in CPU time {reps['dask_speedup_cpu']:.2f}), "
            f"identical to the local run: {'yes' if reps['dask_identical'] else 'NO'}")

    result = {
        "load_average_start": load_start,
        "load_average_rounds": loads,
        "rounds": sizes["rounds"],
        "ref_cases_per_cpu_s": median([1 / c for c in ref_cpu]),
        "mmc_cases": measured["mmc"][0][1]["cases"],
        "mmc_ratio_cpu": mmc,
        "mmc_ratio_wall": mmc_wall,
        "full_households": first["households"],
        "full_days": days,
        "full_cases": first["cases"],
        "full_cpu_seconds": median([p["cpu_seconds"] for p in full_points]),
        "full_seconds": median([p["seconds"] for p in full_points]),
        "full_ratio_cpu": full,
        "full_ratio_wall": full_wall,
        "full_peak_rss_bytes": peak,
        "full_base_rss_bytes": base,
        "full_bytes_per_case": per_case,
        "scaling": scaling,
        "scaling_growth": households_growth,
        "horizon_scale": sizes["horizon_scale"],
        "horizon_scaling": [{"years": r["years"], "cases": r["cases"], "cpu_seconds": r["cpu_seconds"],
                             "us_per_case": r["us_per_case"], "ratio_to_reference": r["ratio_to_reference"],
                             "peak_rss_bytes": r["peak_rss_bytes"]} for r in horizon],
        "horizon_growth": years_growth,
    }
    if reps is not None:
        result |= {
            "reps": reps["reps"],
            "reps_days": reps["days"],
            "reps_1proc_seconds": reps["local_seconds"],
            "reps_2proc_seconds": reps["process_seconds"],
            "speedup_2proc": speedup,
            "speedup_2proc_cpu": reps["process_speedup_cpu"],
            "process_identical": reps["process_identical"],
            "dask_seconds": reps["dask_seconds"],
            "dask_startup_seconds": reps["dask_startup_seconds"],
            "dask_speedup": dask_speedup,
            "dask_speedup_cpu": reps["dask_speedup_cpu"],
            "dask_identical": reps["dask_identical"],
        }
    if five_years:
        five = measure("full", scale=1.0 if not sizes.get("quick") else scale, days=5 * 365, seed=seed,
                       file=str(FIVE_YEARS))
        say(f"7. five years of reserve_pool_1x ({five['households']:,} households, {five['cases']:,} cases): "
            f"CPU {five['cpu_seconds']:.0f} s ({1e6 * five['cpu_seconds'] / five['cases']:.1f} us/case), "
            f"wall {five['seconds']:.0f} s, peak RSS {five['peak_rss_bytes'] / 2**30:.2f} GiB "
            f"(target under 1.2 GiB: {'met' if five['peak_rss_bytes'] < 1.2 * 2**30 else 'NOT met'})")
        result["five_years"] = {k: five[k] for k in ("households", "cases", "seconds", "cpu_seconds",
                                                     "peak_rss_bytes", "base_rss_bytes")}
    result["load_average_end"] = load()
    say(f"load average {result['load_average_end']:.1f} at the end")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of one line per figure")
    parser.add_argument("--quick", action="store_true", help="shrink every size (smoke test)")
    parser.add_argument("--rounds", type=int, help="rounds of reference-and-item pairs (default 3, quick 2)")
    parser.add_argument("--five-years", action="store_true",
                        help="also one five-year replication of reserve_pool_1x (CPU time, peak memory)")
    parser.add_argument("--days", type=int, help="simulated days of the district items (default 365)")
    parser.add_argument("--years", help="horizons of the years axis, in multiples of --days (default 1,2,5)")
    parser.add_argument("--skip-replications", action="store_true", help="leave out item 6 (pools and Dask)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    sizes = dict(QUICK if args.quick else FULL, quick=args.quick)
    if args.rounds:
        sizes["rounds"] = args.rounds
    if args.days:
        sizes["days"] = args.days
    if args.years:
        sizes["years"] = tuple(int(y) for y in args.years.split(","))
    sizes["skip_replications"] = args.skip_replications
    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    result = run(sizes, args.seed, say, five_years=args.five_years)
    result["quick"] = args.quick
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
