"""check(problem): every bad planning input is a located problem, before anything is built;
plan() refuses errors and carries warnings (never a traceback)."""

from __future__ import annotations

import pytest

from carexport.errors import InvalidInput
from carexport.planning.check import check
from carexport.planning.problem import PlanningProblem
from tests.planning.factory import car, lane, market, network, node, params, run, vehicles

NET = network(
    [node("A"), node("B", country="TH", kind="seaport")],
    [lane("AB", "A", "B", transit=2, departures="weekly:MON")],
    [market("TH", "B")],
)


def _problems(rows: list[dict[str, object]], **overrides: object) -> list[tuple[str, str, str]]:
    found = check(PlanningProblem(NET, vehicles(rows), params(**overrides)))
    return [(p.severity, p.field or "", p.message) for p in found]


def test_a_good_problem_has_no_problem() -> None:
    assert _problems([car("V1")]) == []


@pytest.mark.parametrize(
    ("row", "field", "says"),
    [
        ({"variant": "NOPE"}, "variant_id", "unknown variant NOPE"),
        ({"start": "Z"}, "start_node", "unknown start_node Z"),
        ({"to": "DE"}, "destination_country", "unknown destination_country DE"),
    ],
)
def test_bad_orders_are_errors_naming_the_order(
    row: dict[str, object], field: str, says: str
) -> None:
    problems = _problems([car("V1", order="O1", **row), car("V2")])  # type: ignore[arg-type]
    errors = [p for p in problems if p[0] == "error"]
    assert errors and errors[0][1] == field and says in errors[0][2] and "order O1" in errors[0][2]


def test_due_before_ready_is_a_warning() -> None:
    # Not an error: a car re-planned on its way may already be past its due date.
    problems = _problems([car("V1", ready=5, due=3)])
    assert problems[0][:2] == ("warning", "due_date") and "late already" in problems[0][2]


def test_a_horizon_under_a_day_is_an_error() -> None:
    assert ("error", "horizon_days", "the horizon must be at least one day") in _problems(
        [car("V1")], horizon_days=0
    )


def test_nothing_to_plan() -> None:
    assert _problems([])[0][2] == "there is no vehicle to plan"


def test_vehicles_the_horizon_cannot_move() -> None:
    # Ready on day 40, the 30-day horizon ends on day 30: a warning when others can go ...
    some = _problems([car("V1"), car("V2", ready=40, due=60)])
    assert [p[0] for p in some] == ["warning"] and "1 of 2 vehicles" in some[0][2]
    # ... an error when none can (today: a traceback in the model builder).
    none = _problems([car("V2", ready=40, due=60)])
    assert none[0][0] == "error" and "ready on or after the horizon ends" in none[0][2]
    # Every due date before the start: every car late from day one.
    late = _problems([car("V1", ready=-30, due=-10)])
    assert any(p[0] == "error" and p[1] == "due_date" for p in late)


def test_no_departure_in_the_horizon() -> None:
    # AB leaves on Mondays; a 1-day horizon starting on a Tuesday has none.
    from tests.planning.factory import START, day

    assert START.weekday() == 0
    problems = _problems([car("V1", ready=1)], start=day(1), horizon_days=1)
    assert problems[0][0] == "error" and problems[0][1] == "start_node"


def test_plan_refuses_errors_and_keeps_warnings() -> None:
    with pytest.raises(InvalidInput) as refused:
        run(NET, [car("V1", variant="NOPE")])
    assert refused.value.problems[0].field == "variant_id"
    result = run(NET, [car("V1"), car("V2", ready=40, due=60)])
    assert [w.severity for w in result.warnings] == ["warning"]
    assert result.summary()["warnings"]


def test_many_bad_orders_are_listed_then_counted() -> None:
    rows = [car(f"V{i}", variant="NOPE") for i in range(60)]
    problems = _problems(rows)
    assert len(problems) == 51 and "10 more orders" in problems[-1][2]


def test_a_plant_ships_nothing_before_it_produces() -> None:

    from carexport.network.snapshot import NetworkSnapshot
    from tests.planning.factory import day

    plant = NET.nodes["A"].model_copy(update={"production_start": day(10)})
    net = NetworkSnapshot.build(
        nodes=[plant, NET.nodes["B"]],
        lanes=NET.lanes.values(),
        markets=NET.markets.values(),
        variants=NET.variants.values(),
    )
    found = check(
        PlanningProblem(net, vehicles([car("V1", ready=3), car("V2", ready=12)]), params())
    )
    assert [(p.severity, p.field) for p in found] == [("error", "start_node")]
    assert "order O_V1" in found[0].message and "starts production" in found[0].message
