"""Settings: one typed object read from CAREXPORT_* environment variables, built on demand."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting carexport reads. Each field is CAREXPORT_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="CAREXPORT_", extra="ignore")

    database_url: str = "sqlite:///carexport.db"
    """SQLAlchemy URL. SQLite (a file) by default; postgresql+psycopg://... for production."""

    org_id: str = "demo"
    """The organisation (carmaker or logistics partner) that CLI commands act for."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
