"""The scenarios page: the stored runs, a run's figures as the run stored them, lead times
and critical departures; no run and an unknown run as pages, never a 500."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.planning.problem import PlanParameters
from carexport.scenarios import service
from carexport.scenarios.executors import LocalPool
from carexport.scenarios.runner import inputs_of
from carexport.scenarios.spec import load
from tests.clients import client_for
from tests.scenarios.test_runner import START, book


def test_the_page_shows_a_stored_run_as_stored(engine: Engine, database_url: str) -> None:
    with client_for(database_url, "acme") as client:
        empty = client.get("/ui/scenarios")
        assert empty.status_code == 200 and "No scenario run is stored yet" in empty.text
    snapshot = read_dataset(builtin_folder()).snapshot()
    vehicles = book([("UK1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "GB", 4)])
    params = PlanParameters(start=START, horizon_days=120)
    specs, text = load("red_sea_closed")
    outcome = service.run(specs, inputs_of(snapshot, vehicles, params), LocalPool(1), samples=1)
    with unit_of_work(engine) as session:
        run_id = service.store_run(session, "acme", outcome, params, text, None)
    with client_for(database_url, "acme") as client:
        html = client.get("/ui/scenarios").text
        assert f'data-run="{run_id}"' in html  # the latest run is shown
        row = html[html.index('data-scenario="red_sea_closed" data-figure="cost_usd"') :]
        change = float(re.search(r'data-change="([^"]+)"', row).group(1))  # type: ignore[union-attr]
        # 4 cars x (2,540 - 2,000) USD Cape against Suez to Southampton (lanes.csv).
        assert change == outcome.summary["red_sea_closed"]["cost_usd"]["change"]["mean"] == 2160.0
        leads = html[html.index('<table id="leads"') :]
        assert "<td>GB</td>" in leads and "+10.0" in leads  # 42 - 32 days
        assert f"/scenarios/runs/{run_id}/comparison.xlsx" in html
        missing = client.get("/ui/scenarios", params={"run": "nope"})
        assert missing.status_code == 404 and "pick a run from the list" in missing.text
