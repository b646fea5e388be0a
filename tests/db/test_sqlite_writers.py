"""Two SQLite transactions that read and then write, interleaved: with writes=True the
second waits its turn; without it, SQLite refuses the first one's write at once
("database is locked", busy_timeout notwithstanding; raised as DatabaseBusy). What
concurrent API requests do."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from carexport.db.session import make_engine, unit_of_work
from carexport.errors import DatabaseBusy


def _interleave(path: Path, *, writes: bool) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    read = threading.Event()
    other_error: list[BaseException] = []

    def other() -> None:
        read.wait(5)
        try:
            with unit_of_work(engine, writes=writes) as session:
                session.execute(text("INSERT INTO t VALUES (2)"))
        except BaseException as error:  # reported to the main thread
            other_error.append(error)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with unit_of_work(engine, writes=writes) as session:
            session.execute(text("SELECT count(*) FROM t")).scalar()
            read.set()
            # The other transaction has begun (and, without writes=True, committed) by now.
            thread.join(0.5)
            session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        read.set()
        thread.join(10)
        engine.dispose()
    assert not other_error, other_error


def test_writers_wait_their_turn(tmp_path: Path) -> None:
    _interleave(tmp_path / "w.db", writes=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT n FROM t")).scalars()) == [1, 2]
    engine.dispose()


def test_without_it_the_read_snapshot_cannot_write(tmp_path: Path) -> None:
    # SQLite's refusal reaches the caller as DatabaseBusy, a message, not a traceback.
    with pytest.raises(DatabaseBusy, match="the database is busy") as refused:
        _interleave(tmp_path / "r.db", writes=False)
    assert isinstance(refused.value.__cause__, OperationalError)
    assert "database is locked" in str(refused.value.__cause__)
