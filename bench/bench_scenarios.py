"""Scenario batches: a Monte Carlo of "Red Sea closed" (random lane transits, each sample
re-planned beside its baseline) on a Chongqing quarter, on the local process pool and on
Ray with 1..N workers on this machine.

Prints, per executor and worker count: plans, wall time (with the start of the pool or of Ray),
plans per second over the wall and steady (once every worker has done its first job), and
the scaling efficiency of the steady rate against one worker of the same executor (goal: >= 80% per added worker, i.e.
throughput(n) >= 0.8 n throughput(1)); the time per plan inside a batch against one plan
planned alone in this process (the floor); and whether every executor gave the same
results (same seed). The one-worker runs may use fewer samples (--samples-one-worker):
every job is the same size, so throughput compares.

    uv run python bench/bench_scenarios.py                       # 200 samples, a full quarter
    uv run python bench/bench_scenarios.py --vehicles-per-year 8000 --samples-one-worker 40
    uv run python bench/bench_scenarios.py --smoke
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from typing import Any

START = dt.date(2025, 7, 7)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--samples-one-worker", type=int, default=None)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument(
        "--vehicles-per-year",
        type=float,
        default=None,
        help="default: Chongqing's scale (about 480k)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="most workers tried"
    )
    parser.add_argument("--executors", default="local,ray")
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.samples, args.samples_one_worker, args.months = 2, 2, 1
        # One worker count: CI checks that both executors run and agree, and each Ray or
        # pool start costs tens of seconds on a loaded machine (the efficiency lines need
        # two counts, so the smoke prints only the same-results goal).
        args.vehicles_per_year, args.workers = 3000.0, 1

    from carexport.network.dataset import builtin_folder, read_dataset
    from carexport.orders.generate import generate
    from carexport.planning.problem import PlanningProblem, PlanParameters, vehicles_from_orders
    from carexport.planning.run import plan
    from carexport.scenarios.executors import LocalPool, RayExecutor
    from carexport.scenarios.runner import inputs_of, jobs_for
    from carexport.scenarios.spec import load

    snapshot = read_dataset(builtin_folder()).snapshot()
    book = generate(
        snapshot, months=args.months, start=START, seed=11, vehicles_per_year=args.vehicles_per_year
    )
    orders = book.orders.rename({"variant": "variant_id", "origin": "origin_node"})
    vehicles = vehicles_from_orders(orders, book.vehicles)
    params = PlanParameters(start=START, horizon_days=120)
    (red_sea,), _ = load("red_sea_closed")
    spec = red_sea.model_copy(
        update={"stochastic": red_sea.stochastic.model_copy(update={"transit": "range"})}
    )
    inputs = inputs_of(snapshot, vehicles, params)
    print(
        f"{vehicles.height:,} vehicles ({args.months} months from {START}), 120-day plans, "
        f"scenario red_sea_closed with random transits, {os.cpu_count()} CPUs"
    )

    t = time.perf_counter()
    plan(PlanningProblem(snapshot, vehicles, params))
    single_s = time.perf_counter() - t
    print(f"floor: one plan alone in this process: {single_s:.2f} s")

    rows: list[dict[str, Any]] = []
    reference: dict[int, list[dict[str, Any]]] = {}
    same = True
    for name in args.executors.split(","):
        for workers in range(1, args.workers + 1):
            samples = (args.samples_one_worker or args.samples) if workers == 1 else args.samples
            jobs = jobs_for([spec], samples, 5)
            executor = (
                LocalPool(workers) if name == "local" else RayExecutor(None, num_cpus=workers)
            )
            done: list[float] = []
            t = time.perf_counter()
            results = executor.run(
                inputs, jobs, lambda job, result, done=done: done.append(time.perf_counter())
            )
            wall = time.perf_counter() - t
            # Steady throughput: from the moment every worker has finished its first job
            # (processes started, imports and first solve warm) to the last job.
            first = min(workers, len(done) - 1)
            steady = (
                (len(done) - 1 - first) / (done[-1] - done[first])
                if len(done) - 1 > first
                else len(done) / wall
            )
            plain = [{k: v for k, v in r.items() if k != "seconds"} for r in results]
            if samples in reference:
                same &= plain == reference[samples]
            else:
                reference[samples] = plain
            inside = sum(r["seconds"] for r in results) / len(results)
            rows.append(
                {
                    "executor": name,
                    "workers": workers,
                    "plans": len(jobs),
                    "wall_s": wall,
                    "plans_per_s": len(jobs) / wall,
                    "steady_per_s": steady,
                    "plan_s": inside,
                }
            )
    print()
    print(
        f"{'executor':<9}{'workers':>8}{'plans':>7}{'wall s':>9}{'plans/s':>9}{'steady/s':>10}"
        f"{'efficiency':>11}{'s/plan in batch':>17}{'vs alone':>9}"
    )
    goals = []
    for row in rows:
        one = next(r for r in rows if r["executor"] == row["executor"] and r["workers"] == 1)
        efficiency = row["steady_per_s"] / (row["workers"] * one["steady_per_s"])
        if row["workers"] > 1:
            goals.append((row["executor"], row["workers"], efficiency))
        print(
            f"{row['executor']:<9}{row['workers']:>8}{row['plans']:>7}{row['wall_s']:>9.1f}"
            f"{row['plans_per_s']:>9.2f}{row['steady_per_s']:>10.2f}{efficiency:>10.0%}{row['plan_s']:>17.2f}{row['plan_s'] / single_s:>8.2f}x"
        )
    print()
    for name, workers, efficiency in goals:
        verdict = "met" if efficiency >= 0.8 else "NOT met"
        print(
            f"goal: scaling efficiency >= 80% at {workers} workers on {name}: {efficiency:.0%} ({verdict})"
        )
    print(f"goal: same seed, same results on every executor: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
