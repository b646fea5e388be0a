"""planning.scale: the capacity factor from the network's cuts, and the scaled network."""

from __future__ import annotations

import pytest

from carexport.planning.problem import PlanningProblem
from carexport.planning.scale import capacity_factor, scaled
from tests.planning.factory import car, dates, lane, market, network, node, params, run, vehicles


def tight_network(yard: int | None = None):
    a = node("A")
    if yard is not None:
        a = a.model_copy(update={"yard_capacity_vehicles": yard})
    return network(
        [a, node("H", kind="seaport"), node("B", country="TH", kind="seaport")],
        [
            lane("AH", "A", "H", capacity=3, departures=dates(0, 7)),
            lane("HB", "H", "B", capacity=2, departures=dates(2, 9)),
        ],
        [market("TH", "B")],
    )


def test_factor_is_the_peak_cut_times_the_headroom() -> None:
    # 10 cars from A to TH. Out of A: 2 departures x 3 slots = 6 -> 10 / 6 = 1.667.
    # Into B (market TH): 2 departures x 2 slots = 4 -> 10 / 4 = 2.5, the peak cut.
    # Factor at headroom 2: 5.0.
    problem = PlanningProblem(
        tight_network(), vehicles([car(f"V{i}") for i in range(10)]), params()
    )
    found = capacity_factor(problem)
    assert found.peak_cut == "TH"
    assert found.peak_utilisation == pytest.approx(2.5)
    assert found.factor == pytest.approx(5.0)
    assert capacity_factor(problem, headroom=1.0).factor == pytest.approx(2.5)


def test_factor_never_shrinks_a_network() -> None:
    problem = PlanningProblem(tight_network(), vehicles([car("V1")]), params())
    assert capacity_factor(problem).factor == 1.0  # 1/4 x 2 = 0.5, kept at 1


def test_scaled_network_carries_what_the_built_in_left_unserved() -> None:
    net = tight_network(yard=4)
    bigger = scaled(net, 2.5)
    assert bigger.lanes["AH"].capacity_slots == 8  # ceil(3 x 2.5): whole slots
    assert bigger.lanes["HB"].capacity_slots == 5
    assert bigger.nodes["A"].yard_capacity_vehicles == 10
    assert bigger.nodes["H"].yard_capacity_vehicles is None  # no limit stays no limit
    assert net.lanes["AH"].capacity_slots == 3  # the input is not changed
    cars = [car(f"V{i}") for i in range(10)]
    # HB carries 2 + 2 on the built-in capacities: 6 of 10 unserved; 5 + 5 scaled: none.
    assert run(net, cars).unserved == 6
    assert run(bigger, cars).unserved == 0


def test_a_factor_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        scaled(tight_network(), 0.0)
