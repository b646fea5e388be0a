"""KPI services: read what the KPIs need from the other domains' services, in one go, and
compute them. The caller owns the session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from carexport.kpi import repository
from carexport.kpi import rollout as rollout_module
from carexport.kpi.exports import ExportView, export_view
from carexport.kpi.fvl import check_group, finish
from carexport.kpi.reconcile import reconcile, roll_up_months
from carexport.kpi.statistics import SeedFigure, seed_figures
from carexport.kpi.targets import TargetStatus, evaluate_targets
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.tracking import service as tracking_service


def export_cube(session: Session, org_id: str, basis: str) -> pl.DataFrame:
    """Exported vehicles by month, brand, variant, origin and country (kpi.repository)."""
    return repository.export_cube(
        session, tracking_service.export_counts(org_id, basis), orders_service.order_lines(org_id)
    )


def exports(
    session: Session,
    org_id: str,
    *,
    basis: str = "customs",
    by: tuple[str, ...] = (),
    period: str = "year",
    through: dt.date | None = None,
) -> ExportView:
    """Exports in units and value by period and dimensions (see kpi.exports.export_view)."""
    cube = export_cube(session, org_id, basis)
    snapshot = network_service.snapshot_of(session, org_id)
    return export_view(cube, snapshot, basis=basis, by=by, period=period, through=through)


def targets(session: Session, org_id: str, *, as_of: dt.date | None = None) -> list[TargetStatus]:
    """Every target with its trajectory. Brand targets no statistic covers are measured on
    the store's customs-basis exports of complete calendar years."""
    snapshot = network_service.snapshot_of(session, org_id)
    return _targets(snapshot, export_cube(session, org_id, "customs"), as_of or dt.date.today())


@dataclass(frozen=True)
class Overview:
    monthly: ExportView
    yearly: ExportView
    targets: list[TargetStatus]


def overview(
    session: Session, org_id: str, *, basis: str = "customs", as_of: dt.date | None = None
) -> Overview:
    """Exports by month and by year, and every target: what the dashboard's first page
    shows, from one read of the network and one aggregate per basis."""
    snapshot = network_service.snapshot_of(session, org_id)
    cube = export_cube(session, org_id, basis)
    customs = cube if basis == "customs" else export_cube(session, org_id, "customs")
    return Overview(
        export_view(cube, snapshot, basis=basis, period="month"),
        export_view(cube, snapshot, basis=basis, period="year"),
        _targets(snapshot, customs, as_of or dt.date.today()),
    )


def _targets(snapshot: NetworkSnapshot, cube: pl.DataFrame, as_of: dt.date) -> list[TargetStatus]:
    store: dict[str, dict[int, int]] = {}
    if cube.height:
        years = cube.with_columns(pl.col("month").str.slice(0, 4).cast(pl.Int32).alias("year"))
        years = years.filter(pl.col("year") < as_of.year)
        group = {b: (brand.group or b) for b, brand in snapshot.brands.items()}
        for brand, year, vehicles in (
            years.group_by("brand", "year").agg(pl.col("vehicles").sum()).iter_rows()
        ):
            store.setdefault(brand, {})[year] = vehicles
            scope = group.get(brand, brand)
            store.setdefault(scope, {})
            store[scope][year] = store[scope].get(year, 0) + vehicles
    return evaluate_targets(snapshot, as_of=as_of, store_yearly=store)


def seed(session: Session, org_id: str) -> tuple[list[SeedFigure], list[str]]:
    """The seed article's figures recomputed from the organisation's stored statistics."""
    return seed_figures(network_service.snapshot_of(session, org_id))


def rollout(
    session: Session, org_id: str, brand: str, *, as_of: dt.date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The brand's stores and countries by month, and its store plan against them."""
    snapshot = network_service.snapshot_of(session, org_id)
    return (
        rollout_module.rollout(snapshot, brand),
        rollout_module.rollout_against_plan(snapshot, brand, as_of=as_of),
    )


def store_months(session: Session, org_id: str, basis: str = "customs") -> pl.DataFrame:
    """carexport's exports by month, destination and powertrain (reconcile's store input)."""
    snapshot = network_service.snapshot_of(session, org_id)
    powertrain = {v: variant.powertrain.value for v, variant in snapshot.variants.items()}
    return (
        export_cube(session, org_id, basis)
        .select(
            pl.col("month").str.to_date("%Y-%m"),
            pl.col("country").alias("partner_country"),
            pl.col("variant").replace_strict(powertrain, default="ICE").alias("powertrain"),
            "vehicles",
            "value_usd",
        )
        .group_by("month", "partner_country", "powertrain")
        .agg(pl.col("vehicles").sum(), pl.col("value_usd").sum())
        .sort("month", "partner_country", "powertrain")
    )


def reconcile_with(
    session: Session,
    org_id: str,
    official: pl.DataFrame,
    *,
    basis: str = "customs",
    level: str = "group",
) -> pl.DataFrame:
    """carexport's exports against an official (Comtrade) frame, per partner, period and
    HS group (kpi.reconcile.RECONCILIATION_SCHEMA)."""
    months = store_months(session, org_id, basis)
    return reconcile(roll_up_months(months, official), official, level=level)


def fvl(
    session: Session, org_id: str, *, by: str = "none", as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """The finished-vehicle KPIs of the organisation's tracked vehicles (see kpi.fvl)."""
    return fvl_views(session, org_id, (by,), as_of=as_of)[by]


def fvl_views(
    session: Session,
    org_id: str,
    groups: Sequence[str],
    *,
    as_of: dt.datetime | None = None,
) -> dict[str, pl.DataFrame]:
    """The finished-vehicle KPIs grouped several ways (kpi.fvl.GROUPS), each one aggregate
    of the facts kept per VIN (tracking.service.fvl_sums): group -> frame, as fvl gives it."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    for by in groups:
        check_group(by)
    sums = tracking_service.fvl_sums(session, org_id, groups, as_of)
    return {by: finish(sums[by], by) for by in groups}
