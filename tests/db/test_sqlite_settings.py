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


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CAREXPORT_SQLITE_CACHE_MIB", "abc", "valid integer"),
        ("CAREXPORT_SQLITE_CACHE_MIB", "-1", "greater than or equal to 0"),
        ("CAREXPORT_BUSY_TIMEOUT_S", "-2.5", "greater than or equal to 0"),
    ],
)
def test_a_bad_setting_is_a_message_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    from carexport.errors import CarexportError

    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(CarexportError) as raised:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert f"{variable}={value!r}" in raised.value.message
    assert says in raised.value.message
