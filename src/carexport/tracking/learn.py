"""Learned durations: median and 90th percentile per lane and per destination (pure).

Two kinds of observation, each one per VIN:
- 'lane': a leg on a lane, its first ARRIVED minus its first DEPARTED on that lane;
- 'delivery': at a destination node, its first DELIVERED minus its first ARRIVED or
  DISCHARGED there (import clearance and the last mile).
Both ends must be reported and in order. The database counts them per whole hour
(repository.duration_histogram), so learning reads a few thousand rows however many
vehicles have moved, and the figures are a function of the set of events (never of the
order they came in). Quantiles are read off the hourly histogram: exact to
the hour, which is finer than any lane's day-to-day spread.

Learning is a step of its own (`carexport eta learn`, nightly in a control tower), not
part of every ingest: ETAs then depend only on the events and the model in force, so
re-sent or reordered batches give the same ETAs.
"""

from __future__ import annotations

import polars as pl

# Fewer observations than this and the planned figure stays: a median of a handful of
# cars says more about those cars than about the lane or the destination.
MIN_OBSERVATIONS = 20


def quantiles(histogram: pl.DataFrame, *, min_observations: int = MIN_OBSERVATIONS) -> pl.DataFrame:
    """histogram: kind, key, hour (whole hours), n -> kind, key, observations,
    median_hours, p90_hours for keys with at least min_observations. A quantile q
    is the first hour at which the cumulative count reaches q of the total, taken at the
    middle of that hour."""
    ordered = histogram.filter(pl.col("n") > 0).sort("kind", "key", "hour")
    with_share = ordered.with_columns(
        pl.col("n").cum_sum().over("kind", "key").alias("_cum"),
        pl.col("n").sum().over("kind", "key").alias("observations"),
    )

    def quantile(q: float, name: str) -> pl.Expr:
        return (
            (pl.col("hour").filter(pl.col("_cum") >= q * pl.col("observations")).first() + 0.5)
            .cast(pl.Float64)
            .alias(name)
        )

    stats = with_share.group_by("kind", "key").agg(
        pl.col("observations").first().cast(pl.Int64),
        quantile(0.5, "median_hours"),
        quantile(0.9, "p90_hours"),
    )
    return stats.filter(pl.col("observations") >= min_observations).sort("kind", "key")
