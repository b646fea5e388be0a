"""carexport demo: the main job on the embedded default (a fresh SQLite file, built-in data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer


def demo(
    db_file: Path = typer.Option(Path("carexport-demo.db"), help="SQLite file to (re)create."),
    as_of: str | None = typer.Option(None, help="Plan date YYYY-MM-DD (default: today)."),
) -> None:
    """Create a fresh SQLite database, load the built-in Chongqing network and summarise it."""
    from carexport.cli.network import print_load_counts, print_summary
    from carexport.db.migrate import upgrade
    from carexport.db.session import make_engine, unit_of_work
    from carexport.network import repository
    from carexport.network.dataset import builtin_folder
    from carexport.network.service import load_dataset

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_file}")
    upgrade(engine)
    org_id = "demo"
    with unit_of_work(engine) as session:
        counts = load_dataset(session, org_id, builtin_folder())
    print_load_counts(counts, f"Built-in Chongqing network loaded into {db_file}")
    with unit_of_work(engine) as session:
        snapshot = repository.load_snapshot(session, org_id)
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    print_summary(snapshot, day)
    engine.dispose()
