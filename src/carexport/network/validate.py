"""Checks that span files: references, reachability, drive side and homologation.

Row-level checks (types, ranges, schedules, duplicate ids) happen while reading; here
every reference between files is followed and every problem is located at the row that
holds the bad reference. A file that could not be read at all (missing, not UTF-8,
missing a column) is not checked against, so one broken file gives one error, not one per
reference to it; likewise reachability is not judged while no node is a plant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from carexport.errors import Problem
from carexport.network.dataset import Dataset
from carexport.network.paths import reachable
from carexport.network.schemas import DriveSide
from carexport.network.snapshot import NetworkSnapshot


@dataclass(frozen=True)
class _Context:
    dataset: Dataset
    snap: NetworkSnapshot
    unreadable: frozenset[str]

    def usable(self, *files: str) -> bool:
        return not self.unreadable.intersection(files)


def validate(dataset: Dataset) -> list[Problem]:
    """Every cross-file problem of a dataset (row-level problems are already in it)."""
    unreadable = frozenset(
        p.file for p in dataset.problems if p.severity == "error" and (p.row in (None, 1))
    )
    ctx = _Context(dataset, dataset.snapshot(), unreadable)
    return [
        *_check_sources(ctx),
        *_check_lanes(ctx),
        *_check_reachability(ctx),
        *_check_markets(ctx),
        *_check_vehicles(ctx),
        *_check_dealers(ctx),
    ]


def _err(file: str, row: int | None, field: str, value: Any, message: str, hint: str) -> Problem:
    return Problem(file, row, field, None if value is None else str(value), message, hint)


def _warn(file: str, row: int, field: str, value: Any, message: str, hint: str) -> Problem:
    return Problem(
        file, row, field, None if value is None else str(value), message, hint, severity="warning"
    )


def _check_sources(ctx: _Context) -> Iterator[Problem]:
    if not ctx.usable("sources.csv"):
        return
    for file_name, located in ctx.dataset.records.items():
        for loc in located:
            for key in getattr(loc.record, "source", ()):
                if key not in ctx.snap.sources:
                    yield _err(
                        file_name,
                        loc.row,
                        "source",
                        key,
                        "unknown source key",
                        "add it to sources.csv or use U (typical value, unsourced)",
                    )


def _check_lanes(ctx: _Context) -> Iterator[Problem]:
    snap, nodes_ok = ctx.snap, ctx.usable("nodes.csv")
    for loc in ctx.dataset.located("lanes.csv"):
        lane = loc.record
        if nodes_ok:
            for field in ("from_node", "to_node"):
                if getattr(lane, field) not in snap.nodes:
                    yield _err(
                        "lanes.csv",
                        loc.row,
                        field,
                        getattr(lane, field),
                        "unknown node",
                        "use an id from nodes.csv or add the node there",
                    )
            for node_id in lane.via_nodes:
                if node_id not in snap.nodes:
                    yield _err(
                        "lanes.csv",
                        loc.row,
                        "via_nodes",
                        node_id,
                        "unknown node",
                        "use an id from nodes.csv or add the node there",
                    )
        if lane.from_node == lane.to_node:
            yield _err(
                "lanes.csv",
                loc.row,
                "to_node",
                lane.to_node,
                "lane starts and ends at the same node, so it connects nothing",
                "set to_node to the node the lane arrives at",
            )
        if (
            lane.co2e_kg_per_vehicle is None
            and lane.mode not in snap.co2_factors
            and ctx.usable("co2_factors.csv")
        ):
            yield _err(
                "lanes.csv",
                loc.row,
                "co2e_kg_per_vehicle",
                None,
                f"no CO2e given and no factor for mode {lane.mode.value}",
                "give co2e_kg_per_vehicle or add the mode to co2_factors.csv",
            )
        if lane.nev_dangerous_goods and lane.dg_handling_cost_usd is None:
            yield _warn(
                "lanes.csv",
                loc.row,
                "dg_handling_cost_usd",
                None,
                "NEVs travel as dangerous goods here but no DG handling cost is given",
                "give the DG surcharge per vehicle (0 if there is none)",
            )


def _check_reachability(ctx: _Context) -> Iterator[Problem]:
    """Lanes that connect nothing, markets no plant reaches, nodes on no lane."""
    if not ctx.usable("nodes.csv", "lanes.csv", "markets.csv"):
        return
    snap = ctx.snap
    lanes = ctx.dataset.located("lanes.csv")
    plants = [n.id for n in snap.plants()]
    if ctx.dataset.located("nodes.csv") and not plants:
        yield _err(
            "nodes.csv",
            None,
            "kind",
            None,
            "no node is a plant",
            "mark the factories with kind=plant",
        )
        return
    edges = [(loc.record.from_node, loc.record.to_node) for loc in lanes]
    destinations = {n for m in snap.markets.values() for n in m.destination_nodes}
    from_plants = reachable(edges, plants)
    to_markets = reachable([(b, a) for a, b in edges], destinations)
    for loc in lanes:
        lane = loc.record
        if lane.from_node == lane.to_node or {lane.from_node, lane.to_node} - snap.nodes.keys():
            continue
        if lane.from_node not in from_plants:
            yield _err(
                "lanes.csv",
                loc.row,
                "from_node",
                lane.from_node,
                "lane connects nothing: no plant can reach the node it starts from",
                "add a lane into that node or remove this lane",
            )
        elif lane.to_node not in to_markets:
            yield _err(
                "lanes.csv",
                loc.row,
                "to_node",
                lane.to_node,
                "lane connects nothing: no market can be reached from the node it ends at",
                "add a lane onward to a market's destination node or remove this lane",
            )
    for loc in ctx.dataset.located("markets.csv"):
        known = [n for n in loc.record.destination_nodes if n in snap.nodes]
        if known and not from_plants.intersection(known):
            yield _err(
                "markets.csv",
                loc.row,
                "destination_nodes",
                ";".join(known),
                f"no plant can reach market {loc.record.country}: no chain of lanes "
                "ends at its destination nodes",
                "add lanes that reach one of them, or name a node that is reached",
            )
    on_lanes = {
        n
        for loc in lanes
        for n in (loc.record.from_node, loc.record.to_node, *loc.record.via_nodes)
    }
    for loc in ctx.dataset.located("nodes.csv"):
        if loc.record.id not in on_lanes and loc.record.id not in destinations:
            yield _warn(
                "nodes.csv",
                loc.row,
                "id",
                loc.record.id,
                "node is on no lane",
                "add a lane from or to it, list it in a lane's via_nodes, or remove it",
            )


def _check_markets(ctx: _Context) -> Iterator[Problem]:
    snap = ctx.snap
    for loc in ctx.dataset.located("markets.csv"):
        market = loc.record
        if ctx.usable("homologation_regimes.csv") and market.homologation not in snap.regimes:
            yield _err(
                "markets.csv",
                loc.row,
                "homologation",
                market.homologation,
                "unknown homologation regime",
                "use an id from homologation_regimes.csv or add it there",
            )
        if ctx.usable("nodes.csv"):
            for node_id in market.destination_nodes:
                if node_id not in snap.nodes:
                    yield _err(
                        "markets.csv",
                        loc.row,
                        "destination_nodes",
                        node_id,
                        "unknown node",
                        "use an id from nodes.csv or add the node there",
                    )
        side = snap.drive_side(market.country)
        if ctx.usable("variants.csv") and not any(
            market.country in snap.variant_markets(v) and v.drive_side == side
            for v in snap.variants.values()
        ):
            yield _warn(
                "markets.csv",
                loc.row,
                "country",
                market.country,
                f"no variant is homologated for this market with {side.value}",
                "add the country or its regime to a variant's homologations",
            )


def _check_vehicles(ctx: _Context) -> Iterator[Problem]:
    snap = ctx.snap
    if ctx.usable("brands.csv"):
        for loc in ctx.dataset.located("vehicle_models.csv"):
            if loc.record.brand_id not in snap.brands:
                yield _err(
                    "vehicle_models.csv",
                    loc.row,
                    "brand_id",
                    loc.record.brand_id,
                    "unknown brand",
                    "use an id from brands.csv or add the brand there",
                )
    check_tokens = ctx.usable(
        "markets.csv", "homologation_regimes.csv", "left_traffic_countries.csv"
    )
    for loc in ctx.dataset.located("variants.csv"):
        variant = loc.record
        if ctx.usable("vehicle_models.csv") and variant.model_id not in snap.models:
            yield _err(
                "variants.csv",
                loc.row,
                "model_id",
                variant.model_id,
                "unknown model",
                "use an id from vehicle_models.csv or add the model there",
            )
        for token in (t.upper() for t in variant.homologations if check_tokens):
            if len(token) != 2:
                if token not in snap.regimes:
                    yield _err(
                        "variants.csv",
                        loc.row,
                        "homologations",
                        token,
                        "neither a market country nor a homologation regime",
                        "use a 2-letter country from markets.csv or a regime id",
                    )
            elif token not in snap.markets:
                yield _err(
                    "variants.csv",
                    loc.row,
                    "homologations",
                    token,
                    "not a market country",
                    "add the country to markets.csv",
                )
            elif snap.drive_side(token) != variant.drive_side:
                yield _err(
                    "variants.csv",
                    loc.row,
                    "homologations",
                    token,
                    f"a {variant.drive_side.value} car cannot be sold in {token}, "
                    f"which registers {snap.drive_side(token).value} cars",
                    "homologate the variant of the other drive side for it",
                )
        if variant.powertrain.is_nev and variant.battery_kwh is None:
            yield _warn(
                "variants.csv",
                loc.row,
                "battery_kwh",
                None,
                "NEV variant without battery size",
                "give the battery in kWh",
            )
        if (
            check_tokens
            and variant.drive_side == DriveSide.RHD
            and variant.homologations
            and not snap.variant_markets(variant)
        ):
            yield _warn(
                "variants.csv",
                loc.row,
                "homologations",
                ";".join(variant.homologations),
                "RHD variant is homologated for no left-traffic market",
                "list the left-traffic markets it is approved for",
            )


def _check_dealers(ctx: _Context) -> Iterator[Problem]:
    for loc in ctx.dataset.located("dealers.csv"):
        if ctx.usable("brands.csv") and loc.record.brand_id not in ctx.snap.brands:
            yield _err(
                "dealers.csv",
                loc.row,
                "brand_id",
                loc.record.brand_id,
                "unknown brand",
                "use an id from brands.csv",
            )
        if ctx.usable("markets.csv") and loc.record.country not in ctx.snap.markets:
            yield _warn(
                "dealers.csv",
                loc.row,
                "country",
                loc.record.country,
                "dealer in a country that is not a market",
                "add the market",
            )
    yield from _check_dealer_homologations(ctx)


def _check_dealer_homologations(ctx: _Context) -> Iterator[Problem]:
    """A dealer sells a brand where none of the brand's variants may be registered.

    Not judged while a model names an unknown brand or a variant an unknown model: the
    orphan may be the very one homologated there, so the typo is reported once, not again
    at every dealer it strands. Dealers outside the markets already have their warning.
    """
    files = (
        "brands.csv",
        "vehicle_models.csv",
        "variants.csv",
        "markets.csv",
        "homologation_regimes.csv",
        "left_traffic_countries.csv",
    )
    snap = ctx.snap
    if (
        not ctx.usable(*files)
        or any(m.brand_id not in snap.brands for m in snap.models.values())
        or any(v.model_id not in snap.models for v in snap.variants.values())
    ):
        return
    brand_countries: dict[str, set[str]] = {}
    for variant in snap.variants.values():
        brand_id = snap.models[variant.model_id].brand_id
        brand_countries.setdefault(brand_id, set()).update(snap.variant_markets(variant))
    for loc in ctx.dataset.located("dealers.csv"):
        dealer = loc.record
        if dealer.brand_id not in snap.brands or dealer.country not in snap.markets:
            continue
        if dealer.country not in brand_countries.get(dealer.brand_id, set()):
            regime = snap.markets[dealer.country].homologation
            yield _err(
                "dealers.csv",
                loc.row,
                "country",
                dealer.country,
                f"no {dealer.brand_id} variant is homologated for {dealer.country}",
                f"add {dealer.country} (or its regime {regime}) to the homologations of one "
                f"of {dealer.brand_id}'s variants in variants.csv, or remove the dealer",
            )
