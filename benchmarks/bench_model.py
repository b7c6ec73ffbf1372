"""Benchmark: the model against idiomatic SimPy, memory, scaling in households, and parallel replications.

    python benchmarks/bench_model.py            # full sizes (about 4 minutes on 2 cores)
    python benchmarks/bench_model.py --json     # one JSON object instead of one line per figure
    python benchmarks/bench_model.py --quick    # every size shrunk: a smoke test (about 30 s)

Measured side by side in one run, each item in a fresh Python process so that its peak resident
memory (ru_maxrss) is its own and not left over from an earlier item:

1. the reference: idiomatic SimPy M/M/c (one process per customer, `simpy.Resource`, c = 50,
   lambda = 45/h, mu = 1/h), 200,000 customers -> customers per second;
2. the model's M/M/c reduction (`sim.validate.mmc_scenario`, the `gridgov validate mmc` path)
   with the same parameters and about as many cases -> cases per second, ratio to (1);
3. the full `luzhou_2034` scenario for one simulated year (`simulate(..., case_log=False)`, KPIs
   included) -> cases, seconds, cases per second, ratio to (1), peak RSS, bytes per case (the peak
   RSS above the process's RSS after imports, divided by the cases);
4. the same scenario at 1/4, 1/2 and 1 x the households (grids, communities, grid workers, hiring
   batches and department teams scaled together, so the load per worker stays the same);
   the 1 x point is item 3's run;
5. 8 replications (a shortened horizon, `--reps-days`) with 1 process and with a pool of 2;
6. the same 8 replications on a Dask LocalCluster of 2 single-threaded worker processes ->
   speed-up against 1 process (cluster start-up not counted) and whether the per-replication
   KPIs equal the 1-process run's exactly.

Ratios, not absolute rates, are the figures to compare between machines.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "params" / "luzhou_2034.yaml"
SERVERS, ARRIVAL_RATE, SERVICE_RATE = 50, 45.0, 1.0

FULL = {"ref_customers": 200_000, "mmc_customers": 200_000, "days": 365, "scale": 1.0,
        "reps": 8, "reps_days": 30, "reps_scale": 1.0}
QUICK = {"ref_customers": 5_000, "mmc_customers": 5_000, "days": 14, "scale": 0.04,
         "reps": 4, "reps_days": 7, "reps_scale": 0.02}


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


def scaled_scenario(scale: float, days: int, drain_days: int | None = None):
    """luzhou_2034 with `scale` x the households (and staff), over `days` days."""
    from sim.params import load_scenario, validate_scenario

    raw = load_scenario(SCENARIO).model_dump(mode="json")

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
    if scale != 1.0 or days != 365:
        raw["name"] = f"{raw['name']}_x{scale:g}_{days}d"
    return validate_scenario(raw, where="benchmark")


def item_full(scale: float, days: int, seed: int = 0) -> dict:
    """One replication of luzhou_2034 (KPIs, no case-log DataFrame), as `replicate` runs it."""
    from sim.core.streams import Streams
    from sim.core.territory import build_territory
    from sim.experiment.runs import simulate

    scenario = scaled_scenario(scale, days)
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


def run(sizes: dict, seed: int, say) -> dict:
    load_before = os.getloadavg()[0]
    ref = measure("reference", customers=sizes["ref_customers"], seed=seed)
    ref_rate = ref["cases"] / ref["seconds"]
    say(f"1. reference, idiomatic SimPy M/M/{SERVERS} (lambda {ARRIVAL_RATE:g}/h, mu {SERVICE_RATE:g}/h): "
        f"{ref['cases']:,} customers in {ref['seconds']:.2f} s = {ref_rate:,.0f} customers/s "
        f"(CPU {ref['cpu_seconds']:.2f} s; load average {load_before:.1f} on {os.cpu_count()} cores)")

    mmc = measure("mmc", customers=sizes["mmc_customers"], seed=seed)
    mmc_rate = mmc["cases"] / mmc["seconds"]
    say(f"2. model, M/M/c reduction: {mmc['cases']:,} cases in {mmc['seconds']:.2f} s = {mmc_rate:,.0f} cases/s, "
        f"ratio to (1) {mmc_rate / ref_rate:.2f} "
        f"(in CPU time {ref['cpu_seconds'] / mmc['cpu_seconds'] * mmc['cases'] / ref['cases']:.2f})")

    full = measure("full", scale=sizes["scale"], days=sizes["days"], seed=seed)
    full_rate = full["cases"] / full["seconds"]
    per_case = (full["peak_rss_bytes"] - full["base_rss_bytes"]) / max(1, full["cases"])
    say(f"3. model, luzhou_2034 x{sizes['scale']:g} for {sizes['days']} days ({full['households']:,} households): "
        f"{full['cases']:,} cases in {full['seconds']:.1f} s = {full_rate:,.0f} cases/s, "
        f"ratio to (1) {full_rate / ref_rate:.2f} "
        f"(in CPU time {ref['cpu_seconds'] / full['cpu_seconds'] * full['cases'] / ref['cases']:.2f}); "
        f"peak RSS {full['peak_rss_bytes'] / 2**20:,.0f} MiB, {per_case:,.0f} bytes/case above the "
        f"{full['base_rss_bytes'] / 2**20:,.0f} MiB after imports")

    scaling = []
    for fraction in (0.25, 0.5, 1.0):
        point = full if fraction == 1.0 else measure("full", scale=sizes["scale"] * fraction, days=sizes["days"],
                                                     seed=seed)
        scaling.append({"fraction": fraction, "households": point["households"], "cases": point["cases"],
                        "seconds": point["seconds"], "cpu_seconds": point["cpu_seconds"],
                        "peak_rss_bytes": point["peak_rss_bytes"]})
        say(f"4. scaling {fraction:g} x households ({point['households']:,}): {point['seconds']:.1f} s (CPU "
            f"{point['cpu_seconds']:.1f} s), "
            f"{point['seconds'] / point['households'] * 1e6:,.0f} us/household, "
            f"peak RSS {point['peak_rss_bytes'] / 2**20:,.0f} MiB")

    reps = measure("replications", reps=sizes["reps"], days=sizes["reps_days"], scale=sizes["reps_scale"], seed=seed)
    speedup = reps["local_seconds"] / reps["process_seconds"]
    say(f"5. {reps['reps']} replications of {reps['days']} days: 1 process {reps['local_seconds']:.1f} s, "
        f"2 processes {reps['process_seconds']:.1f} s, speed-up {speedup:.2f} "
        f"(in CPU time, the busiest worker against 1 process: {reps['process_speedup_cpu']:.2f}; "
        f"identical: {'yes' if reps['process_identical'] else 'NO'})")
    dask_speedup = reps["local_seconds"] / reps["dask_seconds"]
    say(f"6. the same on a Dask LocalCluster of 2 workers: {reps['dask_seconds']:.1f} s "
        f"(cluster start-up {reps['dask_startup_seconds']:.1f} s, not counted), speed-up {dask_speedup:.2f} "
        f"(in CPU time {reps['dask_speedup_cpu']:.2f}), "
        f"identical to the local run: {'yes' if reps['dask_identical'] else 'NO'}")

    return {
        "load_average_start": load_before,
        "load_average_end": os.getloadavg()[0],
        "ref_cases_per_s": ref_rate,
        "ref_cpu_seconds": ref["cpu_seconds"],
        "ref_customers": ref["cases"],
        "ref_seconds": ref["seconds"],
        "mmc_cases": mmc["cases"],
        "mmc_seconds": mmc["seconds"],
        "mmc_cases_per_s": mmc_rate,
        "mmc_ratio": mmc_rate / ref_rate,
        "mmc_cpu_seconds": mmc["cpu_seconds"],
        "mmc_ratio_cpu": ref["cpu_seconds"] / mmc["cpu_seconds"] * mmc["cases"] / ref["cases"],
        "full_households": full["households"],
        "full_days": sizes["days"],
        "full_cases": full["cases"],
        "full_seconds": full["seconds"],
        "full_cases_per_s": full_rate,
        "full_ratio": full_rate / ref_rate,
        "full_cpu_seconds": full["cpu_seconds"],
        "full_ratio_cpu": ref["cpu_seconds"] / full["cpu_seconds"] * full["cases"] / ref["cases"],
        "full_peak_rss_bytes": full["peak_rss_bytes"],
        "full_base_rss_bytes": full["base_rss_bytes"],
        "full_bytes_per_case": per_case,
        "scaling": scaling,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of one line per figure")
    parser.add_argument("--quick", action="store_true", help="shrink every size (smoke test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    sizes = QUICK if args.quick else FULL
    say = (lambda line: print(line, file=sys.stderr)) if args.json else (lambda line: print(line, flush=True))
    result = run(sizes, args.seed, say)
    result["quick"] = args.quick
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
