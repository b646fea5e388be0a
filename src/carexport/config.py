"""Settings: one typed object read from CAREXPORT_* environment variables, built on demand."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting carexport reads. Each field is CAREXPORT_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="CAREXPORT_", extra="ignore")

    database_url: str = "sqlite:///carexport.db"
    """SQLAlchemy URL. SQLite (a file) by default; postgresql+psycopg://... for production."""

    busy_timeout_s: float = 30.0
    """On SQLite, how long a write waits for another writer to finish before it gives up
    with a message (the CLI exits 75, the API answers 503); nothing is written then."""

    sqlite_cache_mib: int = 256
    """On SQLite, the most page cache each connection keeps (filled as pages are read)."""

    org_id: str = "demo"
    """The organisation (carmaker or logistics partner) that CLI commands act for."""

    max_upload_bytes: int = 60 * 1024 * 1024
    """Largest request body of a file upload (multipart) the server accepts (413 beyond)."""

    max_json_bytes: int = 20 * 1024 * 1024
    """Largest other request body (a JSON batch of orders or events) accepted (413 beyond)."""

    login_failures_allowed: int = 10
    """Failed logins allowed per user name and client address in 15 minutes (429 beyond)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
