"""Signing in and out of the dashboard: a password form, a session cookie, a rate limit.

The session cookie holds a random id whose hash is the session's row (so signing out or
revoking ends it at once); it is HttpOnly, SameSite=Lax, and Secure when served over
https. The login form itself is protected by a double-submit token: a cookie and a hidden
field that must match, so another site cannot sign a browser in as someone else.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carexport.access import service as access_service
from carexport.access.service import SESSION_HOURS
from carexport.api.deps import SESSION_COOKIE, SessionDep
from carexport.web.render import page

router = APIRouter()
LOGIN_CSRF_COOKIE = "carexport_login_csrf"
FAILURE_WINDOW_S = 15 * 60


class FailedLogins:
    """Failed logins per (user name, client address) within the window, in memory: one
    server process is one limit (each worker counts its own)."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - FAILURE_WINDOW_S:
            times.popleft()
        return times

    def blocked(self, key: tuple[str, str], allowed: int) -> bool:
        return len(self._recent(key, time.monotonic())) >= allowed

    def failed(self, key: tuple[str, str]) -> None:
        self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme), so login cannot redirect away."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/"


def login_redirect(request: Request) -> Response:
    """Where an unauthenticated page request goes: the login page, then back."""
    target = f"/ui/login?next={quote(request.url.path + ('?' + request.url.query if request.url.query else ''))}"
    if request.headers.get("HX-Request"):
        # An HTMX request would swap the login page into a fragment: ask for a full load.
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, next_path: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        active="",
        title="Sign in",
        status_code=status_code,
        next_path=next_path,
        login_csrf=token,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/ui/login",
    )
    return response


@router.get("/ui/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, _safe_next(next))


@router.post("/ui/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    next_path = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, next_path, "The form had expired. Please sign in again.", 403)
    failures: FailedLogins = request.app.state.failed_logins
    key = (username.strip().lower(), request.client.host if request.client else "")
    allowed = request.app.state.settings.login_failures_allowed
    if failures.blocked(key, allowed):
        return _login_page(
            request,
            next_path,
            f"Too many failed sign-ins for this user from here: wait "
            f"{FAILURE_WINDOW_S // 60} minutes, or ask an admin to set a new password "
            "(carexport users password NAME).",
            429,
        )
    if not access_service.check_password(session, key[0], password):
        failures.failed(key)
        return _login_page(request, next_path, "Wrong user name or password.", 401)
    failures.succeeded(key)
    session_id = access_service.start_session(session, key[0])
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui/login")
    return response


@router.post("/ui/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Ends the session (its row is deleted, so the cookie is worthless even if kept)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        access_service.end_session(session, session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
