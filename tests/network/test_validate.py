"""The reader and validator on the tiny dataset and on one bad copy of it per kind of error.

Every expected problem below is written by hand from the defect planted in the bad case (see
its README.txt): file, row as an editor shows it (header = row 1), field, a piece of the
message and, where it matters, the offending value.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, NamedTuple
from unittest.mock import ANY

import pytest
from typer.testing import CliRunner

from carexport.cli import app
from carexport.errors import Problem
from carexport.network.dataset import FILES, builtin_folder
from carexport.network.service import check_dataset

NETWORKS = Path(__file__).resolve().parents[1] / "data" / "networks"
TINY = NETWORKS / "tiny"
BAD = NETWORKS / "bad"


class E(NamedTuple):
    file: str
    row: int | None
    field: str | None
    message: str
    value: Any = ANY


# tiny/lanes.csv, by row: (from_node, to_node)
LANE_ENDS = {
    2: ("CN_P1", "CN_RAIL"),
    3: ("CN_P2", "CN_RIVER"),
    4: ("CN_P1", "CN_SEA"),
    5: ("CN_RAIL", "TH_SEA"),
    6: ("CN_RIVER", "CN_SEA"),  # via CN_TGD
    7: ("CN_SEA", "TH_SEA"),
    8: ("CN_SEA", "AE_SEA"),
    9: ("CN_SEA", "DE_SEA"),
    10: ("CN_RAIL", "DE_SEA"),
}
# tiny/markets.csv, by row: (country, destination node)
MARKETS = {2: ("TH", "TH_SEA"), 3: ("AE", "AE_SEA"), 4: ("DE", "DE_SEA")}

UNREACHABLE_MARKETS = [
    E("markets.csv", row, "destination_nodes", f"no plant can reach market {country}", node)
    for row, (country, node) in MARKETS.items()
]
LEADS_NOWHERE = "no market can be reached from the node it ends at"

EXPECTED: dict[str, list[E]] = {
    # Without lanes.csv nothing can be said about reachability: one error, no cascade.
    "missing_required_file": [E("lanes.csv", None, None, "required file is missing")],
    # nodes.csv is rejected whole; references into it are not checked (no cascade).
    "not_utf8": [E("nodes.csv", None, None, "not UTF-8")],
    "empty_file": [E("targets.csv", None, None, "file is empty")],
    "missing_column": [E("dealers.csv", 1, "opening_date", "required column is missing")],
    "unknown_column": [E("nodes.csv", 1, "operator", "unknown column")],
    "extra_cells": [E("lanes.csv", 10, None, "row has 21 cells but the header has 20")],
    "bad_country_code": [E("dealers.csv", 3, "country", "not an ISO 3166-1 alpha-2", "GER")],
    # The lock's row is dropped, so the lane passing it names an unknown via node.
    "bad_node_kind": [
        E("nodes.csv", 6, "kind", "Input should be", "ship_lock"),
        E("lanes.csv", 6, "via_nodes", "unknown node", "CN_TGD"),
    ],
    "zero_capacity": [E("lanes.csv", 7, "capacity_slots", "greater than 0", "0")],
    "negative_capacity": [E("lanes.csv", 10, "capacity_slots", "greater than 0", "-80")],
    "zero_transit_days": [E("lanes.csv", 10, "transit_days", "greater than 0", "0")],
    # Both bounds are wrong (8 > 6 and 5 < 6): each is reported on its own column.
    "transit_range_inverted": [
        E("lanes.csv", 5, "transit_days_min", "minimum transit days 8 exceed the typical 6", "8"),
        E(
            "lanes.csv",
            5,
            "transit_days_max",
            "maximum transit days 5 are below the typical 6",
            "5",
        ),
    ],
    "bad_departures_syntax": [
        E("lanes.csv", 7, "departures", "departures must be daily", "twice a week")
    ],
    # L07 is the only lane into AE_SEA.
    "departures_never_run": [
        E("lanes.csv", 8, "departures", "never runs", "every:0:2025-01-06"),
        E("markets.csv", 3, "destination_nodes", "no plant can reach market AE", "AE_SEA"),
    ],
    "duplicate_id": [E("nodes.csv", 11, "id", "duplicate id: already on row 7", "CN_SEA")],
    "unknown_source_key": [E("lanes.csv", 5, "source", "unknown source key", "T9")],
    "lane_unknown_node": [E("lanes.csv", 10, "to_node", "unknown node", "DE_BHV")],
    "lane_unknown_via_node": [E("lanes.csv", 6, "via_nodes", "unknown node", "CN_TGD_LOCK")],
    "lane_self_loop": [E("lanes.csv", 7, "to_node", "starts and ends at the same node", "CN_SEA")],
    "lane_unreachable_from_plant": [
        E("lanes.csv", 11, "from_node", "no plant can reach the node it starts from", "CN_TGD")
    ],
    "lane_leads_nowhere": [E("lanes.csv", 11, "to_node", LEADS_NOWHERE, "CN_TGD")],
    # With no plant, reachability is not judged: the one error says what is wrong.
    "no_plant": [E("nodes.csv", None, "kind", "no node is a plant")],
    "market_unknown_regime": [
        E("markets.csv", 3, "homologation", "unknown homologation regime", "GCC")
    ],
    # DE_SEA is no longer a destination, so the two lanes into it lead nowhere.
    "market_unknown_destination": [
        E("markets.csv", 4, "destination_nodes", "unknown node", "DE_HAM"),
        E("lanes.csv", 9, "to_node", LEADS_NOWHERE, "DE_SEA"),
        E("lanes.csv", 10, "to_node", LEADS_NOWHERE, "DE_SEA"),
    ],
    # AE_SEA is no longer a destination, so L07 into it leads nowhere.
    "market_unreachable": [
        E("markets.csv", 3, "destination_nodes", "no plant can reach market AE", "CN_TGD"),
        E("lanes.csv", 8, "to_node", LEADS_NOWHERE, "AE_SEA"),
    ],
    "model_unknown_brand": [E("vehicle_models.csv", 3, "brand_id", "unknown brand", "DEEPEL")],
    "variant_unknown_model": [E("variants.csv", 2, "model_id", "unknown model", "CS75")],
    "variant_wrong_drive_side": [
        E("variants.csv", 2, "homologations", "a LHD car cannot be sold in TH", "TH")
    ],
    "variant_unknown_homologation": [
        E("variants.csv", 4, "homologations", "neither a market country nor a", "EEC")
    ],
    "variant_homologation_not_a_market": [
        E("variants.csv", 4, "homologations", "not a market country", "FR")
    ],
    "dealer_unknown_brand": [E("dealers.csv", 2, "brand_id", "unknown brand", "CHANGAN_TH")],
    # CHANGAN's variants are homologated for GSO (AE) and TH only.
    "dealer_brand_not_homologated": [
        E("dealers.csv", 3, "country", "no CHANGAN variant is homologated for DE", "DE")
    ],
    "co2_factor_missing": [
        E("lanes.csv", 5, "co2e_kg_per_vehicle", "no factor for mode rail_container", None)
    ],
}


def assert_errors(problems: list[Problem], expected: list[E]) -> None:
    """Every expected error is found once and nothing else is an error."""
    remaining = [p for p in problems if p.severity == "error"]
    for e in expected:
        hit = next(
            (
                p
                for p in remaining
                if (p.file, p.row, p.field) == (e.file, e.row, e.field)
                and e.message in p.message
                and e.value == p.value
            ),
            None,
        )
        assert hit is not None, f"missing {e}; errors left: {remaining}"
        remaining.remove(hit)
    assert not remaining, f"unexpected errors: {remaining}"


def test_every_bad_folder_has_a_case_and_a_one_line_readme() -> None:
    folders = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)
    for name in folders:
        lines = (BAD / name / "README.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and lines[0].strip(), name
        csvs = {p.name for p in (BAD / name).glob("*.csv")}
        all_files = {spec.name for spec in FILES}
        assert csvs == (all_files - {"lanes.csv"} if name == "missing_required_file" else all_files)


def test_tiny_has_no_problems() -> None:
    dataset = check_dataset(TINY)
    assert dataset.problems == []
    # sources, nodes, co2_factors, lanes, left_traffic, regimes, markets, brands, models,
    # variants, dealers, targets, export_statistics, exchange_rates, routes (the order of FILES)
    rows = [2, 9, 4, 9, 3, 3, 3, 2, 2, 4, 2, 1, 1, 2, 0]
    assert [len(dataset.records[spec.name]) for spec in FILES] == rows
    # Rows are numbered as an editor shows them: the header is row 1.
    assert [loc.row for loc in dataset.located("lanes.csv")] == list(range(2, 11))


@pytest.mark.parametrize("case", list(EXPECTED))
def test_bad_case_reports_exactly_its_errors(case: str) -> None:
    dataset = check_dataset(BAD / case)
    assert_errors(dataset.problems, EXPECTED[case])
    assert dataset.errors  # so the CLI and load refuse it


def test_blank_cells_take_the_column_default(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    nodes = folder / "nodes.csv"
    nodes.write_text(
        nodes.read_text(encoding="utf-8").replace(
            "waterway_lock,30.83,111.02,0,0,", "waterway_lock,30.83,111.02,,,"
        ),
        encoding="utf-8",
    )
    assert check_dataset(folder).problems == []


def test_missing_folder_is_one_error(tmp_path: Path) -> None:
    dataset = check_dataset(tmp_path / "nowhere")
    assert [(p.file, p.row, p.message) for p in dataset.problems] == [
        (str(tmp_path / "nowhere"), None, "dataset folder not found")
    ]


def test_stray_csv_is_a_warning_not_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    dataset = check_dataset(folder)
    assert dataset.errors == []
    assert [(p.file, p.severity) for p in dataset.problems] == [("notes.csv", "warning")]


# --- the command line -------------------------------------------------------------------

runner = CliRunner()
WIDE = {"COLUMNS": "250"}  # so rich does not fold the problems table


def test_cli_validate_tiny_exits_0() -> None:
    result = runner.invoke(app, ["network", "validate", str(TINY)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "0 error(s), 0 warning(s)" in result.output


@pytest.mark.parametrize(
    ("case", "file", "row", "field"),
    [
        ("lane_self_loop", "lanes.csv", 7, "to_node"),
        ("bad_country_code", "dealers.csv", 3, "country"),
        ("unknown_column", "nodes.csv", 1, "operator"),
    ],
)
def test_cli_validate_bad_case_exits_1_and_locates_the_error(
    case: str, file: str, row: int, field: str
) -> None:
    result = runner.invoke(app, ["network", "validate", str(BAD / case)], env=WIDE)
    assert result.exit_code == 1, result.output
    # One table row: severity | file | row | field | ...
    assert re.search(rf"error\W+{re.escape(file)}\W+{row}\W+{field}\b", result.output), (
        result.output
    )
    assert "invalid" in result.output and "1 error(s)" in result.output


@pytest.mark.skipif(
    not (builtin_folder() / "nodes.csv").exists(),
    reason="the built-in dataset src/carexport/network/reference/chongqing is not written yet",
)
def test_cli_validate_without_folder_checks_the_builtin_dataset() -> None:
    result = runner.invoke(app, ["network", "validate"], env=WIDE)
    assert str(builtin_folder()) in result.output
    assert result.exit_code == 0, result.output
    assert " 0 error(s)" in result.output
