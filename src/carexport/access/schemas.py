"""The audit log as the API returns it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]

    @field_validator("at")
    @classmethod
    def aware(cls, value: dt.datetime) -> dt.datetime:
        """Stored in UTC; SQLite gives it back without its zone (an RFC 3339 date-time
        needs one)."""
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
