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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str | None = Field(default=None, alias="TELEGRAM_BASE_URL")
    telegram_base_file_url: str | None = Field(default=None, alias="TELEGRAM_BASE_FILE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    admins: Annotated[tuple[int, ...], NoDecode] = Field(default=(), alias="HOOFDZAAK_ADMINS")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    # Webhook mode: Telegram sends this secret in a header with every update; required.
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, alias="WEBHOOK_PORT", ge=1, le=65535)
    # for the invite deep links printed by the CLI (the bot itself asks Telegram)
    bot_username: str | None = Field(default=None, alias="TELEGRAM_BOT_USERNAME")
    # Telegram's limits are honoured with PTB's AIORateLimiter against the real Bot API; the
    # offline console and the tests talk to an in-process fake and switch it off.
    rate_limiter: bool = True

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
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain sqlite:// and postgresql:// URLs and pick the async driver."""
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        return value

    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (its folder is created at start-up)."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url.removeprefix(prefix)
            if rest and rest != ":memory:":
                return Path(rest)
        return None
