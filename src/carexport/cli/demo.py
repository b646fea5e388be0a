"""carexport demo: the main job on the embedded default (a fresh SQLite file, built-in data).

Each stage of the pipeline adds its step here: load the network, generate and import an
order book, ...
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from carexport.cli.options import (
    DATE_METAVAR,
    iso_date,
    output_file,
    output_folder,
    seed_option,
)
from carexport.cli.render import console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def demo(
    db_file: Path = typer.Option(
        Path("carexport-demo.db"), help="SQLite file to (re)create.", callback=output_file()
    ),
    workdir: Path = typer.Option(
        Path("carexport-demo"), help="Folder for generated files.", callback=output_folder
    ),
    as_of: dt.date | None = typer.Option(
        None,
        help="Plan date (default: the first of next month).",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    seed: int = seed_option(0, "Seed of the synthetic order book."),
) -> None:
    """Fresh SQLite database: load the Chongqing network, import 3 months of orders, plan
    them, simulate six weeks of events, and report status, exceptions, FVL KPIs, exports
    (customs and planned) and every target's trajectory."""
    from carexport.cli.context import open_engine, writing
    from carexport.cli.network import print_load_counts, print_summary
    from carexport.cli.orders import print_import_report
    from carexport.db.migrate import upgrade
    from carexport.db.session import unit_of_work
    from carexport.network.dataset import builtin_folder
    from carexport.network.service import load_dataset, snapshot_of
    from carexport.orders.generate import generate, write_order_book
    from carexport.orders.service import ImportOptions, import_orders, read_files

    today = dt.date.today()
    start = as_of if as_of else dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    # The file is new, but a server or command started on it meanwhile may write: the
    # demo's writes take their turn (writing) as every command's do.
    engine = open_engine(f"sqlite:///{db_file}")
    upgrade(engine)
    org_id = "demo"

    console.rule("1. The export network")
    with writing(engine) as session:
        login = demo_login(session, org_id)
        counts = load_dataset(session, org_id, builtin_folder())
    print_load_counts(counts, f"Built-in Chongqing network loaded into {db_file}")
    with unit_of_work(engine) as session:
        snapshot = snapshot_of(session, org_id)
    print_summary(snapshot, start)

    console.rule("2. Export orders")
    workdir.mkdir(parents=True, exist_ok=True)
    book = generate(snapshot, months=3, start=start, scale="chongqing", seed=seed)
    paths = write_order_book(
        book,
        workdir / "orders.csv",
        about=f"demo: scale=chongqing months=3 start={start} seed={seed}",
    )
    console.print(
        f"generated {book.orders.height:,} orders with {book.vehicles.height:,} VINs "
        f"({book.annual_units:,.0f} vehicles a year) -> {', '.join(map(str, paths))}"
    )
    orders_table, vehicles_table = read_files(paths[0], paths[1], ImportOptions())
    with writing(engine) as session:
        report = import_orders(
            session,
            org_id,
            snapshot,
            orders_table,
            vehicles_table,
            ImportOptions(),
            source=paths[0].name,
        )
    print_import_report(report)

    console.rule("3. Shipment plan")
    from dataclasses import replace

    from carexport.cli.plan import print_plan_summary
    from carexport.planning.problem import PlanParameters
    from carexport.planning.run import plan
    from carexport.plans.files import write_plan
    from carexport.plans.service import problem_from_db, record_baseline, store_plan

    params = PlanParameters(start=start, horizon_days=120)
    with unit_of_work(engine) as session:
        problem = problem_from_db(session, org_id, params)
    with console.status(f"planning {problem.vehicles.height:,} vehicles"):
        optimal = plan(problem)
        greedy = plan(replace(problem, parameters=replace(params, method="greedy")))
    with writing(engine) as session:
        plan_id = store_plan(session, org_id, optimal, params, problem.network)
        record_baseline(session, org_id, plan_id, greedy)
    write_plan(optimal, workdir / "plan", extra={"plan_id": plan_id, "baseline": greedy.summary()})
    print_plan_summary(optimal, greedy)
    late = optimal.orders.filter(optimal.orders["explanation"] != "").head(3)
    for order_id, text in late.select("order_id", "explanation").iter_rows():
        console.print(f"  {order_id}: {text}")
    console.print(f"plan version {plan_id} stored; files in {workdir / 'plan'}")

    console.rule("4. Tracking: six simulated weeks")
    import polars as pl
    from rich.table import Table

    from carexport.kpi.service import fvl
    from carexport.tracking.events import parse_time
    from carexport.tracking.ingest import ingest, numbered
    from carexport.tracking.service import (
        current_statuses,
        exceptions,
        learn_transit,
        simulated_events,
    )

    until = dt.datetime.combine(start + dt.timedelta(weeks=6), dt.time(), dt.UTC)
    with unit_of_work(engine) as session:
        records = simulated_events(session, org_id, plan_id, until=until, seed=seed)
    # As a control tower gets them: each day's reports in one batch, and the transit model
    # re-learned every seventh night.
    records = records.with_columns(
        pl.coalesce(parse_time("reported_time"), parse_time("event_time")).dt.date().alias("_day")
    )
    stored = revised = 0
    stats = pl.DataFrame()
    with console.status(f"ingesting {records.height:,} simulated event reports, day by day"):
        for i, (day, batch) in enumerate(
            records.sort("_day").group_by("_day", maintain_order=True)
        ):
            night = dt.datetime.combine(day[0], dt.time(23, 59), dt.UTC)
            with writing(engine) as session:
                stored += ingest(
                    session, org_id, numbered(batch), source="simulator", now=night
                ).stored
                if i % 7 == 6:
                    stats, changed = learn_transit(session, org_id, now=night)
                    revised += changed
    console.print(
        f"{records.height:,} event reports up to {until.date()}: {stored:,} stored, "
        f"{records.height - stored:,} duplicates; ETAs re-projected {revised:,} times by "
        f"weekly re-learning ({stats.height} lanes and destinations learned)"
    )
    if stats.height:
        with unit_of_work(engine) as session:
            network = snapshot_of(session, org_id)
        published = pl.DataFrame(
            {
                "key": list(network.lanes),
                "published": [lane.transit_days for lane in network.lanes.values()],
            }
        )
        slow = (
            stats.filter(pl.col("kind") == "lane")
            .join(published, on="key")
            .with_columns((pl.col("median_hours") / 24 - pl.col("published")).alias("late"))
            .sort("late", descending=True)
            .head(3)
        )
        for lane, n, median, days in slow.select(
            "key", "observations", "median_hours", "published"
        ).iter_rows():
            console.print(
                f"  {lane}: median {median / 24:.1f} days over {n:,} legs (published {days})"
            )
    with unit_of_work(engine) as session:
        status = current_statuses(session, org_id)
        found = exceptions(session, org_id, now=until)
        kpis = fvl(session, org_id, as_of=until)
    by_status = status.group_by("status").len().sort("len", descending=True)
    console.print("status: " + ", ".join(f"{s} {n:,}" for s, n in by_status.iter_rows()))
    console.print(
        "exceptions: "
        + ", ".join(
            f"{k} {n:,}"
            for k, n in found.group_by("kind").len().sort("len", descending=True).iter_rows()
        )
    )
    for kind, vin, detail, _ in found.filter(pl.col("kind") == "late").head(3).iter_rows():
        console.print(f"  {kind} {vin}: {detail}")
    table = Table(title="Finished-vehicle KPIs (ECG/Odette style)")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in kpis.drop("group").row(0, named=True).items():
        table.add_row(name, "-" if value is None else f"{value:,}")
    console.print(table)

    console.rule("5. Exports against the targets")
    from carexport.cli.kpi import print_exports, print_targets
    from carexport.kpi.service import exports, targets
    from carexport.kpi.workbook import kpi_workbook

    with unit_of_work(engine) as session:
        cleared = exports(session, org_id, basis="customs", by=("brand",), period="month")
        planned = exports(session, org_id, basis="planned", by=("region",), period="quarter")
        judged = targets(session, org_id)
        workbook = kpi_workbook(session, org_id, workdir / "kpi.xlsx")
    print_exports(cleared)
    print_exports(planned)
    print_targets(judged)
    console.print(f"workbook for the trade office: {workbook}")
    engine.dispose()
    print_login(db_file, *login)


DEMO_USER = "demo"


def demo_login(session: Session, org_id: str) -> tuple[str, str]:
    """The demo organisation's admin with a fresh random password and API token (the
    database is new, so they are shown once, here)."""
    import secrets

    from carexport.access import service as access_service
    from carexport.access.permissions import Role

    password = secrets.token_urlsafe(12)
    access_service.add_user(
        session, org_id, DEMO_USER, Role.admin, org_name="Demo carmaker", password=password
    )
    return password, access_service.issue_token(session, DEMO_USER, "demo")


def print_login(db_file: Path, password: str, token: str) -> None:
    console.rule("6. Open the dashboard")
    console.print(
        f"  CAREXPORT_DATABASE_URL=sqlite:///{db_file} carexport serve\n"
        f"  then sign in at http://127.0.0.1:8000/ui/login as [bold]{DEMO_USER}[/], "
        f"password [bold]{password}[/]\n"
        f"  API: curl -H 'Authorization: Bearer {token}' http://127.0.0.1:8000/orders\n"
        "  (shown only now; a new one: carexport users password demo / users token demo)",
        highlight=False,
        soft_wrap=True,
    )
