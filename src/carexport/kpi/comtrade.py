"""UN Comtrade exports of passenger cars (HS 8703) as a frame, to set carexport's exported
vehicles against the official figure; and the HS subheading of each carexport powertrain.

Reads the CSV that comtradeplus.un.org's "Download" button and the data API
(comtradeapicall) write, and the tab-separated bulk files: the header names the columns
(typeCode, freqCode, refPeriodId, refYear, refMonth, period, reporterCode, reporterISO,
reporterDesc, flowCode, flowDesc, partnerCode, partnerISO, partnerDesc, partner2Code, ...,
cmdCode, cmdDesc, ..., customsCode, motCode, ..., qtyUnitCode, qtyUnitAbbr, qty, ...,
netWgt, ..., cifvalue, fobvalue, primaryValue, ...). Names match whatever their case; other
columns are ignored, as are the empty cells the website download leaves at the end of each
data row. Text is UTF-8, or Windows-1252 as the website writes it.

HS groups, so that reconciliation is done at subheading level where the powertrain decides
the subheading and at the 8703 heading where it does not (HS 2017 and HS 2022 alike):

| hs_group       | HS codes                                  | carexport powertrains |
|----------------|-------------------------------------------|-----------------------|
| electric       | 870380 (electric motor only)              | BEV                   |
| plug-in hybrid | 870360 (petrol), 870370 (diesel)          | PHEV, EREV            |
| hybrid         | 870340 (petrol), 870350 (diesel), no plug | HEV                   |
| combustion     | every other 8703 subheading               | ICE                   |
| all            | 8703 (the heading: every car)             | all of them           |

'combustion' is 870321-870333 (by fuel and engine size, which carexport does not keep, so
an ICE car cannot be given one subheading) and also 870310 (snow and golf vehicles) and
870390 (other), which are few. Before HS 2017 (classificationCode H0-H4) there were no
electric or hybrid subheadings and 870390 held those cars: only 'all' compares then.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import polars as pl
import pycountry

from carexport.errors import CarexportError, InvalidInput, Problem

# The frame read_comtrade returns, one row per period, partner and commodity code.
COMTRADE_SCHEMA = pl.Schema(
    {
        "period_start": pl.Date(),  # first day of the year (freqCode A) or month (M)
        "period_end": pl.Date(),  # last day of that year or month
        "partner_country": pl.String(),  # ISO 3166-1 alpha-2 of the partner (importer)
        "hs_code": pl.String(),  # '8703' or a 6-digit subheading such as '870380'
        "hs_group": pl.String(),  # see HS_GROUPS
        "vehicles": pl.Int64(),  # qty when its unit is number of items (u), else null
        "value_usd": pl.Float64(),  # primaryValue (FOB for exports), else fobvalue; USD
    }
)

HEADING = "8703"
HS_GROUPS = ("electric", "plug-in hybrid", "hybrid", "combustion", "all")
_GROUP_OF_SUBHEADING = {
    "870380": "electric",
    "870360": "plug-in hybrid",
    "870370": "plug-in hybrid",
    "870340": "hybrid",
    "870350": "hybrid",
}
# Keys are carexport's Powertrain values (carexport.network.schemas.Powertrain).
_POWERTRAIN_HS = {
    "BEV": "870380",
    "PHEV": "870360",  # spark-ignition plug-in hybrid; 870370 is the diesel one
    "EREV": "870360",  # a range extender is a petrol engine with a plug
    "HEV": "870340",  # spark-ignition hybrid without a plug
    "ICE": HEADING,  # 870321-870333 depend on fuel and engine size: the heading
}
_POWERTRAIN_GROUP = {
    "BEV": "electric",
    "PHEV": "plug-in hybrid",
    "EREV": "plug-in hybrid",
    "HEV": "hybrid",
    "ICE": "combustion",
}


def hs_subheading(powertrain: str) -> str:
    """The HS 2022 code of a carexport powertrain: BEV 870380, PHEV and EREV 870360,
    HEV 870340, ICE the heading 8703 (its subheading needs fuel and engine size)."""
    try:
        return _POWERTRAIN_HS[powertrain.strip().upper()]
    except KeyError:
        raise CarexportError(
            f"unknown powertrain {powertrain!r}", hint=f"use one of {', '.join(_POWERTRAIN_HS)}"
        ) from None


def powertrain_group(powertrain: str) -> str:
    """The hs_group a carexport powertrain is compared in (see the module's table)."""
    try:
        return _POWERTRAIN_GROUP[powertrain.strip().upper()]
    except KeyError:
        raise CarexportError(
            f"unknown powertrain {powertrain!r}",
            hint=f"use one of {', '.join(_POWERTRAIN_GROUP)}",
        ) from None


def hs_group(hs_code: str) -> str:
    """The hs_group of '8703' or one of its 6-digit subheadings."""
    if hs_code == HEADING:
        return "all"
    if len(hs_code) != 6 or not hs_code.startswith(HEADING):
        raise CarexportError(f"{hs_code!r} is not HS 8703 or one of its subheadings")
    return _GROUP_OF_SUBHEADING.get(hs_code, "combustion")


@dataclass
class ComtradeFile:
    """What load_comtrade read: the frame, every problem, and what it left out and why."""

    frame: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0  # data rows in the file (all flows and commodities)
    reporter: str | None = None  # reporterISO (or reporterCode) of the rows kept, e.g. CHN
    # Rows left out by reason: "not an export", "not HS 8703", "breakdown" (by customs
    # procedure, transport mode or second partner: the total row is kept), "aggregate
    # partner", "invalid" (only with skip_invalid).
    skipped: dict[str, int] = field(default_factory=dict)
    # Aggregate and not-elsewhere-specified partners left out, by Comtrade code: {"W00": 3}.
    aggregates: dict[str, int] = field(default_factory=dict)


# Column groups a Comtrade file must have: one name of each group (matched in any case).
_REQUIRED: tuple[tuple[str, ...], ...] = (
    ("flowCode",),
    ("partnerISO", "partnerCode"),
    ("cmdCode",),
    ("period", "refPeriodId"),
    ("qty",),
    ("qtyUnitCode", "qtyUnitAbbr"),
    ("primaryValue", "fobvalue"),
)
_OPTIONAL = (
    "freqCode",
    "reporterCode",
    "reporterISO",
    "partnerDesc",
    "partner2Code",
    "customsCode",
    "motCode",
    "classificationCode",
)
_ITEMS_UNIT_CODE = "5"  # Comtrade/WCO quantity unit 5: number of items, abbreviated "u"
_ITEMS_UNIT_ABBR = "u"
_WORLD = "W00"
_COUNTRY_ISO = re.compile(r"[A-Z]{3}")
# Comtrade's numeric codes that are not ISO 3166 numeric codes of the same country.
_COMTRADE_NUMERIC = {"842": "US", "251": "FR", "579": "NO", "699": "IN", "757": "CH"}
# Comtrade's World and areas not elsewhere specified, for files without partnerISO
# (the data API leaves it empty unless asked for descriptions).
_AREA_CODES = {"0", "490", "527", "568", "577", "636", "837", "838", "839", "899"}
_OLD_HS = {"H0", "H1", "H2", "H3", "H4"}


def read_comtrade(path: Path, *, skip_invalid: bool = False) -> pl.DataFrame:
    """Exports of HS 8703 from a UN Comtrade CSV, one row per period, partner and code
    (COMTRADE_SCHEMA). Raises InvalidInput listing every bad row unless skip_invalid,
    which leaves them out; see load_comtrade for what was left out and why."""
    return load_comtrade(path, skip_invalid=skip_invalid).frame


def load_comtrade(path: Path, *, skip_invalid: bool = False) -> ComtradeFile:
    """Read a UN Comtrade CSV: keep exports (flowCode X) of 8703 and its subheadings to
    countries, with the periods as dates and partners as ISO alpha-2 codes.

    Left out and counted: other flows and commodities, breakdown rows (customsCode other
    than C00, motCode or partner2Code other than 0), the World (W00) and aggregate or
    not-elsewhere-specified partners (a partnerISO that is not three letters, such as _X,
    XX or S19, or a description ending in 'nes'). Comtrade reports Taiwan as S19 (Other
    Asia, nes), so it is left out too.

    Every bad row (non-numeric or negative qty or value, unknown partner, bad period or
    frequency, malformed HS code, the same period, partner and code twice) is a Problem
    with the file, the row as a spreadsheet numbers it (header row 1), the field, the value
    and a hint. Any of them raises InvalidInput with all of them, unless skip_invalid.
    A file without the Comtrade columns, unreadable, or with more than one reporter,
    always raises.
    """
    name = path.name
    raw = _read_text_table(path)
    columns = _column_names(raw.columns)
    missing = [" or ".join(group) for group in _REQUIRED if not any(c in columns for c in group)]
    if missing:
        _fail(
            name,
            Problem(
                name,
                1,
                None,
                None,
                f"not a UN Comtrade export: missing column(s) {'; '.join(missing)}",
                hint="download the data from comtradeplus.un.org as CSV with its header row",
            ),
        )
    wanted = [c for group in _REQUIRED for c in group] + list(_OPTIONAL)
    frame = raw.select(
        [pl.col(columns[c]).str.strip_chars().alias(c) for c in wanted if c in columns]
    ).with_columns([pl.lit(None, pl.String).alias(c) for c in wanted if c not in columns])
    frame = frame.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    report = ComtradeFile(frame=pl.DataFrame(schema=COMTRADE_SCHEMA), rows_read=frame.height)

    exports = pl.col("flowCode").str.to_uppercase() == "X"
    cars = pl.col("cmdCode").str.replace_all(".", "", literal=True).str.starts_with(HEADING)
    total_row = (
        pl.col("customsCode").fill_null("").str.to_uppercase().is_in(["", "C00"])
        & pl.col("motCode").fill_null("").is_in(["", "0"])
        & pl.col("partner2Code").fill_null("").is_in(["", "0"])
    )
    _count(report, "not an export", frame.filter(~exports.fill_null(False)).height)
    frame = frame.filter(exports.fill_null(False))
    _count(report, "not HS 8703", frame.filter(~cars.fill_null(False)).height)
    frame = frame.filter(cars.fill_null(False))
    _count(report, "breakdown", frame.filter(~total_row).height)
    frame = frame.filter(total_row)

    reporter_column = "reporterISO" if frame["reporterISO"].drop_nulls().len() else "reporterCode"
    reporters = frame[reporter_column].drop_nulls().unique().sort().to_list()
    if len(reporters) > 1:
        _fail(
            name,
            Problem(
                name,
                None,
                reporter_column,
                ", ".join(reporters),
                "the file holds the exports of more than one reporter",
                hint="download one reporter's exports per file",
            ),
        )
    report.reporter = reporters[0] if reporters else None
    report.problems += _classification_warnings(name, frame)

    rows: list[dict[str, object]] = []
    seen: dict[tuple[object, ...], int] = {}
    invalid = 0
    for cells in frame.iter_rows(named=True):
        partner, aggregate = _partner(cells)
        if aggregate is not None:
            report.aggregates[aggregate] = report.aggregates.get(aggregate, 0) + 1
            _count(report, "aggregate partner", 1)
            continue
        found = _check_row(name, cells, partner)
        if not found.problems and found.row is not None:
            key = (
                found.row["period_start"],
                found.row["period_end"],
                partner,
                found.row["hs_code"],
            )
            if key in seen:
                found.problems.append(
                    Problem(
                        name,
                        int(str(cells["_row"])),
                        "cmdCode",
                        str(cells["cmdCode"]),
                        f"same period, partner and commodity as row {seen[key]}",
                        hint="keep one row per period, partner and commodity",
                    )
                )
            else:
                seen[key] = int(str(cells["_row"]))
        if found.problems:
            report.problems += found.problems
            invalid += 1
            continue
        assert found.row is not None
        rows.append(found.row)

    errors = [p for p in report.problems if p.severity == "error"]
    if errors and not skip_invalid:
        raise InvalidInput(f"Comtrade file {name}", report.problems)
    _count(report, "invalid", invalid)
    report.frame = pl.DataFrame(rows, schema=COMTRADE_SCHEMA, orient="row")
    return report


@dataclass
class _Checked:
    row: dict[str, object] | None
    problems: list[Problem]


def _check_row(file: str, cells: dict[str, object], partner: str | None) -> _Checked:
    row_number = int(str(cells["_row"]))
    problems: list[Problem] = []

    def text(column: str) -> str:
        value = cells.get(column)
        return "" if value is None else str(value)

    def problem(column: str, message: str, hint: str) -> None:
        problems.append(Problem(file, row_number, column, text(column) or None, message, hint))

    if partner is None:
        column = "partnerISO" if text("partnerISO") else "partnerCode"
        problem(
            column,
            "unknown partner: not an ISO 3166 country code",
            "use the alpha-3 code of the partner country (RUS, MEX, ...) as Comtrade gives it",
        )

    hs_code = text("cmdCode").replace(".", "")
    if not (hs_code == HEADING or (len(hs_code) == 6 and hs_code.isdigit())):
        problem("cmdCode", "not HS 8703 or a 6-digit subheading of it", "use 8703 or 8703xx")

    period = _period(text("freqCode").upper(), text("period") or text("refPeriodId"))
    if isinstance(period, str):
        if period.startswith("freqCode"):
            column = "freqCode"
        else:
            column = "refPeriodId" if not text("period") and text("refPeriodId") else "period"
        problem(column, period, "annual rows have period YYYY (freqCode A), monthly YYYYMM (M)")

    quantity_ok, quantity = _number(text("qty"))
    if not quantity_ok:
        problem(
            "qty", "quantity is not a number of 0 or more", "write it as digits, without separators"
        )
    value_column = "primaryValue" if text("primaryValue") else "fobvalue"
    value_ok, value = _number(text(value_column))
    if not value_ok:
        problem(
            value_column, "trade value is not a number of 0 or more", "write it as digits, in USD"
        )

    if problems or isinstance(period, str) or partner is None:
        return _Checked(None, problems)
    items = (
        text("qtyUnitCode") == _ITEMS_UNIT_CODE or text("qtyUnitAbbr").lower() == _ITEMS_UNIT_ABBR
    )
    vehicles = round(quantity) if items and quantity is not None else None
    return _Checked(
        {
            "period_start": period[0],
            "period_end": period[1],
            "partner_country": partner,
            "hs_code": hs_code,
            "hs_group": hs_group(hs_code),
            "vehicles": vehicles,
            "value_usd": value,
        },
        problems,
    )


def _number(cell: str) -> tuple[bool, float | None]:
    """(True, the number) for a non-negative number, (True, None) for an empty cell,
    (False, None) for anything else."""
    if not cell:
        return True, None
    try:
        number = float(cell)
    except ValueError:
        return False, None
    if not math.isfinite(number) or number < 0:
        return False, None
    return True, number


def _period(freq: str, digits: str) -> tuple[dt.date, dt.date] | str:
    """First and last day of a Comtrade period (YYYY, YYYYMM or refPeriodId YYYYMMDD),
    or what is wrong with it."""
    if not digits.isdigit() or len(digits) not in (4, 6, 8):
        return "period is not YYYY, YYYYMM or YYYYMMDD"
    if not freq:
        freq = "A" if len(digits) == 4 else "M"
    if freq not in ("A", "M"):
        return f"freqCode {freq!r} is neither A (annual) nor M (monthly)"
    if freq == "A" and len(digits) == 6:
        return "annual row (freqCode A) with a monthly period"
    if freq == "M" and len(digits) == 4:
        return "monthly row (freqCode M) with an annual period"
    year = int(digits[:4])
    if not 1962 <= year <= 2100:
        return f"year {year} is out of range"
    if freq == "A":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(digits[4:6])
    if not 1 <= month <= 12:
        return f"month {month} does not exist"
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _partner(cells: dict[str, object]) -> tuple[str | None, str | None]:
    """(ISO alpha-2, None) for a country, (None, Comtrade code) for the World or an
    aggregate, (None, None) for a code that is neither."""
    iso3 = str(cells.get("partnerISO") or "").upper()
    code = str(cells.get("partnerCode") or "")
    description = str(cells.get("partnerDesc") or "").strip().lower()
    if iso3 == _WORLD or code == "0" or description == "world":
        return None, _WORLD
    if description.endswith((" nes", ",nes", "n.e.s.", "n.e.s")):
        return None, iso3 or code
    if iso3:
        if not _COUNTRY_ISO.fullmatch(iso3):
            return None, iso3  # _X, XX, X1, S19, ...: areas and special categories
        country = pycountry.countries.get(alpha_3=iso3)
        return (str(country.alpha_2), None) if country else (None, None)
    if code in _AREA_CODES:
        return None, code
    if code in _COMTRADE_NUMERIC:
        return _COMTRADE_NUMERIC[code], None
    country = pycountry.countries.get(numeric=code.zfill(3)) if code.isdigit() else None
    return (str(country.alpha_2), None) if country else (None, None)


def _classification_warnings(file: str, frame: pl.DataFrame) -> list[Problem]:
    old = sorted(
        set(frame["classificationCode"].drop_nulls().str.to_uppercase().to_list()) & _OLD_HS
    )
    if not old:
        return []
    return [
        Problem(
            file,
            None,
            "classificationCode",
            ", ".join(old),
            "HS before 2017 has no electric or hybrid subheadings (870390 holds them)",
            hint="reconcile at level 'total', or download the data in HS 2017 or HS 2022",
            severity="warning",
        )
    ]


def _count(report: ComtradeFile, reason: str, rows: int) -> None:
    if rows:
        report.skipped[reason] = report.skipped.get(reason, 0) + rows


def _fail(name: str, problem: Problem) -> NoReturn:
    raise InvalidInput(f"Comtrade file {name}", [problem])


def _column_names(columns: list[str]) -> dict[str, str]:
    """Canonical Comtrade name -> the file's own spelling of it (first one wins)."""
    canonical = {c.lower(): c for group in _REQUIRED for c in group} | {
        c.lower(): c for c in _OPTIONAL
    }
    found: dict[str, str] = {}
    for column in columns:
        known = canonical.get(column.strip().lower())
        if known and known not in found:
            found[known] = column
    return found


def _read_text_table(path: Path) -> pl.DataFrame:
    """Every cell as text; comma or tab separated; UTF-8 or Windows-1252."""
    name = path.name
    if not path.exists():
        _fail(name, Problem(name, None, None, None, "file not found", hint="check the path"))
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        _fail(
            name,
            Problem(name, 1, None, None, "file is empty", hint="the first line is the header"),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    header = text.split("\n", 1)[0]
    separator = "\t" if header.count("\t") > header.count(",") else ","
    try:
        # Rows longer than the header are cut: the website ends every data row with a
        # comma, an empty cell the header does not name.
        return pl.read_csv(
            text.encode("utf-8"),
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        _fail(
            name,
            Problem(
                name,
                None,
                None,
                None,
                f"cannot parse the CSV: {str(exc).splitlines()[0]}",
                hint="check quoting and that every row has as many cells as the header",
            ),
        )
