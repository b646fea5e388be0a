"""Imports every tables module so Base.metadata knows all tables (for Alembic and tests)."""

from __future__ import annotations


def import_all() -> None:
    from carexport.access import tables as _access  # noqa: F401
    from carexport.network import tables as _network  # noqa: F401
    from carexport.orders import tables as _orders  # noqa: F401
    from carexport.plans import tables as _plans  # noqa: F401
    from carexport.scenarios import tables as _scenarios  # noqa: F401
    from carexport.tracking import tables as _tracking  # noqa: F401
