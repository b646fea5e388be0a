"""The LP bound equals an independent min-cost flow on random single-market instances.

Without lateness (every due date lies far beyond the horizon) and with one slot factor,
the planner's LP is a min-cost flow over time; its optimum must equal the cost networkx
finds on a time-expanded graph built here from the raw lane data alone:

* (node, day) for every non-destination node and day 0..H; waiting arcs (n, d) -> (n, d+1)
  at the node's storage cost per day;
* one arc per lane departure: capacity floor(capacity_slots / slot factor), cost = lane
  cost + handling days x storage at the node reached; it ends at (to, arrive + handling),
  or at the sink when `to` is a destination (delivery must be on or before day H);
* supply 1 at (start node, ready day) per vehicle, with a bypass arc to the sink at the
  unserved penalty (vehicles the network cannot deliver in time).

Schedules are drawn here as day sets and written as `daily`, `weekly:...` or `dates:...`,
so no schedule parsing of the planner's is used. Integer costs keep networkx exact.

At a CO2 price, every departure also costs its lane's CO2e (kg per vehicle, drawn in steps
that make whole dollars at CO2_PRICE) x the price: pruning must keep the optimum then too.
"""

from __future__ import annotations

import random
from dataclasses import fields

import networkx as nx
import pytest

from carexport.network.schemas import WEEKDAYS
from carexport.planning.problem import PlanParameters
from tests.planning.factory import START, car, dates, lane, market, network, node, run

HORIZON = 20
# Switch off every pruning of the planner's so the LP sees what the flow sees.
NO_PRUNING: dict[str, object] = {"corridor_slack": 100.0, "corridor_slack_days": 1000}
if "max_delay_days" in {f.name for f in fields(PlanParameters)}:
    NO_PRUNING["max_delay_days"] = 10_000
assert START.weekday() == 0  # weekly day sets below: plan day d is weekday d % 7
UNSERVED = 20_000
CO2_PRICE = 50.0  # USD per tonne CO2e; lanes' CO2e in steps of 20 kg = 1 USD a vehicle


def random_schedule(rng: random.Random) -> tuple[str, set[int]]:
    kind = rng.choice(["daily", "weekly", "dates"])
    if kind == "daily":
        return "daily", set(range(HORIZON + 1))
    if kind == "weekly":
        weekdays = set(rng.sample(range(7), rng.randint(1, 3)))
        text = "weekly:" + ",".join(WEEKDAYS[w] for w in sorted(weekdays))
        return text, {d for d in range(HORIZON + 1) if d % 7 in weekdays}
    days = set(rng.sample(range(HORIZON + 1), rng.randint(1, 5)))
    return dates(*sorted(days)), days


def random_instance(seed: int):
    rng = random.Random(seed)
    n = rng.randint(3, 5)
    names = [f"N{i}" for i in range(n)]
    destinations = {names[-1]} | ({names[-2]} if n >= 4 and rng.random() < 0.3 else set())
    handling = {x: rng.randint(0, 2) for x in names}
    storage = {x: rng.randint(0, 9) for x in names}
    slot = rng.choice([("ICE", 1.0), ("MINI", 0.5)])
    pairs = [(names[i], names[i + 1]) for i in range(n - 1)]
    pairs += [tuple(rng.sample(names, 2)) for _ in range(rng.randint(0, 5))]
    lanes = []
    for index, (a, b) in enumerate(pairs):
        text, days = random_schedule(rng)
        lanes.append(
            {
                "id": f"L{index}",
                "from": a,
                "to": b,
                "transit": rng.randint(1, 6),
                "cost": rng.randint(0, 300),
                "capacity": rng.randint(1, 4),
                "text": text,
                "days": days,
            }
        )
    starts = [x for x in names if x not in destinations]
    supplies = [(rng.choice(starts), rng.randint(0, 6)) for _ in range(rng.randint(1, 15))]
    # Drawn apart, so the instances of CO2 price 0 stay what they were. Up to 250 USD a
    # vehicle at CO2_PRICE: enough to make a cheap, dirty lane the dearer one.
    co2_rng = random.Random(seed + 1_000_003)
    for spec in lanes:
        spec["co2_kg"] = 20 * co2_rng.randint(0, 250)
    return names, destinations, handling, storage, slot, lanes, supplies


def min_cost_flow(
    names, destinations, handling, storage, slot, lanes, supplies, co2_price=0.0, horizon=HORIZON
) -> int:
    graph = nx.DiGraph()
    for x in names:
        if x in destinations:
            continue
        for d in range(horizon):
            graph.add_edge((x, d), (x, d + 1), weight=storage[x])
    for spec in lanes:
        a, b = spec["from"], spec["to"]
        if a in destinations:
            continue  # delivered vehicles do not travel on
        for d in sorted(spec["days"]):
            ready = d + spec["transit"] + handling[b]
            if ready > horizon:
                continue
            arc = ("dep", spec["id"], d)
            graph.add_edge(
                (a, d),
                arc,
                capacity=int(spec["capacity"] // slot[1]),
                weight=spec["cost"]
                + handling[b] * storage[b]
                + round(spec["co2_kg"] * co2_price / 1000),
            )
            graph.add_edge(arc, "sink" if b in destinations else (b, ready), weight=0)
    for x, d in supplies:
        graph.add_node((x, d))
        graph.nodes[(x, d)]["demand"] = graph.nodes[(x, d)].get("demand", 0) - 1
        graph.add_edge((x, d), ("bypass", x, d), weight=UNSERVED)
        graph.add_edge(("bypass", x, d), "sink", weight=0)
    graph.add_node("sink", demand=len(supplies))
    return int(nx.min_cost_flow_cost(graph))


def plan(instance, co2_price: float, horizon: int = HORIZON, **params):
    """The planner's result on an instance, every vehicle due long after the horizon."""
    names, destinations, handling, storage, slot, lanes, supplies = instance
    net = network(
        [
            node(
                x,
                country="TH" if x in destinations else "CN",
                handling=handling[x],
                storage=storage[x],
            )
            for x in names
        ],
        [
            lane(
                s["id"],
                s["from"],
                s["to"],
                transit=s["transit"],
                cost=s["cost"],
                capacity=s["capacity"],
                departures=s["text"],
                co2=float(s["co2_kg"]),
            )
            for s in lanes
        ],
        [market("TH", *sorted(destinations))],
    )
    cars = [
        car(f"V{i:02d}", variant=slot[0], start=x, ready=d, due=horizon + 100)
        for i, (x, d) in enumerate(supplies)
    ]
    return run(
        net,
        cars,
        horizon_days=horizon,
        unserved_usd_per_vehicle=float(UNSERVED),
        co2_price_usd_per_t=co2_price,
        **params,
    )


@pytest.mark.parametrize("co2_price", [0.0, CO2_PRICE], ids=["co2-0", "co2-50"])
@pytest.mark.parametrize("pruned", [False, True], ids=["unpruned", "pruned"])
@pytest.mark.parametrize("seed", range(60))
def test_lp_bound_equals_an_independent_min_cost_flow(
    seed: int, pruned: bool, co2_price: float
) -> None:
    """Unpruned, the LP is exactly the flow. With the planner's default pruning, the same
    must hold here: every path of these instances fits the 20-day horizon, well inside the
    corridor, and the cheapest path (costed as the model costs it, CO2 price included) is
    always kept; so pruning may only cut what cannot be optimal."""
    instance = random_instance(seed)
    result = plan(
        instance,
        co2_price,
        **({} if pruned else NO_PRUNING),
        ready_bucket_days=1 if seed % 2 else 1000,  # per start day, or one commodity
    )
    expected = min_cost_flow(*instance, co2_price=co2_price)
    assert result.status == "Optimal"
    assert result.lp_bound_usd == pytest.approx(expected, abs=1e-6)
    assert result.parts_usd["lateness_usd"] == 0.0
    assert result.objective_usd >= expected - 1e-6


# A horizon every simple path of random_instance fits from any ready day (at most 4 lanes
# of up to 6 days' transit and 2 days' handling, ready by day 6).
LONG = 40


@pytest.mark.parametrize("co2_price", [0.0, CO2_PRICE], ids=["co2-0", "co2-50"])
@pytest.mark.parametrize("seed", range(120))
def test_the_tightest_corridor_keeps_the_cheapest_path_as_the_model_costs_it(
    seed: int, co2_price: float
) -> None:
    """Pruning at its tightest (paths no slower than the fastest: slack 1x and 0 days) on
    instances where every vehicle's optimum is its cheapest path (no storage cost, room
    for all, daily departures, a horizon every path fits): the LP still equals the flow
    only because pruning keeps the cheapest path at the model's costs. Costed without the
    CO2 price, it would keep a cheap, dirty path and cut the one the optimum takes."""
    names, destinations, handling, _, slot, lanes, supplies = random_instance(seed)
    instance = (
        names,
        destinations,
        handling,
        dict.fromkeys(names, 0),
        slot,
        [{**s, "capacity": 1000, "text": "daily", "days": set(range(LONG + 1))} for s in lanes],
        supplies,
    )
    result = plan(instance, co2_price, LONG, corridor_slack=1.0, corridor_slack_days=0)
    expected = min_cost_flow(*instance, co2_price=co2_price, horizon=LONG)
    assert result.status == "Optimal"
    assert result.lp_bound_usd == pytest.approx(expected, abs=1e-6)
    assert result.objective_usd == pytest.approx(expected, abs=1e-6)
