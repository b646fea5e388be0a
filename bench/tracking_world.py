"""A tracking world at benchmark scale: the Chongqing network, an order book of N VINs
imported the real way, a current plan for every VIN, and simulated events.

Planning a million vehicles takes the optimiser minutes (see bench_planner.py), so each
VIN's plan here is its market's fastest path from its plant, leaving on its ready date:
legs back to back with a day between them. Expected milestones come from those legs
through the same code a stored plan uses (tracking.milestones), and events through the
same simulator as the demo (tracking.simulate), so ingest sees realistic streams.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.paths import best_path_to_market, best_paths
from carexport.network.service import load_dataset
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders.generate import generate, write_order_book
from carexport.orders.service import ImportOptions, import_orders, read_files
from carexport.tracking import repository as tracking_repository
from carexport.tracking.milestones import expected_milestones, pack
from carexport.tracking.simulate import network_inputs, simulate

ORG = "bench"
# In the past, so that every simulated event has happened by now: ingest rejects events
# from the future, and the CLI's "now" is the clock's.
START = dt.date.today() - dt.timedelta(days=240)
PLAN_ID = "bench-fastest-paths"


@dataclass(frozen=True)
class World:
    snapshot: NetworkSnapshot
    orders: pl.DataFrame
    vehicles: pl.DataFrame  # order_id, vin
    milestones: pl.DataFrame  # vin, seq, code, node, lane_id, planned_at
    order_files: tuple[Path, Path]  # orders.csv, vehicles.csv


def make_world(vins: int, *, seed: int = 7, workdir: Path) -> World:
    snapshot = read_dataset(builtin_folder()).snapshot()
    book = generate(
        snapshot,
        months=3,
        start=START,
        seed=seed,
        vehicles_per_year=vins * 4,
        median_order_vehicles=10 / 1.377,
    )
    files = write_order_book(book, workdir / "book.csv", about="tracking benchmark")
    legs, starts = fastest_legs(snapshot, book.orders, book.vehicles)
    node_country = {n.id: n.country for n in snapshot.nodes.values()}
    milestones = expected_milestones(legs, starts, node_country)
    return World(snapshot, book.orders, book.vehicles, milestones, (files[0], files[1]))


def fastest_legs(
    snapshot: NetworkSnapshot, orders: pl.DataFrame, vehicles: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each VIN on its market's fastest path from its plant, legs back to back (a day
    between them), leaving on its ready date. Returns (legs, starts) as
    tracking.milestones.expected_milestones takes them."""
    templates = []
    for origin in orders["origin"].unique().to_list():
        paths = best_paths(snapshot, [origin], "days", as_of=START)
        for country in orders.filter(pl.col("origin") == origin)["destination_country"].unique():
            path = best_path_to_market(snapshot, paths, country, "days")
            if path is None:
                continue
            day = 1  # gate out the day after release
            for leg, lane_id in enumerate(path.lane_ids, start=1):
                lane = snapshot.lanes[lane_id]
                templates.append(
                    (
                        origin,
                        country,
                        leg,
                        lane_id,
                        lane.from_node,
                        lane.to_node,
                        lane.mode.value,
                        day,
                        day + lane.transit_days,
                    )
                )
                day += lane.transit_days + 1
    template = pl.DataFrame(
        templates,
        orient="row",
        schema={
            "origin": pl.String,
            "destination_country": pl.String,
            "leg": pl.Int64,
            "lane_id": pl.String,
            "from_node": pl.String,
            "to_node": pl.String,
            "mode": pl.String,
            "_out": pl.Int64,
            "_in": pl.Int64,
        },
    )
    placed = vehicles.select("order_id", "vin").join(
        orders.select("order_id", "origin", "destination_country", "ready_date"), on="order_id"
    )
    legs = placed.join(template, on=["origin", "destination_country"]).select(
        "vin",
        "leg",
        "lane_id",
        "from_node",
        "to_node",
        "mode",
        (pl.col("ready_date") + pl.duration(days=pl.col("_out"))).alias("depart_date"),
        (pl.col("ready_date") + pl.duration(days=pl.col("_in"))).alias("arrive_date"),
    )
    ends = legs.group_by("vin").agg(pl.col("arrive_date").max())
    starts = placed.join(ends, on="vin").select(
        "vin",
        pl.col("origin").alias("start_node"),
        pl.col("ready_date").alias("start_date"),
        (pl.col("arrive_date") + pl.duration(days=2)).alias("delivered_date"),
    )
    return legs, starts


def load_world(url: str, world: World) -> None:
    """Network, orders (through the real import) and every VIN's current plan."""
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    orders_file, vehicles_file = world.order_files
    options = ImportOptions()
    orders, vehicles = read_files(orders_file, vehicles_file, options)
    with unit_of_work(engine) as session:
        report = import_orders(
            session, ORG, world.snapshot, orders, vehicles, options, source="bench"
        )
        if report.errors:
            raise SystemExit(f"order import failed: {report.errors[:3]}")
    due = world.vehicles.join(world.orders.select("order_id", "due_date"), on="order_id")
    plans = (
        pack(world.milestones)
        .join(due.select("vin", "due_date"), on="vin", how="left")
        .with_columns(pl.lit(PLAN_ID).alias("plan_id"))
    )
    with unit_of_work(engine) as session:
        tracking_repository.store_vehicle_plans(session, ORG, plans)
    engine.dispose()


def events(world: World, *, count: int, seed: int = 7) -> pl.DataFrame:
    """`count` simulated raw events, shuffled: the first `count` in time of a simulation
    (with the simulator's duplicates, damages and late reports)."""
    lanes, kinds = network_inputs(world.snapshot)
    until = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    frame = simulate(world.milestones, lanes, kinds, until=until, seed=seed)
    # ISO text in UTC sorts as time does.
    return frame.sort("event_time").head(count).sample(fraction=1.0, shuffle=True, seed=seed)


def timed(label: str, since: float) -> float:
    now = time.perf_counter()
    print(f"  {label}: {now - since:.1f} s", flush=True)
    return now
