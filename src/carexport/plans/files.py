"""Write a plan as files: plan.json, legs.csv, load_lists.csv, orders.csv."""

from __future__ import annotations

import json
from pathlib import Path

from carexport.planning.result import LEG_COLUMNS, PlanResult


def write_plan(
    result: PlanResult, folder: Path, *, extra: dict[str, object] | None = None
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    summary = {**result.summary(), **(extra or {})}
    paths = {
        "plan.json": folder / "plan.json",
        "legs.csv": folder / "legs.csv",
        "load_lists.csv": folder / "load_lists.csv",
        "orders.csv": folder / "orders.csv",
    }
    paths["plan.json"].write_text(
        json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8"
    )
    result.legs.select(*LEG_COLUMNS).write_csv(paths["legs.csv"])
    result.load_lists.write_csv(paths["load_lists.csv"])
    result.orders.write_csv(paths["orders.csv"])
    return list(paths.values())
