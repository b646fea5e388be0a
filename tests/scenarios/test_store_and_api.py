"""A scenario run stored and read back through the API, and its comparison workbook."""

from __future__ import annotations

import io

import polars as pl
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


def test_a_stored_run_reads_back_through_the_api(database_url: str, engine: Engine) -> None:
    snapshot = read_dataset(builtin_folder()).snapshot()
    vehicles = book([("UK1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "GB", 5)])
    params = PlanParameters(start=START, horizon_days=120)
    specs, text = load("red_sea_closed")
    outcome = service.run(specs, inputs_of(snapshot, vehicles, params), LocalPool(1), samples=2)
    with unit_of_work(engine) as session:
        run_id = service.store_run(session, "acme", outcome, params, text, None)
    with client_for(database_url, "acme") as client:
        runs = client.get("/scenarios/runs").json()
        assert [r["id"] for r in runs] == [run_id]
        assert runs[0]["scenarios"] == ["red_sea_closed"] and runs[0]["samples"] == 2
        detail = client.get(f"/scenarios/runs/{run_id}").json()
        # Samples 0 and 1 draw random transits; on every draw the Cape is slower than Suez.
        gb = detail["summary"]["red_sea_closed"]["lead_days_by_market"]["GB"]
        assert gb["change"]["mean"] > 0
        assert "open_route" in detail["specs"]
        samples = client.get(f"/scenarios/runs/{run_id}/samples").json()
        assert sorted((s["scenario"], s["sample"]) for s in samples) == [
            ("baseline:red_sea_closed", 0),
            ("baseline:red_sea_closed", 1),
            ("red_sea_closed", 0),
            ("red_sea_closed", 1),
        ]
        assert all(s["vehicles"] == 5 for s in samples)
        response = client.get(f"/scenarios/runs/{run_id}/comparison.xlsx")
        assert response.status_code == 200
        sheet = pl.read_excel(io.BytesIO(response.content), sheet_name="comparison")
        cost = sheet.filter(pl.col("figure") == "cost_usd").row(0, named=True)
        assert (
            cost["change_mean"] == detail["summary"]["red_sea_closed"]["cost_usd"]["change"]["mean"]
        )
        missing = client.get("/scenarios/runs/nope")
        assert missing.status_code == 404 and "GET /scenarios/runs" in missing.text
        library = client.get("/scenarios/library").json()
        assert {s["name"] for s in library} >= {"red_sea_closed", "eu_demand_minus_30"}
        assert all(s["source"] for s in library)
    # Another organisation sees none of it.
    with client_for(database_url, "other") as client:
        assert client.get("/scenarios/runs").json() == []
        assert client.get(f"/scenarios/runs/{run_id}").status_code == 404
