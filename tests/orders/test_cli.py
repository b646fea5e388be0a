"""`carexport orders ...` end to end on a SQLite file: exit codes, located problems, reports."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from carexport.cli import app, context
from carexport.config import get_settings
from carexport.db.session import make_engine
from carexport.orders.generate import SYNTHETIC_NOTE
from tests.orders.test_intake_rules import BAD, GOOD, table_counts

Invoke = Callable[..., Result]
runner = CliRunner()


@pytest.fixture
def cli_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Engine]]:
    """CAREXPORT_* point at a fresh SQLite file; yields the engines the commands open."""
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CAREXPORT_ORG_ID", "acme")
    get_settings.cache_clear()
    opened: list[Engine] = []

    def recording_make_engine(url: str, **kwargs: object) -> Engine:
        opened.append(make_engine(url, **kwargs))
        return opened[-1]

    monkeypatch.setattr(context, "make_engine", recording_make_engine)
    yield opened
    for engine in opened:
        engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def cli(cli_engines: list[Engine]) -> Invoke:
    def invoke(*args: str | Path, code: int = 0) -> Result:
        result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.fixture
def ready(cli: Invoke) -> Invoke:
    """The schema is current and the built-in network is loaded for the organisation."""
    cli("db", "upgrade")
    cli("network", "load")
    return cli


def counts() -> tuple[int, int, int]:
    engine = make_engine(get_settings().database_url)
    try:
        return table_counts(engine)
    finally:
        engine.dispose()


def test_upgrade_load_and_import_the_good_files(cli: Invoke) -> None:
    assert "upgraded" in cli("db", "upgrade").output
    cli("network", "load")
    result = cli("orders", "import", GOOD / "orders.csv", "--vehicles", GOOD / "vehicles.csv")
    assert "committed" in result.output
    assert counts() == (8, 16, 1)
    again = cli("orders", "import", GOOD / "orders.csv", "--vehicles", GOOD / "vehicles.csv")
    assert "no changes" in again.output
    assert counts() == (8, 16, 1)


@pytest.mark.parametrize(
    ("orders", "vehicles", "file", "row", "field"),
    [
        (BAD / "unknown_brand.csv", None, "unknown_brand.csv", 2, "brand"),
        (BAD / "bad_date.csv", None, "bad_date.csv", 4, "ready_date"),
        (GOOD / "orders.csv", BAD / "vin_bad_length.csv", "vin_bad_length.csv", 7, "vin"),
    ],
)
def test_bad_file_exits_1_and_locates_the_problem(
    ready: Invoke, orders: Path, vehicles: Path | None, file: str, row: int, field: str
) -> None:
    extra = ["--vehicles", vehicles] if vehicles else []
    result = ready("orders", "import", orders, *extra, code=1)
    # One table row: severity | file | row | field | ...
    assert re.search(rf"error\W+{re.escape(file)}\W+{row}\W+{field}\b", result.output), (
        result.output
    )
    assert "nothing written" in result.output
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_report_file_lists_the_problems(ready: Invoke, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out.{suffix}"
    ready("orders", "import", BAD / "bad_quantity.csv", "--report", out, code=1)
    if suffix == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))
    else:
        with out.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    found = [(r["severity"], r["file"], int(r["row"]), r["field"], r["value"]) for r in rows]
    assert found == [
        ("error", "bad_quantity.csv", 2, "quantity", "0"),
        ("error", "bad_quantity.csv", 3, "quantity", "-3"),
        ("error", "bad_quantity.csv", 7, "quantity", "2.5"),
    ]
    assert all("whole number" in r["problem"] and r["fix"] for r in rows)


def test_dry_run_writes_nothing(ready: Invoke) -> None:
    result = ready(
        "orders", "import", GOOD / "orders.csv", "--vehicles", GOOD / "vehicles.csv", "--dry-run"
    )
    assert "dry run: nothing written" in result.output
    assert counts() == (0, 0, 0)


def test_skip_invalid_exits_0_and_writes_the_valid_orders(ready: Invoke) -> None:
    result = ready("orders", "import", BAD / "unknown_brand.csv", "--skip-invalid")
    assert re.search(r"error\W+unknown_brand\.csv\W+2\W+brand\b", result.output), result.output
    assert counts() == (7, 0, 1)


def test_wrong_sheet_names_the_sheets_there_are(ready: Invoke) -> None:
    result = ready("orders", "import", BAD / "wrong_sheet.xlsx", "--sheet", "orders", code=1)
    assert "no sheet named 'orders'" in result.output
    assert "Bestellungen" in result.output and "Fahrzeuge" in result.output


def test_generate_writes_two_files_that_import(ready: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    ready("orders", "generate", "--out", out, "--months", "1", "--start", "2027-01-01")
    assert sorted(p.name for p in tmp_path.glob("x*.csv")) == ["x.csv", "x_vehicles.csv"]
    for path in (out, tmp_path / "x_vehicles.csv"):
        assert path.read_text(encoding="utf-8").startswith(f"# {SYNTHETIC_NOTE}")
    result = ready("orders", "import", out, "--vehicles", tmp_path / "x_vehicles.csv")
    assert "committed" in result.output
    assert re.search(r"errors\W+0\W+warnings\W+0\b", result.output), result.output
    orders, vehicles, imports = counts()
    assert orders > 0 and vehicles >= orders and imports == 1


def test_commands_close_their_database_connections(cli: Invoke, cli_engines: list[Engine]) -> None:
    cli("db", "upgrade")
    cli("network", "load")
    cli("orders", "import", GOOD / "orders.csv")
    assert len(cli_engines) == 3
    assert [e.pool.checkedin() for e in cli_engines] == [0, 0, 0]


def test_one_workbook_holds_orders_and_vehicles(ready: Invoke) -> None:
    ready("orders", "import", GOOD / "orders.xlsx", "--vehicles", GOOD / "orders.xlsx")
    assert counts() == (8, 16, 1)
