"""All SQL for the network: sync a dataset into an organisation's rows, read a snapshot back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from carexport.network import tables
from carexport.network.dataset import FILES, FILES_BY_NAME, Dataset, snapshot_from_records
from carexport.network.snapshot import NetworkSnapshot

TABLE_FOR_FILE: dict[str, type[Any]] = {
    "sources.csv": tables.SourceRow,
    "nodes.csv": tables.NodeRow,
    "co2_factors.csv": tables.Co2FactorRow,
    "lanes.csv": tables.LaneRow,
    "left_traffic_countries.csv": tables.LeftTrafficCountryRow,
    "homologation_regimes.csv": tables.HomologationRegimeRow,
    "markets.csv": tables.MarketRow,
    "brands.csv": tables.BrandRow,
    "vehicle_models.csv": tables.VehicleModelRow,
    "variants.csv": tables.VariantRow,
    "dealers.csv": tables.DealerRow,
    "targets.csv": tables.TargetRow,
    "export_statistics.csv": tables.ExportStatisticRow,
    "exchange_rates.csv": tables.ExchangeRateRow,
    "routes.csv": tables.RouteSettingRow,
}


@dataclass
class SyncCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)


def _row_values(record: BaseModel) -> dict[str, Any]:
    values = record.model_dump()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def sync_dataset(session: Session, org_id: str, dataset: Dataset) -> dict[str, SyncCounts]:
    """Make the organisation's network rows equal to the dataset: insert, update, delete.

    Loading the same dataset twice changes nothing. Deletes run children first and
    inserts parents first, so foreign keys hold at every statement.
    """
    plans: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[Any, ...]]]] = {}
    counts: dict[str, SyncCounts] = {}
    for spec in FILES:
        table = TABLE_FOR_FILE[spec.name]
        existing = {
            tuple(getattr(row, k) for k in spec.key): row
            for row in session.scalars(select(table).where(table.org_id == org_id))
        }
        wanted = {}
        for record in dataset.items(spec.name):
            values = _row_values(record)
            wanted[tuple(values[k] for k in spec.key)] = values
        inserts, updates = [], []
        count = SyncCounts()
        for key, values in wanted.items():
            row = existing.get(key)
            if row is None:
                inserts.append({"org_id": org_id, **values})
                count.inserted += 1
            elif any(getattr(row, column) != value for column, value in values.items()):
                updates.append(values)
                count.updated += 1
            else:
                count.unchanged += 1
        removed = [key for key in existing if key not in wanted]
        count.deleted = len(removed)
        plans[spec.name] = (inserts, updates, removed)
        counts[spec.name] = count
    session.expunge_all()

    for spec in reversed(FILES):
        removed = plans[spec.name][2]
        if removed:
            table = TABLE_FOR_FILE[spec.name]
            key_tuple = tuple_(*(getattr(table, k) for k in spec.key))
            session.execute(
                delete(table).where(and_(table.org_id == org_id, key_tuple.in_(removed)))
            )
    for spec in FILES:
        inserts, updates, _ = plans[spec.name]
        table = TABLE_FOR_FILE[spec.name]
        if inserts:
            session.execute(insert(table), inserts)
        for values in updates:
            condition = and_(
                table.org_id == org_id, *(getattr(table, k) == values[k] for k in spec.key)
            )
            session.execute(update(table).where(condition).values(**values))
    return counts


def has_network(session: Session, org_id: str) -> bool:
    row = session.execute(
        select(tables.NodeRow.id).where(tables.NodeRow.org_id == org_id).limit(1)
    ).first()
    return row is not None


def node_ids(session: Session, org_id: str) -> set[str]:
    return set(session.scalars(select(tables.NodeRow.id).where(tables.NodeRow.org_id == org_id)))


def node_kinds(session: Session, org_id: str) -> dict[str, str]:
    rows = session.execute(
        select(tables.NodeRow.id, tables.NodeRow.kind).where(tables.NodeRow.org_id == org_id)
    )
    return {node: kind for node, kind in rows}


def lane_modes(session: Session, org_id: str) -> dict[str, str]:
    rows = session.execute(
        select(tables.LaneRow.id, tables.LaneRow.mode).where(tables.LaneRow.org_id == org_id)
    )
    return {lane: mode for lane, mode in rows}


def load_snapshot(session: Session, org_id: str) -> NetworkSnapshot:
    """The organisation's network as a frozen snapshot (the same value a dataset gives)."""
    records: dict[str, list[Any]] = {}
    for spec in FILES:
        table = TABLE_FOR_FILE[spec.name]
        columns = [getattr(table, name) for name in spec.columns]
        rows = session.execute(
            select(*columns)
            .where(table.org_id == org_id)
            .order_by(*(getattr(table, k) for k in spec.key))
        )
        model = FILES_BY_NAME[spec.name].model
        records[spec.name] = [model.model_validate(dict(row._mapping)) for row in rows]
    return snapshot_from_records(records)
