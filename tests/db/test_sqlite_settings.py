"""The SQLite connection settings carexport reads (CAREXPORT_SQLITE_CACHE_MIB,
CAREXPORT_BUSY_TIMEOUT_S) reach every connection the CLI opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from carexport.cli.context import database
from carexport.config import get_settings


def _pragma(url: str, name: str) -> int:
    with database(url, check_schema=False) as engine, engine.connect() as conn:
        return int(conn.execute(text(f"PRAGMA {name}")).scalar_one())


def test_cache_and_busy_timeout_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    get_settings.cache_clear()
    try:
        # Defaults: 256 MiB of page cache (negative: KiB), 30 s busy timeout.
        assert _pragma(url, "cache_size") == -256 * 1024
        assert _pragma(url, "busy_timeout") == 30_000
        monkeypatch.setenv("CAREXPORT_SQLITE_CACHE_MIB", "8")
        monkeypatch.setenv("CAREXPORT_BUSY_TIMEOUT_S", "2.5")
        get_settings.cache_clear()
        assert _pragma(url, "cache_size") == -8 * 1024
        assert _pragma(url, "busy_timeout") == 2_500
    finally:
        get_settings.cache_clear()
