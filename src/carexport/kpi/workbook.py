"""The trade office's workbook: every KPI view as a sheet (kpi.report writes it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from carexport.kpi import service
from carexport.kpi.report import Chart, Sheet, write_report
from carexport.kpi.targets import Observation
from carexport.network import service as network_service

EXPORT_COLUMNS = ["vehicles", "value_usd", "value_cny", "nev_share_pct", "yoy_pct"]
EXPORT_FORMATS = {
    "vehicles": "int",
    "value_usd": "money",
    "value_cny": "money",
    "nev_share_pct": "pct",
    "yoy_pct": "pct",
    "share_of_national_pct": "pct",
    "national_units": "int",
}


def kpi_workbook(
    session: Session, org_id: str, path: Path, *, basis: str = "customs", brand: str = "AVATR"
) -> Path:
    as_of = dt.date.today()
    sheets = [
        _exports_sheet(session, org_id, basis, (), "year", "Exports by year"),
        _exports_sheet(session, org_id, basis, (), "month", "Exports by month"),
        _exports_sheet(session, org_id, basis, ("brand",), "year", "By brand"),
        _exports_sheet(session, org_id, basis, ("region",), "year", "By region"),
        _exports_sheet(session, org_id, basis, ("market",), "year", "By market"),
        _exports_sheet(session, org_id, basis, ("powertrain",), "year", "By powertrain"),
        _targets_sheet(session, org_id, as_of),
        _rollout_sheet(session, org_id, brand),
        _statistics_sheet(session, org_id),
        _seed_sheet(session, org_id),
    ]
    about = (
        f"carexport export KPIs of {org_id} on the {basis} basis, made {as_of}. Exported "
        "vehicles come from the store (customs: EXPORT_CLEARED reported; planned: in a "
        "stored plan); official figures from export_statistics.csv with their sources."
    )
    return write_report(path, sheets, title="Export KPIs", about=about)


def _exports_sheet(
    session: Session,
    org_id: str,
    basis: str,
    by: tuple[str, ...],
    period: str,
    name: str,
) -> Sheet:
    view = service.exports(session, org_id, basis=basis, by=by, period=period)
    frame = view.frame.select(
        "period", *by, *EXPORT_COLUMNS, "national_units", "share_of_national_pct", "share_basis"
    )
    chart = None
    if not by and frame.height:
        chart = Chart(
            kind="column",
            category="period",
            values=("vehicles",),
            title=f"{name} ({basis} basis)",
            y_title="vehicles",
            secondary=("nev_share_pct",),
        )
    elif by:  # the latest year first, the largest first within it
        frame = frame.sort("period", "vehicles", descending=[True, True])
    notes = (f"{basis} basis; by {period}" + (f" and {', '.join(by)}" if by else ""), *view.notes)
    return Sheet(name, name, frame, formats=EXPORT_FORMATS, chart=chart, notes=notes)


def _observation(observation: Observation | None) -> tuple[float | None, str | None]:
    if observation is None:
        return None, None
    return observation.value, observation.label + (" (derived)" if observation.derived else "")


def _targets_sheet(session: Session, org_id: str, as_of: dt.date) -> Sheet:
    rows = []
    for s in service.targets(session, org_id, as_of=as_of):
        baseline, baseline_of = _observation(s.baseline)
        actual, actual_of = _observation(s.actual)
        rows.append(
            {
                "target": s.target.id,
                "scope": s.target.scope,
                "metric": s.target.metric,
                "goal": s.target.value,
                "unit": s.target.unit,
                "deadline": s.target.deadline,
                "baseline": baseline,
                "baseline_of": baseline_of,
                "actual": actual,
                "actual_of": actual_of,
                "required_cagr_pct": s.required_cagr_pct,
                "achieved_cagr_pct": s.achieved_cagr_pct,
                "projected": s.projected,
                "status": s.status,
                "missing": s.missing or None,
                "note": s.note or None,
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None)
    formats = {"required_cagr_pct": "pct", "achieved_cagr_pct": "pct", "deadline": "date"}
    notes = (f"judged on {as_of}; growth per year, compounded",)
    return Sheet("Targets", "Targets and trajectories", frame, formats=formats, notes=notes)


def _rollout_sheet(session: Session, org_id: str, brand: str) -> Sheet:
    monthly, _ = service.rollout(session, org_id, brand)
    frame = monthly.with_columns(pl.col("new_countries").list.join(" "))
    chart = (
        Chart(
            kind="line",
            category="month",
            values=("stores_open", "countries"),
            title=f"{brand.upper()} stores and countries",
            y_title="count",
        )
        if frame.height
        else None
    )
    notes = ("from dealers.csv; most opening dates are typical values (U), not sourced",)
    return Sheet(
        "Store rollout",
        f"{brand.upper()} store rollout",
        frame,
        formats={"month": "date", "unsourced_share": "ratio"},
        chart=chart,
        notes=notes,
    )


def _statistics_sheet(session: Session, org_id: str) -> Sheet:
    snapshot = network_service.snapshot_of(session, org_id)
    frame = pl.DataFrame(
        [
            {
                "scope": s.scope,
                "metric": s.metric,
                "period": s.label,
                "basis": s.basis.value,
                "unit": s.unit.value,
                "value": s.value,
                "approximate": s.approximate,
                "note": s.note,
                "source": ";".join(s.source),
            }
            for s in snapshot.statistics
        ],
        infer_schema_length=None,
    )
    return Sheet("Official statistics", "Official and reported statistics", frame)


def _seed_sheet(session: Session, org_id: str) -> Sheet:
    figures, missing = service.seed(session, org_id)
    frame = pl.DataFrame(
        [{"article": f.says, "data": f.shown, "how": f.how, "source": f.source} for f in figures],
        schema={"article": pl.String, "data": pl.String, "how": pl.String, "source": pl.String},
    )
    notes = tuple(f"not in the data: {m}" for m in missing)
    return Sheet("Seed figures", "The seed article's figures, recomputed", frame, notes=notes)
