"""The export network and its markets as validated records, one model per dataset file.

Field names are the dataset's column names. Units are in the names. Lists are written
`a;b;c` in the files and arrive here as tuples.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

import pycountry
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)


class NodeKind(StrEnum):
    PLANT = "plant"
    RAIL_TERMINAL = "rail_terminal"
    RIVER_PORT = "river_port"
    SEAPORT = "seaport"
    BORDER_CROSSING = "border_crossing"
    ROAD_HUB = "road_hub"
    OVERSEAS_HUB = "overseas_hub"
    DEALER = "dealer"
    WATERWAY_LOCK = "waterway_lock"


class Mode(StrEnum):
    RAIL = "rail"  # car-carrier wagons (JSQ)
    RAIL_CONTAINER = "rail_container"
    RIVER_RORO = "river_roro"
    OCEAN_RORO = "ocean_roro"
    OCEAN_CONTAINER = "ocean_container"
    ROAD_TRUCK = "road_truck"
    SELF_DRIVE = "self_drive"


class Powertrain(StrEnum):
    BEV = "BEV"
    PHEV = "PHEV"
    EREV = "EREV"
    HEV = "HEV"
    ICE = "ICE"

    @property
    def is_nev(self) -> bool:
        """China's NEV category: battery, plug-in and range-extender cars (not plain hybrids)."""
        return self in (Powertrain.BEV, Powertrain.PHEV, Powertrain.EREV)


class DriveSide(StrEnum):
    LHD = "LHD"
    RHD = "RHD"


class Region(StrEnum):
    SOUTHEAST_ASIA = "southeast_asia"
    SOUTH_ASIA = "south_asia"
    EAST_ASIA = "east_asia"
    MIDDLE_EAST = "middle_east"
    EUROPE = "europe"
    CENTRAL_ASIA = "central_asia"
    LATIN_AMERICA = "latin_america"
    NORTH_AMERICA = "north_america"
    OCEANIA = "oceania"
    AFRICA = "africa"


WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    """When a lane departs: daily, on fixed weekdays, every N days from an anchor, or on dates.

    Written in the dataset as `daily`, `weekly:MON,THU`, `every:14:2025-01-06` or
    `dates:2025-03-01;2025-04-12`.
    """

    kind: str
    weekdays: tuple[int, ...] = ()
    every_days: int = 0
    anchor: dt.date | None = None
    dates: tuple[dt.date, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Schedule:
        text = text.strip()
        head, _, rest = text.partition(":")
        head = head.strip().lower()
        if head == "daily" and not rest:
            return cls(kind="daily")
        if head == "weekly":
            names = [n.strip().upper() for n in rest.split(",") if n.strip()]
            unknown = [n for n in names if n not in WEEKDAYS]
            if unknown:
                raise ScheduleError(f"unknown weekday {unknown[0]!r}; use MON..SUN")
            if not names:
                raise ScheduleError("weekly schedule names no weekday, so it never runs")
            return cls(kind="weekly", weekdays=tuple(sorted({WEEKDAYS.index(n) for n in names})))
        if head == "every":
            days, _, anchor = rest.partition(":")
            try:
                every_days = int(days)
                anchor_date = dt.date.fromisoformat(anchor.strip())
            except ValueError:
                raise ScheduleError("write every:N:YYYY-MM-DD, e.g. every:14:2025-01-06") from None
            if every_days <= 0:
                raise ScheduleError(f"every {every_days} days never runs; N must be at least 1")
            return cls(kind="every", every_days=every_days, anchor=anchor_date)
        if head == "dates":
            try:
                dates = tuple(
                    sorted({dt.date.fromisoformat(d.strip()) for d in rest.split(";") if d.strip()})
                )
            except ValueError:
                raise ScheduleError("dates must be YYYY-MM-DD separated by ';'") from None
            if not dates:
                raise ScheduleError("dates: lists no date, so the lane never runs")
            return cls(kind="dates", dates=dates)
        raise ScheduleError(
            "departures must be daily, weekly:MON,THU, every:N:YYYY-MM-DD or dates:YYYY-MM-DD;..."
        )

    def __str__(self) -> str:
        if self.kind == "weekly":
            return "weekly:" + ",".join(WEEKDAYS[d] for d in self.weekdays)
        if self.kind == "every":
            assert self.anchor is not None
            return f"every:{self.every_days}:{self.anchor.isoformat()}"
        if self.kind == "dates":
            return "dates:" + ";".join(d.isoformat() for d in self.dates)
        return "daily"

    def departures_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Departure dates d with first <= d <= last, in order."""
        if last < first:
            return []
        if self.kind == "dates":
            return [d for d in self.dates if first <= d <= last]
        span = (last - first).days + 1
        days = (first + dt.timedelta(days=i) for i in range(span))
        if self.kind == "daily":
            return list(days)
        if self.kind == "weekly":
            return [d for d in days if d.weekday() in self.weekdays]
        assert self.anchor is not None
        return [d for d in days if (d - self.anchor).days % self.every_days == 0]

    def departures_per_week(self) -> float:
        if self.kind == "daily":
            return 7.0
        if self.kind == "weekly":
            return float(len(self.weekdays))
        if self.kind == "every":
            return 7.0 / self.every_days
        return 0.0


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _split_list(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return value


def _check_country(value: str) -> str:
    code = value.strip().upper()
    if code not in country_codes():
        raise ValueError("not an ISO 3166-1 alpha-2 country code; use e.g. TH, AE, DE")
    return code


IdList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
CountryCode = Annotated[str, BeforeValidator(lambda v: _check_country(str(v)))]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class Record(BaseModel):
    """A dataset row. Blank cells are None; unknown columns are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    source: IdList = ()

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        # A blank cell means "not given": the field's default applies (or it is missing).
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if _blank_to_none(v) is not None}
        return data


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    key: Identifier
    title: str = Field(min_length=1)
    url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if _blank_to_none(v) is not None}
        return data


class Node(Record):
    id: Identifier
    name: str = Field(min_length=1)
    country: CountryCode
    kind: NodeKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    handling_days: int = Field(default=0, ge=0, le=60)
    storage_cost_usd_per_day: float = Field(default=0.0, ge=0)
    yard_capacity_vehicles: int | None = Field(default=None, gt=0)
    # A plant ships nothing made before it started production (Rayong: Q1 2025, S1/S80).
    production_start: dt.date | None = None


class Lane(Record):
    id: Identifier
    from_node: Identifier
    to_node: Identifier
    via_nodes: IdList = ()
    mode: Mode
    route: str | None = None
    distance_km: float = Field(gt=0)
    transit_days: int = Field(gt=0)
    transit_days_min: int | None = Field(default=None, gt=0)
    transit_days_max: int | None = Field(default=None, gt=0)
    departures: str
    capacity_slots: int = Field(gt=0)
    cost_usd_per_vehicle: float = Field(ge=0)
    co2e_kg_per_vehicle: float | None = Field(default=None, ge=0)
    carrier: str | None = None
    nev_allowed: bool = True
    nev_max_soc_pct: float | None = Field(default=None, gt=0, le=100)
    nev_dangerous_goods: bool = False
    dg_handling_cost_usd: float | None = Field(default=None, ge=0)
    # Dates of service: a service that started (or ends) on a date runs only from (to) it.
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @field_validator("valid_to")
    @classmethod
    def _valid_to_not_before_from(cls, value: dt.date | None, info: ValidationInfo) -> Any:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"valid_to {value} is before valid_from {start}; swap them")
        return value

    @field_validator("departures")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return str(Schedule.parse(value))

    @field_validator("transit_days_min")
    @classmethod
    def _min_not_above_typical(cls, value: int | None, info: ValidationInfo) -> int | None:
        typical = info.data.get("transit_days")
        if value is not None and typical is not None and value > typical:
            raise ValueError(f"minimum transit days {value} exceed the typical {typical}")
        return value

    @field_validator("transit_days_max")
    @classmethod
    def _max_not_below_typical(cls, value: int | None, info: ValidationInfo) -> int | None:
        typical = info.data.get("transit_days")
        if value is not None and typical is not None and value < typical:
            raise ValueError(f"maximum transit days {value} are below the typical {typical}")
        return value

    @property
    def schedule(self) -> Schedule:
        return Schedule.parse(self.departures)

    def departures_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The lane's departure dates from first to last, inside its dates of service."""
        if self.valid_from is not None:
            first = max(first, self.valid_from)
        if self.valid_to is not None:
            last = min(last, self.valid_to)
        return self.schedule.departures_between(first, last)


class RouteSetting(Record):
    """Whether a sea route (a lane's `route`: suez, cape, panama) is open. Lanes on a closed
    route stay in the dataset but not in the network the planner and path finder see, so
    reopening one is a one-cell change (or a scenario)."""

    route: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
    open: bool
    since: dt.date | None = None
    note: str | None = None


class Co2Factor(Record):
    mode: Mode
    g_co2e_per_vehicle_km: float = Field(gt=0)
    basis: str | None = None


class LeftTrafficCountry(Record):
    country: CountryCode
    vehicle_drive_side: DriveSide = DriveSide.RHD


class HomologationRegime(Record):
    id: Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Z][A-Z0-9_]+$")]
    name: str = Field(min_length=1)


class Market(Record):
    country: CountryCode
    name: str = Field(min_length=1)
    region: Region
    homologation: str
    destination_nodes: IdList
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]

    @field_validator("destination_nodes")
    @classmethod
    def _some_destination(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a market needs at least one destination node")
        return value


class Brand(Record):
    id: Identifier
    name: str = Field(min_length=1)
    group: str | None = None


class VehicleModel(Record):
    id: Identifier
    brand_id: Identifier
    name: str = Field(min_length=1)
    body: str | None = None


class Variant(Record):
    id: Identifier
    model_id: Identifier
    name: str = Field(min_length=1)
    powertrain: Powertrain
    drive_side: DriveSide
    slot_factor: float = Field(default=1.0, gt=0, le=4)
    unit_price_usd: float = Field(gt=0)
    battery_kwh: float | None = Field(default=None, gt=0)
    homologations: IdList = ()


class Dealer(Record):
    id: Identifier
    brand_id: Identifier
    country: CountryCode
    city: str = Field(min_length=1)
    opening_date: dt.date


class Target(Record):
    id: Identifier
    metric: str = Field(min_length=1)
    scope: str = Field(min_length=1)
    value: float
    unit: str = Field(min_length=1)
    deadline: dt.date


class Basis(StrEnum):
    """Who counted: the counts of different bases must never be mixed without saying so."""

    GACC = "GACC"  # China customs (General Administration of Customs), incl. Chongqing customs
    CAAM = "CAAM"  # China Association of Automobile Manufacturers: manufacturers' exports
    COMPANY = "COMPANY"  # reported by the company itself
    MUNICIPAL = "MUNICIPAL"  # Chongqing government figures whose source does not state a basis
    STATS = "STATS"  # a statistics bureau (production output, not exports)


class StatUnit(StrEnum):
    UNITS = "units"  # vehicles
    CNY_BN = "cny_bn"
    USD_BN = "usd_bn"
    YOY_PCT = "yoy_pct"  # growth over the same period a year before, percent
    YOY_CHANGE_UNITS = "yoy_change_units"  # vehicles more than the same period a year before


class ExportStatistic(Record):
    """An official or reported figure for one period. A level (units, cny_bn, usd_bn) and
    its growth (yoy_pct, yoy_change_units) are separate rows of the same metric."""

    scope: Identifier  # CHINA, CHONGQING, a brand or a company
    metric: Identifier  # export_units, export_value, nev_export_value, overseas_sales_units...
    period_start: dt.date
    period_end: dt.date
    basis: Basis
    unit: StatUnit
    value: float
    approximate: bool = False  # the source says "about", "nearly" or "more than"
    note: str | None = None

    @model_validator(mode="after")
    def _period(self) -> ExportStatistic:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start; swap them")
        if self.unit in (StatUnit.UNITS, StatUnit.CNY_BN, StatUnit.USD_BN) and self.value < 0:
            raise ValueError(f"a level in {self.unit.value} cannot be negative")
        return self

    @property
    def period_kind(self) -> str:
        """year, quarter, month or ytd (from 1 January to a month's end)."""
        start, end = self.period_start, self.period_end
        if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
            return "custom"
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months == 12 and start.month == 1:
            return "year"
        if months == 1:
            return "month"
        if months == 3 and start.month in (1, 4, 7, 10):
            return "quarter"
        if start.month == 1 and end.year == start.year:
            return "ytd"
        return "custom"

    @property
    def label(self) -> str:
        """2024, 2024-Q3, 2024-09, 2024 Jan-Sep."""
        kind, start, end = self.period_kind, self.period_start, self.period_end
        if kind == "year":
            return str(start.year)
        if kind == "quarter":
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if kind == "month":
            return f"{start.year}-{start.month:02d}"
        if kind == "ytd":
            return f"{end.year} Jan-{end.strftime('%b')}"
        return f"{start.isoformat()}..{end.isoformat()}"


class ExchangeRate(Record):
    """CNY per USD for a month (the month's first day names it)."""

    month: dt.date
    cny_per_usd: float = Field(gt=1, lt=20)

    @field_validator("month")
    @classmethod
    def _first_of_month(cls, value: dt.date) -> dt.date:
        if value.day != 1:
            raise ValueError("name the month by its first day, e.g. 2024-12-01")
        return value
