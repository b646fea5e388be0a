"""create_app(settings): the FastAPI application. The engine lives in the app's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from carexport import __version__
from carexport.api.deps import NotAuthenticated, TokenCache, authorize
from carexport.api.limits import BodyLimit
from carexport.api.schemas import ErrorOut, ProblemOut
from carexport.config import Settings, get_settings
from carexport.db.session import make_engine
from carexport.errors import CarexportError, DatabaseBusy, InternalError, InvalidInput

# Seconds a client is told to wait before it retries a write refused as busy (503).
BUSY_RETRY_AFTER_S = DatabaseBusy.retry_after_s


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            busy_timeout_s=settings.busy_timeout_s,
            sqlite_cache_mib=settings.sqlite_cache_mib,
        )
        app.state.engine = engine
        # For single reads outside a unit of work (GET /vehicles/{vin}). On PostgreSQL,
        # a pool of its own without BEGIN and ROLLBACK around the reads and without a
        # ping before each checkout: three round trips fewer per request (measured: 1.10
        # ms to 0.61 ms for the vehicle detail). A connection lost since its last use
        # then fails one request; connections are renewed every 5 minutes anyway. On
        # SQLite a transaction is cheaper than a read lock taken per statement.
        app.state.read_engine = (
            make_engine(
                settings.database_url,
                busy_timeout_s=settings.busy_timeout_s,
                pool_pre_ping=False,
                pool_recycle=300,
            ).execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        yield
        engine.dispose()
        if app.state.read_engine is not engine:
            app.state.read_engine.dispose()

    app = FastAPI(
        title="carexport",
        version=__version__,
        summary="Vehicle-export logistics: network, orders, planning, tracking, KPIs.",
        lifespan=lifespan,
        # Every route is authenticated and authorized here, in one place (api/deps.py).
        dependencies=[Depends(authorize)],
        # What any route may answer besides its own: a body that is not JSON (400), no or
        # a bad token (401), a role that may not (403), a body over the limit (413), a
        # database another writer held beyond the busy timeout (503).
        responses={
            **{
                status: {"model": ErrorOut, "description": why}
                for status, why in (
                    (400, "The request could not be read"),
                    (401, "No valid API token or session"),
                    (403, "The caller's role may not do this"),
                    (413, "The request body is over the limit"),
                )
            },
            503: {
                "model": ErrorOut,
                "description": "The database is busy with another writer: nothing was "
                "written; try again after Retry-After seconds",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
        },
    )
    app.state.settings = settings
    from carexport.web.login import FailedLogins

    app.state.failed_logins = FailedLogins()
    app.state.token_cache = TokenCache()
    app.add_middleware(
        BodyLimit,
        max_upload_bytes=settings.max_upload_bytes,
        max_json_bytes=settings.max_json_bytes,
    )

    @app.exception_handler(CarexportError)
    async def carexport_error(request: Request, error: CarexportError) -> Response:
        if isinstance(error, NotAuthenticated) and request.url.path.startswith("/ui"):
            from carexport.web.login import login_redirect

            return login_redirect(request)
        if request.url.path.startswith("/ui"):
            from carexport.web.render import error_page

            return error_page(request, error)
        body = ErrorOut(
            error=error.message,
            hint=error.hint,
            problems=[ProblemOut.of(p) for p in error.problems]
            if isinstance(error, InvalidInput)
            else [],
        )
        headers = {}
        if isinstance(error, NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, DatabaseBusy):
            headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return JSONResponse(body.model_dump(), status_code=error.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # FastAPI's own refusals (a body that is not JSON, an unknown path, a method the
        # path has not) in the shape of every other error, as the schema documents it.
        if request.url.path.startswith("/ui"):
            return await http_exception_handler(request, error)
        body = ErrorOut(error=str(error.detail), hint="see the API's routes and bodies at /docs")
        return JSONResponse(body.model_dump(), status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if request.url.path.startswith("/ui"):
            from carexport.web.render import validation_page

            return validation_page(request, error)
        return await request_validation_exception_handler(request, error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # A bug, not a bad input: logged with its traceback, answered without one.
        logging.getLogger("carexport").exception("unexpected error on %s", request.url.path)
        if request.url.path.startswith("/ui"):
            from carexport.web.render import error_page

            return error_page(
                request,
                InternalError(
                    "carexport could not show this page (an internal error, logged)",
                    hint="try again; if it persists, report it with the server log",
                ),
            )
        return JSONResponse({"error": "internal error (logged)"}, status_code=500)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from carexport.access.endpoints import router as access_router
    from carexport.api.shared import router as shared_router
    from carexport.kpi.endpoints import router as kpi_router
    from carexport.orders.endpoints import router as orders_router
    from carexport.plans.endpoints import router as plans_router
    from carexport.scenarios.endpoints import router as scenarios_router
    from carexport.tracking.endpoints import router as tracking_router

    app.include_router(orders_router)
    app.include_router(plans_router)
    app.include_router(tracking_router)
    app.include_router(kpi_router)
    app.include_router(access_router)
    app.include_router(shared_router)
    app.include_router(scenarios_router)

    from carexport.web.assets import mount_assets
    from carexport.web.login import router as login_router
    from carexport.web.routes import router as web_router

    app.include_router(login_router, include_in_schema=False)
    app.include_router(web_router)
    mount_assets(app)
    return app
