"""Organisations, their users, API tokens, web sessions and the audit log.

Secrets are never stored: a token or session id is kept as the SHA-256 of a random 32-byte
value (high entropy, so a fast hash is enough) and a password as an argon2id hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db.base import Base, OrgOwned


class OrganisationRow(OrgOwned, Base):
    __tablename__ = "access_organisation"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # carmaker, logistics_partner, dealer
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UserRow(OrgOwned, Base):
    __tablename__ = "access_user"
    # Login names are unique across organisations: the login form has no organisation field.
    username: Mapped[str] = mapped_column(String(64), primary_key=True, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TokenRow(OrgOwned, Base):
    __tablename__ = "access_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True, unique=True)
    # The first characters of the token, so a user can tell which one to revoke.
    prefix: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SessionRow(OrgOwned, Base):
    __tablename__ = "access_session"
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True, unique=True)
    username: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(OrgOwned, Base):
    __tablename__ = "access_audit"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a username, or "cli:<os user>"
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)  # what it acted on: a route, a file, a user
    outcome: Mapped[str] = mapped_column(String(16))  # an HTTP status or "ok"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ShareRow(OrgOwned, Base):
    """The owner (org_id) shows a partner one order, or every order bound for one of its
    dealers, read-only or to operate (post the vehicles' events)."""

    __tablename__ = "access_share"
    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # order or dealer
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # order_id or dealer_id
    mode: Mapped[str] = mapped_column(String(16))  # read or operate
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
