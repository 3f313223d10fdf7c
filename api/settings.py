"""Service settings from the environment (prefix WHYDENIED_), read once through get_settings()."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    db_pool_size: int = Field(
        default=10, ge=1, le=200, description="Requests using the database at once (and pool connections for them)."
    )
    db_wait_seconds: float = Field(
        default=5.0, gt=0, le=60, description="How long a request waits for its turn at the database before a 503."
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Folder for the SQLite file.")
    content_dir: Path | None = Field(
        default=None, description="Load content from this folder instead of the installed package."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body accepted.")
    scan_max_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest log POST /v1/scan accepts (as sent, gzip or not)."
    )
    host: str = Field(default="127.0.0.1", description="Address `whydenied serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `whydenied serve` binds.")
    max_header_bytes: int = Field(
        default=16 * 1024, ge=4096, le=1024 * 1024, description="Largest request head (request line and headers)."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="A request head must arrive within this long, else the connection closes.",
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="A request body must arrive within this long of its head."
    )
    keep_alive_seconds: int = Field(
        default=5, ge=1, le=300, description="An idle kept-alive connection closes after this."
    )
    max_connections: int = Field(
        default=1000, ge=1, description="Open connections at most; a new one beyond it is closed at once."
    )
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host header values /mcp/ accepts besides `host` and loopback (comma-separated; "
        "a name without a port allows any port; `*` turns the DNS-rebinding check off).",
    )

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: uvicorn's plain lines, no request log. json: every log record as a JSON line on stderr, "
        "plus one line a request (request id, route, status, duration, reason; never the paste or a header).",
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to fetch the API from a browser (comma-separated, e.g. a docs site); "
        "closed by default.",
    )
    response_cache_entries: int = Field(
        default=256,
        ge=0,
        le=100_000,
        description="Diagnoses kept by request body, so the same paste posted again is answered from memory "
        "(never the paste itself; bounded to 8 MiB of answers); 0 turns the cache off (a caller who knows a "
        "paste byte for byte could otherwise tell from the timing whether it was posted recently).",
    )
    history_enabled: bool = Field(
        default=False,
        description="Keep a history of diagnoses for /v1/stats: reason, provider, code, action, service and a "
        "keyed hash of the principal, never the pasted text.",
    )
    rate_limit_per_minute: int = Field(
        default=0,
        ge=0,
        description="Diagnoses a minute each client (peer address) may request from /v1/diagnose and the web "
        "form, bursts included; 0 turns the limit off. Over it: 429 with Retry-After.",
    )
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://[:password@]host:6379/0) holding the rate limit's buckets, shared by every "
        "replica; unset: each process counts its own clients (a client gets replicas x the limit).",
    )
    rate_limit_redis_prefix: str = Field(
        default="whydenied:ratelimit:", min_length=1, description="Prefix of the rate limit's Redis keys."
    )
    rate_limit_fail_open: bool = Field(
        default=True,
        description="When Redis cannot be reached: true lets requests through unlimited, false answers 503 "
        "(logged once per outage either way).",
    )
    rate_limit_redis_timeout_seconds: float = Field(
        default=0.25, gt=0, le=5, description="How long a request waits for Redis before the fallback applies."
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of the load balancer in front (comma-separated, e.g. 10.0.0.0/8): "
        "X-Forwarded-For from these names the client the rate limit counts. Empty: the peer address, always.",
    )
    live_checks_enabled: bool = Field(
        default=False,
        description='Accept `"live": true` on /v1/diagnose (with an API key): the server\'s own AWS '
        "credentials then answer read-only checks. Off by default.",
    )
    live_timeout_seconds: float = Field(default=5.0, gt=0, le=30, description="Per call, for live checks.")
    history_key: str | None = Field(
        default=None,
        description="Secret for the principal hash (HMAC); without it a random key is made per process start.",
    )

    @field_validator("mcp_allowed_hosts", "cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'whydenied.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings, read from the environment once."""
    return Settings()
