"""Option types every command shares: a bad value is a usage error (exit code 2) that
names the option, the value and the form it must take; never a traceback. Each is
checked while the command line is parsed, before any file is read or the store opened.

- dates: iso_date (YYYY-MM-DD, with an example);
- numbers: number_option, whose range is shown in --help and named when a value is out
  of it (Bounds);
- files to write: output_file, output_folder (the folder must exist, the suffix fit);
- choices: Enums, so that `--help` lists them; their values mirror the domains' lists
  (tests/test_cli_bad_values.py keeps them equal) without importing the domains, so that
  `carexport --help` stays cheap.

tests/test_cli_bad_values.py runs every parameter of every command with bad values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Bounds:
    """The range of a number option, and its parser: a value that is not a number of the
    kind, or out of the range, is refused with the value and the range."""

    kind: type[int] | type[float]
    low: int | float
    high: int | float | None = None
    above: bool = False  # low itself is out of the range

    def __call__(self, value: object) -> int | float:
        number = value if isinstance(value, (int, float)) else self._parse(str(value))
        too_low = number <= self.low if self.above else number < self.low
        if too_low or (self.high is not None and number > self.high):
            raise typer.BadParameter(f"{value} is out of range: give {self.describe()}")
        return number

    def _parse(self, text: str) -> int | float:
        try:
            number = self.kind(text.strip())
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not {self.describe()}") from None
        if not math.isfinite(number):
            raise typer.BadParameter(f"{text!r} is not {self.describe()}")
        return number

    def describe(self) -> str:
        """e.g. 'a whole number from 1 to 100000', 'a number above 0 and at most 3600'."""
        noun = "a whole number" if self.kind is int else "a number"
        if self.high is None:
            return f"{noun} {'above' if self.above else 'of at least'} {self.low}"
        if self.above:
            return f"{noun} above {self.low} and at most {self.high}"
        return f"{noun} from {self.low} to {self.high}"

    def short(self) -> str:
        """The range as --help shows it, e.g. 1<=x<=100000, 0<x<=3600, x>=0."""
        if self.high is None:
            return f"x{'>' if self.above else '>='}{self.low}"
        return f"{self.low}{'<' if self.above else '<='}x<={self.high}"


def number_option(
    default: Any,
    *param_decls: str,
    help: str,
    low: int | float,
    high: int | float | None = None,
    above: bool = False,
    kind: type[int] | type[float] = int,
) -> Any:
    """A number option in low..high (above: low excluded); --help shows the range."""
    bounds = Bounds(kind, low, high, above)
    return typer.Option(default, *param_decls, help=f"{help} [{bounds.short()}]", parser=bounds)


SEED_MAX = 2**31 - 1
"""Seeds are non-negative (numpy's) and stored in 32-bit INTEGER columns (scenario runs)."""


def seed_option(default: int | None, help: str) -> Any:
    return number_option(default, help=help, low=0, high=SEED_MAX)


def output_file(*suffixes: str) -> Callable[[Path | None], Path | None]:
    """Callback of an option naming a file to write: refused before any work when it is a
    folder, its folder does not exist, or (with suffixes) its name ends otherwise."""

    def check(value: Path | None) -> Path | None:
        if value is None:
            return None
        example = f"{value / ('name' + (suffixes[0] if suffixes else ''))}"
        if value.is_dir():
            raise typer.BadParameter(
                f"{str(value)!r} is a folder: give a file name, e.g. {example}"
            )
        if not value.parent.is_dir():
            raise typer.BadParameter(
                f"cannot write {str(value)!r}: there is no folder {str(value.parent)!r}; "
                f"create it (mkdir -p {value.parent}) or give a path in an existing folder"
            )
        if suffixes and value.suffix.lower() not in suffixes:
            raise typer.BadParameter(
                f"{str(value)!r} does not end in {' or '.join(suffixes)}: "
                f"e.g. {value.with_suffix(suffixes[0])}"
            )
        return value

    return check


def output_folder(value: Path | None) -> Path | None:
    """Callback of an option naming a folder to write into (created with its parents if
    missing): refused when a file of that name is in the way."""
    if value is not None and value.exists() and not value.is_dir():
        raise typer.BadParameter(
            f"{str(value)!r} is a file: give a folder (it is created if missing)"
        )
    return value


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


class PlanMethod(StrEnum):
    """planning.problem.PlanParameters.method"""

    OPTIMAL = "optimal"
    GREEDY = "greedy"


class OrderScale(StrEnum):
    """orders.generate.annual_units"""

    CHONGQING = "chongqing"
    CHINA = "china"
