"""Settings from the environment (names as in DESIGN.md). Built by the CLI, passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TIMEZONE = ZoneInfo("Europe/Amsterdam")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/hoofdzaak.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str | None = Field(default=None, alias="TELEGRAM_BASE_URL")
    telegram_base_file_url: str | None = Field(default=None, alias="TELEGRAM_BASE_FILE_URL")
    # a secret: a PostgreSQL URL carries the password (use `db_url` to connect)
    database_url: SecretStr = Field(default=SecretStr(DEFAULT_DATABASE_URL), alias="DATABASE_URL")
    admins: Annotated[tuple[int, ...], NoDecode] = Field(default=(), alias="HOOFDZAAK_ADMINS")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    # Webhook mode: Telegram sends this secret in a header with every update; required.
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, alias="WEBHOOK_PORT", ge=1, le=65535)
    # Polling mode: serve /healthz on WEBHOOK_LISTEN and this port (webhook mode serves it on
    # WEBHOOK_PORT next to the updates); unset: no HTTP server in polling mode.
    health_port: int | None = Field(default=None, alias="HOOFDZAAK_HEALTH_PORT", ge=1, le=65535)
    # for the invite deep links printed by the CLI (the bot itself asks Telegram)
    bot_username: str | None = Field(default=None, alias="TELEGRAM_BOT_USERNAME")
    # Flood control: more than this many messages/presses from one person in the window are
    # slowed down (bot/services/people/flood.py).
    flood_limit: int = Field(default=20, alias="HOOFDZAAK_FLOOD_LIMIT", ge=1)
    flood_window: float = Field(default=10.0, alias="HOOFDZAAK_FLOOD_WINDOW", gt=0)
    # Updates handled at the same time (bot/ordering.py): different people's updates run
    # side by side, each person's and chat's one after the other, in order.
    concurrent_updates: int = Field(
        default=32, ge=1, le=1024, alias="HOOFDZAAK_CONCURRENT_UPDATES"
    )
    # Retention (docs/privacy.md), applied every night and by `hoofdzaak db retention`.
    retention_question_days: int = Field(
        default=180, alias="HOOFDZAAK_RETENTION_QUESTIONS_DAYS", ge=1
    )
    retention_pseudonym_days: int = Field(
        default=365, alias="HOOFDZAAK_RETENTION_PSEUDONYMS_DAYS", ge=1
    )
    retention_message_days: int = Field(
        default=30, alias="HOOFDZAAK_RETENTION_MESSAGES_DAYS", ge=1
    )
    # Telegram's limits are honoured with PTB's AIORateLimiter against the real Bot API; the
    # offline console and the tests talk to an in-process fake and switch it off.
    rate_limiter: bool = Field(default=True, alias="HOOFDZAAK_RATE_LIMITER")
    # Announcements and digests: the sender's own budget, below Telegram's ~30 messages/s per
    # bot so interactive replies still fit; and how many sends may be in flight at once (also
    # the most recipients that can end up "onzeker" after a crash).
    broadcast_rate: float = Field(default=25.0, gt=0, alias="HOOFDZAAK_BROADCAST_RATE")
    broadcast_concurrency: int = Field(
        default=4, ge=1, le=32, alias="HOOFDZAAK_BROADCAST_CONCURRENCY"
    )

    @field_validator("admins", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                msg = f"must be Telegram user ids separated by commas, got {value!r}"
                raise ValueError(msg) from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a secret token."""
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1 to 256 characters: letters, digits, _ or -")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value:
            return None
        if value is not None and not value.startswith("https://"):
            # Telegram posts updates over HTTPS only
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _bot_token(cls, value: object) -> object:
        """Empty means not set; anything else must look like BotFather's 123456:ABC-def…"""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None
            if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", raw):
                # never echo the value: it is a secret
                raise ValueError("does not look like a bot token from @BotFather (123456:ABC…)")
        return raw

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, secret: SecretStr) -> SecretStr:
        """Accept plain sqlite:// and postgresql:// URLs and pick the async driver."""
        value = secret.get_secret_value()
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        elif value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        from sqlalchemy.engine import make_url  # here: `hoofdzaak --help` needs no SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError(
                "not a database URL: use sqlite:///path/to/file.db or "
                "postgresql://user:password@host:5432/database"
            ) from None
        if driver not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"{driver} is not supported: use SQLite (sqlite:///…) or PostgreSQL "
                "(postgresql://…)"
            )
        return SecretStr(value)

    @property
    def db_url(self) -> str:
        """The database URL to connect with (password included: never log it)."""
        return self.database_url.get_secret_value()

    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (its folder is created at start-up)."""
        prefix = "sqlite+aiosqlite:///"
        if self.db_url.startswith(prefix):
            rest = self.db_url.removeprefix(prefix)
            if rest and rest != ":memory:":
                return Path(rest)
        return None
