"""Imports every tables module so Base.metadata knows all tables (for Alembic and tests)."""

from __future__ import annotations


def import_all() -> None:
    from carexport.network import tables as _network  # noqa: F401
