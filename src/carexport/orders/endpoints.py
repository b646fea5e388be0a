"""HTTP endpoints for orders: JSON batches, file uploads, listing and detail."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut, ProblemOut, RequestInvalidOut
from carexport.errors import CarexportError, NotFound
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import repository
from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records
from carexport.orders.schemas import (
    ImportReportOut,
    OrderBatch,
    OrderDetailOut,
    OrderOut,
    OrderPage,
    VehicleOut,
)
from carexport.orders.service import ImportOptions, ImportReport, import_orders, read_files

router = APIRouter(prefix="/orders", tags=["orders"])

IMPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    422: {
        # A rejected import answers with its report; a body or parameter of the wrong
        # shape with FastAPI's field list, as on every other route.
        "model": ImportReportOut | RequestInvalidOut,
        "description": "Rejected: nothing was written",
    },
    400: {"model": ErrorOut, "description": "The organisation has no network loaded"},
}


def _report_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut(
        committed=report.committed,
        import_id=report.import_id,
        rows=report.rows,
        orders_inserted=report.orders_inserted,
        orders_updated=report.orders_updated,
        orders_unchanged=report.orders_unchanged,
        orders_rejected=report.orders_rejected,
        vehicles_inserted=report.vehicles_inserted,
        vehicles_deleted=report.vehicles_deleted,
        errors=len(report.errors),
        warnings=len(report.warnings),
        problems=[ProblemOut.of(p) for p in report.problems],
    )


def _respond(report: ImportReport, options: ImportOptions) -> ImportReportOut | JSONResponse:
    body = _report_out(report)
    if report.errors and not (options.skip_invalid and report.committed) and not options.dry_run:
        return JSONResponse(body.model_dump(mode="json"), status_code=422)
    return body


def _snapshot(session: Session, org_id: str) -> NetworkSnapshot:
    if not network_service.has_network(session, org_id):
        raise CarexportError(
            f"organisation {org_id!r} has no network loaded", hint="run: carexport network load"
        )
    return network_service.snapshot_of(session, org_id)


@router.post("", response_model=ImportReportOut, responses=IMPORT_RESPONSES)
def post_orders(
    batch: OrderBatch,
    session: SessionDep,
    org_id: OrgDep,
    update: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReportOut | JSONResponse:
    """Import a JSON batch with the same checks and atomicity as a file import."""
    options = ImportOptions(dry_run=dry_run, skip_invalid=skip_invalid, update=update)
    orders = read_records(
        "orders", [o.model_dump(exclude_unset=True) for o in batch.orders], ORDER_COLUMNS
    )
    vehicles = (
        read_records(
            "vehicles", [v.model_dump(exclude_unset=True) for v in batch.vehicles], VEHICLE_COLUMNS
        )
        if batch.vehicles
        else None
    )
    report = import_orders(
        session, org_id, _snapshot(session, org_id), orders, vehicles, options, source="api"
    )
    if not report.committed:
        session.rollback()
    return _respond(report, options)


@router.post("/import", response_model=ImportReportOut, responses=IMPORT_RESPONSES)
def import_file(
    file: UploadFile,
    session: SessionDep,
    org_id: OrgDep,
    vehicles: UploadFile | None = None,
    sheet: str | None = None,
    vehicles_sheet: str | None = None,
    update: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReportOut | JSONResponse:
    """Import an uploaded order file (CSV, XLSX or JSON), optionally with a VIN list."""
    options = ImportOptions(
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        update=update,
        sheet=sheet,
        vehicles_sheet=vehicles_sheet,
    )
    with tempfile.TemporaryDirectory(prefix="carexport-upload-") as folder:
        orders_path = _save(file, Path(folder), "orders")
        vehicles_path = _save(vehicles, Path(folder), "vehicles") if vehicles else None
        orders_table, vehicles_table = read_files(orders_path, vehicles_path, options)
        sha256 = hashlib.sha256(orders_path.read_bytes()).hexdigest()
    report = import_orders(
        session,
        org_id,
        _snapshot(session, org_id),
        orders_table,
        vehicles_table,
        options,
        source=file.filename or "upload",
        sha256=sha256,
    )
    if not report.committed:
        session.rollback()
    return _respond(report, options)


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    name = Path(upload.filename or fallback).name or fallback
    path = folder / name
    with path.open("wb") as handle:
        while chunk := upload.file.read(1 << 20):
            handle.write(chunk)
    return path


@router.get("", response_model=OrderPage)
def list_orders(
    session: SessionDep,
    org_id: OrgDep,
    brand: str | None = None,
    market: Annotated[str | None, Query(description="Destination country")] = None,
    status: str | None = None,
    ready_from: dt.date | None = None,
    ready_to: dt.date | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # SQL takes a 64-bit int at most
) -> OrderPage:
    """Orders of the organisation, filtered, oldest ready date first, paginated."""
    filters = repository.OrderFilter(
        brand_id=brand.upper() if brand else None,
        destination_country=market.upper() if market else None,
        status=status,
        ready_from=ready_from,
        ready_to=ready_to,
        due_from=due_from,
        due_to=due_to,
    )
    total, rows = repository.list_orders(session, org_id, filters, limit=limit, offset=offset)
    return OrderPage(
        total=total, limit=limit, offset=offset, items=[OrderOut.model_validate(r) for r in rows]
    )


@router.get(
    "/{order_id}",
    response_model=OrderDetailOut,
    responses={404: {"model": ErrorOut, "description": "No such order"}},
)
def get_order(order_id: str, session: SessionDep, org_id: OrgDep) -> OrderDetailOut:
    row = repository.get_order(session, org_id, order_id)
    if row is None:
        raise NotFound(f"order {order_id!r} not found", hint="list orders with GET /orders")
    vehicles = [
        VehicleOut(vin=v, soc_pct=s) for v, s in repository.vins_of(session, org_id, order_id)
    ]
    return OrderDetailOut(**OrderOut.model_validate(row).model_dump(), vehicles=vehicles)
