"""Service settings from the environment (prefix WHYDENIED_), read once through get_settings()."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Return where the SQLite file lives by default: $XDG_DATA_HOME/whydenied."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "whydenied"


class Settings(BaseSettings):
    """Everything an operator may set; each field is WHYDENIED_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="WHYDENIED_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Folder for the SQLite file.")
    content_dir: Path | None = Field(
        default=None, description="Load content from this folder instead of the installed package."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body accepted.")
    host: str = Field(default="127.0.0.1", description="Address `whydenied serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `whydenied serve` binds.")

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'whydenied.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings, read from the environment once."""
    return Settings()
