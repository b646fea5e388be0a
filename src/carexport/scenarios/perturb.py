"""Apply a scenario to a frozen network and order book: new values, the inputs untouched.

A change with a window (start, end) touches only the departures inside it: the lane is
split into the departures outside the window (as they were) and a copy `LANE~kind` with the
departures inside it, changed. Departures are written out as dates over the plan's days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from statistics import NormalDist
from types import MappingProxyType

import numpy as np
import polars as pl

from carexport.network.schemas import Lane
from carexport.network.snapshot import NetworkSnapshot
from carexport.scenarios.spec import (
    AnyChange,
    CancelDepartures,
    CapacityCut,
    Change,
    CloseLanes,
    Co2Price,
    CostShock,
    DemandChange,
    LaneSelector,
    NodeDelay,
    OpenRoute,
)

# z of the 90th percentile of a standard normal: a learned lane's lognormal has its median
# and p90 where the tracking history put them.
Z90 = 1.2815515655446004


@dataclasses.dataclass(frozen=True)
class Window:
    """The plan's days: departures are materialised between first and last."""

    first: dt.date
    last: dt.date


def _with_lanes(snapshot: NetworkSnapshot, lanes: Iterable[Lane]) -> NetworkSnapshot:
    return dataclasses.replace(snapshot, lanes=MappingProxyType({ln.id: ln for ln in lanes}))


def _dates_text(dates: list[dt.date]) -> str:
    return "dates:" + ";".join(d.isoformat() for d in dates)


def _split(
    lane: Lane, change: Change, window: Window, edit: Callable[[Lane], Lane | None], tag: str
) -> list[Lane]:
    """The lane with edit applied to its departures inside the change's window."""
    if change.start is None and change.end is None:
        edited = edit(lane)
        return [] if edited is None else [edited]
    dates = lane.departures_between(window.first, window.last)
    start, end = change.start or dt.date.min, change.end or dt.date.max
    inside = [d for d in dates if start <= d <= end]
    outside = [d for d in dates if not start <= d <= end]
    if not inside:
        return [lane]
    kept = []
    if outside:
        kept.append(lane.model_copy(update={"departures": _dates_text(outside)}))
    changed = edit(
        lane.model_copy(update={"id": f"{lane.id}~{tag}", "departures": _dates_text(inside)})
    )
    if changed is not None:
        kept.append(changed)
    return kept


def _selected(lane: Lane, sel: LaneSelector) -> bool:
    return (
        lane.id in sel.lanes
        or (sel.route is not None and lane.route == sel.route)
        or (
            sel.via_node is not None
            and sel.via_node in (lane.from_node, lane.to_node, *lane.via_nodes)
        )
        or (sel.carrier is not None and lane.carrier == sel.carrier)
        or lane.mode.value in sel.modes
    )


def _slower(days: int) -> Callable[[Lane], Lane]:
    def edit(lane: Lane) -> Lane:
        return lane.model_copy(
            update={
                "transit_days": lane.transit_days + days,
                "transit_days_min": None
                if lane.transit_days_min is None
                else lane.transit_days_min + days,
                "transit_days_max": None
                if lane.transit_days_max is None
                else lane.transit_days_max + days,
            }
        )

    return edit


def _lane_change(lane: Lane, change: AnyChange, window: Window) -> list[Lane]:
    if isinstance(change, CloseLanes):
        return (
            _split(lane, change, window, lambda _: None, "closed")
            if _selected(lane, change)
            else [lane]
        )
    if isinstance(change, NodeDelay):
        if change.kind == "port_dwell":
            hit = lane.from_node == change.node
        else:
            hit = change.node in lane.via_nodes or lane.to_node == change.node
        return _split(lane, change, window, _slower(change.days), change.kind) if hit else [lane]
    if isinstance(change, CapacityCut):
        if not _selected(lane, change):
            return [lane]
        slots = math.floor(lane.capacity_slots * (1 - change.pct / 100))
        return _split(
            lane,
            change,
            window,
            lambda ln: None if slots < 1 else ln.model_copy(update={"capacity_slots": slots}),
            "cut",
        )
    if isinstance(change, CostShock):
        if not _selected(lane, change):
            return [lane]
        factor = 1 + change.change_pct / 100 * change.fuel_share
        return _split(
            lane,
            change,
            window,
            lambda ln: ln.model_copy(
                update={"cost_usd_per_vehicle": ln.cost_usd_per_vehicle * factor}
            ),
            "cost",
        )
    if isinstance(change, CancelDepartures) and lane.id == change.lane:
        dates = lane.departures_between(window.first, window.last)
        start, end = change.start or dt.date.min, change.end or dt.date.max
        cancelled = set(change.dates) if change.dates else {d for d in dates if start <= d <= end}
        if change.first is not None:
            cancelled = set(sorted(d for d in dates if start <= d <= end)[: change.first])
        left = [d for d in dates if d not in cancelled]
        return [lane.model_copy(update={"departures": _dates_text(left)})] if left else []
    return [lane]


def apply_network(
    snapshot: NetworkSnapshot, changes: Iterable[AnyChange], window: Window
) -> NetworkSnapshot:
    """The network with every lane change applied in order (demand and CO2 price are not
    the network's: see apply_vehicles and co2_price)."""
    for change in changes:
        if isinstance(change, OpenRoute):
            reopened = [ln for ln in snapshot.closed_lanes.values() if ln.route == change.route]
            moved = {ln.id for ln in reopened}
            snapshot = dataclasses.replace(
                snapshot,
                lanes=MappingProxyType({**snapshot.lanes, **{ln.id: ln for ln in reopened}}),
                closed_lanes=MappingProxyType(
                    {k: v for k, v in snapshot.closed_lanes.items() if k not in moved}
                ),
            )
            if change.start is not None or change.end is not None:
                # Open only for the window: close it again outside.
                outside = [
                    CloseLanes(
                        kind="close",
                        lanes=tuple(sorted(moved)),
                        end=change.start - dt.timedelta(days=1),
                    )
                    if change.start
                    else None,
                    CloseLanes(
                        kind="close",
                        lanes=tuple(sorted(moved)),
                        start=change.end + dt.timedelta(days=1),
                    )
                    if change.end
                    else None,
                ]
                snapshot = apply_network(snapshot, [c for c in outside if c is not None], window)
            continue
        if isinstance(change, DemandChange | Co2Price):
            continue
        lanes = [
            new for lane in snapshot.lanes.values() for new in _lane_change(lane, change, window)
        ]
        snapshot = _with_lanes(snapshot, lanes)
    return snapshot


def co2_price(changes: Iterable[AnyChange], default: float) -> float:
    prices = [c.usd_per_t for c in changes if isinstance(c, Co2Price)]
    return prices[-1] if prices else default


def apply_vehicles(
    snapshot: NetworkSnapshot, vehicles: pl.DataFrame, changes: Iterable[AnyChange]
) -> pl.DataFrame:
    """The order book with each demand change: an order's vehicles scaled by
    1 + change_pct/100, rounded to whole vehicles. Fewer: its first VINs (sorted) stay; more:
    copies of its last vehicle numbered ORDER#S0001, ... (the same dates and market)."""
    brand_of = {
        v.id: snapshot.models[v.model_id].brand_id
        for v in snapshot.variants.values()
        if v.model_id in snapshot.models
    }
    side_of = {v.id: v.drive_side.value for v in snapshot.variants.values()}
    region_of = {c: m.region.value for c, m in snapshot.markets.items()}
    for change in changes:
        if not isinstance(change, DemandChange):
            continue
        hit = pl.lit(True)
        if change.markets:
            hit &= pl.col("destination_country").is_in(list(change.markets))
        if change.regions:
            regions = pl.col("destination_country").replace_strict(region_of, default="")
            hit &= regions.is_in(list(change.regions))
        if change.brands:
            brands = pl.col("variant_id").replace_strict(brand_of, default="")
            hit &= brands.is_in(list(change.brands))
        if change.drive_side:
            hit &= pl.col("variant_id").replace_strict(side_of, default="") == change.drive_side
        if change.start:
            hit &= pl.col("start_date") >= change.start
        if change.end:
            hit &= pl.col("start_date") <= change.end
        factor = 1 + change.change_pct / 100
        marked = vehicles.with_columns(hit.alias("_hit")).sort("order_id", "vin")
        untouched = marked.filter(~pl.col("_hit")).drop("_hit")
        touched = marked.filter(pl.col("_hit")).drop("_hit")
        counts = touched.group_by("order_id").agg(pl.len().alias("_n"))
        touched = touched.join(counts, on="order_id").with_columns(
            pl.int_range(pl.len()).over("order_id").alias("_i"),
            (pl.col("_n") * factor).round(0).cast(pl.Int64).alias("_want"),
        )
        kept = touched.filter(pl.col("_i") < pl.col("_want"))
        extra = (
            touched.filter(pl.col("_i") == pl.col("_n") - 1)
            .filter(pl.col("_want") > pl.col("_n"))
            .with_columns(pl.int_ranges(1, pl.col("_want") - pl.col("_n") + 1).alias("_k"))
            .explode("_k")
            .with_columns(
                (pl.col("order_id") + "#S" + pl.col("_k").cast(pl.String).str.zfill(4)).alias("vin")
            )
        )
        columns = vehicles.columns
        vehicles = pl.concat([untouched, kept.select(columns), extra.select(columns)]).sort(
            "order_id", "vin"
        )
    return vehicles


def sample_transits(
    snapshot: NetworkSnapshot,
    learned: Mapping[str, tuple[float, float]],
    seed: int,
    sample: int,
) -> NetworkSnapshot:
    """One draw of every lane's transit days, the same for the same (seed, sample) whatever
    runs it: a lane with learned (median, p90) hours draws from the lognormal through them,
    else from the triangle of its min, typical and max days. Sample 0 of a run with one
    sample is not drawn: the caller keeps the typical days."""
    rng = np.random.default_rng([seed, sample])
    lanes = []
    for lane_id in sorted(snapshot.lanes):
        lane = snapshot.lanes[lane_id]
        draw_uniform = rng.random()  # one number per lane, so lanes never shift each other
        if lane_id in learned:
            median_h, p90_h = learned[lane_id]
            sigma = max(0.0, math.log(max(p90_h, median_h) / median_h)) / Z90
            z = NormalDist().inv_cdf(min(max(draw_uniform, 1e-9), 1 - 1e-9))
            days = median_h * math.exp(sigma * z) / 24
        else:
            low = lane.transit_days_min or lane.transit_days
            high = lane.transit_days_max or lane.transit_days
            days = _triangular(low, lane.transit_days, high, draw_uniform)
        whole = max(1, round(days))
        lanes.append(
            lane.model_copy(
                update={
                    "transit_days": whole,
                    "transit_days_min": min(whole, lane.transit_days_min or whole),
                    "transit_days_max": max(whole, lane.transit_days_max or whole),
                }
            )
        )
    return _with_lanes(snapshot, lanes)


def _triangular(low: float, mode: float, high: float, u: float) -> float:
    if high <= low:
        return mode
    cut = (mode - low) / (high - low)
    if u < cut:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))
