"""Dependencies: one unit of work per request, who the request acts as, and whether it may.

`authorize` runs on every route (create_app sets it on the app): it finds the route's rule
in access.permissions, the caller by its bearer token or session cookie, and refuses what
the caller's role may not do. The organisation a request acts for is the caller's own;
no header sets it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from carexport.access import service as access_service
from carexport.access.permissions import Action, rule_for
from carexport.access.service import Principal
from carexport.db.session import unit_of_work
from carexport.errors import CarexportError

SESSION_COOKIE = "carexport_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# A token's caller is kept this long per process: the lookup (a join of three tables) cost
# 0.7 ms a request, more than a vehicle read. So a token revoked with `carexport users
# revoke` stops working within this many seconds.
TOKEN_CACHE_S = 5.0
TOKEN_CACHE_SIZE = 10_000


class NotAuthenticated(CarexportError):
    status_code = 401


class Forbidden(CarexportError):
    status_code = 403


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed if the endpoint returns, rolled back if it raises.
    A request that may write queues among writers from its start (see unit_of_work)."""
    writes = request.method not in SAFE_METHODS
    with unit_of_work(request.app.state.engine, writes=writes) as session:
        yield session


class TokenCache:
    """Callers of recently seen tokens (by the token's hash, so no secret is kept)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, Principal | None]] = {}

    def get(self, request: Request, token: str) -> Principal | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        found = self._seen.get(key)
        if found is not None and found[0] > now:
            return found[1]
        with Session(request.app.state.read_engine) as session:
            principal = access_service.principal_for_token(session, token)
        if len(self._seen) >= TOKEN_CACHE_SIZE:  # many distinct tokens: start afresh
            self._seen.clear()
        self._seen[key] = (now + TOKEN_CACHE_S, principal)
        return principal


def _credentials(request: Request) -> Principal | None:
    """The caller of a bearer token or a session cookie, or None (unknown or expired)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        cache: TokenCache = request.app.state.token_cache
        return cache.get(request, token.strip())
    with Session(request.app.state.read_engine) as session:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            return access_service.principal_for_session(session, session_id)
    return None


async def _check_csrf(request: Request, principal: Principal) -> None:
    """A cookie is sent by the browser on its own, so a write by session must also carry the
    session's CSRF token (header from HTMX, hidden field from a form). A bearer token is never
    sent on its own, so it needs none."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, principal.csrf_token or ""):
        raise Forbidden(
            "this form is missing its security token or it has expired",
            hint="reload the page and submit again",
        )


def _route_action(request: Request) -> Action | None:
    route = request.scope.get("route")
    return rule_for(request.method, route.path) if isinstance(route, APIRoute) else None


async def authorize(request: Request) -> AsyncIterator[None]:
    """Authenticate and authorize the request, then audit it when it changed something."""
    action = _route_action(request)
    if action is Action.public:
        yield
        return
    principal = _credentials(request)
    if principal is None:
        raise NotAuthenticated(
            "sign in first: this needs an API token or a web session",
            hint="send 'Authorization: Bearer <token>' (carexport users token NAME) "
            "or sign in at /ui/login",
        )
    if action is None:
        raise Forbidden(
            f"{request.method} {request.url.path} has no access rule, so nobody may use it",
            hint="add the route to ROUTE_RULES in carexport/access/permissions.py",
        )
    if not principal.may(action):
        raise Forbidden(
            f"user {principal.username!r} ({principal.role}) may not {action.replace('_', ' ')}",
            hint="ask an admin of your organisation for a role that may",
        )
    await _check_csrf(request, principal)
    request.state.principal = principal
    if request.method in SAFE_METHODS:
        yield
        return
    outcome = "error"
    try:
        yield
        outcome = "ok"
    except CarexportError as error:
        outcome = str(error.status_code)
        raise
    finally:
        # In its own transaction: a refused or failed write is audited too. In the thread
        # pool, not on the event loop: on SQLite it waits for the write lock, and waiting on
        # the loop stalled every request, the writer it waited for too (whose commit needs
        # the loop to be scheduled) until busy_timeout ran out (bench/bench_soak.py).
        await run_in_threadpool(_audit, request, principal, action, outcome)


def _audit(request: Request, principal: Principal, action: Action, outcome: str) -> None:
    with unit_of_work(request.app.state.engine, writes=True) as session:
        access_service.record(
            session,
            principal.org_id,
            principal.username,
            action,
            f"{request.method} {request.url.path}",
            outcome,
            {"via": principal.via, "query": str(request.url.query)[:500]},
        )


def get_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route marked public that asks who the caller is
        raise NotAuthenticated("sign in first", hint="sign in at /ui/login")
    return principal  # type: ignore[no-any-return]


async def get_org_id(request: Request) -> str:  # async: no thread-pool hop for it
    """The organisation of the authenticated caller (set by authorize)."""
    return get_principal(request).org_id


# scope="function": the unit of work ends (commits) when the endpoint returns, before the
# answer is sent. With FastAPI's default ("request") it ended after the answer had gone
# out, so a client could read right after a 200 or 201 and not find what it wrote, and a
# failed commit was never reported (what bench/bench_soak.py found).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
OrgDep = Annotated[str, Depends(get_org_id)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
