"""What the benchmarks share: a throw-away database on SQLite or PostgreSQL, and a
`carexport serve` of it on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from carexport.db.session import normalise_url


@contextmanager
def database(kind: str, workdir: Path, pg_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    assert pg_url is not None
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    name = f"carexport_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(normalise_url(pg_url)).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def api_token(url: str, org_id: str) -> str:
    """A new viewer of org_id (the organisation created if new) with an API token: what a
    benchmark's requests send as 'Authorization: Bearer <token>'."""
    from carexport.access import service as access_service
    from carexport.access.permissions import Role
    from carexport.db.session import make_engine, unit_of_work

    username = f"bench-{uuid.uuid4().hex[:12]}"
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            access_service.add_user(session, org_id, username, Role.viewer)
            return access_service.issue_token(session, username, "benchmark")
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STARTUP_S = 180


def serve(url: str, org_id: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """`carexport serve` (workers processes, no access log) on url for org_id, once /health
    answers."""
    command = [
        str(Path(sys.executable).with_name("carexport")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    env = {**os.environ, "CAREXPORT_DATABASE_URL": url, "CAREXPORT_ORG_ID": org_id}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # A loaded machine (the test suite runs a file per core) can take a minute to start
    # the workers: wait up to STARTUP_S.
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return server
        except OSError as error:
            if server.poll() is not None:
                log = server.stderr.read().decode() if server.stderr else ""
                raise SystemExit(f"server exited: {log[-2000:]}") from error
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server on port {port} did not answer within {STARTUP_S} s")
