"""Learned transit times: each lane's median and 90th percentile from completed legs (pure).

An observation is one VIN's leg on one lane: its first ARRIVED minus its first DEPARTED
on that lane, when both are reported and the arrival is later. The database counts them
per whole hour (repository.transit_histogram), so learning reads a few thousand rows
however many vehicles have moved, and the figures are a function of the set of events
(never of the order they came in). Quantiles are read off the hourly histogram: exact to
the hour, which is finer than any lane's day-to-day spread.

Learning is a step of its own (`carexport eta learn`, nightly in a control tower), not
part of every ingest: ETAs then depend only on the events and the model in force, so
re-sent or reordered batches give the same ETAs.
"""

from __future__ import annotations

import polars as pl

from carexport.tracking.eta import LANES_SCHEMA

# Fewer completed legs than this and the lane keeps its planned figure: a median of a
# handful of cars says more about those cars than about the lane.
MIN_OBSERVATIONS = 20


def lane_quantiles(
    histogram: pl.DataFrame, *, min_observations: int = MIN_OBSERVATIONS
) -> pl.DataFrame:
    """histogram: lane_id, hour (whole hours of transit), n -> lane_id, observations,
    median_hours, p90_hours for lanes with at least min_observations legs. A quantile q
    is the first hour at which the cumulative count reaches q of the total, taken at the
    middle of that hour."""
    ordered = histogram.filter(pl.col("n") > 0).sort("lane_id", "hour")
    with_share = ordered.with_columns(
        pl.col("n").cum_sum().over("lane_id").alias("_cum"),
        pl.col("n").sum().over("lane_id").alias("observations"),
    )

    def quantile(q: float, name: str) -> pl.Expr:
        return (
            (pl.col("hour").filter(pl.col("_cum") >= q * pl.col("observations")).first() + 0.5)
            .cast(pl.Float64)
            .alias(name)
        )

    stats = with_share.group_by("lane_id").agg(
        pl.col("observations").first().cast(pl.Int64),
        quantile(0.5, "median_hours"),
        quantile(0.9, "p90_hours"),
    )
    return stats.filter(pl.col("observations") >= min_observations).sort("lane_id")


def lanes_model(stats: pl.DataFrame) -> pl.DataFrame:
    """The ETA's view of learned stats: lane_id, median_hours, p90_hours."""
    return stats.select([pl.col(c).cast(t) for c, t in LANES_SCHEMA.items()])
