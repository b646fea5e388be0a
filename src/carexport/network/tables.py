"""Network tables. Column names are the dataset's field names; every row has an org_id.

Lists (via nodes, destination nodes, homologations, source keys) are JSON arrays: they
are read and written whole with their row and never queried element by element.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db.base import Base, OrgOwned

ID = String(64)


class SourceRow(OrgOwned, Base):
    __tablename__ = "network_source"
    key: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class NodeRow(OrgOwned, Base):
    __tablename__ = "network_node"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    handling_days: Mapped[int] = mapped_column(Integer)
    storage_cost_usd_per_day: Mapped[float] = mapped_column(Float)
    yard_capacity_vehicles: Mapped[int | None] = mapped_column(Integer)
    production_start: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[list[str]] = mapped_column(JSON)


class Co2FactorRow(OrgOwned, Base):
    __tablename__ = "network_co2_factor"
    mode: Mapped[str] = mapped_column(String(32), primary_key=True)
    g_co2e_per_vehicle_km: Mapped[float] = mapped_column(Float)
    basis: Mapped[str | None] = mapped_column(Text)
    source: Mapped[list[str]] = mapped_column(JSON)


class LaneRow(OrgOwned, Base):
    __tablename__ = "network_lane"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "from_node"], ["network_node.org_id", "network_node.id"]),
        ForeignKeyConstraint(["org_id", "to_node"], ["network_node.org_id", "network_node.id"]),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    from_node: Mapped[str] = mapped_column(ID)
    to_node: Mapped[str] = mapped_column(ID)
    via_nodes: Mapped[list[str]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(32))
    route: Mapped[str | None] = mapped_column(String(32))
    distance_km: Mapped[float] = mapped_column(Float)
    transit_days: Mapped[int] = mapped_column(Integer)
    transit_days_min: Mapped[int | None] = mapped_column(Integer)
    transit_days_max: Mapped[int | None] = mapped_column(Integer)
    departures: Mapped[str] = mapped_column(Text)
    capacity_slots: Mapped[int] = mapped_column(Integer)
    cost_usd_per_vehicle: Mapped[float] = mapped_column(Float)
    co2e_kg_per_vehicle: Mapped[float | None] = mapped_column(Float)
    carrier: Mapped[str | None] = mapped_column(String(200))
    nev_allowed: Mapped[bool] = mapped_column(Boolean)
    nev_max_soc_pct: Mapped[float | None] = mapped_column(Float)
    nev_dangerous_goods: Mapped[bool] = mapped_column(Boolean)
    dg_handling_cost_usd: Mapped[float | None] = mapped_column(Float)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[list[str]] = mapped_column(JSON)


class LeftTrafficCountryRow(OrgOwned, Base):
    __tablename__ = "network_left_traffic_country"
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    vehicle_drive_side: Mapped[str] = mapped_column(String(3))
    source: Mapped[list[str]] = mapped_column(JSON)


class HomologationRegimeRow(OrgOwned, Base):
    __tablename__ = "network_homologation_regime"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[list[str]] = mapped_column(JSON)


class MarketRow(OrgOwned, Base):
    __tablename__ = "network_market"
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(32))
    homologation: Mapped[str] = mapped_column(String(32))
    destination_nodes: Mapped[list[str]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[list[str]] = mapped_column(JSON)


class BrandRow(OrgOwned, Base):
    __tablename__ = "network_brand"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[list[str]] = mapped_column(JSON)


class VehicleModelRow(OrgOwned, Base):
    __tablename__ = "network_vehicle_model"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "brand_id"], ["network_brand.org_id", "network_brand.id"]),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    brand_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[list[str]] = mapped_column(JSON)


class VariantRow(OrgOwned, Base):
    __tablename__ = "network_variant"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "model_id"], ["network_vehicle_model.org_id", "network_vehicle_model.id"]
        ),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    model_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200))
    powertrain: Mapped[str] = mapped_column(String(8))
    drive_side: Mapped[str] = mapped_column(String(3))
    slot_factor: Mapped[float] = mapped_column(Float)
    unit_price_usd: Mapped[float] = mapped_column(Float)
    battery_kwh: Mapped[float | None] = mapped_column(Float)
    homologations: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[list[str]] = mapped_column(JSON)


class DealerRow(OrgOwned, Base):
    __tablename__ = "network_dealer"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "brand_id"], ["network_brand.org_id", "network_brand.id"]),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    brand_id: Mapped[str] = mapped_column(ID)
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(200))
    opening_date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[list[str]] = mapped_column(JSON)


class TargetRow(OrgOwned, Base):
    __tablename__ = "network_target"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    deadline: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[list[str]] = mapped_column(JSON)


class ExportStatisticRow(OrgOwned, Base):
    __tablename__ = "network_export_statistic"
    scope: Mapped[str] = mapped_column(ID, primary_key=True)
    metric: Mapped[str] = mapped_column(ID, primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    basis: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    approximate: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[list[str]] = mapped_column(JSON)


class ExchangeRateRow(OrgOwned, Base):
    __tablename__ = "network_exchange_rate"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cny_per_usd: Mapped[float] = mapped_column(Float)
    source: Mapped[list[str]] = mapped_column(JSON)


class RouteSettingRow(OrgOwned, Base):
    __tablename__ = "network_route"
    route: Mapped[str] = mapped_column(String(32), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[list[str]] = mapped_column(JSON)
