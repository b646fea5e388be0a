"""Access logic: who a token or session is, users and their secrets, the audit log.

Tokens and session ids are 32 random bytes, stored as their SHA-256 (high entropy: a slow
hash would add nothing). Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row
from sqlalchemy.orm import Session

from carexport.access import repository
from carexport.access.permissions import Action, Kind, Role, allowed
from carexport.access.tables import (
    AuditRow,
    OrganisationRow,
    SessionRow,
    ShareRow,
    TokenRow,
    UserRow,
)
from carexport.errors import CarexportError, InvalidInput, NotFound, Problem

TOKEN_PREFIX = "cxp_"
SESSION_HOURS = 12
MIN_PASSWORD_CHARS = 12
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
# Organisation ids are data in every business row, compared and bound, never spliced:
# any printable text up to 64 characters, without surrounding spaces.
ORG_PATTERN = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,62}[^\s\x00-\x1f\x7f])?")
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a
# wrong password and login time does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    org_id: str
    username: str
    role: Role
    kind: Kind
    via: str  # "token" or "session"
    csrf_token: str | None = None  # sessions only

    def may(self, action: Action) -> bool:
        return allowed(self.role, action)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_name(what: str, value: str) -> None:
    pattern = ORG_PATTERN if what == "organisation" else NAME_PATTERN
    if not pattern.fullmatch(value):
        raise InvalidInput(
            f"the {what}",
            [
                Problem(
                    file="command line",
                    row=None,
                    field=what,
                    value=value,
                    message=f"not a valid {what}",
                    hint="up to 64 printable characters without surrounding spaces "
                    "(e.g. changan-export)"
                    if what == "organisation"
                    else "use 2-64 lower-case letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit (e.g. changan-export)",
                )
            ],
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            "the password",
            [
                Problem(
                    file="command line",
                    row=None,
                    field="password",
                    value=None,  # never echo a secret
                    message=f"shorter than {MIN_PASSWORD_CHARS} characters",
                    hint=f"choose at least {MIN_PASSWORD_CHARS} characters",
                )
            ],
        )


def add_user(
    session: Session,
    org_id: str,
    username: str,
    role: Role,
    *,
    kind: Kind = Kind.carmaker,
    org_name: str | None = None,
    password: str | None = None,
) -> None:
    """A new user of org_id (the organisation is created, of kind, if it is new)."""
    _check_name("organisation", org_id)
    _check_name("username", username)
    if password is not None:
        _check_password(password)
    organisation = repository.get_organisation(session, org_id)
    if organisation is None:
        repository.add_organisation(
            session,
            OrganisationRow(org_id=org_id, name=org_name or org_id, kind=kind, created_at=_now()),
        )
    elif organisation.kind != kind and kind is not Kind.carmaker:
        raise CarexportError(
            f"organisation {org_id!r} is a {organisation.kind}, not a {kind}",
            hint=f"leave out --kind or give --kind {organisation.kind}",
        )
    if repository.user_by_name(session, username) is not None:
        raise CarexportError(
            f"a user {username!r} exists already",
            hint="choose another name, or give this one a token: carexport users token " + username,
        )
    repository.add_user(
        session,
        UserRow(
            org_id=org_id,
            username=username,
            role=role,
            password_hash=_HASHER.hash(password) if password is not None else None,
            created_at=_now(),
            disabled_at=None,
        ),
    )


def _user(session: Session, username: str) -> UserRow:
    user = repository.user_by_name(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}", hint="see: carexport users list")
    return user


def set_password(session: Session, username: str, password: str) -> None:
    _check_password(password)
    _user(session, username).password_hash = _HASHER.hash(password)


def issue_token(session: Session, username: str, label: str = "") -> str:
    """A new API token of the user; the only time it exists in clear."""
    user = _user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    repository.add_token(
        session,
        TokenRow(
            org_id=user.org_id,
            token_hash=_sha256(token),
            prefix=token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
            username=username,
            label=label,
            created_at=_now(),
            revoked_at=None,
        ),
    )
    return token


def revoke_tokens(session: Session, username: str, prefix: str | None = None) -> int:
    """Revoke the user's token that starts with prefix (all its tokens when None)."""
    _user(session, username)
    count = repository.revoke_tokens(session, username, prefix, _now())
    if prefix is not None and count == 0:
        raise NotFound(
            f"user {username!r} has no live token starting {prefix!r}",
            hint="see the prefixes with: carexport users list --tokens",
        )
    return count


def users(session: Session, org_id: str | None = None) -> Sequence[Row[Any]]:
    return repository.users(session, org_id)


def live_tokens(session: Session, username: str) -> Sequence[TokenRow]:
    return repository.live_tokens(session, username)


def _principal(row: Any, via: str, csrf_token: str | None = None) -> Principal:
    return Principal(
        org_id=row.org_id,
        username=row.username,
        role=Role(row.role),
        kind=Kind(row.kind),
        via=via,
        csrf_token=csrf_token,
    )


def principal_for_token(session: Session, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = repository.principal_by_token(session, _sha256(token))
    return None if row is None else _principal(row, "token")


def principal_for_session(session: Session, session_id: str) -> Principal | None:
    row = repository.principal_by_session(session, _sha256(session_id), _now())
    return None if row is None else _principal(row, "session", row.csrf_token)


def check_password(session: Session, username: str, password: str) -> bool:
    """Whether the password is the user's (an enabled user with a password)."""
    user = repository.user_by_name(session, username)
    stored = user.password_hash if user is not None and user.disabled_at is None else None
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None or user is None:
        return False
    if _HASHER.check_needs_rehash(stored):  # parameters raised since it was hashed
        user.password_hash = _HASHER.hash(password)
    return True


def start_session(session: Session, username: str) -> str:
    """A new web session of the user: its id (for the cookie) in clear, once."""
    user = _user(session, username)
    now = _now()
    repository.delete_expired_sessions(session, now)
    session_id = secrets.token_urlsafe(32)
    repository.add_session(
        session,
        SessionRow(
            org_id=user.org_id,
            session_hash=_sha256(session_id),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + dt.timedelta(hours=SESSION_HOURS),
        ),
    )
    return session_id


def end_session(session: Session, session_id: str) -> None:
    repository.delete_session(session, _sha256(session_id))


def record(
    session: Session,
    org_id: str,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry: who did what to what, when, and how it ended."""
    repository.add_audit(
        session,
        AuditRow(
            org_id=org_id,
            id=uuid.uuid4().hex,
            at=_now(),
            actor=actor,
            action=action,
            target=target[:2000],
            outcome=outcome,
            detail=detail or {},
        ),
    )


def audit_entries(
    session: Session,
    org_id: str,
    *,
    since: dt.datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> Sequence[AuditRow]:
    """The organisation's audit entries, newest first."""
    return repository.audit_rows(
        session, org_id, since=since, actor=actor, action=action, limit=limit
    )


SHARE_MODES = ("read", "operate")
SHARE_SCOPES = ("order", "dealer")


def share(
    session: Session,
    owner: Principal,
    partner_id: str,
    *,
    scope: str,
    key: str,
    mode: str,
) -> None:
    """The owner shows the partner one order (scope order) or every order bound for one of
    its dealers (scope dealer, to a dealer organisation), read-only or to operate."""
    partner = repository.get_organisation(session, partner_id)
    if partner is None or partner_id == owner.org_id:
        raise NotFound(
            f"no other organisation {partner_id!r}",
            hint="its admin is added first: carexport users add NAME --org ORG --kind ...",
        )
    if scope not in SHARE_SCOPES or mode not in SHARE_MODES:
        raise CarexportError(
            f"cannot share by {scope!r} in mode {mode!r}",
            hint=f"scope is one of {', '.join(SHARE_SCOPES)}; mode one of {', '.join(SHARE_MODES)}",
        )
    if scope == "dealer" and partner.kind != Kind.dealer:
        raise CarexportError(
            f"{partner_id!r} is a {partner.kind}: only a dealer sees the vehicles bound for a dealer",
            hint="share chosen orders with it instead (scope order)",
        )
    repository.put_share(
        session,
        ShareRow(
            org_id=owner.org_id,
            partner_id=partner_id,
            scope=scope,
            key=key,
            mode=mode,
            created_at=_now(),
            created_by=owner.username,
        ),
    )


def unshare(session: Session, owner_id: str, partner_id: str, scope: str, key: str) -> None:
    if repository.delete_share(session, owner_id, partner_id, scope, key) == 0:
        raise NotFound(
            f"{key!r} ({scope}) is not shared with {partner_id!r}", hint="see GET /shares"
        )


def shares_by(session: Session, owner_id: str) -> Sequence[ShareRow]:
    return repository.shares_by(session, owner_id)


def shares_to(session: Session, partner_id: str, owner_id: str | None = None) -> Sequence[ShareRow]:
    return repository.shares_to(session, partner_id, owner_id)


def shared_mode(
    session: Session, partner_id: str, owner_id: str, order_id: str, dealer_id: str | None
) -> str | None:
    """How the owner's order is shared with the partner: operate, read, or None (not at
    all); operate wins when it is shared both ways."""
    modes = {
        row.mode
        for row in repository.shares_to(session, partner_id, owner_id)
        if (row.scope == "order" and row.key == order_id)
        or (row.scope == "dealer" and dealer_id is not None and row.key == dealer_id)
    }
    return "operate" if "operate" in modes else ("read" if modes else None)
