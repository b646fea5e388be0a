"""Option types every command shares: a bad value is a usage error (exit code 2) that
names the option, the value and the form it must take; never a traceback.

Choices are Enums so that `--help` lists them; their values mirror the domains' lists
(tests/test_cli_options.py keeps them equal) without importing the domains, so that
`carexport --help` stays cheap.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import typer


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-02-15"
        ) from None


def day_start(day: dt.date | None) -> dt.datetime | None:
    """Midnight UTC of a day (the CLI's --as-of and --until)."""
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


DATE_METAVAR = "YYYY-MM-DD"


class ExceptionKind(StrEnum):
    """tracking.exceptions.KINDS"""

    LATE = "late"
    HOLD = "hold"
    DAMAGE = "damage"
    SEQUENCE = "sequence"
    DWELL = "dwell"
    OVERDUE = "overdue"


class FvlGroup(StrEnum):
    """kpi.fvl.GROUPS"""

    NONE = "none"
    BRAND = "brand"
    MARKET = "market"
    MONTH = "month"
    LANE = "lane"
    MODE = "mode"


class ExportBasis(StrEnum):
    """tracking.service.EXPORT_BASES"""

    CUSTOMS = "customs"
    PLANNED = "planned"


class ExportPeriod(StrEnum):
    """kpi.exports.PERIODS"""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    YTD = "ytd"


class ReconcileLevel(StrEnum):
    """kpi.reconcile.LEVELS"""

    GROUP = "group"
    TOTAL = "total"
