"""All SQL for scenario runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from carexport.scenarios.tables import ScenarioRunRow, ScenarioSampleRow


def insert_run(session: Session, values: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    session.execute(insert(ScenarioRunRow), [values])
    if samples:
        session.execute(insert(ScenarioSampleRow), samples)


def runs(session: Session, org_id: str, limit: int) -> list[ScenarioRunRow]:
    return list(
        session.scalars(
            select(ScenarioRunRow)
            .where(ScenarioRunRow.org_id == org_id)
            .order_by(ScenarioRunRow.created_at.desc(), ScenarioRunRow.id)
            .limit(limit)
        )
    )


def run(session: Session, org_id: str, run_id: str) -> ScenarioRunRow | None:
    return session.get(ScenarioRunRow, (org_id, run_id))


def samples(session: Session, org_id: str, run_id: str) -> list[ScenarioSampleRow]:
    return list(
        session.scalars(
            select(ScenarioSampleRow)
            .where(ScenarioSampleRow.org_id == org_id, ScenarioSampleRow.run_id == run_id)
            .order_by(ScenarioSampleRow.scenario, ScenarioSampleRow.sample)
        )
    )
