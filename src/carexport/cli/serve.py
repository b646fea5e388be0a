"""carexport serve: the HTTP API (and, later, the web pages) on uvicorn."""

from __future__ import annotations

import typer

from carexport.cli.options import number_option


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = number_option(8000, help="Port to listen on.", low=1, high=65_535),
    workers: int = number_option(1, help="Worker processes.", low=1, high=256),
    access_log: bool = typer.Option(True, help="Log every request (one line each)."),
) -> None:
    """Serve the API (OpenAPI docs at /docs) on the database of CAREXPORT_DATABASE_URL."""
    import uvicorn

    from carexport.cli.context import database

    with database():  # refuse to start on a database that is not at the current schema
        pass
    uvicorn.run(
        "carexport.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )
