"""Scenario specs: every problem located by file, line and key path, with value and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from carexport.errors import InvalidInput
from carexport.scenarios.spec import load, parse_specs

BAD = """\
name: bad
title: A bad one
source: test
changes:
  - kind: border_delay
    node: CN_ALASHANKOU
    days: -3
  - kind: teleport
  - kind: demand
    markets: [DE]
    change_pct: -30
    colour: red
  - kind: close
    start: 2025-07-01
    end: 2025-06-01
    route: suez
"""


def problems(text: str) -> list[tuple[int | None, str | None, str | None]]:
    with pytest.raises(InvalidInput) as caught:
        parse_specs(text, "bad.yaml")
    assert all(p.file == "bad.yaml" and p.hint for p in caught.value.problems)
    return [(p.row, p.field, p.value) for p in caught.value.problems]


def test_each_problem_has_its_line_key_path_and_value() -> None:
    found = problems(BAD)
    # Lines counted as an editor shows them, by hand from BAD above.
    assert (7, "changes[0].days", "-3") in found
    assert (8, "changes[1]", "teleport") in found
    assert (12, "changes[2].colour", "red") in found
    assert any(row == 13 and field == "changes[3]" for row, field, _ in found)
    assert len(found) == 4


def test_missing_fields_and_bad_yaml_are_located() -> None:
    assert problems("name: x\ntitle: t\n") == [(1, "source", None)]
    assert problems("name: x\n  title: [\n")[0][0] == 2
    assert problems("") == [(None, None, None)]


def test_a_file_of_several_scenarios_prefixes_their_index(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "scenarios:\n  - {name: a, title: A, source: s}\n  - {name: B!, title: B, source: s}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        load(str(path))
    (problem,) = caught.value.problems
    assert (problem.row, problem.field, problem.value) == (3, "scenarios[1].name", "B!")


def test_an_unknown_name_lists_the_builtin_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        load("red-sea")
    assert "red_sea_closed" in str(caught.value.problems[0].hint)
    assert len(load("red-sea-closed")[0]) == 1  # dashes are accepted for underscores
