"""The CLI's choices mirror the domains' lists, and malformed values are usage errors
(exit code 2) naming the option and the form, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carexport.cli import app
from carexport.cli.options import (
    ExceptionKind,
    ExportBasis,
    ExportPeriod,
    FvlGroup,
    ReconcileLevel,
)

runner = CliRunner()


def test_choices_mirror_the_domains() -> None:
    from carexport.kpi.exports import PERIODS
    from carexport.kpi.fvl import GROUPS
    from carexport.kpi.reconcile import LEVELS
    from carexport.tracking.exceptions import KINDS
    from carexport.tracking.service import EXPORT_BASES

    assert tuple(ExceptionKind) == KINDS
    assert tuple(FvlGroup) == GROUPS
    assert tuple(ExportBasis) == EXPORT_BASES
    assert tuple(ExportPeriod) == PERIODS
    assert tuple(ReconcileLevel) == LEVELS


BAD_DATES = ["15/02/2027", "2027/02/15", "2024-13-01", "2027-02-30", "soon"]
DATE_OPTIONS = [
    ["exceptions", "--as-of"],
    ["events", "learn", "--as-of"],
    ["events", "simulate", "--plan", "p", "--until"],
    ["kpi", "fvl", "--as-of"],
    ["kpi", "targets", "--as-of"],
    ["kpi", "rollout", "--as-of"],
    ["kpi", "exports", "--period", "ytd", "--through"],
    ["network", "show", "--as-of"],
    ["plan", "--from-db", "--out", "x", "--start"],
    ["orders", "generate", "--out", "x.csv", "--start"],
    ["demo", "--as-of"],
]


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("command", DATE_OPTIONS, ids=lambda c: " ".join(c[:2]))
def test_malformed_dates_are_usage_errors(command: list[str], value: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, [*command, value], env={"COLUMNS": "200", "CAREXPORT_DATABASE_URL": "sqlite://"}
    )
    assert result.exit_code == 2, result.output
    assert "is not a date: write it as YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["exceptions", "--kind", "bogus"],
        ["kpi", "fvl", "--by", "bogus"],
        ["kpi", "exports", "--basis", "shipped"],
        ["kpi", "exports", "--period", "week"],
        ["kpi", "reconcile", "x.csv", "--level", "hs8"],
    ],
    ids=lambda c: " ".join(c[:3]),
)
def test_unknown_choices_are_usage_errors_listing_the_choices(command: list[str]) -> None:
    result = runner.invoke(app, command, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "is not one of" in result.output
    assert command[-1] in result.output  # the value given, beside the allowed ones
