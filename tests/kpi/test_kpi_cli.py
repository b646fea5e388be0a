"""`carexport kpi ...` end to end on a SQLite file, in an 80-column terminal: every view
readable (no line wider than 80, nothing cut off with an ellipsis) and bad input a clear
error, never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import Result

from carexport.errors import CarexportError
from tests.orders.test_cli import Invoke, cli, cli_engines, runner  # noqa: F401

COMTRADE = Path(__file__).parents[1] / "data" / "comtrade"


@pytest.fixture
def narrow(cli_engines: object) -> Invoke:  # noqa: F811
    from carexport.cli import app

    def invoke(*args: str | Path, code: int = 0) -> Result:
        result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "80"})
        assert result.exit_code == code, result.output
        # A CarexportError reaches carexport.cli.main, which prints it without a traceback.
        assert result.exception is None or isinstance(
            result.exception, SystemExit | CarexportError
        ), result.exception
        for line in result.output.splitlines():
            assert len(line) <= 80, line
        return result

    invoke("db", "upgrade")
    invoke("network", "load")
    return invoke


@pytest.mark.parametrize(
    "args",
    [
        ("kpi", "seed"),
        ("kpi", "targets", "--as-of", "2025-06-01"),
        ("kpi", "exports", "--by", "brand,market", "--period", "month"),
        ("kpi", "rollout", "--brand", "avatr"),
        ("kpi", "reconcile", str(COMTRADE / "china_exports_8703_2024.csv")),
    ],
)
def test_views_fit_80_columns(narrow: Invoke, args: tuple[str, ...]) -> None:
    output = narrow(*args).output
    assert "…" not in output


def test_seed_and_targets_say_the_figures(narrow: Invoke) -> None:
    seed = narrow("kpi", "seed").output
    for figure in ("$4.34 billion", "196,869 vehicles", "3.7 million", "23.7 billion yuan"):
        assert figure in seed
    targets = narrow("kpi", "targets", "--as-of", "2025-06-01").output
    assert "on track" in targets and "missing:" in targets


def test_report_writes_a_workbook_with_charts(narrow: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "kpi.xlsx"
    narrow("kpi", "report", "--out", out)
    with zipfile.ZipFile(out) as book:
        names = book.namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)
    assert sum(n.startswith("xl/worksheets/sheet") for n in names) >= 10


def test_bad_options_are_usage_errors(narrow: Invoke) -> None:
    # Malformed dates, unknown choices and dimensions, a missing file, a workbook not
    # .xlsx: exit code 2 with the option named (see also tests/test_cli_bad_values.py,
    # which runs every command's).
    for args in (
        ("kpi", "exports", "--basis", "shipped"),
        ("kpi", "exports", "--period", "week"),
        ("kpi", "exports", "--period", "ytd", "--through", "2025-02-30"),
        ("kpi", "targets", "--as-of", "soon"),
        ("kpi", "exports", "--by", "colour"),
        ("kpi", "report", "--out", "kpi.txt"),
        ("kpi", "reconcile", "nowhere.csv"),
    ):
        output = narrow(*args, code=2).output
        assert "Invalid value for" in output and args[-1] in output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("kpi", "rollout", "--brand", "NOPE"), "NOPE"),
        (("kpi", "reconcile", str(COMTRADE / "china_exports_8703_bad.csv")), "row"),
        (("kpi", "reconcile", str(COMTRADE / "README.txt")), "README.txt"),
    ],
)
def test_bad_input_is_a_clear_error(narrow: Invoke, args: tuple[str, ...], says: str) -> None:
    error = narrow(*args, code=1).exception
    assert isinstance(error, CarexportError)
    told = " ".join([error.message, error.hint or "", *map(str, getattr(error, "problems", []))])
    assert says in told
    assert error.hint or getattr(error, "problems", None)
