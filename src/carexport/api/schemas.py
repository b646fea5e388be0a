"""Response shapes shared by every router: errors and located problems."""

from __future__ import annotations

from pydantic import BaseModel

from carexport.errors import Problem


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
