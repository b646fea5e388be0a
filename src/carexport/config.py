"""Settings: one typed object read from CAREXPORT_* environment variables, built on demand."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from carexport.errors import BadSetting


class Settings(BaseSettings):
    """Every setting carexport reads. Each field is CAREXPORT_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="CAREXPORT_", extra="ignore")

    database_url: str = "sqlite:///carexport.db"
    """SQLAlchemy URL. SQLite (a file) by default; postgresql+psycopg://... for production."""

    busy_timeout_s: float = Field(30.0, ge=0)
    """How long a write waits for another writer to finish (SQLite) or for a lock another
    holds (PostgreSQL's lock_timeout) before it gives up with a message (the CLI exits 75,
    the API answers 503); nothing is written then."""

    sqlite_cache_mib: int = Field(256, ge=0)
    """On SQLite, the most page cache each connection keeps (filled as pages are read)."""

    org_id: str = "demo"
    """The organisation (carmaker or logistics partner) that CLI commands act for."""

    max_upload_bytes: int = Field(60 * 1024 * 1024, ge=1)
    """Largest request body of a file upload (multipart) the server accepts (413 beyond)."""

    max_json_bytes: int = Field(20 * 1024 * 1024, ge=1)
    """Largest other request body (a JSON batch of orders or events) accepted (413 beyond)."""

    login_failures_allowed: int = Field(10, ge=1)
    """Failed logins allowed per user name and client address in 15 minutes (429 beyond)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:  # a bad CAREXPORT_* value: a message, not a traceback
        first = error.errors()[0]
        name = f"CAREXPORT_{str(first['loc'][0]).upper()}" if first["loc"] else "CAREXPORT_*"
        raise BadSetting(
            f"environment variable {name}={first.get('input')!r}: {first['msg']}",
            hint=f"set {name} to a valid value or unset it (see README: Settings)",
        ) from None
