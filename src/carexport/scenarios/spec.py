"""Scenario specs: YAML read into validated, frozen values, every problem located by file,
line and key path (scenarios[0].changes[2].days), with the value and what would fix it.

A file holds one scenario (a mapping with `name`) or several (`scenarios: [...]`). Each
change is a mapping with one `kind`; see the README's "Scenarios" section for the fields.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from carexport.errors import InvalidInput, Problem

Name = Annotated[str, Field(min_length=1, max_length=55, pattern=r"^[a-z0-9_\-]+$")]


class Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date | None = None
    """First day the change applies (a lane's departures, an order's ready date); None: always."""
    end: dt.date | None = None

    @model_validator(mode="after")
    def _window(self) -> Change:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; swap them")
        return self


class LaneSelector(Change):
    lanes: tuple[str, ...] = ()
    route: str | None = None
    via_node: str | None = None
    carrier: str | None = None
    modes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _some(self) -> LaneSelector:
        if not (self.lanes or self.route or self.via_node or self.carrier or self.modes):
            raise ValueError("select lanes by lanes, route, via_node, carrier or modes")
        return self


class CloseLanes(LaneSelector):
    kind: Literal["close"]


class OpenRoute(Change):
    """Reopen a route the network closes (its lanes come back from closed_lanes)."""

    kind: Literal["open_route"]
    route: str


class NodeDelay(Change):
    """+days at a node: border congestion (lanes through or into it) or port dwell (lanes
    leaving it)."""

    kind: Literal["border_delay", "port_dwell"]
    node: str
    days: int = Field(gt=0, le=120)


class CapacityCut(LaneSelector):
    kind: Literal["capacity_cut"]
    pct: float = Field(gt=0, le=100)


class CancelDepartures(Change):
    kind: Literal["cancel_departures"]
    lane: str
    dates: tuple[dt.date, ...] = ()
    """Departures cancelled; none listed: every departure between start and end."""
    first: int | None = Field(default=None, ge=1)
    """Or only the first N departures between start and end (from the plan's start)."""


class DemandChange(Change):
    kind: Literal["demand"]
    markets: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    drive_side: Literal["LHD", "RHD"] | None = None
    change_pct: float = Field(ge=-100, le=500)


class CostShock(LaneSelector):
    kind: Literal["cost_shock"]
    change_pct: float = Field(ge=-90, le=500)
    fuel_share: float = Field(default=1.0, gt=0, le=1)
    """Share of the lane's price the change applies to: 1 for a freight-rate change, the
    fuel share (a stated assumption) for a bunker or diesel price change."""


class Co2Price(Change):
    kind: Literal["co2_price"]
    usd_per_t: float = Field(ge=0, le=2000)


AnyChange = Annotated[
    CloseLanes
    | OpenRoute
    | NodeDelay
    | CapacityCut
    | CancelDepartures
    | DemandChange
    | CostShock
    | Co2Price,
    Field(discriminator="kind"),
]


class Stochastic(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    transit: Literal["learned", "range"] = "learned"
    """learned: the tracking history's median and p90 per lane where it has them, the lane's
    min/typical/max elsewhere; range: the lane's min/typical/max everywhere."""
    samples: int = Field(default=1, ge=1, le=10_000)
    seed: int = Field(default=0, ge=0)


class Baseline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    changes: tuple[AnyChange, ...] = ()
    """Changes the comparison's baseline gets too: "Red Sea closed" compares with an open one."""


class ScenarioSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    title: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1)
    """Where the disruption's size comes from, or the assumption made, stated."""
    baseline: Baseline = Baseline()
    changes: tuple[AnyChange, ...] = ()
    stochastic: Stochastic = Stochastic()


class SpecFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    scenarios: tuple[ScenarioSpec, ...] = Field(min_length=1)


def _plain(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    """A YAML node as plain data, recording the line (1-based) of every key path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _plain(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_specs(text: str, file: str) -> tuple[ScenarioSpec, ...]:
    """Every scenario of a YAML document; InvalidInput with every problem located."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InvalidInput(
            f"scenario file {file}",
            [
                Problem(
                    file,
                    None if mark is None else mark.line + 1,
                    None,
                    None,
                    f"not valid YAML: {getattr(error, 'problem', error)}",
                    "fix the YAML syntax (indentation, a missing colon or quote)",
                )
            ],
        ) from None
    if node is None:
        raise InvalidInput(
            f"scenario file {file}",
            [Problem(file, None, None, None, "the file is empty", "write a scenario: name, ...")],
        )
    lines: dict[tuple[Any, ...], int] = {}
    data = _plain(node, (), lines)
    prefix: tuple[Any, ...] = ()
    if isinstance(data, dict) and "scenarios" not in data:
        data, prefix = {"scenarios": [data]}, ("scenarios", 0)
    try:
        return SpecFile.model_validate(data).scenarios
    except ValidationError as error:
        problems = []
        errors = error.errors()
        for e in errors:
            if e["type"] == "too_short" and tuple(e["loc"]) == ("scenarios",) and len(errors) > 1:
                continue  # pydantic's echo of the failed items, not a problem of its own
            raw = tuple(e["loc"])
            # A discriminated union puts the change's kind after its index; the user did
            # not write that key.
            loc = tuple(
                p
                for i, p in enumerate(raw)
                if not (p in _KINDS and i and isinstance(raw[i - 1], int))
            )
            shown = loc[2:] if prefix and loc[:2] == prefix else loc
            line = next(
                (lines[shown[:n]] for n in range(len(shown), -1, -1) if shown[:n] in lines), None
            )
            value = None if e["type"] == "missing" else e.get("input")
            if e["type"] == "union_tag_invalid":
                value = e.get("ctx", {}).get("tag")
            problems.append(
                Problem(
                    file,
                    line,
                    _dotted(shown) or None,
                    None if isinstance(value, dict | list) or value is None else str(value),
                    e["msg"],
                    _hint(
                        e["type"], next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
                    ),
                )
            )
        raise InvalidInput(f"scenario file {file}", problems) from None


_KINDS = {
    "close",
    "open_route",
    "border_delay",
    "port_dwell",
    "capacity_cut",
    "cancel_departures",
    "demand",
    "cost_shock",
    "co2_price",
}


def _hint(error_type: str, field: str) -> str:
    if error_type == "missing":
        return f"add {field}"
    if error_type == "extra_forbidden":
        return f"remove {field} or correct its spelling (see the README's Scenarios section)"
    if error_type == "union_tag_invalid":
        return f"use a kind among {', '.join(sorted(_KINDS))}"
    if error_type == "union_tag_not_found":
        return f"give the change a kind among {', '.join(sorted(_KINDS))}"
    if error_type.startswith("date"):
        return "write dates as YYYY-MM-DD"
    if error_type == "string_pattern_mismatch":
        return "use lower-case letters, digits, '_' and '-'"
    return f"correct {field}"


def read_specs(path: Path) -> tuple[ScenarioSpec, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(
            f"scenario file {path}",
            [
                Problem(
                    str(path),
                    None,
                    None,
                    None,
                    f"cannot read it: {error}",
                    "give a UTF-8 YAML file",
                )
            ],
        ) from None
    return parse_specs(text, str(path))


LIBRARY = Path(__file__).parent / "library"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in LIBRARY.glob("*.yaml"))


def load(name_or_file: str) -> tuple[tuple[ScenarioSpec, ...], str]:
    """A built-in scenario by name ("all": every one) or a YAML file; the specs and their text."""
    if name_or_file == "all":
        texts = [(LIBRARY / f"{n}.yaml").read_text(encoding="utf-8") for n in builtin_names()]
        specs = tuple(
            s for n, t in zip(builtin_names(), texts, strict=True) for s in parse_specs(t, n)
        )
        return specs, "\n---\n".join(texts)
    builtin = LIBRARY / f"{name_or_file.replace('-', '_')}.yaml"
    path = builtin if builtin.is_file() else Path(name_or_file)
    if not path.is_file():
        raise InvalidInput(
            "scenario",
            [
                Problem(
                    name_or_file,
                    None,
                    None,
                    name_or_file,
                    "neither a scenario file nor a built-in scenario",
                    f"give a YAML file or one of: all, {', '.join(builtin_names())}",
                )
            ],
        )
    return read_specs(path), path.read_text(encoding="utf-8")
