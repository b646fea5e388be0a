"""carexport kpi: export KPIs against official statistics and targets, store rollout,
reconciliation with UN Comtrade, the seed article's figures, FVL KPIs, and a workbook.

Tables are laid out to stay readable in an 80-column terminal: short labels, compact
numbers (1.2M, 318.6k), long text folded instead of cut.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.table import Table

from carexport.cli.options import (
    DATE_METAVAR,
    ExportBasis,
    ExportPeriod,
    FvlGroup,
    ReconcileLevel,
    day_start,
    iso_date,
    output_file,
)
from carexport.cli.render import console
from carexport.config import get_settings
from carexport.kpi.numbers import compact

if TYPE_CHECKING:
    from carexport.kpi.exports import ExportView
    from carexport.kpi.targets import TargetStatus

app = typer.Typer(help="KPIs.", no_args_is_help=True)

ORG_HELP = "Organisation id (default: CAREXPORT_ORG_ID)."


def narrow_table(title: str) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), title_justify="left")


def print_exports(view: ExportView) -> None:
    dimensions = view.by
    table = narrow_table(f"Exports, {view.basis} basis, by {view.period}")
    table.add_column("period")
    if dimensions:
        table.add_column("/".join(dimensions), overflow="fold")
    for name in ("vehicles", "YoY", "USD", "CNY", "NEV", "of China"):
        table.add_column(name, justify="right")
    for row in view.frame.iter_rows(named=True):
        cells = [row["period"]]
        if dimensions:
            cells.append("/".join(str(row[d]) for d in dimensions))
        cells += [
            f"{row['vehicles']:,}",
            compact(row["yoy_pct"], "%"),
            compact(row["value_usd"]),
            compact(row["value_cny"]),
            compact(row["nev_share_pct"], "%"),
            compact(row["share_of_national_pct"], "%"),
        ]
        table.add_row(*cells)
    console.print(table)
    bases = sorted({b for b in view.frame["share_basis"].drop_nulls().to_list()})
    if bases:
        console.print(f"of China: carexport's count over China's exports ({', '.join(bases)})")
    for note in view.notes:
        console.print(f"note: {note}")


def print_targets(statuses: list[TargetStatus]) -> None:
    table = narrow_table("Targets (growth per year, compounded; * derived)")
    for name in ("target", "goal", "baseline", "actual", "need/y", "got/y", "status"):
        table.add_column(name, justify="left" if name in ("target", "status") else "right")
    for s in statuses:
        t = s.target
        table.add_row(
            f"{t.scope}\n{METRIC_LABELS.get(t.metric, t.metric)}",
            f"{compact(t.value, t.unit)}\n{t.deadline.year}",
            _observation(s.baseline, t.unit),
            _observation(s.actual, t.unit),
            compact(s.required_cagr_pct, "%"),
            compact(s.achieved_cagr_pct, "%"),
            STATUS_LINES.get(s.status, s.status) + _when(s),
        )
    console.print(table)
    for s in statuses:
        details = []
        if s.achieved_from:
            details.append(f"growth {s.achieved_from}")
        if s.missing:
            details.append(f"missing: {s.missing}")
        if s.note:
            details.append(s.note)
        if details:
            console.print(f"[bold]{s.target.id}[/]: " + "; ".join(details), overflow="fold")


def export_dimensions(value: str) -> str:
    """Callback of kpi exports --by: every name a dimension, each once."""
    from carexport.errors import CarexportError
    from carexport.kpi.exports import parse_by

    try:
        parse_by(value)
    except CarexportError as error:
        raise typer.BadParameter(f"{error.message}: {error.hint}") from None
    return value


@app.command("exports")
def exports_command(
    basis: ExportBasis = typer.Option(
        ExportBasis.CUSTOMS, help="customs (EXPORT_CLEARED) or planned (in a plan)."
    ),
    by: str = typer.Option(
        "none",
        help="none or a comma list of brand, group, market, region, powertrain, nev, origin.",
        callback=export_dimensions,
    ),
    period: ExportPeriod = typer.Option(ExportPeriod.YEAR, help="The periods shown."),
    through: dt.date | None = typer.Option(
        None, help="ytd: months up to this date's month.", parser=iso_date, metavar=DATE_METAVAR
    ),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """Exports in vehicles and value by period, with growth, NEV share and share of China."""
    from carexport.cli.context import session_scope
    from carexport.kpi.exports import parse_by
    from carexport.kpi.service import exports

    dimensions = parse_by(by)
    with session_scope() as session:
        view = exports(
            session,
            org or get_settings().org_id,
            basis=basis.value,
            by=dimensions,
            period=period.value,
            through=through,
        )
    print_exports(view)


@app.command("targets")
def targets_command(
    as_of: dt.date | None = typer.Option(
        None, help="Judge as of this date (default: today).", parser=iso_date, metavar=DATE_METAVAR
    ),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """Every target: baseline, latest actual, growth required and achieved, projected date."""
    from carexport.cli.context import session_scope
    from carexport.kpi.service import targets

    with session_scope() as session:
        statuses = targets(session, org or get_settings().org_id, as_of=as_of)
    print_targets(statuses)


def _when(s: TargetStatus) -> str:
    """When the target was or will be reached, under the status."""
    if s.projected is None:
        return ""
    if s.actual is not None and s.projected <= s.actual.end:
        return f"\nmet {s.projected:%Y-%m}"
    return f"\n{'reach' if s.status == 'missed' else 'by'} {s.projected:%Y-%m}"


STATUS_LINES = {"off track": "off\ntrack", "cannot project": "cannot\nproject"}
METRIC_LABELS = {
    "countries_count": "countries",
    "stores_count": "stores",
    "export_units": "exports",
    "overseas_sales_units": "overseas sales",
    "overseas_sales_share_pct": "overseas share",
    "nev_export_value": "NEV export value",
    "export_value": "export value",
    "share_of_national_exports_pct": "share of China",
    "production_capacity_units": "capacity",
}


def _observation(observation: object, unit: str) -> str:
    from carexport.kpi.targets import Observation

    if not isinstance(observation, Observation):
        return "-"
    mark = "*" if observation.derived else ""
    return f"{compact(observation.value, unit)}{mark}\n{observation.label}"


@app.command("seed")
def seed_command(org: str | None = typer.Option(None, help=ORG_HELP)) -> None:
    """The seed article's figures, recomputed from the stored statistics."""
    from carexport.cli.context import session_scope
    from carexport.kpi.service import seed
    from carexport.kpi.statistics import SEED_ARTICLE

    with session_scope() as session:
        figures, missing = seed(session, org or get_settings().org_id)
    table = narrow_table(f"Seed figures ({SEED_ARTICLE}), recomputed")
    table.add_column("the article says", overflow="fold", ratio=3)
    table.add_column("the data gives", justify="right", overflow="fold", ratio=1)
    table.add_column("how", overflow="fold", ratio=2)
    for f in figures:
        table.add_row(f.says, f.shown, f"{f.how} [{f.source}]")
    console.print(table)
    for item in missing:
        console.print(f"[yellow]not in the data:[/] {item}")


@app.command("fvl")
def fvl_command(
    by: FvlGroup = typer.Option(FvlGroup.NONE, help="Group the KPIs by this."),
    as_of: dt.date | None = typer.Option(
        None, help="Judge completeness as of this date.", parser=iso_date, metavar=DATE_METAVAR
    ),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """Finished-vehicle logistics KPIs (ECG/Odette style) from the tracked events."""
    from carexport.cli.context import session_scope
    from carexport.kpi.service import fvl

    with session_scope() as session:
        frame = fvl(
            session,
            org or get_settings().org_id,
            by=by.value,
            as_of=day_start(as_of),
        )
    table = Table(title="Finished-vehicle KPIs")
    for i, column in enumerate(frame.columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in frame.iter_rows():
        table.add_row(*["-" if v is None else str(v) for v in row])
    console.print(table)


@app.command("rollout")
def rollout_command(
    brand: str = typer.Option("AVATR", help="Brand id or name."),
    as_of: dt.date | None = typer.Option(
        None, help="Judge targets due later as of this date.", parser=iso_date, metavar=DATE_METAVAR
    ),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """Countries entered and stores open over time (dealers.csv) against the brand's plan."""
    from carexport.cli.context import session_scope
    from carexport.kpi.service import rollout

    with session_scope() as session:
        monthly, plan = rollout(session, org or get_settings().org_id, brand, as_of=as_of)
    table = narrow_table(f"{brand.upper()} stores by month")
    for name in ("month", "stores", "countries", "entered"):
        table.add_column(name, justify="left" if name in ("month", "entered") else "right")
    for row in monthly.iter_rows(named=True):
        table.add_row(
            f"{row['month']:%Y-%m}",
            str(row["stores_open"]),
            str(row["countries"]),
            " ".join(row["new_countries"]),
        )
    console.print(table)
    against = narrow_table(f"{brand.upper()} plan")
    for name in ("target", "deadline", "planned", "actual", "gap", "status", "dates from"):
        against.add_column(name, overflow="fold")
    for row in plan.iter_rows(named=True):
        against.add_row(
            row["target_id"].removeprefix("T_"),
            str(row["deadline"]),
            str(row["planned"]),
            f"{row['actual']} on {row['judged_on']}",
            str(row["gap"]),
            row["status"],
            row["opening_sources"],
        )
    console.print(against)


@app.command("reconcile")
def reconcile_command(
    comtrade: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="A UN Comtrade export CSV (HS 8703)."
    ),
    basis: ExportBasis = typer.Option(ExportBasis.CUSTOMS, help="What exported means."),
    level: ReconcileLevel = typer.Option(
        ReconcileLevel.GROUP, help="group (HS subheading groups) or total (8703)."
    ),
    skip_invalid: bool = typer.Option(False, help="Leave out bad rows instead of refusing."),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """carexport's exported vehicles against the official figure, by partner and period."""
    from carexport.cli.context import session_scope
    from carexport.kpi.comtrade import read_comtrade
    from carexport.kpi.service import reconcile_with

    official = read_comtrade(comtrade, skip_invalid=skip_invalid)
    with session_scope() as session:
        frame = reconcile_with(
            session, org or get_settings().org_id, official, basis=basis.value, level=level.value
        )
    table = narrow_table(f"carexport ({basis}) against {comtrade.name}")
    for name in ("period", "partner", "HS group", "official", "carexport", "diff", "diff %"):
        table.add_column(
            name, justify="left" if name in ("period", "partner", "HS group") else "right"
        )
    for row in frame.iter_rows(named=True):
        start, end = row["period_start"], row["period_end"]
        table.add_row(
            str(start.year) if (end - start).days > 31 else f"{start:%Y-%m}",
            row["partner_country"],
            row["hs_group"],
            compact(row["official_vehicles"]),
            compact(row["carexport_vehicles"]),
            compact(row["difference_vehicles"]),
            compact(row["difference_pct"], "%"),
        )
    console.print(table)


@app.command("report")
def report_command(
    out: Path = typer.Option(
        ..., help="The workbook to write (.xlsx).", callback=output_file(".xlsx")
    ),
    basis: ExportBasis = typer.Option(ExportBasis.CUSTOMS, help="What exported means."),
    brand: str = typer.Option("AVATR", help="The brand whose store rollout is shown."),
    org: str | None = typer.Option(None, help=ORG_HELP),
) -> None:
    """A workbook for a trade office: one sheet per view, with native Excel charts."""
    from carexport.cli.context import session_scope
    from carexport.kpi.workbook import kpi_workbook

    with session_scope() as session:
        path = kpi_workbook(
            session, org or get_settings().org_id, out, basis=basis.value, brand=brand
        )
    console.print(f"wrote {path}")


@app.command("recount")
def recount_command(org: str | None = typer.Option(None, help=ORG_HELP)) -> None:
    """Count exports per month and order, and each VIN's FVL facts, again from every
    status, event and plan (both are kept as events and plans arrive; run this after
    moving VINs between orders, or changing an order's brand or market, by API)."""
    from carexport.cli.context import session_scope
    from carexport.tracking.service import rebuild_fvl_facts, recount_exports

    with session_scope(writes=True) as session:
        org_id = org or get_settings().org_id
        recount_exports(session, org_id)
        vins = rebuild_fvl_facts(session, org_id)
    console.print(f"export counts recounted; FVL facts of {vins:,} VINs rebuilt")
