"""Loading a dataset into the database: idempotent, updates what changed, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.errors import InvalidInput
from carexport.network import repository, tables
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.service import load_dataset

TINY = Path(__file__).parents[1] / "data" / "networks" / "tiny"


def _load(engine: Engine, folder: Path, org_id: str = "acme") -> dict[str, repository.SyncCounts]:
    with unit_of_work(engine) as session:
        return load_dataset(session, org_id, folder)


def _lane_count(engine: Engine, org_id: str) -> int:
    with unit_of_work(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(tables.LaneRow)
                .where(tables.LaneRow.org_id == org_id)
            )
            or 0
        )


def _edit(folder: Path, file_name: str, old: str, new: str) -> None:
    path = folder / file_name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file_name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_second_load_changes_nothing(engine: Engine) -> None:
    first = _load(engine, TINY)
    rows = sum(len(v) for v in read_dataset(TINY).records.values())
    assert sum(c.inserted for c in first.values()) == rows
    second = _load(engine, TINY)
    assert not any(c.changed for c in second.values())
    assert sum(c.unchanged for c in second.values()) == rows


def test_changed_dataset_updates_inserts_and_deletes(engine: Engine, tmp_path: Path) -> None:
    _load(engine, TINY)
    folder = tmp_path / "net"
    shutil.copytree(TINY, folder)
    lanes = (folder / "lanes.csv").read_text(encoding="utf-8").splitlines()
    # Drop the last lane (a delete) and change the cost of the first one (an update).
    header, first, *rest = lanes
    cells = first.split(",")
    cost_index = header.split(",").index("cost_usd_per_vehicle")
    cells[cost_index] = str(float(cells[cost_index]) + 1)
    (folder / "lanes.csv").write_text(
        "\n".join([header, ",".join(cells), *rest[:-1]]) + "\n", encoding="utf-8"
    )
    counts = _load(engine, folder)
    assert (counts["lanes.csv"].updated, counts["lanes.csv"].deleted) == (1, 1)
    assert counts["nodes.csv"].changed is False
    with unit_of_work(engine) as session:
        snapshot = repository.load_snapshot(session, "acme")
    lane_id = cells[header.split(",").index("id")]
    assert snapshot.lanes[lane_id].cost_usd_per_vehicle == float(cells[cost_index])
    assert len(snapshot.lanes) == len(lanes) - 2


def test_snapshot_from_database_equals_snapshot_from_files(engine: Engine) -> None:
    _load(engine, builtin_folder() if (builtin_folder() / "nodes.csv").exists() else TINY)
    folder = builtin_folder() if (builtin_folder() / "nodes.csv").exists() else TINY
    with unit_of_work(engine) as session:
        from_db = repository.load_snapshot(session, "acme")
    assert from_db == read_dataset(folder).snapshot()


def test_organisations_do_not_see_each_other(engine: Engine, tmp_path: Path) -> None:
    _load(engine, TINY, "acme")
    folder = tmp_path / "net"
    shutil.copytree(TINY, folder)
    lanes = (folder / "lanes.csv").read_text(encoding="utf-8").splitlines()
    (folder / "lanes.csv").write_text("\n".join(lanes[:-1]) + "\n", encoding="utf-8")
    _load(engine, folder, "other")
    assert _lane_count(engine, "acme") == len(lanes) - 1
    assert _lane_count(engine, "other") == len(lanes) - 2


def test_invalid_dataset_is_refused_whole(engine: Engine, tmp_path: Path) -> None:
    _load(engine, TINY)
    folder = tmp_path / "net"
    shutil.copytree(TINY, folder)
    lanes = (folder / "lanes.csv").read_text(encoding="utf-8").splitlines()
    (folder / "lanes.csv").write_text("\n".join(lanes[:-1]) + "\n", encoding="utf-8")
    _edit(folder, "nodes.csv", ",CN,", ",XX,")  # one bad country code
    with pytest.raises(InvalidInput) as raised:
        _load(engine, folder)
    assert any(p.file == "nodes.csv" and p.field == "country" for p in raised.value.problems)
    assert _lane_count(engine, "acme") == len(lanes) - 1  # the lane deletion did not happen
