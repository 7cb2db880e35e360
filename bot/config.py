"""Settings from the environment (names as in DESIGN.md). Built by the CLI, passed down."""

from __future__ import annotations

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
    # for the invite deep links printed by the CLI (the bot itself asks Telegram)
    bot_username: str | None = Field(default=None, alias="TELEGRAM_BOT_USERNAME")
    # Telegram's limits are honoured with PTB's AIORateLimiter against the real Bot API; the
    # offline console and the tests talk to an in-process fake and switch it off.
    rate_limiter: bool = True
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
