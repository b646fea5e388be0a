"""The audit log as the API returns it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from carexport.api.schemas import UtcDateTime


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDateTime
    actor: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]
