"""NetworkSnapshot: the whole network and its markets as one frozen value, with no DB session.

The planner, the path finder and the checks all read this; it is built from a dataset
folder or from the database and never changes once built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from carexport.network.schemas import (
    Brand,
    Co2Factor,
    Dealer,
    DriveSide,
    ExchangeRate,
    ExportStatistic,
    HomologationRegime,
    Lane,
    LeftTrafficCountry,
    Market,
    Mode,
    Node,
    NodeKind,
    RouteSetting,
    Source,
    Target,
    Variant,
    VehicleModel,
)

T = TypeVar("T")


def _by(records: Iterable[T], key: str) -> Mapping[Any, T]:
    return MappingProxyType({getattr(r, key): r for r in records})


@dataclass(frozen=True)
class NetworkSnapshot:
    sources: Mapping[str, Source]
    nodes: Mapping[str, Node]
    co2_factors: Mapping[Mode, Co2Factor]
    lanes: Mapping[str, Lane]
    left_traffic: Mapping[str, LeftTrafficCountry]
    regimes: Mapping[str, HomologationRegime]
    markets: Mapping[str, Market]
    brands: Mapping[str, Brand]
    models: Mapping[str, VehicleModel]
    variants: Mapping[str, Variant]
    dealers: Mapping[str, Dealer]
    targets: Mapping[str, Target]
    statistics: tuple[ExportStatistic, ...]
    exchange_rates: Mapping[dt.date, ExchangeRate]
    routes: Mapping[str, RouteSetting]
    closed_lanes: Mapping[str, Lane]
    """Lanes on a route routes.csv closes (Suez by default): kept apart, so the planner,
    the path finder and the checks never use them while a scenario can reopen them."""

    @classmethod
    def build(
        cls,
        *,
        sources: Iterable[Source] = (),
        nodes: Iterable[Node] = (),
        co2_factors: Iterable[Co2Factor] = (),
        lanes: Iterable[Lane] = (),
        left_traffic: Iterable[LeftTrafficCountry] = (),
        regimes: Iterable[HomologationRegime] = (),
        markets: Iterable[Market] = (),
        brands: Iterable[Brand] = (),
        models: Iterable[VehicleModel] = (),
        variants: Iterable[Variant] = (),
        dealers: Iterable[Dealer] = (),
        targets: Iterable[Target] = (),
        statistics: Iterable[ExportStatistic] = (),
        exchange_rates: Iterable[ExchangeRate] = (),
        routes: Iterable[RouteSetting] = (),
    ) -> NetworkSnapshot:
        route_settings = _by(routes, "route")
        closed = {r for r, s in route_settings.items() if not s.open}
        lanes = list(lanes)
        return cls(
            sources=_by(sources, "key"),
            nodes=_by(nodes, "id"),
            co2_factors=_by(co2_factors, "mode"),
            lanes=_by((ln for ln in lanes if ln.route not in closed), "id"),
            left_traffic=_by(left_traffic, "country"),
            regimes=_by(regimes, "id"),
            markets=_by(markets, "country"),
            brands=_by(brands, "id"),
            models=_by(models, "id"),
            variants=_by(variants, "id"),
            dealers=_by(dealers, "id"),
            targets=_by(targets, "id"),
            statistics=tuple(
                sorted(
                    statistics,
                    key=lambda s: (s.scope, s.metric, s.period_start, s.period_end, s.basis),
                )
            ),
            exchange_rates=MappingProxyType(
                {r.month: r for r in sorted(exchange_rates, key=lambda r: r.month)}
            ),
            routes=route_settings,
            closed_lanes=_by((ln for ln in lanes if ln.route in closed), "id"),
        )

    def lane_co2e_kg(self, lane: Lane) -> float | None:
        """CO2e per vehicle on a lane: as given, else distance x the mode's WTW factor."""
        if lane.co2e_kg_per_vehicle is not None:
            return lane.co2e_kg_per_vehicle
        factor = self.co2_factors.get(lane.mode)
        if factor is None:
            return None
        return lane.distance_km * factor.g_co2e_per_vehicle_km / 1000.0

    def drive_side(self, country: str) -> DriveSide:
        """The drive side of the cars a country registers: RHD where traffic keeps left."""
        entry = self.left_traffic.get(country)
        return entry.vehicle_drive_side if entry is not None else DriveSide.LHD

    def variant_markets(self, variant: Variant) -> frozenset[str]:
        """Market countries a variant is homologated for.

        A regime id stands for its markets of the variant's drive side: a type approval does
        not make a left-hand-drive car legal where cars are right-hand drive.
        """
        countries: set[str] = set()
        for token in variant.homologations:
            if len(token) == 2:
                countries.add(token.upper())
            else:
                countries.update(
                    c
                    for c, m in self.markets.items()
                    if m.homologation == token and self.drive_side(c) == variant.drive_side
                )
        return frozenset(countries)

    def cny_per_usd(self, month: dt.date) -> tuple[float, dt.date] | None:
        """The CNY-per-USD rate of a month and the month it is from: the month's own, else
        the latest before it (rates are carried forward, never back); None before the table."""
        wanted = month.replace(day=1)
        earlier = [m for m in self.exchange_rates if m <= wanted]
        if not earlier:
            return None
        used = max(earlier)
        return self.exchange_rates[used].cny_per_usd, used

    def plants(self, country: str | None = None) -> list[Node]:
        return [
            n
            for n in self.nodes.values()
            if n.kind == NodeKind.PLANT and (country is None or n.country == country)
        ]
