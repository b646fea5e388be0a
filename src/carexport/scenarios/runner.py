"""Run scenarios: every (scenario or baseline, sample) is one job that perturbs the frozen
network and order book and re-plans with the planner; the jobs' figures are then compared.

A job carries only what it needs (the network's records, the vehicles frame, the plan's
parameters, the changes, the seed and the sample number), so a worker process or a Ray
task computes exactly what the parent would: same seed, same results wherever it runs.
Baseline and scenario of one sample draw the same transit times (common random numbers),
so their difference is the scenario's and not the draw's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from carexport.errors import CarexportError, InvalidInput
from carexport.network.snapshot import NetworkSnapshot
from carexport.planning.problem import PlanningProblem, PlanParameters
from carexport.planning.run import plan
from carexport.scenarios.perturb import (
    Window,
    apply_network,
    apply_vehicles,
    co2_price,
    sample_transits,
)
from carexport.scenarios.spec import AnyChange, ScenarioSpec

# A departure counts as binding when it is this full or its capacity has a shadow price.
BINDING_UTILISATION = 0.999


@dataclasses.dataclass(frozen=True)
class Job:
    scenario: str  # the scenario's name, or "baseline:<name>" for its baseline
    sample: int
    samples: int
    seed: int
    changes: tuple[AnyChange, ...]
    transit: str  # "learned" or "range"


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What every job shares; picklable (records, not mapping proxies)."""

    network: dict[str, list[Any]]
    vehicles: pl.DataFrame
    parameters: PlanParameters
    learned: dict[str, tuple[float, float]]


def inputs_of(
    snapshot: NetworkSnapshot,
    vehicles: pl.DataFrame,
    parameters: PlanParameters,
    learned: Mapping[str, tuple[float, float]] | None = None,
) -> Inputs:
    network: dict[str, list[Any]] = {
        "sources": list(snapshot.sources.values()),
        "nodes": list(snapshot.nodes.values()),
        "co2_factors": list(snapshot.co2_factors.values()),
        "lanes": [*snapshot.lanes.values(), *snapshot.closed_lanes.values()],
        "left_traffic": list(snapshot.left_traffic.values()),
        "regimes": list(snapshot.regimes.values()),
        "markets": list(snapshot.markets.values()),
        "brands": list(snapshot.brands.values()),
        "models": list(snapshot.models.values()),
        "variants": list(snapshot.variants.values()),
        "dealers": list(snapshot.dealers.values()),
        "targets": list(snapshot.targets.values()),
        "statistics": list(snapshot.statistics),
        "exchange_rates": list(snapshot.exchange_rates.values()),
        "routes": list(snapshot.routes.values()),
    }
    return Inputs(network, vehicles, parameters, dict(learned or {}))


def jobs_for(specs: Sequence[ScenarioSpec], samples: int | None, seed: int | None) -> list[Job]:
    """Each scenario's samples and its baseline's, in a fixed order. samples/seed override
    the specs' own (the CLI's --samples and --seed)."""
    jobs = []
    for spec in specs:
        n = samples or spec.stochastic.samples
        s = spec.stochastic.seed if seed is None else seed
        transit = spec.stochastic.transit
        for i in range(n):
            jobs.append(Job(f"baseline:{spec.name}", i, n, s, spec.baseline.changes, transit))
            jobs.append(Job(spec.name, i, n, s, (*spec.baseline.changes, *spec.changes), transit))
    return jobs


def run_job(inputs: Inputs, job: Job) -> dict[str, Any]:
    """Plan one job and return its figures (plain values, JSON-able). A problem the planner
    refuses comes back as {"error": ...} (raised by raise_errors in the parent), because an
    exception with located problems does not cross a process or Ray boundary intact."""
    try:
        return _run_job(inputs, job)
    except InvalidInput as error:
        return {
            "scenario": job.scenario,
            "sample": job.sample,
            "error": error.message.rsplit(": ", 1)[0],
            "problems": error.problems,
        }
    except CarexportError as error:
        return {"scenario": job.scenario, "sample": job.sample, "error": str(error), "problems": []}


def raise_errors(results: Sequence[dict[str, Any]]) -> None:
    """Raise the first job's refusal as the parent's own error."""
    for r in results:
        if "error" in r:
            if r["problems"]:
                raise InvalidInput(
                    f"scenario {r['scenario']} sample {r['sample']}: {r['error']}", r["problems"]
                )
            raise CarexportError(f"scenario {r['scenario']} sample {r['sample']}: {r['error']}")


def _run_job(inputs: Inputs, job: Job) -> dict[str, Any]:
    started = time.perf_counter()
    params = inputs.parameters
    snapshot = NetworkSnapshot.build(**inputs.network)
    if job.samples > 1:
        learned = inputs.learned if job.transit == "learned" else {}
        snapshot = sample_transits(snapshot, learned, job.seed, job.sample)
    window = Window(params.start, params.end)
    snapshot = apply_network(snapshot, job.changes, window)
    vehicles = apply_vehicles(snapshot, inputs.vehicles, job.changes)
    params = dataclasses.replace(
        params, co2_price_usd_per_t=co2_price(job.changes, params.co2_price_usd_per_t)
    )
    result = plan(PlanningProblem(snapshot, vehicles, params, name=job.scenario))
    delivered = (
        result.vehicles.select("vin", "delivered_date")
        .join(vehicles.select("vin", "destination_country", "start_date"), on="vin")
        .filter(pl.col("delivered_date").is_not_null())
        .with_columns(
            (pl.col("delivered_date") - pl.col("start_date")).dt.total_days().alias("lead")
        )
    )
    lead = {
        row["destination_country"]: round(float(row["lead"]), 4)
        for row in delivered.group_by("destination_country")
        .agg(pl.col("lead").mean())
        .sort("destination_country")
        .iter_rows(named=True)
    }
    loads = result.load_lists.filter(
        (pl.col("utilisation") >= BINDING_UTILISATION) | (pl.col("shadow_price_usd_per_slot") > 0)
    )
    binding = [
        [r["lane_id"], r["depart_date"].isoformat(), float(r["shadow_price_usd_per_slot"])]
        for r in loads.sort("lane_id", "depart_date").iter_rows(named=True)
    ]
    return {
        "scenario": job.scenario,
        "sample": job.sample,
        "status": result.status,
        "cost_usd": round(result.objective_usd, 2),
        "parts_usd": {k: round(v, 2) for k, v in result.parts_usd.items()},
        "vehicles": result.vehicles_total,
        "late": result.late,
        "unserved": result.unserved,
        "co2e_kg": round(result.co2e_kg, 1),
        "lead_days_by_market": lead,
        "binding": binding,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _pct(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": round(sum(values) / len(values), 4),
        "p50": round(_pct(values, 0.5), 4),
        "p90": round(_pct(values, 0.9), 4),
    }


METRICS = ("cost_usd", "late", "unserved", "co2e_kg")


def compare(specs: Sequence[ScenarioSpec], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each scenario against its baseline: metrics and European (every) market lead times
    as mean/p50/p90 over samples, the paired difference per sample, and the departures
    binding in the scenario: how often (share of samples) and the mean value of one more
    slot (the capacity row's shadow price, USD)."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by.setdefault(r["scenario"], []).append(r)
    out: dict[str, Any] = {}
    for spec in specs:
        runs = sorted(by.get(spec.name, []), key=lambda r: r["sample"])
        base = sorted(by.get(f"baseline:{spec.name}", []), key=lambda r: r["sample"])
        if not runs or len(runs) != len(base):
            continue
        entry: dict[str, Any] = {"title": spec.title, "source": spec.source, "samples": len(runs)}
        for metric in METRICS:
            entry[metric] = {
                "baseline": _spread([b[metric] for b in base]),
                "scenario": _spread([r[metric] for r in runs]),
                "change": _spread([r[metric] - b[metric] for r, b in zip(runs, base, strict=True)]),
            }
        markets = sorted({m for r in (*runs, *base) for m in r["lead_days_by_market"]})
        lead: dict[str, Any] = {}
        for market in markets:
            pairs = [
                (r["lead_days_by_market"].get(market), b["lead_days_by_market"].get(market))
                for r, b in zip(runs, base, strict=True)
            ]
            both = [(s, b) for s, b in pairs if s is not None and b is not None]
            lead[market] = {
                "baseline": _spread([b for _, b in both]) if both else None,
                "scenario": _spread([s for s, _ in both]) if both else None,
                "change": _spread([s - b for s, b in both]) if both else None,
            }
        entry["lead_days_by_market"] = lead
        counts: dict[tuple[str, str], list[float]] = {}
        for r in runs:
            for lane_id, date, price in r["binding"]:
                counts.setdefault((lane_id, date), []).append(price)
        entry["critical_departures"] = [
            {
                "lane_id": lane_id,
                "depart_date": date,
                "binding_share": round(len(prices) / len(runs), 4),
                "slot_value_usd": round(sum(prices) / len(runs), 2),
            }
            for (lane_id, date), prices in sorted(
                counts.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0])
            )
        ][:25]
        entry["plan_seconds"] = _spread([r["seconds"] for r in runs])
        out[spec.name] = entry
    return out
