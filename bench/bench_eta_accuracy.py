"""Benchmark: how close ETAs come to the actual delivery, plan-only against learned.

On simulated history (bench/tracking_world.py: fastest-path plans for an order book over
three months, events from tracking.simulate): the vehicles ready in the first half of the
period are the history. Their events go through ingest into a fresh SQLite database and
the transit model is learned from them (`learn_transit`, the product's own step). For the
vehicles ready later (none of whose events were learned from), the ETA is projected at
each checkpoint from the actual time of that milestone, with the product's projection
(tracking.eta.project), twice: with the plan's transit figures (plan-only: the plan
shifted by the delay seen) and with the learned lane medians. Printed per checkpoint: mean
absolute error in days against the actual DELIVERED time, and how often the delivery came
by the learned p90 ETA.

Checkpoints: gate out of the plant; departure from the origin port or terminal (the first
departure from a rail terminal, river port or seaport); border (export clearance: the
network keeps border crossings as stops inside lanes, without milestones of their own);
discharge at the port of destination (sea routes).

The learned ETA can only win where the world differs from the plan: the simulator gives
each lane a transit bias of its own (log-normal, sd 15%, 8% slow on average), as real
lanes differ from their published figures. Goal (issue 5): learned MAE below plan-only
MAE at every checkpoint.

    uv run python bench/bench_eta_accuracy.py              # 40k VINs
    uv run python bench/bench_eta_accuracy.py --smoke      # seconds; what CI runs
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from carexport.db.session import make_engine, unit_of_work
from carexport.tracking import repository
from carexport.tracking.eta import ANCHOR_SCHEMA, no_model, project
from carexport.tracking.events import parse_time
from carexport.tracking.ingest import ingest, numbered
from carexport.tracking.service import learn_transit
from tracking_world import ORG, events, load_world, make_world

MAIN_HAUL = ("rail_terminal", "river_port", "seaport")


def checkpoints(happened: pl.DataFrame, plans: pl.DataFrame, kinds: dict[str, str]) -> pl.DataFrame:
    """vin, checkpoint, matched_seq, matched_at: each test VIN's checkpoint milestones
    with their actual times, matched to the plan by code and node."""
    first_plan = plans.group_by("vin", "code", "node").agg(pl.col("seq").min())
    matched = happened.join(first_plan, on=["vin", "code", "node"])
    main_haul = (
        matched.filter(
            (pl.col("code") == "DEPARTED")
            & pl.col("node").replace_strict(kinds, default="").is_in(list(MAIN_HAUL))
        )
        .sort("event_time")
        .group_by("vin")
        .first()
        .with_columns(pl.lit("departed origin port/terminal").alias("checkpoint"))
    )
    named = {
        "GATE_OUT": "gate out",
        "EXPORT_CLEARED": "border (export cleared)",
        "DISCHARGED": "discharge",
    }
    simple = (
        matched.filter(pl.col("code").is_in(list(named)))
        .sort("event_time")
        .group_by("vin", "code")
        .first()
        .with_columns(pl.col("code").replace_strict(named).alias("checkpoint"))
    )
    return pl.concat(
        [
            part.select(
                "vin", "checkpoint", "seq", pl.col("event_time").alias("matched_at")
            ).rename({"seq": "matched_seq"})
            for part in (simple, main_haul)
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vins", type=int, default=40_000)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    args = parser.parse_args()
    vins = 2_000 if args.smoke else args.vins

    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        t0 = time.perf_counter()
        world = make_world(vins, workdir=workdir)
        stream = events(world, count=10 * world.milestones.height)  # all that happened
        ready = world.vehicles.join(world.orders.select("order_id", "ready_date"), on="order_id")
        cut = ready["ready_date"].sort()[ready.height // 2]
        history_vins = ready.filter(pl.col("ready_date") < cut)["vin"]
        history = stream.filter(pl.col("vin").is_in(history_vins.implode()))
        url = f"sqlite:///{workdir / 'eta.db'}"
        load_world(url, world)
        engine = make_engine(url)
        for start in range(0, history.height, 200_000):
            with unit_of_work(engine) as session:
                ingest(session, ORG, numbered(history.slice(start, 200_000)), source="history")
        with unit_of_work(engine) as session:
            stats, _ = learn_transit(session, ORG)
            model = repository.transit_model(session, ORG)
        engine.dispose()
        print(
            f"{world.vehicles.height:,} VINs; history: {history_vins.len():,} VINs ready before "
            f"{cut} ({history.height:,} events), {stats.height} lanes and destinations learned; "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )

    test = stream.filter(~pl.col("vin").is_in(history_vins.implode())).with_columns(
        parse_time("event_time").alias("event_time")
    )
    happened = test.unique(["vin", "event_id"])
    delivered = (
        happened.filter(pl.col("code") == "DELIVERED")
        .group_by("vin")
        .agg(pl.col("event_time").min().alias("delivered_at"))
    )
    plans = world.milestones.filter(pl.col("vin").is_in(delivered["vin"].implode()))
    kinds = {n.id: n.kind.value for n in world.snapshot.nodes.values()}
    points = checkpoints(happened, plans, kinds)
    rows = []
    for name in (
        "gate out",
        "departed origin port/terminal",
        "border (export cleared)",
        "discharge",
    ):
        at = points.filter(pl.col("checkpoint") == name).select(ANCHOR_SCHEMA.keys())
        if at.is_empty():
            continue
        anchored = plans.join(at.select("vin"), on="vin", how="semi")
        result = {}
        for label, used in (("plan", no_model()), ("learned", model)):
            projected = project(anchored, at, used).join(delivered, on="vin")
            error = (pl.col("eta") - pl.col("delivered_at")).dt.total_seconds().abs() / 86400
            result[label] = projected.select(error.mean()).item()
            if label == "learned":
                result["p90"] = projected.select(
                    (pl.col("delivered_at") <= pl.col("eta_p90")).mean()
                ).item()
        rows.append((name, at.height, result["plan"], result["learned"], result["p90"]))

    print()
    print(
        f"{'checkpoint':<32}{'VINs':>9}{'MAE plan d':>12}{'MAE learned d':>15}"
        f"{'better %':>10}{'by p90 %':>10}"
    )
    for name, n, plan_mae, learned_mae, p90 in rows:
        better = 100 * (plan_mae - learned_mae) / plan_mae if plan_mae else 0.0
        print(
            f"{name:<32}{n:>9,}{plan_mae:>12.2f}{learned_mae:>15.2f}{better:>10.0f}"
            f"{100 * p90:>10.0f}"
        )
    print(
        "goal: learned MAE < plan-only MAE at every checkpoint; 'by p90' = share delivered by the learned p90 ETA"
    )


if __name__ == "__main__":
    main()
