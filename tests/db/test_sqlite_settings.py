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


def _carexport_exceptions(tmp_path: Path, **env: str) -> tuple[int, str]:
    """`carexport exceptions` through the installed entry point, as a user meets it, on a
    fresh SQLite file unless env says otherwise: exit code and everything it printed."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "from carexport.cli import main; main()", "exceptions"],
        env={
            **os.environ,
            "COLUMNS": "200",
            "CAREXPORT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CAREXPORT_SQLITE_CACHE_MIB", "abc", "CAREXPORT_SQLITE_CACHE_MIB='abc'"),
        ("CAREXPORT_BUSY_TIMEOUT_S", "-1", "CAREXPORT_BUSY_TIMEOUT_S='-1'"),
        ("CAREXPORT_MAX_UPLOAD_BYTES", "0", "CAREXPORT_MAX_UPLOAD_BYTES='0'"),
        (
            "CAREXPORT_DATABASE_URL",
            "carexport.db",
            "the database URL 'carexport.db' cannot be read",
        ),
        ("CAREXPORT_DATABASE_URL", "mysql://root@localhost/carexport", "names 'mysql'"),
    ],
)
def test_a_bad_setting_ends_the_command_with_exit_2_and_no_traceback(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    code, said = _carexport_exceptions(tmp_path, **{variable: value})
    assert code == 2, said
    assert "Traceback" not in said
    assert says in said
    fix = "sqlite:///path/to/carexport.db" if variable == "CAREXPORT_DATABASE_URL" else "README"
    assert fix in said
    assert not (tmp_path / "x.db").exists()  # nothing was opened


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///{tmp}/no/such/folder/x.db", "unable to open database file"),
        ("postgresql://nobody@127.0.0.1:1/x", "Connection refused"),
    ],
)
def test_a_database_that_cannot_be_opened_is_a_message(tmp_path: Path, url: str, says: str) -> None:
    code, said = _carexport_exceptions(tmp_path, CAREXPORT_DATABASE_URL=url.format(tmp=tmp_path))
    assert code == 1, said
    assert "Traceback" not in said
    assert "cannot open the database at" in said and says in said
    assert "check CAREXPORT_DATABASE_URL" in said
