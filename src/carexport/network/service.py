"""Network services: check a dataset, load it for an organisation, summarise a network."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from carexport.errors import InvalidInput
from carexport.network import repository
from carexport.network.dataset import Dataset, read_dataset
from carexport.network.paths import Path as NetworkPath
from carexport.network.paths import best_path_to_market, best_paths, reachable
from carexport.network.repository import SyncCounts as SyncCounts  # load_dataset returns them
from carexport.network.snapshot import NetworkSnapshot
from carexport.network.validate import validate


def check_dataset(folder: Path) -> Dataset:
    """Read a dataset folder and run every check; the problems are on the dataset."""
    dataset = read_dataset(folder)
    dataset.problems.extend(validate(dataset))
    return dataset


def load_dataset(session: Session, org_id: str, folder: Path) -> dict[str, SyncCounts]:
    """Check a dataset and make it the organisation's network. Refused whole on any error."""
    dataset = check_dataset(folder)
    if dataset.errors:
        raise InvalidInput(f"network dataset {folder}", dataset.problems)
    return repository.sync_dataset(session, org_id, dataset)


@dataclass(frozen=True)
class ModeSummary:
    mode: str
    lanes: int
    departures_per_week: float
    slots_per_week: float


@dataclass(frozen=True)
class MarketPaths:
    country: str
    name: str
    region: str
    drive_side: str
    fastest: NetworkPath | None
    cheapest: NetworkPath | None
    reason: str | None = None


@dataclass(frozen=True)
class NetworkSummary:
    counts: dict[str, int]
    nodes_by_kind: dict[str, int]
    modes: list[ModeSummary]
    markets: list[MarketPaths] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)


def summarise(
    snapshot: NetworkSnapshot, as_of: dt.date, origin_country: str = "CN"
) -> NetworkSummary:
    """Counts, lanes by mode, and each market's fastest and cheapest path from the plants.

    Only lanes with a departure in the year from as_of take part, so a past one-off
    (a record of a demonstration drive, say) does not pass for a live route.
    """
    counts = {
        "nodes": len(snapshot.nodes),
        "lanes": len(snapshot.lanes),
        "markets": len(snapshot.markets),
        "brands": len(snapshot.brands),
        "models": len(snapshot.models),
        "variants": len(snapshot.variants),
        "dealers": len(snapshot.dealers),
        "targets": len(snapshot.targets),
    }
    nodes_by_kind = dict(sorted(Counter(n.kind.value for n in snapshot.nodes.values()).items()))
    by_mode: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for lane in snapshot.lanes.values():
        per_week = lane.schedule.departures_per_week()
        entry = by_mode[lane.mode.value]
        entry[0] += 1
        entry[1] += per_week
        entry[2] += per_week * lane.capacity_slots
    modes = [
        ModeSummary(mode, int(v[0]), round(v[1], 2), round(v[2], 1))
        for mode, v in sorted(by_mode.items())
    ]
    origins = [n.id for n in snapshot.plants(origin_country)]
    fastest = best_paths(snapshot, origins, "days", as_of=as_of)
    cheapest = best_paths(snapshot, origins, "cost", as_of=as_of)
    ever = reachable(((ln.from_node, ln.to_node) for ln in snapshot.lanes.values()), origins)
    markets = []
    for country, market in sorted(snapshot.markets.items()):
        fast = best_path_to_market(snapshot, fastest, country, "days")
        cheap = best_path_to_market(snapshot, cheapest, country, "cost")
        reason = None
        if fast is None:
            if ever.intersection(market.destination_nodes):
                reason = (
                    f"only lanes without a departure between {as_of} and "
                    f"{as_of + dt.timedelta(days=365)} reach it"
                )
            else:
                reason = (
                    f"no chain of lanes from a plant in {origin_country} reaches "
                    f"{', '.join(market.destination_nodes)}"
                )
        markets.append(
            MarketPaths(
                country=country,
                name=market.name,
                region=market.region.value,
                drive_side=snapshot.drive_side(country).value,
                fastest=fast,
                cheapest=cheap,
                reason=reason,
            )
        )
    return NetworkSummary(counts, nodes_by_kind, modes, markets, origins)


def describe_path(snapshot: NetworkSnapshot, path: NetworkPath) -> str:
    """Origin then each lane's mode and arrival node: CN_CQ_CHANGAN > road_truck > CN_CQ_YUZUI."""
    parts = [path.origin]
    for lane_id in path.lane_ids:
        lane = snapshot.lanes[lane_id]
        parts.append(f"{lane.mode.value}{'/' + lane.route if lane.route else ''}")
        parts.append(lane.to_node)
    return " > ".join(parts)


def snapshot_of(session: Session, org_id: str) -> NetworkSnapshot:
    """The organisation's network as it is stored."""
    return repository.load_snapshot(session, org_id)


def has_network(session: Session, org_id: str) -> bool:
    """Whether the organisation has a network loaded."""
    return repository.has_network(session, org_id)


def node_ids(session: Session, org_id: str) -> set[str]:
    """The ids of the organisation's stored nodes."""
    return repository.node_ids(session, org_id)


def node_kinds(session: Session, org_id: str) -> dict[str, str]:
    """Each stored node's kind (plant, seaport, ...), by node id."""
    return repository.node_kinds(session, org_id)


def lane_modes(session: Session, org_id: str) -> dict[str, str]:
    """Each stored lane's mode (rail, ocean_roro, ...), by lane id."""
    return repository.lane_modes(session, org_id)
