"""HTTP endpoints for the KPIs."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import CarexportError
from carexport.kpi import service
from carexport.kpi.fvl import GROUPS
from carexport.kpi.schemas import FvlKpiOut

router = APIRouter(tags=["kpi"])


# exclude_unset: a row carries only the field it is grouped by, not the other five as null.
@router.get("/kpi/fvl", response_model=list[FvlKpiOut], response_model_exclude_unset=True)
def get_fvl(
    session: SessionDep, org_id: OrgDep, by: str = "none", as_of: dt.date | None = None
) -> list[dict[str, object]]:
    """Finished-vehicle logistics KPIs, optionally by brand, market, month, lane or mode."""
    if by not in GROUPS:
        raise CarexportError(f"cannot group by {by!r}", hint="use " + ", ".join(GROUPS))
    when = dt.datetime.combine(as_of, dt.time(), dt.UTC) if as_of else None
    return service.fvl(session, org_id, by=by, as_of=when).to_dicts()
