"""All SQL of access: organisations, users, tokens, sessions, audit entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from carexport.access.tables import (
    AuditRow,
    OrganisationRow,
    SessionRow,
    ShareRow,
    TokenRow,
    UserRow,
)


def get_organisation(session: Session, org_id: str) -> OrganisationRow | None:
    return session.get(OrganisationRow, org_id)


def add_organisation(session: Session, row: OrganisationRow) -> None:
    session.add(row)
    session.flush()


def user_by_name(session: Session, username: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()


def add_user(session: Session, row: UserRow) -> None:
    session.add(row)
    session.flush()


def users(session: Session, org_id: str | None) -> Sequence[Row[Any]]:
    """Each user with its organisation's kind and its count of live tokens."""
    live = (
        select(TokenRow.username, func.count().label("tokens"))
        .where(TokenRow.revoked_at.is_(None))
        .group_by(TokenRow.username)
        .subquery()
    )
    query = (
        select(
            UserRow.org_id,
            OrganisationRow.kind,
            UserRow.username,
            UserRow.role,
            UserRow.password_hash.is_not(None).label("has_password"),
            UserRow.disabled_at,
            func.coalesce(live.c.tokens, 0).label("tokens"),
        )
        .join(OrganisationRow, OrganisationRow.org_id == UserRow.org_id)
        .outerjoin(live, live.c.username == UserRow.username)
        .order_by(UserRow.org_id, UserRow.username)
    )
    if org_id is not None:
        query = query.where(UserRow.org_id == org_id)
    return session.execute(query).all()


def add_token(session: Session, row: TokenRow) -> None:
    session.add(row)
    session.flush()


def live_tokens(session: Session, username: str) -> Sequence[TokenRow]:
    return session.scalars(
        select(TokenRow).where(TokenRow.username == username, TokenRow.revoked_at.is_(None))
    ).all()


def revoke_tokens(session: Session, username: str, prefix: str | None, at: dt.datetime) -> int:
    query = update(TokenRow).where(TokenRow.username == username, TokenRow.revoked_at.is_(None))
    if prefix is not None:
        query = query.where(TokenRow.prefix == prefix)
    return session.execute(query.values(revoked_at=at)).rowcount  # type: ignore[attr-defined, no-any-return]


def principal_by_token(session: Session, token_hash: str) -> Row[str, str, str, str] | None:
    """(org_id, username, role, kind) of a live token of an enabled user, in one query."""
    return session.execute(
        select(UserRow.org_id, UserRow.username, UserRow.role, OrganisationRow.kind)
        .join(TokenRow, TokenRow.username == UserRow.username)
        .join(OrganisationRow, OrganisationRow.org_id == UserRow.org_id)
        .where(
            TokenRow.token_hash == token_hash,
            TokenRow.revoked_at.is_(None),
            UserRow.disabled_at.is_(None),
        )
    ).one_or_none()


def principal_by_session(
    session: Session, session_hash: str, now: dt.datetime
) -> Row[str, str, str, str, str] | None:
    """(org_id, username, role, kind, csrf_token) of a session not yet expired."""
    return session.execute(
        select(
            UserRow.org_id,
            UserRow.username,
            UserRow.role,
            OrganisationRow.kind,
            SessionRow.csrf_token,
        )
        .join(SessionRow, SessionRow.username == UserRow.username)
        .join(OrganisationRow, OrganisationRow.org_id == UserRow.org_id)
        .where(
            SessionRow.session_hash == session_hash,
            SessionRow.expires_at > now,
            UserRow.disabled_at.is_(None),
        )
    ).one_or_none()


def add_session(session: Session, row: SessionRow) -> None:
    session.add(row)
    session.flush()


def delete_session(session: Session, session_hash: str) -> None:
    session.execute(delete(SessionRow).where(SessionRow.session_hash == session_hash))


def delete_expired_sessions(session: Session, now: dt.datetime) -> None:
    session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))


def add_audit(session: Session, row: AuditRow) -> None:
    session.add(row)
    session.flush()


def audit_rows(
    session: Session,
    org_id: str,
    *,
    since: dt.datetime | None,
    actor: str | None,
    action: str | None,
    limit: int,
) -> Sequence[AuditRow]:
    query = select(AuditRow).where(AuditRow.org_id == org_id)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if action is not None:
        query = query.where(AuditRow.action == action)
    return session.scalars(query.order_by(AuditRow.at.desc(), AuditRow.id).limit(limit)).all()


def put_share(session: Session, row: ShareRow) -> None:
    """A share, or its new mode when it exists."""
    session.merge(row)
    session.flush()


def delete_share(session: Session, org_id: str, partner_id: str, scope: str, key: str) -> int:
    return session.execute(  # type: ignore[attr-defined, no-any-return]
        delete(ShareRow).where(
            ShareRow.org_id == org_id,
            ShareRow.partner_id == partner_id,
            ShareRow.scope == scope,
            ShareRow.key == key,
        )
    ).rowcount


def shares_by(session: Session, org_id: str) -> Sequence[ShareRow]:
    return session.scalars(
        select(ShareRow)
        .where(ShareRow.org_id == org_id)
        .order_by(ShareRow.partner_id, ShareRow.key)
    ).all()


def shares_to(session: Session, partner_id: str, owner_id: str | None = None) -> Sequence[ShareRow]:
    query = select(ShareRow).where(ShareRow.partner_id == partner_id)
    if owner_id is not None:
        query = query.where(ShareRow.org_id == owner_id)
    return session.scalars(query.order_by(ShareRow.org_id, ShareRow.scope, ShareRow.key)).all()
