"""Response shapes shared by every router: errors and located problems."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from carexport.errors import Problem


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# A time stored in UTC. SQLite gives it back without its zone, and an OpenAPI date-time
# (RFC 3339) must have one: every response time goes out with it.
UtcDateTime = Annotated[dt.datetime, AfterValidator(_aware)]


class ProblemOut(BaseModel):
    severity: str
    file: str
    row: int | None
    field: str | None
    value: str | None
    message: str
    hint: str | None

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(
            severity=problem.severity,
            file=problem.file,
            row=problem.row,
            field=problem.field,
            value=problem.value,
            message=problem.message,
            hint=problem.hint,
        )


class ErrorOut(BaseModel):
    error: str
    hint: str | None = None
    problems: list[ProblemOut] = []


class FieldIssueOut(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RequestInvalidOut(BaseModel):
    """FastAPI's answer to a request that does not match the route's parameters or body."""

    detail: list[FieldIssueOut]
