"""API shapes for orders. Incoming cells are loosely typed on purpose: the import checks
report every bad value with its position, exactly as for a file."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from carexport.api.schemas import ProblemOut

Cell = str | int | float | None


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    order_id: Cell = Field(None, examples=["CA-2026-000123"])
    brand: Cell = Field(None, examples=["CHANGAN"])
    model: Cell = Field(None, examples=["CS55_PLUS"])
    variant: Cell = Field(None, examples=["CS55_PLUS_15T_LHD"])
    drive_side: Cell = Field(None, description="LHD or RHD, when no variant is given")
    powertrain: Cell = Field(None, description="BEV, PHEV, EREV, HEV or ICE, with drive_side")
    quantity: Cell = Field(None, examples=[40])
    origin: Cell = Field(None, description="Plant node id", examples=["CN_CQ_CHANGAN"])
    destination_country: Cell = Field(None, examples=["SA"])
    destination_node: Cell = None
    dealer: Cell = None
    ready_date: Cell = Field(None, examples=["2026-12-01"])
    due_date: Cell = Field(None, examples=["2027-01-31"])
    unit_value_usd: Cell = None
    priority: Cell = Field(None, description="1 (most urgent) to 5; default 3")


class VehicleIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    vin: Cell = Field(None, examples=["LC9012008TC000001"])
    order_id: Cell = None
    soc_pct: Cell = Field(None, description="Battery state of charge in percent (NEVs)")


class OrderBatch(BaseModel):
    orders: list[OrderIn] = Field(min_length=1, description="At least one order")
    vehicles: list[VehicleIn] = []


class ImportReportOut(BaseModel):
    committed: bool
    import_id: str | None
    rows: int
    orders_inserted: int
    orders_updated: int
    orders_unchanged: int
    orders_rejected: int
    vehicles_inserted: int
    vehicles_deleted: int
    errors: int
    warnings: int
    problems: list[ProblemOut]


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    brand_id: str
    model_id: str
    variant_id: str
    quantity: int
    origin_node: str
    destination_country: str
    destination_node: str | None
    dealer_id: str | None
    ready_date: dt.date
    due_date: dt.date
    unit_value_usd: float
    priority: int
    status: str


class VehicleOut(BaseModel):
    vin: str
    soc_pct: float | None


class OrderDetailOut(OrderOut):
    vehicles: list[VehicleOut]


class OrderPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[OrderOut]
