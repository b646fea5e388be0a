"""`carexport scenarios ...` end to end on a SQLite file: the stored order book re-planned
per scenario, the run stored and its workbook written; bad input is a located message."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl

from carexport.db.session import make_engine, unit_of_work
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.orders.generate import generate, write_order_book
from carexport.scenarios import service
from tests.orders.test_cli import Invoke

START = dt.date(2025, 7, 1)


def test_run_a_builtin_scenario_on_the_stored_orders(ready: Invoke, tmp_path: Path) -> None:
    book = generate(
        read_dataset(builtin_folder()).snapshot(),
        months=1,
        start=START,
        seed=5,
        vehicles_per_year=2400,
    )
    written = write_order_book(book, tmp_path / "orders.csv", about="test")
    ready("orders", "import", written[0], "--vehicles", written[1])
    out = tmp_path / "cmp.xlsx"
    result = ready(
        "scenarios", "run", "red-sea-closed", "--start", START, "--workers", "1", "--xlsx", out
    )
    assert "red_sea_closed" in result.output and "stored as scenario run" in result.output
    run_id = result.output.split("stored as scenario run ")[1].split()[0]
    sheet = pl.read_excel(out, sheet_name="samples")
    assert sorted(sheet["scenario"].to_list()) == ["baseline:red_sea_closed", "red_sea_closed"]
    assert sheet["vehicles"].to_list() == [book.vehicles.height] * 2
    with unit_of_work(make_engine(os.environ["CAREXPORT_DATABASE_URL"])) as session:
        (stored,) = service.runs(session, "acme")
        assert stored.id == run_id and stored.scenarios == ["red_sea_closed"]


def test_bad_input_is_a_located_message_not_a_traceback(ready: Invoke, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "name: x\ntitle: t\nsource: s\nchanges:\n  - {kind: border_delay, node: N, days: 0}\n"
    )
    carexport = str(Path(sys.executable).parent / "carexport")
    env = {**os.environ, "COLUMNS": "250"}

    def run(*args: str, code: int = 1) -> str:
        done = subprocess.run(
            [carexport, "scenarios", "run", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == code and "Traceback" not in done.stderr, done.stderr
        return done.stdout + done.stderr

    assert re.search(r"bad\.yaml\W+5\W+changes\[0\]\.days", run(str(spec)))
    assert "red_sea_closed" in run("no-such", code=2)  # neither file nor built-in: usage
    # No orders stored yet: said so, with the fix.
    message = run("red_sea_closed")
    assert "no orders" in message and "orders import" in message
