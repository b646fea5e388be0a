"""Why an order is late or unserved, in words a planner can argue with.

For each such order the fastest itinerary its vehicles could have had (schedules only,
capacity ignored) is compared with its due date and the plan's loads:
- no itinerary at all within the horizon (and, for NEVs, whether the NEV rule is why);
- the fastest itinerary already misses the due date: no path fits the window;
- otherwise departures on that itinerary are full: they are named, with the shadow price
  of one more slot; if none is full, the plan chose a later, cheaper routing on purpose.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from carexport.planning.expand import Expanded
from carexport.planning.itinerary import Itinerary, Router
from carexport.planning.result import PlanResult


def explain(ex: Expanded, result: PlanResult) -> pl.DataFrame:
    orders = result.orders
    needs = orders.filter((pl.col("days_late") > 0) | (pl.col("unserved") > 0))
    if needs.is_empty():
        return orders.with_columns(pl.lit("").alias("explanation"))
    start = ex.problem.parameters.start
    first = (
        ex.vehicles.filter(pl.col("order_id").is_in(needs["order_id"].implode()))
        .group_by("order_id")
        .agg(
            pl.col(
                "start_index", "start_day", "due_day", "commodity", "nev", "destination_country"
            ).first()
        )
    )
    outside = set(ex.outside_horizon["order_id"].to_list())
    router = Router(ex)
    load = {(r["lane_id"], r["depart_date"]): r for r in result.load_lists.iter_rows(named=True)}
    destinations = {c.index: c.destinations for c in ex.commodities}
    texts: dict[str, str] = {}
    for order_id in outside:
        texts[order_id] = (
            f"not ready inside the horizon (it ends {ex.problem.parameters.end}), "
            "or its start node or market is unknown to the network"
        )
    for row in first.iter_rows(named=True):
        texts[row["order_id"]] = _why(ex, router, row, destinations[row["commodity"]], load, start)
    return orders.with_columns(
        pl.col("order_id")
        .replace_strict(texts, default="", return_dtype=pl.String)
        .alias("explanation")
    )


def _why(
    ex: Expanded,
    router: Router,
    row: dict[str, object],
    destinations: frozenset[int],
    load: dict[tuple[str, dt.date], dict[str, object]],
    start: dt.date,
) -> str:
    node, day, due = int(row["start_index"]), int(row["start_day"]), int(row["due_day"])  # type: ignore[call-overload]
    nev = bool(row["nev"])
    market = row["destination_country"]
    fastest = router.earliest(node, day, destinations, nev=nev)
    if fastest is None:
        if nev and router.earliest(node, day, destinations, nev=False) is not None:
            return (
                f"NEV rule: every route to {market} that delivers within the horizon uses "
                "a lane that does not take NEVs"
            )
        return (
            f"no route from {ex.node_ids[node]} delivers to {market} before the horizon "
            f"ends ({ex.problem.parameters.end})"
        )
    route = _describe(ex, fastest, start)
    delivered = start + dt.timedelta(days=fastest.delivery_day)
    if fastest.delivery_day > due:
        return (
            f"no path fits the window: the fastest route ({route}) delivers on {delivered}, "
            f"{fastest.delivery_day - due} day(s) after the due date"
        )
    binding, slack_full = [], []
    for leg in fastest.legs:
        lane_id = ex.lanes.ids[leg.lane]
        entry = load.get((lane_id, start + dt.timedelta(days=leg.depart_day)))
        if entry is not None and float(entry["utilisation"]) >= 0.999:  # type: ignore[arg-type]
            price = float(entry["shadow_price_usd_per_slot"])  # type: ignore[arg-type]
            # Only a price that shows as at least 1 USD is quoted as a saving: the text
            # must agree with the dual it cites.
            if round(price) >= 1:
                binding.append(
                    f"{lane_id} on {entry['depart_date']} (full; one more slot would save "
                    f"{price:,.0f} USD)"
                )
            else:
                slack_full.append(f"{lane_id} on {entry['depart_date']}")
    if binding:
        return "departures full on its fastest route: " + ", ".join(binding)
    if slack_full:
        return (
            f"departures full on its fastest route ({', '.join(slack_full)}), but one more "
            "slot there would not lower the plan's cost: the car's lateness is cheaper "
            "than moving another car"
        )
    return (
        f"the plan chose a later, cheaper routing: its fastest route ({route}) would deliver "
        f"on {delivered}, but the lateness costs less than that route"
    )


def _describe(ex: Expanded, itinerary: Itinerary, start: dt.date) -> str:
    parts = []
    for leg in itinerary.legs:
        parts.append(f"{ex.lanes.ids[leg.lane]} {start + dt.timedelta(days=leg.depart_day)}")
    return ", ".join(parts)
