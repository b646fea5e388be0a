"""Shared fixtures: a fresh, migrated database per test, on SQLite and, when
CAREXPORT_TEST_DATABASE_URL is set, on PostgreSQL too.

On PostgreSQL each test session migrates one template database of its own, and each
test gets a new database copied from it (CREATE DATABASE ... TEMPLATE), so runs in
parallel or on a shared server never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

# The CLI's Rich consoles take a COLUMNS they find when they are made as their fixed width,
# and otherwise read COLUMNS at each print (what the tests' CliRunner(env=...) sets). Test
# workers (pytest-xdist) start with COLUMNS=80: without it, and the consoles made now,
# every test gets the width it asks for, whichever file a worker runs first.
os.environ.pop("COLUMNS", None)
import carexport.cli.render  # noqa: F401
from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, normalise_url

PG_ENV = "CAREXPORT_TEST_DATABASE_URL"

# The longest test files, longest first (tests/bench_smoke/ has the benchmark smokes; the
# Ray file starts a cluster and runs the scenario bench). pytest-xdist (--dist loadfile)
# hands out files in collection order: these first, so no worker starts a four-minute file
# when the others are nearly done.
LONG_FILES = [
    "tests/scenarios/test_executors.py",
    "tests/bench_smoke/test_smoke_1.py",
    "tests/bench_smoke/test_smoke_2.py",
    "tests/bench_smoke/test_smoke_0.py",
    "tests/bench_smoke/test_smoke_3.py",
    "tests/reliability/test_concurrency.py",
    "tests/reliability/test_crash.py",
    "tests/web/test_browser.py",
    "tests/access/test_isolation.py",
    "tests/scenarios/test_cli.py",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: k for k, name in enumerate(LONG_FILES)}
    root = config.rootpath
    gone = [name for name in LONG_FILES if not (root / name).exists()]
    if gone:
        raise pytest.UsageError(f"tests/conftest.py LONG_FILES names no file: {gone}")

    def key(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(LONG_FILES))

    items.sort(key=key)  # stable: within a file, and among the rest, the order is kept


@pytest.fixture(scope="module", autouse=True)
def no_event_loop_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test file that leaves an asyncio loop marked running in this thread, rather
    than whichever file the worker runs next (which then cannot start a loop of its own)."""
    yield
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    pytest.fail(f"{request.node.nodeid} left an asyncio event loop running: {loop!r}")


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return normalise_url(url) if url else None


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    admin_url = _pg_admin_url()
    if admin_url is None:
        yield None
        return
    name = f"carexport_tpl_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_with_database(admin_url, name))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file, copied for each test (migrating costs about 0.3 s a test)."""
    path = tmp_path_factory.mktemp("template") / "carexport.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return str(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_template: str | None,
    sqlite_template: str,
) -> Iterator[str]:
    """The URL of a fresh database at the current schema, one per test and backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "carexport.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    admin_url = _pg_admin_url()
    if admin_url is None or pg_template is None:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"carexport_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _with_database(admin_url, name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
