"""GET /audit: the organisation's audit log, for its admins (the rule is in permissions)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from carexport.access import service
from carexport.access.schemas import AuditEntryOut
from carexport.api.deps import OrgDep, SessionDep

router = APIRouter(tags=["access"])


@router.get("/audit", response_model=list[AuditEntryOut])
def get_audit(
    session: SessionDep,
    org_id: OrgDep,
    since: dt.datetime | None = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryOut]:
    """Who changed what and when, newest first (writes through the API and the CLI's user
    commands)."""
    return [
        AuditEntryOut.model_validate(row)
        for row in service.audit_entries(
            session, org_id, since=since, actor=actor, action=action, limit=limit
        )
    ]
