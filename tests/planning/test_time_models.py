"""The three "fastest path" times and how they differ, on one network worked by hand.

- order checks (network.paths): handling at every node left, the start included, plus a
  mean wait per lane ((headway - 1) / 2) and transit, plus the destination's handling;
- pruning (planning.expand.lane_days): the same mean wait and transit, handling at every
  node reached; the start node is not handled again (a vehicle there is ready), so it is
  the order checks' time less the start node's handling days;
- explanations (planning.itinerary.Router): the exact earliest delivery on the real
  departure days from the vehicle's ready day: a wait of 0 to headway - 1 days instead of
  the mean, so over the ready days of a week it averages the pruning estimate.

Network: plant P (1 handling day) -> hub H by truck T (daily, 1 day; 2 handling days at H)
-> port B by ship S (Mondays, 10 days; 1 handling day at B), market TH at B.
"""

from __future__ import annotations

import numpy as np
import pytest

from carexport.network.paths import fastest_days_to_markets, mean_wait_days
from carexport.planning.expand import expand, lane_days, mean_wait
from carexport.planning.itinerary import Router
from carexport.planning.problem import PlanningProblem
from tests.planning.factory import car, lane, market, network, node, params, vehicles

NET = network(
    [
        node("P", handling=1),
        node("H", kind="seaport", handling=2),
        node("B", country="TH", kind="seaport", handling=1),
    ],
    [
        lane("T", "P", "H", transit=1, departures="daily"),
        lane("S", "H", "B", transit=10, departures="weekly:MON"),
    ],
    [market("TH", "B")],
)


def expanded():
    problem = PlanningProblem(NET, vehicles([car("V1", start="P")]), params(horizon_days=70))
    return expand(problem)


def test_order_checks_count_the_start_nodes_handling() -> None:
    # P 1 + T (wait 0, 1 day) + H 2 + S (wait (7 - 1) / 2 = 3, 10 days) + B 1 = 18.
    assert fastest_days_to_markets(NET, "P") == {"TH": 18.0}


def test_pruning_is_the_order_checks_time_less_the_start_handling() -> None:
    ex = expanded()
    t, s = ex.lanes.ids.index("T"), ex.lanes.ids.index("S")
    # T: 0 + 1 + H 2 = 3; S: 3 + 10 + B 1 = 14: 17 = 18 - P's 1 handling day.
    assert lane_days(ex.lanes, ex.handling_days, t) == pytest.approx(3.0)
    assert lane_days(ex.lanes, ex.handling_days, s) == pytest.approx(14.0)
    assert fastest_days_to_markets(NET, "P")["TH"] - NET.nodes["P"].handling_days == 3.0 + 14.0


def test_explanations_take_the_exact_wait_which_averages_the_estimate() -> None:
    ex = expanded()
    router = Router(ex)
    p, b = ex.node_index["P"], ex.node_index["B"]
    days = []
    for ready in range(7):  # day 0 is a Monday
        itinerary = router.earliest(p, ready, frozenset({b}), nev=False)
        assert itinerary is not None
        days.append(itinerary.delivery_day - ready)
    # Ready Monday: at H on day 3, the ship on day 7, delivered 7 + 10 + 1 = 18. Ready
    # Friday (day 4): at H on day 7, sails that day: 14 days. Ready Saturday: at H on day 8,
    # next ship day 14: delivered 25, 20 days.
    assert days == [18, 17, 16, 15, 14, 20, 19]
    assert np.mean(days) == pytest.approx(17.0)  # the pruning estimate


@pytest.mark.parametrize("schedule", ["daily", "weekly:MON,THU", "every:14:2027-01-04"])
def test_the_mean_wait_is_the_order_checks_for_regular_schedules(schedule: str) -> None:
    net = network(
        [node("A"), node("B", country="TH", kind="seaport")],
        [lane("L", "A", "B", departures=schedule)],
        [market("TH", "B")],
    )
    ex = expand(PlanningProblem(net, vehicles([car("V1")]), params(horizon_days=112)))
    # daily: 0; Mondays and Thursdays: headway 3.5, wait 1.25; every 14 days: 6.5. The
    # horizon holds whole weeks, so the departures' mean gap is the schedule's.
    assert mean_wait(ex.lanes.departures[0]) == pytest.approx(mean_wait_days(net.lanes["L"]))
