"""Domain errors. Each carries an HTTP-style status code and says what would fix it."""

from __future__ import annotations

from dataclasses import dataclass


class CarexportError(Exception):
    """Base of every error carexport raises on purpose; rendered by the CLI and the API."""

    status_code = 400
    exit_code = 1  # what the CLI exits with

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InternalError(CarexportError):
    """A bug, shown to a user without its traceback (which goes to the log)."""

    status_code = 500


class BadSetting(CarexportError):
    """A CAREXPORT_* environment variable that cannot be read (the CLI exits 2, as for a
    bad option: nothing was done)."""

    exit_code = 2


class NotFound(CarexportError):
    status_code = 404


class DatabaseBusy(CarexportError):
    """Another writer held the database (SQLite) or a lock (PostgreSQL) longer than this
    one would wait (the busy timeout): nothing was written, and trying again later will
    do. The CLI exits 75 (EX_TEMPFAIL: try again); the API and the dashboard's pages
    answer 503 with Retry-After."""

    status_code = 503
    exit_code = 75
    # Seconds a client is told to wait before it retries (Retry-After on the API's 503 and
    # the dashboard's page). The refused writer already waited the busy timeout; the writer
    # ahead of it is typically an import or ingest that ends within seconds, and a client
    # that retries at once would only queue behind it again.
    retry_after_s = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as the user sees it.

    row is the line number in the file as a spreadsheet or editor shows it (the header is
    row 1), or None when the problem is about the file as a whole.
    """

    file: str
    row: int | None
    field: str | None
    value: str | None
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.location()}: {self.message}{value}{hint}"


class InvalidInput(CarexportError):
    """Raised with every problem found, never just the first."""

    status_code = 422

    def __init__(self, what: str, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{what}: {len(errors)} error(s)")
        self.problems = problems
