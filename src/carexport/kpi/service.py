"""KPI services: read what the KPIs need, in one go, and compute them."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy.orm import Session

from carexport.kpi.fvl import fvl_kpis
from carexport.network import repository as network_repository
from carexport.tracking import repository as tracking_repository
from carexport.tracking.milestones import unpack


def fvl(
    session: Session, org_id: str, *, by: str = "none", as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """The finished-vehicle KPIs of the organisation's tracked vehicles (see kpi.fvl)."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    events = tracking_repository.all_events(session, org_id)
    plans = tracking_repository.plans_of(session, org_id)
    vins = sorted(set(events["vin"].to_list()) | set(plans["vin"].to_list()))
    expected = unpack(plans.select("vin", "milestones"))
    dims = tracking_repository.vin_dimensions(session, org_id, vins)
    network = network_repository.load_snapshot(session, org_id)
    return fvl_kpis(
        events,
        expected,
        dims,
        {n.id: n.kind.value for n in network.nodes.values()},
        {lane.id: lane.mode.value for lane in network.lanes.values()},
        as_of=as_of,
        by=by,
    )
